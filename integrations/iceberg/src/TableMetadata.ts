/**
 * Table metadata (`metadata.json`, format v2, spec "Table Metadata" and
 * Appendix C), kept in its JSON shape with longs as `bigint`: snapshot ids and
 * sequence numbers keep all 64 bits, whoever wrote them.
 *
 * {@link decode} is a strict validator: it checks every field format v2
 * requires (and the references between them: the current schema, spec, sort
 * order and snapshot exist, refs point at snapshots, sequence numbers do not
 * exceed `last-sequence-number`) and lists every problem it finds.
 *
 * @since 0.1.0
 */
import * as IcebergError from "./IcebergError.ts"
import type * as IcebergSchema from "./IcebergSchema.ts"
import * as Json from "./internal/json.ts"
import type * as PartitionSpec from "./PartitionSpec.ts"

/**
 * A sort field (JSON form).
 *
 * @since 0.1.0
 */
export interface SortField {
  readonly transform: string
  readonly "source-id": number
  readonly direction: "asc" | "desc"
  readonly "null-order": "nulls-first" | "nulls-last"
}

/**
 * A sort order (JSON form). Order id 0 is the unsorted order.
 *
 * @since 0.1.0
 */
export interface SortOrder {
  readonly "order-id": number
  readonly fields: ReadonlyArray<SortField>
}

/**
 * A snapshot's operation (spec: Snapshots).
 *
 * @since 0.1.0
 */
export type Operation = "append" | "replace" | "overwrite" | "delete"

/**
 * A snapshot (JSON form).
 *
 * @since 0.1.0
 */
export interface Snapshot {
  readonly "snapshot-id": bigint
  readonly "parent-snapshot-id"?: bigint | undefined
  readonly "sequence-number": bigint
  readonly "timestamp-ms": number
  readonly "manifest-list": string
  readonly summary: { readonly operation: Operation; readonly [key: string]: string }
  readonly "schema-id"?: number | undefined
}

/**
 * A branch or tag (JSON form).
 *
 * @since 0.1.0
 */
export interface SnapshotRef {
  readonly "snapshot-id": bigint
  readonly type: "branch" | "tag"
  readonly "min-snapshots-to-keep"?: number | undefined
  readonly "max-snapshot-age-ms"?: number | undefined
  readonly "max-ref-age-ms"?: number | undefined
}

/**
 * Table metadata, format version 2 (JSON form, longs as `bigint`).
 *
 * @since 0.1.0
 */
export interface TableMetadata {
  readonly "format-version": 2
  readonly "table-uuid": string
  readonly location: string
  readonly "last-sequence-number": bigint
  readonly "last-updated-ms": number
  readonly "last-column-id": number
  readonly schemas: ReadonlyArray<IcebergSchema.Schema>
  readonly "current-schema-id": number
  readonly "partition-specs": ReadonlyArray<PartitionSpec.PartitionSpec>
  readonly "default-spec-id": number
  readonly "last-partition-id": number
  readonly properties: Readonly<Record<string, string>>
  readonly "current-snapshot-id"?: bigint | undefined
  readonly snapshots: ReadonlyArray<Snapshot>
  readonly "snapshot-log": ReadonlyArray<{ readonly "snapshot-id": bigint; readonly "timestamp-ms": number }>
  readonly "metadata-log": ReadonlyArray<{ readonly "metadata-file": string; readonly "timestamp-ms": number }>
  readonly "sort-orders": ReadonlyArray<SortOrder>
  readonly "default-sort-order-id": number
  readonly refs: Readonly<Record<string, SnapshotRef>>
}

/** The name of the main branch. */
export const MAIN = "main"

// ---------------------------------------------------------------------------
// Lookups

/**
 * The table's current schema.
 *
 * @since 0.1.0
 */
export const currentSchema = (metadata: TableMetadata): IcebergSchema.Schema =>
  metadata.schemas.find((schema) => schema["schema-id"] === metadata["current-schema-id"])!

/**
 * The table's default partition spec.
 *
 * @since 0.1.0
 */
export const defaultSpec = (metadata: TableMetadata): PartitionSpec.PartitionSpec =>
  metadata["partition-specs"].find((spec) => spec["spec-id"] === metadata["default-spec-id"])!

/**
 * The snapshot with an id, if the table still has it.
 *
 * @since 0.1.0
 */
export const snapshotById = (metadata: TableMetadata, id: bigint): Snapshot | undefined =>
  metadata.snapshots.find((snapshot) => snapshot["snapshot-id"] === id)

/**
 * The current snapshot (the head of `main`), if the table has one.
 *
 * @since 0.1.0
 */
export const currentSnapshot = (metadata: TableMetadata): Snapshot | undefined => {
  const id = metadata.refs[MAIN]?.["snapshot-id"] ?? metadata["current-snapshot-id"]
  return id === undefined ? undefined : snapshotById(metadata, id)
}

/**
 * The snapshot that was current at a time (spec, Appendix F "Point in Time
 * Reads": the last `snapshot-log` entry at or before it).
 *
 * @since 0.1.0
 */
export const snapshotAsOf = (metadata: TableMetadata, timestampMs: number): Snapshot | undefined => {
  let found: bigint | undefined
  for (const entry of metadata["snapshot-log"]) {
    if (entry["timestamp-ms"] <= timestampMs) found = entry["snapshot-id"]
  }
  return found === undefined ? undefined : snapshotById(metadata, found)
}

/**
 * The snapshot and its ancestors, newest first, as far as the table keeps them.
 *
 * @since 0.1.0
 */
export const ancestors = (metadata: TableMetadata, head: bigint | undefined): Array<Snapshot> => {
  const result: Array<Snapshot> = []
  const seen = new Set<bigint>()
  let id = head
  while (id !== undefined && !seen.has(id)) {
    seen.add(id)
    const snapshot = snapshotById(metadata, id)
    if (snapshot === undefined) break
    result.push(snapshot)
    id = snapshot["parent-snapshot-id"]
  }
  return result
}

// ---------------------------------------------------------------------------
// Encoding

/**
 * The `metadata.json` text of a table's metadata (longs written exactly).
 *
 * @since 0.1.0
 */
export const encode = (metadata: TableMetadata): string => Json.stringify(metadata, 2)

// ---------------------------------------------------------------------------
// Decoding and validation

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * A long from JSON: a number, a `bigint` (from the lossless parser) or a
 * string of digits (from clients that quote big integers).
 *
 * @since 0.1.0
 */
export const toLong = (value: unknown): bigint | undefined => {
  if (typeof value === "bigint") return value
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value)
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value)
  return undefined
}

/** Collects problems while reading fields of a JSON object. */
class Reader {
  readonly problems: Array<string> = []
  problem(message: string): void {
    this.problems.push(message)
  }
  int(object: Json, key: string, where: string, required = true): number | undefined {
    const value = object[key]
    if (value === undefined || value === null) {
      if (required) this.problem(`${where}: required field ${key} is missing`)
      return undefined
    }
    const long = toLong(value)
    if (long === undefined || long > 2_147_483_647n || long < -2_147_483_648n) {
      this.problem(`${where}: ${key} must be an int, got ${Json.stringify(value)}`)
      return undefined
    }
    return Number(long)
  }
  long(object: Json, key: string, where: string, required = true): bigint | undefined {
    const value = object[key]
    if (value === undefined || value === null) {
      if (required) this.problem(`${where}: required field ${key} is missing`)
      return undefined
    }
    const long = toLong(value)
    if (long === undefined) this.problem(`${where}: ${key} must be a long, got ${Json.stringify(value)}`)
    return long
  }
  string(object: Json, key: string, where: string, required = true): string | undefined {
    const value = object[key]
    if (value === undefined || value === null) {
      if (required) this.problem(`${where}: required field ${key} is missing`)
      return undefined
    }
    if (typeof value !== "string") {
      this.problem(`${where}: ${key} must be a string`)
      return undefined
    }
    return value
  }
  array(object: Json, key: string, where: string, required = true): Array<unknown> {
    const value = object[key]
    if (value === undefined || value === null) {
      if (required) this.problem(`${where}: required field ${key} is missing`)
      return []
    }
    if (!Array.isArray(value)) {
      this.problem(`${where}: ${key} must be a list`)
      return []
    }
    return value
  }
}

const decodeField = (reader: Reader, value: unknown, where: string): IcebergSchema.NestedField | undefined => {
  if (!isObject(value)) {
    reader.problem(`${where} must be an object`)
    return undefined
  }
  const id = reader.int(value, "id", where)
  const name = reader.string(value, "name", where)
  if (typeof value["required"] !== "boolean") reader.problem(`${where}: required field required is missing or not a boolean`)
  const type = value["type"]
  if (typeof type !== "string" && !isObject(type)) reader.problem(`${where}: type must be a string or an object`)
  if (id === undefined || name === undefined) return undefined
  return {
    id,
    name,
    required: value["required"] === true,
    type: type as IcebergSchema.IcebergType,
    ...(typeof value["doc"] === "string" ? { doc: value["doc"] } : {})
  }
}

const decodeSchema = (reader: Reader, value: unknown, where: string): IcebergSchema.Schema | undefined => {
  if (!isObject(value)) {
    reader.problem(`${where} must be an object`)
    return undefined
  }
  if (value["type"] !== "struct") reader.problem(`${where}: type must be "struct"`)
  const id = reader.int(value, "schema-id", where)
  const fields = reader.array(value, "fields", where).map((field, index) => decodeField(reader, field, `${where}.fields[${index}]`))
  const ids = new Set<number>()
  for (const field of fields) {
    if (field === undefined) continue
    if (ids.has(field.id)) reader.problem(`${where}: field id ${field.id} is used twice`)
    ids.add(field.id)
  }
  if (id === undefined) return undefined
  const identifiers = value["identifier-field-ids"]
  return {
    type: "struct",
    "schema-id": id,
    fields: fields.filter((field) => field !== undefined),
    ...(Array.isArray(identifiers) ? { "identifier-field-ids": identifiers as Array<number> } : {})
  }
}

const decodeSpec = (reader: Reader, value: unknown, where: string): PartitionSpec.PartitionSpec | undefined => {
  if (!isObject(value)) {
    reader.problem(`${where} must be an object`)
    return undefined
  }
  const id = reader.int(value, "spec-id", where)
  const fields = reader.array(value, "fields", where).map((field, index): PartitionSpec.PartitionField | undefined => {
    const at = `${where}.fields[${index}]`
    if (!isObject(field)) {
      reader.problem(`${at} must be an object`)
      return undefined
    }
    const sourceId = reader.int(field, "source-id", at)
    const fieldId = reader.int(field, "field-id", at)
    const name = reader.string(field, "name", at)
    const transform = reader.string(field, "transform", at)
    if (sourceId === undefined || fieldId === undefined || name === undefined || transform === undefined) return undefined
    return { "source-id": sourceId, "field-id": fieldId, name, transform }
  })
  return id === undefined ? undefined : { "spec-id": id, fields: fields.filter((field) => field !== undefined) }
}

const decodeSortOrder = (reader: Reader, value: unknown, where: string): SortOrder | undefined => {
  if (!isObject(value)) {
    reader.problem(`${where} must be an object`)
    return undefined
  }
  const id = reader.int(value, "order-id", where)
  const fields = reader.array(value, "fields", where).map((field, index): SortField | undefined => {
    const at = `${where}.fields[${index}]`
    if (!isObject(field)) {
      reader.problem(`${at} must be an object`)
      return undefined
    }
    const transform = reader.string(field, "transform", at)
    const sourceId = reader.int(field, "source-id", at)
    const direction = reader.string(field, "direction", at)
    const nullOrder = reader.string(field, "null-order", at)
    if (direction !== undefined && direction !== "asc" && direction !== "desc") reader.problem(`${at}: direction must be asc or desc`)
    if (nullOrder !== undefined && nullOrder !== "nulls-first" && nullOrder !== "nulls-last") {
      reader.problem(`${at}: null-order must be nulls-first or nulls-last`)
    }
    if (transform === undefined || sourceId === undefined) return undefined
    return { transform, "source-id": sourceId, direction: direction as SortField["direction"], "null-order": nullOrder as SortField["null-order"] }
  })
  return id === undefined ? undefined : { "order-id": id, fields: fields.filter((field) => field !== undefined) }
}

const operations = new Set(["append", "replace", "overwrite", "delete"])

const decodeSnapshot = (reader: Reader, value: unknown, where: string): Snapshot | undefined => {
  if (!isObject(value)) {
    reader.problem(`${where} must be an object`)
    return undefined
  }
  const id = reader.long(value, "snapshot-id", where)
  const parent = reader.long(value, "parent-snapshot-id", where, false)
  const sequence = reader.long(value, "sequence-number", where)
  const timestamp = reader.long(value, "timestamp-ms", where)
  const manifestList = reader.string(value, "manifest-list", where)
  const schemaId = reader.int(value, "schema-id", where, false)
  const summary = value["summary"]
  if (!isObject(summary)) reader.problem(`${where}: required field summary is missing`)
  else if (!operations.has(summary["operation"] as string)) {
    reader.problem(`${where}: summary.operation must be append, replace, overwrite or delete`)
  }
  if (id === undefined || sequence === undefined || timestamp === undefined || manifestList === undefined || !isObject(summary)) {
    return undefined
  }
  return {
    "snapshot-id": id,
    ...(parent !== undefined ? { "parent-snapshot-id": parent } : {}),
    "sequence-number": sequence,
    "timestamp-ms": Number(timestamp),
    "manifest-list": manifestList,
    summary: Object.fromEntries(Object.entries(summary).map(([key, inner]) => [key, String(inner)])) as Snapshot["summary"],
    ...(schemaId !== undefined ? { "schema-id": schemaId } : {})
  }
}

const decodeRefs = (reader: Reader, value: unknown): Record<string, SnapshotRef> => {
  if (value === undefined || value === null) return {}
  if (!isObject(value)) {
    reader.problem("refs must be an object")
    return {}
  }
  const refs: Record<string, SnapshotRef> = {}
  for (const [name, ref] of Object.entries(value)) {
    const where = `refs.${name}`
    if (!isObject(ref)) {
      reader.problem(`${where} must be an object`)
      continue
    }
    const id = reader.long(ref, "snapshot-id", where)
    const type = reader.string(ref, "type", where)
    if (type !== undefined && type !== "branch" && type !== "tag") reader.problem(`${where}: type must be branch or tag`)
    if (id === undefined) continue
    const minKeep = reader.int(ref, "min-snapshots-to-keep", where, false)
    const maxAge = reader.long(ref, "max-snapshot-age-ms", where, false)
    const maxRefAge = reader.long(ref, "max-ref-age-ms", where, false)
    refs[name] = {
      "snapshot-id": id,
      type: type === "tag" ? "tag" : "branch",
      ...(minKeep !== undefined ? { "min-snapshots-to-keep": minKeep } : {}),
      ...(maxAge !== undefined ? { "max-snapshot-age-ms": Number(maxAge) } : {}),
      ...(maxRefAge !== undefined ? { "max-ref-age-ms": Number(maxRefAge) } : {})
    }
  }
  return refs
}

const decodeLogs = (reader: Reader, json: Json) => {
  const snapshotLog = reader.array(json, "snapshot-log", "table", false).flatMap((entry, index) => {
    const where = `snapshot-log[${index}]`
    if (!isObject(entry)) return []
    const id = reader.long(entry, "snapshot-id", where)
    const timestamp = reader.long(entry, "timestamp-ms", where)
    return id === undefined || timestamp === undefined ? [] : [{ "snapshot-id": id, "timestamp-ms": Number(timestamp) }]
  })
  const metadataLog = reader.array(json, "metadata-log", "table", false).flatMap((entry, index) => {
    const where = `metadata-log[${index}]`
    if (!isObject(entry)) return []
    const file = reader.string(entry, "metadata-file", where)
    const timestamp = reader.long(entry, "timestamp-ms", where)
    return file === undefined || timestamp === undefined ? [] : [{ "metadata-file": file, "timestamp-ms": Number(timestamp) }]
  })
  return { snapshotLog, metadataLog }
}

/** The cross-references format v2 requires between the decoded parts. */
const checkReferences = (reader: Reader, metadata: TableMetadata): void => {
  if (!metadata.schemas.some((schema) => schema["schema-id"] === metadata["current-schema-id"])) {
    reader.problem(`current-schema-id ${metadata["current-schema-id"]} is not in schemas`)
  }
  if (!metadata["partition-specs"].some((spec) => spec["spec-id"] === metadata["default-spec-id"])) {
    reader.problem(`default-spec-id ${metadata["default-spec-id"]} is not in partition-specs`)
  }
  if (!metadata["sort-orders"].some((order) => order["order-id"] === metadata["default-sort-order-id"])) {
    reader.problem(`default-sort-order-id ${metadata["default-sort-order-id"]} is not in sort-orders`)
  }
  for (const schema of metadata.schemas) {
    for (const field of schema.fields) {
      if (field.id > metadata["last-column-id"]) reader.problem(`schema ${schema["schema-id"]}: field id ${field.id} exceeds last-column-id`)
    }
  }
  for (const spec of metadata["partition-specs"]) {
    for (const field of spec.fields) {
      if (field["field-id"] > metadata["last-partition-id"]) reader.problem(`partition spec ${spec["spec-id"]}: field id ${field["field-id"]} exceeds last-partition-id`)
    }
  }
  const ids = new Set<bigint>()
  for (const snapshot of metadata.snapshots) {
    if (ids.has(snapshot["snapshot-id"])) reader.problem(`snapshot ${snapshot["snapshot-id"]} appears twice`)
    ids.add(snapshot["snapshot-id"])
    if (snapshot["sequence-number"] > metadata["last-sequence-number"]) {
      reader.problem(`snapshot ${snapshot["snapshot-id"]}: sequence-number ${snapshot["sequence-number"]} exceeds last-sequence-number`)
    }
  }
  for (const [name, ref] of Object.entries(metadata.refs)) {
    if (!ids.has(ref["snapshot-id"])) reader.problem(`ref ${name} points at snapshot ${ref["snapshot-id"]}, which the table does not have`)
  }
  const current = metadata["current-snapshot-id"]
  if (current !== undefined && !ids.has(current)) reader.problem(`current-snapshot-id ${current} is not in snapshots`)
  if (current !== undefined && metadata.refs[MAIN]?.["snapshot-id"] !== current) {
    reader.problem("current-snapshot-id must equal the snapshot of the main branch")
  }
}

/**
 * Decodes and validates `metadata.json` (parsed JSON); returns the metadata and
 * every problem found. Format version 1 is refused.
 *
 * @since 0.1.0
 */
export const validate = (json: unknown): { readonly metadata: TableMetadata | undefined; readonly problems: ReadonlyArray<string> } => {
  const reader = new Reader()
  if (!isObject(json)) return { metadata: undefined, problems: ["metadata must be a JSON object"] }
  const version = reader.int(json, "format-version", "table")
  if (version !== undefined && version !== 2) reader.problem(`format-version ${version} is not supported (format version 2 only)`)
  const uuid = reader.string(json, "table-uuid", "table")
  const location = reader.string(json, "location", "table")
  const lastSequence = reader.long(json, "last-sequence-number", "table")
  const lastUpdated = reader.long(json, "last-updated-ms", "table")
  const lastColumn = reader.int(json, "last-column-id", "table")
  const schemas = reader.array(json, "schemas", "table").map((schema, index) => decodeSchema(reader, schema, `schemas[${index}]`))
  const currentSchemaId = reader.int(json, "current-schema-id", "table")
  const specs = reader.array(json, "partition-specs", "table").map((spec, index) => decodeSpec(reader, spec, `partition-specs[${index}]`))
  const defaultSpec = reader.int(json, "default-spec-id", "table")
  const lastPartition = reader.int(json, "last-partition-id", "table")
  const orders = reader.array(json, "sort-orders", "table").map((order, index) => decodeSortOrder(reader, order, `sort-orders[${index}]`))
  const defaultOrder = reader.int(json, "default-sort-order-id", "table")
  const snapshots = reader.array(json, "snapshots", "table", false).map((snapshot, index) => decodeSnapshot(reader, snapshot, `snapshots[${index}]`))
  const rawCurrent = reader.long(json, "current-snapshot-id", "table", false)
  const { snapshotLog, metadataLog } = decodeLogs(reader, json)
  let refs = decodeRefs(reader, json["refs"])
  const current = rawCurrent === undefined || rawCurrent === -1n ? undefined : rawCurrent
  // "There is always a main branch reference pointing to the current-snapshot-id even if the refs map is null"
  if (current !== undefined && refs[MAIN] === undefined) refs = { ...refs, [MAIN]: { "snapshot-id": current, type: "branch" } }
  const properties = json["properties"]
  if (properties !== undefined && properties !== null && !isObject(properties)) reader.problem("properties must be an object")
  if (
    reader.problems.length > 0 || uuid === undefined || location === undefined || lastSequence === undefined ||
    lastUpdated === undefined || lastColumn === undefined || currentSchemaId === undefined || defaultSpec === undefined ||
    lastPartition === undefined || defaultOrder === undefined
  ) {
    return { metadata: undefined, problems: reader.problems }
  }
  const metadata: TableMetadata = {
    "format-version": 2,
    "table-uuid": uuid,
    location,
    "last-sequence-number": lastSequence,
    "last-updated-ms": Number(lastUpdated),
    "last-column-id": lastColumn,
    schemas: schemas.filter((schema) => schema !== undefined),
    "current-schema-id": currentSchemaId,
    "partition-specs": specs.filter((spec) => spec !== undefined),
    "default-spec-id": defaultSpec,
    "last-partition-id": lastPartition,
    properties: isObject(properties) ? Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, String(value)])) : {},
    ...(current !== undefined ? { "current-snapshot-id": current } : {}),
    snapshots: snapshots.filter((snapshot) => snapshot !== undefined),
    "snapshot-log": snapshotLog,
    "metadata-log": metadataLog,
    "sort-orders": orders.filter((order) => order !== undefined),
    "default-sort-order-id": defaultOrder,
    refs
  }
  checkReferences(reader, metadata)
  return { metadata: reader.problems.length > 0 ? undefined : metadata, problems: reader.problems }
}

/**
 * Decodes `metadata.json` text; fails with `invalid-metadata` listing every problem.
 *
 * @since 0.1.0
 */
export const decode = (text: string, location?: string, table?: string): TableMetadata => {
  let json: unknown
  try {
    json = Json.parse(text)
  } catch (cause) {
    throw IcebergError.make({ reason: "invalid-metadata", table, location, detail: `not JSON: ${(cause as Error).message}`, cause })
  }
  return fromJson(json, location, table)
}

/**
 * Decodes parsed metadata JSON (numbers, bigints or digit strings for longs);
 * fails with `invalid-metadata` listing every problem.
 *
 * @since 0.1.0
 */
export const fromJson = (json: unknown, location?: string, table?: string): TableMetadata => {
  const { metadata, problems } = validate(json)
  if (metadata === undefined) {
    throw IcebergError.make({ reason: "invalid-metadata", table, location, detail: problems.join("; ") })
  }
  return metadata
}

/**
 * Metadata for a new, empty table.
 *
 * @since 0.1.0
 */
export const initial = (options: {
  readonly location: string
  readonly schema: IcebergSchema.Schema
  readonly spec: PartitionSpec.PartitionSpec
  readonly sortOrder?: SortOrder | undefined
  readonly properties?: Readonly<Record<string, string>> | undefined
  readonly uuid: string
  readonly nowMs: number
  readonly lastColumnId: number
}): TableMetadata => {
  const sortOrder = options.sortOrder ?? { "order-id": 0, fields: [] }
  const orders = sortOrder["order-id"] === 0 ? [sortOrder] : [{ "order-id": 0, fields: [] }, sortOrder]
  return {
    "format-version": 2,
    "table-uuid": options.uuid,
    location: options.location,
    "last-sequence-number": 0n,
    "last-updated-ms": options.nowMs,
    "last-column-id": options.lastColumnId,
    schemas: [{ ...options.schema, "schema-id": 0 }],
    "current-schema-id": 0,
    "partition-specs": [{ ...options.spec, "spec-id": 0 }],
    "default-spec-id": 0,
    "last-partition-id": Math.max(999, ...options.spec.fields.map((field) => field["field-id"])),
    properties: options.properties ?? {},
    snapshots: [],
    "snapshot-log": [],
    "metadata-log": [],
    "sort-orders": orders,
    "default-sort-order-id": sortOrder["order-id"],
    refs: {}
  }
}
