/**
 * `IcebergIO`: an I/O manager that stores assets as Iceberg tables, on
 * `@strata/arrow`'s shared table I/O skeleton (`TableIO`): the same naming,
 * checks, kinds and metadata as the Postgres and Snowflake I/O managers; the
 * writes are Iceberg commits.
 *
 * - Where an asset goes: the key's last segment is the table, the segments
 *   before it the namespace (`lake/silver/users` is `lake.silver.users`); a
 *   one-segment key goes to the `namespace` option (default `strata`).
 *   Metadata `iceberg/schema` (a dotted namespace) and `iceberg/table` win.
 * - An unpartitioned store is an `overwrite` commit; a partition's store is a
 *   dynamic overwrite (`replace-partitions`) of a table identity-partitioned
 *   by a `_partition` column, so partitions are written in parallel and each
 *   one replaces only itself. Either way the commit is atomic (readers see the
 *   snapshot before or after it) and concurrent writers are reconciled by the
 *   catalog's optimistic commits.
 * - The data version is the snapshot id (`snapshot-<id>`): downstream
 *   staleness follows real table changes.
 * - Metadata: the skeleton's (row count, schema, null counts) plus the
 *   snapshot id, sequence number, files added and removed, and the table's
 *   location; the snapshot summary records the run and the asset.
 *
 * @since 0.1.0
 */
import * as TableIO from "@strata/arrow/TableIO"
import { IOManager } from "@strata/core"
import * as Arrow from "apache-arrow"
import { Effect, Layer } from "effect"
import { IcebergCatalog } from "./IcebergCatalog.ts"
import type { IcebergCatalogShape } from "./IcebergCatalog.ts"
import * as IcebergError from "./IcebergError.ts"
import * as IcebergSchema from "./IcebergSchema.ts"
import * as IcebergTable from "./IcebergTable.ts"
import * as TableIdentifier from "./TableIdentifier.ts"
import * as TableMetadata from "./TableMetadata.ts"

/**
 * Options of {@link IcebergIO}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** The namespace of one-segment asset keys. Default `strata`. */
  readonly namespace?: string | undefined
  /** The column holding the partition key of partitioned assets. Default `_partition`. */
  readonly partitionColumn?: string | undefined
  /** Write options passed to every commit (compression, target file rows, schema changes...). */
  readonly write?: Omit<IcebergTable.WriteOptions, "partitionBy" | "summary"> | undefined
}

const layers = TableIO.layers(IcebergCatalog, (client: Parameters<typeof make>[0], options?: Options) => make(client, options))

/**
 * An I/O manager key for Arrow tables stored as Iceberg tables.
 *
 * @since 0.1.0
 */
export class IcebergIO extends IOManager.Tag<IcebergIO, Arrow.Table>()("@strata/iceberg/IcebergIO") {
  /** Builds the managers (`tables`, `rows`, `values`, `withHandler`) over a catalog, outside any layer. */
  static readonly make = (catalog: IcebergCatalogShape, options?: Options): TableIO.Managers => make(catalog, options)

  /** The Iceberg I/O manager for Arrow tables, behind {@link IcebergIO}. */
  static readonly layer = (options?: Options): Layer.Layer<IcebergIO, never, IcebergCatalog> => layers.layerFor(IcebergIO, options)

  /** Iceberg behind core's `DefaultIO`: Arrow tables, arrays of row objects and JSON values. */
  static readonly layerDefault = layers.layerDefault

  /**
   * The Iceberg I/O manager behind another key (the project's own
   * `TableIO`, say); a `handler` converts values that are not Arrow tables.
   */
  static readonly layerFor = layers.layerFor
}

/**
 * Builds the Iceberg I/O managers over a catalog.
 *
 * @since 0.1.0
 */
export const make = (catalog: IcebergCatalogShape, options?: Options): TableIO.Managers => {
  const partitionColumn = options?.partitionColumn ?? "_partition"
  const backend: TableIO.Backend = {
    name: "iceberg",
    naming: { defaultSchema: options?.namespace ?? "strata", metadataPrefix: "iceberg", maxBytes: 255 },
    partitionColumn,
    uriOf: (name) => `iceberg:${identifierOf(name)}`,
    columnType: (field) => {
      const type = IcebergSchema.fromArrowType(field.type)
      if (type === undefined) throw new Error(`column ${field.name} has Arrow type ${String(field.type)}, which Iceberg cannot store`)
      return type
    },
    write: (request) => Effect.provideService(writeTable(request, partitionColumn, options), IcebergCatalog, catalog),
    read: (request) => Effect.provideService(readTable(request, partitionColumn), IcebergCatalog, catalog)
  }
  return TableIO.make(backend)
}

/** `lake.silver.users`: the namespace parts (the key's segments before the table) and the table; never throws. */
const identifierOf = (name: TableIO.TableName): string => [...name.schema.split(/[/.]/), name.table].join(".")

/** The Iceberg identifier; a name Iceberg refuses (`..`, a control character) fails as an `IcebergError`. */
const toIdentifier = (name: TableIO.TableName): Effect.Effect<TableIdentifier.TableIdentifier, IcebergError.IcebergError> =>
  Effect.try({
    try: () => TableIdentifier.make(name.schema.split(/[/.]/), name.table),
    catch: (error) =>
      IcebergError.isIcebergError(error) ? error : IcebergError.make({ reason: "invalid-argument", detail: String(error), cause: error })
  })

const KIND_PROPERTY = "strata.kind"

const fromIceberg = (operation: "store" | "load", request: TableIO.WriteRequest | TableIO.ReadRequest) => (error: IcebergError.IcebergError) =>
  TableIO.ioError(operation, request.context, request.uri, error.message, error.isRetryable, error)

/** The table with the partition key appended as a string column. */
const withPartitionColumn = (table: Arrow.Table, column: string, partition: string): Arrow.Table => {
  const columns: Record<string, Arrow.Vector> = {}
  for (const field of table.schema.fields) columns[field.name] = table.getChild(field.name)!
  columns[column] = Arrow.vectorFromArray(new Array<string>(table.numRows).fill(partition), new Arrow.Utf8())
  return new Arrow.Table(columns)
}

const writeTable = (request: TableIO.WriteRequest, partitionColumn: string, options: Options | undefined) =>
  Effect.gen(function*() {
    const { context, kind, name, table } = request
    const id = yield* toIdentifier(name)
    const summary = { "strata.run-id": context.runId, "strata.asset": context.key, [KIND_PROPERTY]: kind }
    const committed = context.partition === undefined
      ? yield* IcebergTable.overwrite(id, table, { ...options?.write, summary })
      : yield* IcebergTable.replacePartitions(id, withPartitionColumn(table, partitionColumn, context.partition), {
        ...options?.write,
        partitionBy: [{ column: partitionColumn }],
        summary: { ...summary, "strata.partition": context.partition }
      })
    const described = yield* IcebergTable.describe(id, { snapshotId: committed.snapshotId })
    const written: TableIO.Written = {
      rows: context.partition === undefined ? committed.addedRecords : table.numRows,
      bytes: described.bytes,
      dataVersion: `snapshot-${committed.snapshotId}`,
      metadata: {
        snapshot_id: committed.snapshotId.toString(),
        sequence_number: committed.sequenceNumber.toString(),
        files_added: committed.addedFiles,
        files_removed: committed.removedFiles,
        table_rows: committed.totalRecords,
        location: described.location
      }
    }
    return written
  }).pipe(Effect.mapError(fromIceberg("store", request)))

const readTable = (request: TableIO.ReadRequest, partitionColumn: string) =>
  Effect.gen(function*() {
    const { context, name } = request
    const id = yield* toIdentifier(name)
    const loaded = yield* IcebergTable.load(id)
    const snapshot = TableMetadata.currentSnapshot(loaded.metadata)
    if (snapshot === undefined) return undefined
    const kind = TableIO.kindOfComment(`${TableIO.KIND_PREFIX}${snapshot.summary[KIND_PROPERTY] ?? "table"}`)
    const read = yield* IcebergTable.read(id, {
      snapshotId: snapshot["snapshot-id"],
      ...(context.partition === undefined ? {} : { filter: [{ column: partitionColumn, op: "=" as const, value: context.partition }] })
    })
    return { table: context.partition === undefined ? read : withoutColumn(read, partitionColumn), kind }
  }).pipe(
    Effect.catchIf((error) => error.reason === "not-found", () => Effect.succeed(undefined)),
    Effect.mapError(fromIceberg("load", request))
  )

const withoutColumn = (table: Arrow.Table, column: string): Arrow.Table =>
  table.select(table.schema.fields.map((field) => field.name).filter((name) => name !== column))
