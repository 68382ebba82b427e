/**
 * Commits as data: the requirements a commit asserts and the updates it
 * applies, in the REST catalog's JSON shape (`CommitTableRequest`). Every
 * catalog commits through {@link commit}: the filesystem catalog applies it to
 * the metadata file it read, the REST catalog sends it, the REST server applies
 * it. A requirement that no longer holds is a `commit-conflict`.
 *
 * @since 0.1.0
 */
import * as IcebergError from "./IcebergError.ts"
import * as IcebergSchema from "./IcebergSchema.ts"
import type * as PartitionSpec from "./PartitionSpec.ts"
import * as Json from "./internal/json.ts"
import * as TableMetadata from "./TableMetadata.ts"

/**
 * A commit precondition (REST `TableRequirement`).
 *
 * @since 0.1.0
 */
export type Requirement =
  | { readonly type: "assert-create" }
  | { readonly type: "assert-table-uuid"; readonly uuid: string }
  | { readonly type: "assert-ref-snapshot-id"; readonly ref: string; readonly "snapshot-id": bigint | null }
  | { readonly type: "assert-last-assigned-field-id"; readonly "last-assigned-field-id": number }
  | { readonly type: "assert-current-schema-id"; readonly "current-schema-id": number }
  | { readonly type: "assert-last-assigned-partition-id"; readonly "last-assigned-partition-id": number }
  | { readonly type: "assert-default-spec-id"; readonly "default-spec-id": number }
  | { readonly type: "assert-default-sort-order-id"; readonly "default-sort-order-id": number }

/**
 * A metadata change (REST `TableUpdate`, the subset Strata applies).
 *
 * @since 0.1.0
 */
export type Update =
  | { readonly action: "upgrade-format-version"; readonly "format-version": number }
  | { readonly action: "add-schema"; readonly schema: IcebergSchema.Schema; readonly "last-column-id"?: number | undefined }
  | { readonly action: "set-current-schema"; readonly "schema-id": number }
  | { readonly action: "add-spec"; readonly spec: PartitionSpec.PartitionSpec }
  | { readonly action: "set-default-spec"; readonly "spec-id": number }
  | { readonly action: "add-sort-order"; readonly "sort-order": TableMetadata.SortOrder }
  | { readonly action: "set-default-sort-order"; readonly "sort-order-id": number }
  | { readonly action: "add-snapshot"; readonly snapshot: TableMetadata.Snapshot }
  | ({ readonly action: "set-snapshot-ref"; readonly "ref-name": string } & TableMetadata.SnapshotRef)
  | { readonly action: "remove-snapshots"; readonly "snapshot-ids": ReadonlyArray<bigint> }
  | { readonly action: "remove-snapshot-ref"; readonly "ref-name": string }
  | { readonly action: "set-location"; readonly location: string }
  | { readonly action: "set-properties"; readonly updates: Readonly<Record<string, string>> }
  | { readonly action: "remove-properties"; readonly removals: ReadonlyArray<string> }

/**
 * A commit: requirements checked against the current metadata, then updates.
 *
 * @since 0.1.0
 */
export interface Commit {
  readonly requirements: ReadonlyArray<Requirement>
  readonly updates: ReadonlyArray<Update>
}

const conflict = (table: string | undefined, detail: string) =>
  IcebergError.make({ reason: "commit-conflict", table, detail: `${detail}; reload the table and commit again` })

/**
 * The first requirement that the metadata breaks, as a message, or `undefined`.
 *
 * @since 0.1.0
 */
export const brokenRequirement = (metadata: TableMetadata.TableMetadata | undefined, requirement: Requirement): string | undefined => {
  if (requirement.type === "assert-create") return metadata === undefined ? undefined : "the table already exists"
  if (metadata === undefined) return "the table does not exist"
  switch (requirement.type) {
    case "assert-table-uuid":
      return metadata["table-uuid"] === requirement.uuid ? undefined : `the table's uuid is ${metadata["table-uuid"]}, not ${requirement.uuid}`
    case "assert-ref-snapshot-id": {
      const actual = metadata.refs[requirement.ref]?.["snapshot-id"] ?? null
      const expected = requirement["snapshot-id"] === null ? null : TableMetadata.toLong(requirement["snapshot-id"]) ?? null
      return actual === expected
        ? undefined
        : `branch ${requirement.ref} is at snapshot ${actual ?? "none"}, the commit was based on ${expected ?? "none"}`
    }
    case "assert-last-assigned-field-id":
      return metadata["last-column-id"] === requirement["last-assigned-field-id"]
        ? undefined
        : `last-column-id is ${metadata["last-column-id"]}, not ${requirement["last-assigned-field-id"]}: the schema changed`
    case "assert-current-schema-id":
      return metadata["current-schema-id"] === requirement["current-schema-id"]
        ? undefined
        : `the current schema is ${metadata["current-schema-id"]}, not ${requirement["current-schema-id"]}`
    case "assert-last-assigned-partition-id":
      return metadata["last-partition-id"] === requirement["last-assigned-partition-id"]
        ? undefined
        : `last-partition-id is ${metadata["last-partition-id"]}, not ${requirement["last-assigned-partition-id"]}`
    case "assert-default-spec-id":
      return metadata["default-spec-id"] === requirement["default-spec-id"]
        ? undefined
        : `the default spec is ${metadata["default-spec-id"]}, not ${requirement["default-spec-id"]}`
    case "assert-default-sort-order-id":
      return metadata["default-sort-order-id"] === requirement["default-sort-order-id"]
        ? undefined
        : `the default sort order is ${metadata["default-sort-order-id"]}, not ${requirement["default-sort-order-id"]}`
  }
}

/**
 * Fails with `commit-conflict` when a requirement does not hold.
 *
 * @since 0.1.0
 */
export const checkRequirements = (
  metadata: TableMetadata.TableMetadata | undefined,
  requirements: ReadonlyArray<Requirement>,
  table?: string
): void => {
  for (const requirement of requirements) {
    const broken = brokenRequirement(metadata, requirement)
    if (broken !== undefined) {
      throw requirement.type === "assert-create"
        ? IcebergError.make({ reason: "already-exists", table, detail: broken })
        : conflict(table, `requirement ${requirement.type} failed: ${broken}`)
    }
  }
}

type Mutable = { -readonly [K in keyof TableMetadata.TableMetadata]: TableMetadata.TableMetadata[K] }

const invalid = (table: string | undefined, detail: string) => IcebergError.make({ reason: "invalid-argument", table, detail })

const lastAdded = <A>(items: ReadonlyArray<A>, id: (item: A) => number): number => Math.max(...items.map(id))

const setRef = (next: Mutable, update: Extract<Update, { action: "set-snapshot-ref" }>, nowMs: number, table: string | undefined) => {
  const id = TableMetadata.toLong(update["snapshot-id"])
  if (id === undefined || TableMetadata.snapshotById(next, id) === undefined) {
    throw invalid(table, `set-snapshot-ref ${update["ref-name"]}: snapshot ${String(update["snapshot-id"])} does not exist`)
  }
  const { action: _action, "ref-name": name, ...ref } = update
  next.refs = { ...next.refs, [name]: { ...ref, "snapshot-id": id } }
  if (name === TableMetadata.MAIN && next["current-snapshot-id"] !== id) {
    next["current-snapshot-id"] = id
    next["snapshot-log"] = [...next["snapshot-log"], { "snapshot-id": id, "timestamp-ms": nowMs }]
  }
}

const removeSnapshots = (next: Mutable, ids: ReadonlyArray<bigint>) => {
  const removed = new Set(ids.map((id) => TableMetadata.toLong(id)!))
  next.snapshots = next.snapshots.filter((snapshot) => !removed.has(snapshot["snapshot-id"]))
  next.refs = Object.fromEntries(Object.entries(next.refs).filter(([, ref]) => !removed.has(ref["snapshot-id"])))
  if (next["current-snapshot-id"] !== undefined && removed.has(next["current-snapshot-id"])) delete next["current-snapshot-id"]
  // "all entries before a snapshot that has expired should be removed"
  const log = next["snapshot-log"]
  let lastRemoved = -1
  log.forEach((entry, index) => {
    if (removed.has(entry["snapshot-id"])) lastRemoved = index
  })
  next["snapshot-log"] = log.slice(lastRemoved + 1)
}

const applyOne = (next: Mutable, update: Update, nowMs: number, table: string | undefined): void => {
  switch (update.action) {
    case "upgrade-format-version":
      if (update["format-version"] !== 2) throw invalid(table, `format version ${update["format-version"]} is not supported`)
      return
    case "add-schema": {
      const id = update.schema["schema-id"]
      if (next.schemas.some((schema) => schema["schema-id"] === id)) throw invalid(table, `schema ${id} already exists`)
      next.schemas = [...next.schemas, update.schema]
      next["last-column-id"] = Math.max(next["last-column-id"], update["last-column-id"] ?? 0, IcebergSchema.highestFieldId(update.schema))
      return
    }
    case "set-current-schema": {
      const id = update["schema-id"] === -1 ? lastAdded(next.schemas, (schema) => schema["schema-id"]) : update["schema-id"]
      if (!next.schemas.some((schema) => schema["schema-id"] === id)) throw invalid(table, `schema ${id} does not exist`)
      next["current-schema-id"] = id
      return
    }
    case "add-spec": {
      if (next["partition-specs"].some((spec) => spec["spec-id"] === update.spec["spec-id"])) {
        throw invalid(table, `partition spec ${update.spec["spec-id"]} already exists`)
      }
      next["partition-specs"] = [...next["partition-specs"], update.spec]
      next["last-partition-id"] = Math.max(next["last-partition-id"], ...update.spec.fields.map((field) => field["field-id"]))
      return
    }
    case "set-default-spec": {
      const id = update["spec-id"] === -1 ? lastAdded(next["partition-specs"], (spec) => spec["spec-id"]) : update["spec-id"]
      if (!next["partition-specs"].some((spec) => spec["spec-id"] === id)) throw invalid(table, `partition spec ${id} does not exist`)
      next["default-spec-id"] = id
      return
    }
    case "add-sort-order":
      next["sort-orders"] = [...next["sort-orders"], update["sort-order"]]
      return
    case "set-default-sort-order": {
      const id = update["sort-order-id"] === -1 ? lastAdded(next["sort-orders"], (order) => order["order-id"]) : update["sort-order-id"]
      if (!next["sort-orders"].some((order) => order["order-id"] === id)) throw invalid(table, `sort order ${id} does not exist`)
      next["default-sort-order-id"] = id
      return
    }
    case "add-snapshot": {
      const snapshot = update.snapshot
      if (TableMetadata.snapshotById(next, snapshot["snapshot-id"]) !== undefined) {
        throw invalid(table, `snapshot ${snapshot["snapshot-id"]} already exists`)
      }
      if (snapshot["sequence-number"] <= next["last-sequence-number"]) {
        throw conflict(table, `snapshot sequence number ${snapshot["sequence-number"]} is not above the table's ${next["last-sequence-number"]}`)
      }
      next.snapshots = [...next.snapshots, snapshot]
      next["last-sequence-number"] = snapshot["sequence-number"]
      return
    }
    case "set-snapshot-ref":
      return setRef(next, update, nowMs, table)
    case "remove-snapshots":
      return removeSnapshots(next, update["snapshot-ids"])
    case "remove-snapshot-ref": {
      const { [update["ref-name"]]: _removed, ...rest } = next.refs
      next.refs = rest
      if (update["ref-name"] === TableMetadata.MAIN) delete next["current-snapshot-id"]
      return
    }
    case "set-location":
      next.location = update.location
      return
    case "set-properties":
      next.properties = { ...next.properties, ...update.updates }
      return
    case "remove-properties":
      next.properties = Object.fromEntries(Object.entries(next.properties).filter(([key]) => !update.removals.includes(key)))
      return
    default:
      throw invalid(table, `unsupported update ${JSON.stringify((update as { action?: unknown }).action)}`)
  }
}

/** The table property capping the metadata log (the reference implementation's name and default). */
const PREVIOUS_VERSIONS_MAX = "write.metadata.previous-versions-max"

/**
 * Applies a commit to the metadata it was checked against: the requirements
 * must hold (else `commit-conflict`), then each update in order. The previous
 * metadata file, when given, is added to the metadata log.
 *
 * @since 0.1.0
 */
export const commit = (
  metadata: TableMetadata.TableMetadata,
  change: Commit,
  options: { readonly nowMs: number; readonly previousLocation?: string | undefined; readonly table?: string | undefined }
): TableMetadata.TableMetadata => {
  checkRequirements(metadata, change.requirements, options.table)
  const next = { ...metadata } as Mutable
  const nowMs = Math.max(options.nowMs, metadata["last-updated-ms"])
  for (const update of change.updates) applyOne(next, update, nowMs, options.table)
  next["last-updated-ms"] = nowMs
  if (next["current-snapshot-id"] === undefined) delete next["current-snapshot-id"]
  if (options.previousLocation !== undefined) {
    const max = Number(next.properties[PREVIOUS_VERSIONS_MAX] ?? 100)
    const log = [...next["metadata-log"], { "metadata-file": options.previousLocation, "timestamp-ms": metadata["last-updated-ms"] }]
    next["metadata-log"] = log.slice(Math.max(0, log.length - max))
  }
  const { problems } = TableMetadata.validate(Json.parse(TableMetadata.encode(next)))
  if (problems.length > 0) throw invalid(options.table, `the commit would leave invalid metadata: ${problems.join("; ")}`)
  return next
}
