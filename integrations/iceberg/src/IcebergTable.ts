/**
 * Table operations: create, write (append, overwrite, replace the partitions
 * written), read, evolve the schema, expire snapshots, sweep orphan files.
 * Every operation runs against the `IcebergCatalog` service.
 *
 * Writes are optimistic: data files and manifests are written first, then one
 * commit asserts the snapshot the write started from. When another writer
 * committed meanwhile, the write is re-applied on the new snapshot if that is
 * safe (an append always is; see `README.md` for overwrites and partition
 * replacements) and fails with `commit-conflict` otherwise; the files of a
 * commit that did not land are removed.
 *
 * @since 0.1.0
 */
import type { Schema as ArrowSchema, Table } from "apache-arrow"
import { Clock, Duration, Effect } from "effect"
import * as Filter from "./Filter.ts"
import { IcebergCatalog, type IcebergCatalogShape, type LoadedTable } from "./IcebergCatalog.ts"
import * as IcebergError from "./IcebergError.ts"
import * as IcebergSchema from "./IcebergSchema.ts"
import * as FileIO from "./internal/fileio.ts"
import * as Maintenance from "./internal/maintenance.ts"
import * as Parquet from "./internal/parquet.ts"
import * as Reader from "./internal/reader.ts"
import * as Scan from "./internal/scan.ts"
import * as Snapshot from "./internal/snapshot.ts"
import * as Writer from "./internal/writer.ts"
import * as PartitionSpec from "./PartitionSpec.ts"
import * as SchemaEvolution from "./SchemaEvolution.ts"
import * as TableIdentifier from "./TableIdentifier.ts"
import * as TableMetadata from "./TableMetadata.ts"
import type * as TableUpdate from "./TableUpdate.ts"

/**
 * A table name: `"namespace.table"` or an identifier.
 *
 * @since 0.1.0
 */
export type TableName = string | TableIdentifier.TableIdentifier

/**
 * How a write treats the table's existing rows.
 *
 * - `append`: keeps them.
 * - `overwrite`: replaces all of them.
 * - `replace-partitions`: replaces the partitions the written rows fall in
 *   (dynamic overwrite), keeps the others.
 *
 * @since 0.1.0
 */
export type WriteMode = Snapshot.Kind

/**
 * Options of a write.
 *
 * @since 0.1.0
 */
export interface WriteOptions {
  /** Create the table (and its namespace) when it does not exist. Default `true`. */
  readonly createIfMissing?: boolean | undefined
  /** The partitioning of a table this write creates. */
  readonly partitionBy?: ReadonlyArray<PartitionSpec.PartitionBy> | undefined
  /** Properties of a table this write creates. */
  readonly properties?: Readonly<Record<string, string>> | undefined
  /** `evolve` (default): add columns, widen types, make columns optional. `error`: refuse any schema change. */
  readonly schemaChanges?: "evolve" | "error" | undefined
  /** Columns to rename before matching: `{ old_name: "new_name" }`. */
  readonly renames?: Readonly<Record<string, string>> | undefined
  /** Parquet codec. Default `zstd`. */
  readonly compression?: Parquet.Compression | undefined
  /** Rows per data file at most. Default 4,194,304. */
  readonly targetFileRows?: number | undefined
  /** Commit attempts against concurrent writers. Default 20. */
  readonly maxAttempts?: number | undefined
  /** Extra snapshot summary properties (e.g. `strata.run-id`). */
  readonly summary?: Readonly<Record<string, string>> | undefined
  /** fsync data and metadata files before committing. Default `false`. */
  readonly durable?: boolean | undefined
}

/**
 * What a committed write did.
 *
 * @since 0.1.0
 */
export interface CommitResult {
  readonly table: string
  /** The new snapshot: the table's data version. */
  readonly snapshotId: bigint
  readonly sequenceNumber: bigint
  readonly operation: TableMetadata.Operation
  readonly schemaId: number
  readonly schemaChanges: ReadonlyArray<SchemaEvolution.Change>
  readonly addedFiles: number
  readonly removedFiles: number
  readonly addedRecords: number
  readonly removedRecords: number
  readonly totalRecords: number
  readonly totalFiles: number
  /** Commit attempts it took (1 when no other writer interfered). */
  readonly attempts: number
  readonly metadataLocation: string
}

const DEFAULT_TARGET_ROWS = 4_194_304

const fail = (cause: unknown): IcebergError.IcebergError =>
  IcebergError.isIcebergError(cause) ? cause : IcebergError.make({ reason: "io", detail: String(cause), cause })

const promise = <A>(run: () => Promise<A>) => Effect.tryPromise({ try: run, catch: fail })

const sync = <A>(run: () => A) => Effect.try({ try: run, catch: fail })

const identify = (name: TableName) => sync(() => TableIdentifier.from(name))

/**
 * Creates a table for an Arrow schema (field ids assigned in column order).
 *
 * @since 0.1.0
 */
export const create = Effect.fn("IcebergTable.create")(function*(
  name: TableName,
  schema: ArrowSchema,
  options: { readonly partitionBy?: ReadonlyArray<PartitionSpec.PartitionBy>; readonly properties?: Readonly<Record<string, string>> } = {}
) {
  const id = yield* identify(name)
  const catalog = yield* IcebergCatalog
  return yield* createIn(catalog, id, schema, options)
})

const createIn = (
  catalog: IcebergCatalogShape,
  id: TableIdentifier.TableIdentifier,
  arrowSchema: ArrowSchema,
  options: { readonly partitionBy?: ReadonlyArray<PartitionSpec.PartitionBy> | undefined; readonly properties?: Readonly<Record<string, string>> | undefined }
) =>
  Effect.gen(function*() {
    const table = TableIdentifier.format(id)
    const schema = yield* sync(() => IcebergSchema.fromArrow(arrowSchema, table))
    const spec = yield* sync(() => PartitionSpec.make(schema, options.partitionBy ?? [], { table }))
    const namespaces = yield* catalog.listNamespaces(id.namespace.slice(0, -1))
    if (!namespaces.some((namespace) => namespace.join("\u0000") === id.namespace.join("\u0000"))) {
      yield* catalog.createNamespace(id.namespace).pipe(Effect.catchIf((error) => error.reason === "already-exists", () => Effect.void))
    }
    return yield* catalog.createTable(id, {
      schema,
      lastColumnId: IcebergSchema.highestFieldId(schema),
      spec,
      properties: { "write.format.default": "parquet", "write.parquet.compression-codec": "zstd", ...options.properties }
    })
  })

/** Loads a table, creating it from the data's schema when allowed. */
const loadOrCreate = (catalog: IcebergCatalogShape, id: TableIdentifier.TableIdentifier, data: Table, options: WriteOptions) =>
  catalog.loadTable(id).pipe(
    Effect.catchIf(
      (error) => error.reason === "not-found" && options.createIfMissing !== false,
      () =>
        createIn(catalog, id, data.schema, options).pipe(
          // another writer created it first
          Effect.catchIf((error) => error.reason === "already-exists", () => catalog.loadTable(id))
        )
    )
  )

const removeQuietly = (io: FileIO.FileIO, locations: ReadonlyArray<string>) =>
  Effect.promise(() => Promise.all(locations.map((location) => FileIO.remove(io, location).catch(() => undefined))))

/** Plans the data files and manifest of a write (written once, whatever the number of commit attempts). */
const stage = (catalog: IcebergCatalogShape, loaded: LoadedTable, data: Table, mode: WriteMode, options: WriteOptions, table: string) =>
  Effect.gen(function*() {
    const metadata = loaded.metadata
    const current = TableMetadata.currentSchema(metadata)
    const evolution = yield* sync(() =>
      SchemaEvolution.evolve(current, data.schema, {
        lastColumnId: metadata["last-column-id"],
        renames: options.renames,
        allowChanges: options.schemaChanges !== "error",
        table
      })
    )
    const schema = evolution.changed ? { ...evolution.schema, "schema-id": Snapshot.nextSchemaId(metadata) } : evolution.schema
    const spec = TableMetadata.defaultSpec(metadata)
    const prepared = yield* sync(() => Parquet.prepare(data, evolution.columns))
    const written: Array<string> = []
    const stageFiles = promise(async () => {
      const files = await Writer.writeDataFiles(prepared, {
        io: catalog.io,
        location: metadata.location,
        schema,
        spec,
        compression: options.compression ?? "zstd",
        durable: options.durable ?? false,
        targetRows: options.targetFileRows ?? DEFAULT_TARGET_ROWS
      })
      written.push(...files.map((file) => file.filePath))
      const snapshotId = Snapshot.newSnapshotId()
      const addedManifest = await Snapshot.writeAddedManifest(catalog.io, metadata.location, schema, spec, snapshotId, files)
      if (addedManifest !== undefined) written.push(addedManifest.manifestPath)
      const operation: Snapshot.Operation = {
        kind: mode,
        table,
        io: catalog.io,
        snapshotId,
        schema,
        schemaChanged: evolution.changed,
        spec,
        added: files,
        addedManifest,
        extraSummary: options.summary ?? {}
      }
      return operation
    })
    const operation = yield* stageFiles.pipe(Effect.tapError(() => removeQuietly(catalog.io, written)))
    return { operation, evolution, written }
  })

const backoff = (attempt: number) => Duration.millis(Math.floor(Math.random() * Math.min(1000, 10 * 2 ** attempt)))

/** Commits a staged operation, re-applying it on newer snapshots while that is safe. */
const commitStaged = (
  catalog: IcebergCatalogShape,
  id: TableIdentifier.TableIdentifier,
  base: TableMetadata.TableMetadata,
  staged: { readonly operation: Snapshot.Operation; readonly written: Array<string> },
  maxAttempts: number
) =>
  Effect.gen(function*() {
    const table = TableIdentifier.format(id)
    let metadata = base
    for (let attempt = 1; ; attempt++) {
      const now = yield* Clock.currentTimeMillis
      const prepared = yield* promise(() => Snapshot.prepare(staged.operation, metadata, attempt, now))
      const committed = yield* catalog.commitTable(id, prepared.commit).pipe(
        Effect.map((loaded) => ({ loaded })),
        Effect.catchIf((error) => error.reason === "commit-conflict", (error) => Effect.succeed({ error }))
      )
      if ("loaded" in committed) return { loaded: committed.loaded, snapshot: prepared.snapshot, attempts: attempt }
      yield* removeQuietly(catalog.io, prepared.written)
      const current = yield* catalog.loadTable(id)
      const why = yield* promise(() => Snapshot.conflict(staged.operation, metadata, current.metadata))
      if (why !== undefined || attempt >= maxAttempts) {
        return yield* IcebergError.make({
          reason: why !== undefined ? "commit-conflict" : "commit-failed",
          table,
          detail: why !== undefined
            ? `${why}; the write was not committed: run it again on the table as it is now`
            : `${maxAttempts} attempts lost to concurrent commits (${committed.error.message}); try again`
        })
      }
      metadata = current.metadata
      yield* Effect.sleep(backoff(attempt))
    }
  }).pipe(Effect.tapError((error) =>
    // the files of a commit known not to have landed are garbage now
    error.reason === "commit-conflict" || error.reason === "commit-failed" ? removeQuietly(catalog.io, staged.written) : Effect.void
  ))

const resultOf = (
  table: string,
  snapshot: TableMetadata.Snapshot,
  loaded: LoadedTable,
  changes: ReadonlyArray<SchemaEvolution.Change>,
  attempts: number
): CommitResult => {
  const count = (key: string) => Number(snapshot.summary[key] ?? 0)
  return {
    table,
    snapshotId: snapshot["snapshot-id"],
    sequenceNumber: snapshot["sequence-number"],
    operation: snapshot.summary.operation,
    schemaId: snapshot["schema-id"] ?? loaded.metadata["current-schema-id"],
    schemaChanges: changes,
    addedFiles: count("added-data-files"),
    removedFiles: count("deleted-data-files"),
    addedRecords: count("added-records"),
    removedRecords: count("deleted-records"),
    totalRecords: count("total-records"),
    totalFiles: count("total-data-files"),
    attempts,
    metadataLocation: loaded.metadataLocation
  }
}

/**
 * Writes an Arrow table into an Iceberg table: `mode` says what happens to the
 * existing rows. Creates the table when missing (unless `createIfMissing` is
 * false) and evolves its schema by the rules of `SchemaEvolution`.
 *
 * @since 0.1.0
 */
export const write = Effect.fn("IcebergTable.write")(function*(name: TableName, data: Table, mode: WriteMode, options: WriteOptions = {}) {
  const id = yield* identify(name)
  const table = TableIdentifier.format(id)
  const catalog = yield* IcebergCatalog
  const loaded = yield* loadOrCreate(catalog, id, data, options)
  const staged = yield* stage(catalog, loaded, data, mode, options, table)
  if (staged.evolution.changes.length > 0) {
    yield* Effect.logInfo(`Iceberg table ${table}: schema change: ${SchemaEvolution.describe(staged.evolution.changes)}`)
  }
  const committed = yield* commitStaged(catalog, id, loaded.metadata, staged, options.maxAttempts ?? 20)
  return resultOf(table, committed.snapshot, committed.loaded, staged.evolution.changes, committed.attempts)
})

/**
 * Appends rows (keeps the existing ones).
 *
 * @since 0.1.0
 */
export const append = (name: TableName, data: Table, options?: WriteOptions) => write(name, data, "append", options)

/**
 * Replaces all rows of the table.
 *
 * @since 0.1.0
 */
export const overwrite = (name: TableName, data: Table, options?: WriteOptions) => write(name, data, "overwrite", options)

/**
 * Replaces the partitions the rows fall in and keeps the other partitions
 * (dynamic overwrite): writing one day of a `day(ts)`-partitioned table
 * replaces that day.
 *
 * @since 0.1.0
 */
export const replacePartitions = (name: TableName, data: Table, options?: WriteOptions) =>
  write(name, data, "replace-partitions", options)

/**
 * Which snapshot to read.
 *
 * @since 0.1.0
 */
export interface ReadOptions {
  /** A snapshot id (time travel by id). */
  readonly snapshotId?: bigint | undefined
  /** The snapshot that was current at this time (time travel by timestamp). */
  readonly asOf?: Date | number | undefined
  /** Columns to read (by their current name); default all. */
  readonly columns?: ReadonlyArray<string> | undefined
  /** Rows to read: manifests and files that cannot match are skipped, the rows of the others filtered. */
  readonly filter?: Filter.Filter | undefined
}

const pickSnapshot = (metadata: TableMetadata.TableMetadata, options: ReadOptions, table: string) =>
  sync(() => {
    if (options.snapshotId !== undefined) {
      const snapshot = TableMetadata.snapshotById(metadata, options.snapshotId)
      if (snapshot === undefined) {
        throw IcebergError.make({ reason: "not-found", table, detail: `snapshot ${options.snapshotId} does not exist (expired?)` })
      }
      return snapshot
    }
    if (options.asOf !== undefined) {
      const time = typeof options.asOf === "number" ? options.asOf : options.asOf.getTime()
      const snapshot = TableMetadata.snapshotAsOf(metadata, time)
      if (snapshot === undefined) {
        throw IcebergError.make({ reason: "not-found", table, detail: `no snapshot was current at ${new Date(time).toISOString()}` })
      }
      return snapshot
    }
    return TableMetadata.currentSnapshot(metadata)
  })

/** The schema a snapshot is read with: its own when reading the past, else the current one. */
const readSchema = (metadata: TableMetadata.TableMetadata, snapshot: TableMetadata.Snapshot | undefined, options: ReadOptions) => {
  const timeTravel = options.snapshotId !== undefined || options.asOf !== undefined
  const id = timeTravel ? snapshot?.["schema-id"] : undefined
  return metadata.schemas.find((schema) => schema["schema-id"] === id) ?? TableMetadata.currentSchema(metadata)
}

/** The table, snapshot and schema a read works on. */
const openSnapshot = (name: TableName, options: Pick<ReadOptions, "snapshotId" | "asOf">) =>
  Effect.gen(function*() {
    const id = yield* identify(name)
    const table = TableIdentifier.format(id)
    const catalog = yield* IcebergCatalog
    const { metadata } = yield* catalog.loadTable(id)
    const snapshot = yield* pickSnapshot(metadata, options, table)
    const schema = readSchema(metadata, snapshot, options)
    return { table, catalog, metadata, snapshot, schema }
  })

const selectColumns = (schema: IcebergSchema.Schema, columns: ReadonlyArray<string> | undefined, table: string) =>
  sync(() =>
    columns === undefined ? [...schema.fields] : columns.map((column) => {
      const field = IcebergSchema.fieldByName(schema, column)
      if (field === undefined) {
        throw IcebergError.make({ reason: "invalid-argument", table, column, detail: `no such column; the table has ${schema.fields.map((f) => f.name).join(", ")}` })
      }
      return field
    })
  )

/**
 * The data files a read would open, and what pruning skipped.
 *
 * @since 0.1.0
 */
export const plan = Effect.fn("IcebergTable.plan")(function*(name: TableName, options: ReadOptions = {}) {
  const { table, catalog, metadata, snapshot, schema } = yield* openSnapshot(name, options)
  const bounds = yield* sync(() => Filter.bind(options.filter ?? [], schema))
  return yield* promise(() => Scan.plan(catalog.io, metadata, snapshot, schema, bounds, table))
})

/**
 * Reads a snapshot (the current one by default) into an Arrow table.
 *
 * @since 0.1.0
 */
export const read = Effect.fn("IcebergTable.read")(function*(name: TableName, options: ReadOptions = {}) {
  const { table, catalog, metadata, snapshot, schema } = yield* openSnapshot(name, options)
  const output = yield* selectColumns(schema, options.columns, table)
  const bounds = yield* sync(() => Filter.bind(options.filter ?? [], schema))
  const extra = bounds
    .map((bound) => IcebergSchema.fieldById(schema, bound.fieldId)!)
    .filter((field, index, all) => !output.some((column) => column.id === field.id) && all.findIndex((other) => other.id === field.id) === index)
  const planned = yield* promise(() => Scan.plan(catalog.io, metadata, snapshot, schema, bounds, table))
  return yield* promise(() =>
    Reader.read(catalog.io, planned.files, [...output, ...extra], bounds, {
      projected: options.columns !== undefined,
      outputCount: output.length,
      table
    })
  )
})

/**
 * A snapshot's description (the current one by default): what `IcebergIO`
 * records as materialization metadata.
 *
 * @since 0.1.0
 */
export interface Description {
  readonly table: string
  readonly snapshotId: bigint | undefined
  readonly sequenceNumber: bigint | undefined
  readonly timestampMs: number | undefined
  readonly operation: TableMetadata.Operation | undefined
  readonly schema: IcebergSchema.Schema
  readonly rowCount: number
  readonly fileCount: number
  readonly bytes: number
  /** Nulls per column (by current name), summed from the manifests' statistics. */
  readonly nullCounts: Readonly<Record<string, number>>
  readonly addedFiles: number
  readonly removedFiles: number
  readonly location: string
}

/**
 * Describes a snapshot from its metadata and manifests only (no data file is read).
 *
 * @since 0.1.0
 */
export const describe = Effect.fn("IcebergTable.describe")(function*(name: TableName, options: Pick<ReadOptions, "snapshotId" | "asOf"> = {}) {
  const { table, catalog, metadata, snapshot, schema } = yield* openSnapshot(name, options)
  const planned = yield* promise(() => Scan.plan(catalog.io, metadata, snapshot, schema, [], table))
  const nullCounts: Record<string, number> = {}
  for (const field of schema.fields) nullCounts[field.name] = 0
  let rowCount = 0
  let bytes = 0
  for (const { dataFile } of planned.files) {
    rowCount += dataFile.recordCount
    bytes += dataFile.fileSizeInBytes
    for (const field of schema.fields) {
      // a file written before the column existed holds only nulls for it
      nullCounts[field.name]! += dataFile.nullValueCounts.get(field.id) ?? (dataFile.valueCounts.has(field.id) ? 0 : dataFile.recordCount)
    }
  }
  const description: Description = {
    table,
    snapshotId: snapshot?.["snapshot-id"],
    sequenceNumber: snapshot?.["sequence-number"],
    timestampMs: snapshot?.["timestamp-ms"],
    operation: snapshot?.summary.operation,
    schema,
    rowCount,
    fileCount: planned.files.length,
    bytes,
    nullCounts,
    addedFiles: Number(snapshot?.summary["added-data-files"] ?? 0),
    removedFiles: Number(snapshot?.summary["deleted-data-files"] ?? 0),
    location: metadata.location
  }
  return description
})

/**
 * The table's metadata as the catalog has it now.
 *
 * @since 0.1.0
 */
export const load = Effect.fn("IcebergTable.load")(function*(name: TableName) {
  const id = yield* identify(name)
  const catalog = yield* IcebergCatalog
  return yield* catalog.loadTable(id)
})

/** Commits metadata-only changes, re-planning them on the new state after a conflict. */
const commitMetadata = (
  catalog: IcebergCatalogShape,
  id: TableIdentifier.TableIdentifier,
  build: (metadata: TableMetadata.TableMetadata) => TableUpdate.Commit | undefined,
  maxAttempts = 20
) =>
  Effect.gen(function*() {
    for (let attempt = 1; ; attempt++) {
      const loaded = yield* catalog.loadTable(id)
      const change = yield* sync(() => build(loaded.metadata))
      if (change === undefined) return { before: loaded, after: loaded }
      const result = yield* catalog.commitTable(id, change).pipe(
        Effect.map((after) => ({ after })),
        Effect.catchIf((error) => error.reason === "commit-conflict" && attempt < maxAttempts, () => Effect.succeed(undefined))
      )
      if (result !== undefined) return { before: loaded, after: result.after }
      yield* Effect.sleep(backoff(attempt))
    }
  })

/**
 * Renames a column; its field id stays, so every data file still maps onto it.
 *
 * @since 0.1.0
 */
export const renameColumn = Effect.fn("IcebergTable.renameColumn")(function*(name: TableName, from: string, to: string) {
  const id = yield* identify(name)
  const table = TableIdentifier.format(id)
  const catalog = yield* IcebergCatalog
  const { after } = yield* commitMetadata(catalog, id, (metadata) => {
    const current = TableMetadata.currentSchema(metadata)
    if (IcebergSchema.fieldByName(current, from) === undefined && IcebergSchema.fieldByName(current, to) !== undefined) return undefined
    const evolution = SchemaEvolution.evolve(current, IcebergSchema.toArrow(current, current.fields.map((field) => field.name === from ? { ...field, name: to } : field)), {
      lastColumnId: metadata["last-column-id"],
      renames: { [from]: to },
      table
    })
    return {
      requirements: [
        { type: "assert-current-schema-id", "current-schema-id": metadata["current-schema-id"] },
        { type: "assert-last-assigned-field-id", "last-assigned-field-id": metadata["last-column-id"] }
      ],
      updates: [
        { action: "add-schema", schema: { ...evolution.schema, "schema-id": Snapshot.nextSchemaId(metadata) } },
        { action: "set-current-schema", "schema-id": -1 }
      ]
    }
  })
  return TableMetadata.currentSchema(after.metadata)
})

/**
 * Options of {@link expireSnapshots}.
 *
 * @since 0.1.0
 */
export interface ExpireOptions extends Maintenance.Retention {
  /** Delete the files only expired snapshots referenced. Default `true`. */
  readonly deleteFiles?: boolean | undefined
}

/**
 * Expires snapshots by a retention policy (spec: "Snapshot Retention Policy")
 * and deletes the files only they referenced.
 *
 * @since 0.1.0
 */
export const expireSnapshots = Effect.fn("IcebergTable.expireSnapshots")(function*(name: TableName, options: ExpireOptions = {}) {
  const id = yield* identify(name)
  const table = TableIdentifier.format(id)
  const catalog = yield* IcebergCatalog
  const now = yield* Clock.currentTimeMillis
  const { before, after } = yield* commitMetadata(catalog, id, (metadata) => {
    const { keep, droppedRefs } = Maintenance.retained(metadata, options, now)
    const expired = metadata.snapshots.filter((snapshot) => !keep.has(snapshot["snapshot-id"])).map((snapshot) => snapshot["snapshot-id"])
    if (expired.length === 0 && droppedRefs.length === 0) return undefined
    const head = TableMetadata.currentSnapshot(metadata)?.["snapshot-id"] ?? null
    return {
      requirements: [
        { type: "assert-table-uuid", uuid: metadata["table-uuid"] },
        { type: "assert-ref-snapshot-id", ref: TableMetadata.MAIN, "snapshot-id": head }
      ],
      updates: [
        ...droppedRefs.map((ref) => ({ action: "remove-snapshot-ref" as const, "ref-name": ref })),
        ...(expired.length > 0 ? [{ action: "remove-snapshots" as const, "snapshot-ids": expired }] : [])
      ]
    }
  })
  const expired = before.metadata.snapshots
    .filter((snapshot) => !after.metadata.snapshots.some((kept) => kept["snapshot-id"] === snapshot["snapshot-id"]))
    .map((snapshot) => snapshot["snapshot-id"])
  let deletedFiles: ReadonlyArray<string> = []
  if (options.deleteFiles !== false && expired.length > 0) {
    deletedFiles = yield* promise(() => Maintenance.expiredFiles(catalog.io, before.metadata, after.metadata, table))
    yield* promise(() => Promise.all(deletedFiles.map((file) => FileIO.remove(catalog.io, FileIO.toLocation(catalog.io, file)))))
  }
  return { expiredSnapshotIds: expired, deletedFiles }
})

/**
 * Deletes files under the table's location that no snapshot and no metadata
 * file references and that are older than `olderThanMs` ago (default one
 * day, so that files of commits still in flight in other processes are kept).
 *
 * @since 0.1.0
 */
export const removeOrphanFiles = Effect.fn("IcebergTable.removeOrphanFiles")(function*(name: TableName, options: { readonly olderThanMs?: number } = {}) {
  const id = yield* identify(name)
  const table = TableIdentifier.format(id)
  const catalog = yield* IcebergCatalog
  const { metadata } = yield* catalog.loadTable(id)
  const now = yield* Clock.currentTimeMillis
  const orphans = yield* promise(() => Maintenance.orphanFiles(catalog.io, metadata, table, now - (options.olderThanMs ?? 24 * 3600 * 1000)))
  yield* promise(() => Promise.all(orphans.map((file) => FileIO.remove(catalog.io, FileIO.toLocation(catalog.io, file)))))
  return { removed: orphans }
})

/**
 * Drops a table; `purge` also deletes its files.
 *
 * @since 0.1.0
 */
export const drop = Effect.fn("IcebergTable.drop")(function*(name: TableName, options: { readonly purge?: boolean } = {}) {
  const id = yield* identify(name)
  const catalog = yield* IcebergCatalog
  yield* catalog.dropTable(id, options)
})
