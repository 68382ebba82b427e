/**
 * An I/O manager that stores Arrow tables (and arrays of row objects) as
 * Postgres tables, with binary `COPY` both ways.
 *
 * Where an asset goes: the key's last segment is the table, the segments
 * before it (joined with `/`) the schema; a one-segment key goes to the
 * `schema` option (default `public`). `bronze/raw_users` is
 * `"bronze"."raw_users"`, `users` is `"public"."users"`, `lake/bronze/users`
 * is `"lake/bronze"."users"` (joining with `/`, which no key segment
 * contains, keeps different keys in different tables). The asset's metadata
 * `postgres/schema` and `postgres/table` override either part. Names are
 * always quoted, never interpolated, and a name longer than Postgres' 63
 * bytes is refused rather than silently truncated.
 *
 * Writes are atomic:
 * - an unpartitioned asset is copied into a fresh staging table, then the old
 *   table is dropped and the staging table renamed, in the same transaction
 *   that loaded it: loads see the old table or the new one, never part of
 *   either (a load locks the table before its snapshot: see
 *   `lockAndDescribe`), and a crash mid-COPY leaves the old table as it was;
 * - a partitioned asset's table has a partition column (`_partition` by
 *   default); storing a partition deletes that partition's rows and copies
 *   the new ones in one transaction.
 *
 * Values: {@link PostgresIOManager} handles Arrow tables,
 * {@link PostgresRowsIOManager} arrays of row objects, `layerFor` any key
 * (with a {@link TableHandler} for non-table values) and {@link layerDefault}
 * core's `DefaultIO` (tables, rows, or any exact-JSON value).
 *
 * Data version: a SHA-256 of the binary COPY bytes Strata sends (content
 * derived: storing the same table again gives the same version, so
 * downstream assets are not made stale by a no-op rewrite). It costs one
 * hash pass over the data; `dataVersion: "transaction"` uses the writing
 * transaction's id instead.
 *
 * @since 0.1.0
 */
import { createHash, randomBytes } from "node:crypto"
import * as TableIO from "@strata/arrow/TableIO"
import { IOManager } from "@strata/core"
import type * as Arrow from "apache-arrow"
import { Effect, Layer, Schema } from "effect"

type InputContext = IOManager.InputContext
type OutputContext = IOManager.OutputContext
import type { PgConnection, PgServerInfo } from "./PgClient.ts"
import { PgClient, quoteIdentifier, quoteLiteral } from "./PgClient.ts"
import type { PgError } from "./PgError.ts"
import { encodeTable } from "./internal/binaryCopy/encodeTable.ts"
import { ColumnError } from "./internal/binaryCopy/format.ts"
import type { PgColumn } from "./internal/binaryCopy/schema.ts"
import { isNative, OID, sqlTypeOf } from "./internal/binaryCopy/schema.ts"
import { makeTableDecoder } from "./internal/binaryCopy/tableDecoder.ts"

type Row = TableIO.Row

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** The schema of one-segment asset keys. Default `public`. */
  readonly schema?: string | undefined
  /** The column holding the partition key of partitioned assets. Default `_partition`. */
  readonly partitionColumn?: string | undefined
  /** `content` (default): SHA-256 of the copied bytes; `transaction`: the writing transaction's id. */
  readonly dataVersion?: "content" | "transaction" | undefined
}

/**
 * The Postgres table an asset is stored in.
 *
 * @since 0.1.0
 */
export interface TableName {
  readonly schema: string
  readonly table: string
}

const layers = TableIO.layers(PgClient, (client: PgClient["Service"], options?: Options) => make(client, options))

/**
 * An I/O manager key for Arrow tables stored in Postgres.
 *
 * @since 0.1.0
 */
export class PostgresIOManager extends IOManager.Tag<PostgresIOManager, Arrow.Table>()("@strata/postgres/PostgresIOManager") {
  /**
   * Postgres behind core's `DefaultIO` (assets that name no I/O manager):
   * tables, row arrays and JSON values (see {@link layerDefault}).
   */
  static readonly layerDefault = (options?: Options) => layerDefault(options)

  /** Builds the managers (`tables`, `rows`, `values`, `withHandler`) over a client, outside any layer. */
  static readonly make = (client: PgClient["Service"], options?: Options) => make(client, options)

  /** The Postgres I/O manager for Arrow tables, behind {@link PostgresIOManager}. */
  static readonly layer = (options?: Options): Layer.Layer<PostgresIOManager, never, PgClient> => layers.layerFor(PostgresIOManager, options)

  /**
   * The Postgres I/O manager behind another key: how a project whose assets
   * name their own key (`TableIO`, say) stores them in Postgres in
   * production. For a key whose values are not Arrow tables, give a
   * `handler` converting them (`@strata/arrow`'s `TypeHandler`s fit).
   *
   * @example
   * ```ts
   * class TableIO extends IOManager.Tag<TableIO, Table>()("lakehouse/TableIO") {}
   * const production = PostgresIOManager.layerFor(TableIO, { schema: "lakehouse" }).pipe(Layer.provide(PgClient.layerConfig))
   * ```
   */
  static readonly layerFor = layers.layerFor
}

/**
 * Postgres behind core's `DefaultIO`, the I/O manager of assets that name
 * none: Arrow tables are stored as they are, arrays of plain row objects as
 * tables of rows, and any other exact-JSON value as a one-row table with a
 * `json` column `value`. The kind is recorded in the table's comment, so a
 * load returns what was stored (a table, rows, or the value).
 *
 * @since 0.1.0
 */
export const layerDefault = (options?: Options): Layer.Layer<IOManager.DefaultIO, never, PgClient> => layers.layerDefault(options)

/**
 * Converts an asset's values to and from Arrow tables (the shape of
 * `@strata/arrow`'s `TypeHandler`). Either function may throw for a value
 * it cannot convert; the error becomes an `IOError` naming the asset.
 *
 * @since 0.1.0
 */
export type TableHandler<A> = TableIO.TableHandler<A>

/**
 * An I/O manager key for arrays of plain row objects stored in Postgres.
 *
 * @since 0.1.0
 */
export class PostgresRowsIOManager
  extends IOManager.Tag<PostgresRowsIOManager, ReadonlyArray<Row>>()("@strata/postgres/PostgresRowsIOManager")
{
  /** The Postgres I/O manager for row arrays, behind {@link PostgresRowsIOManager}. */
  static readonly layer = (options?: Options): Layer.Layer<PostgresRowsIOManager, never, PgClient> =>
    Layer.effect(PostgresRowsIOManager, Effect.gen(function*() {
      return make(yield* PgClient, options).rows
    }))
}

export type { Row }

const MAX_IDENTIFIER = 63

/**
 * The table an asset key maps to (see the module documentation); the
 * asset's metadata `postgres/schema` and `postgres/table` override it.
 *
 * @since 0.1.0
 */
export const tableNameOf = (
  key: string,
  options?: { readonly schema?: string | undefined; readonly metadata?: Readonly<Record<string, unknown>> | undefined }
): TableName =>
  TableIO.tableNameOf(key, { defaultSchema: options?.schema ?? "public", metadataPrefix: "postgres", maxBytes: MAX_IDENTIFIER }, options?.metadata)

/** `"schema"."table"`, quoted. */
const qualified = (name: TableName) => `${quoteIdentifier(name.schema)}.${quoteIdentifier(name.table)}`

/**
 * The URI recorded in metadata: `postgres://host:port/database/schema.table`.
 *
 * @since 0.1.0
 */
export const uriOf = (info: PgServerInfo, name: TableName): string =>
  `postgres://${info.host}${info.port === 5432 ? "" : `:${info.port}`}/${encodeUri(info.database)}/${
    encodeUri(name.schema)
  }.${encodeUri(name.table)}`

// encodeURIComponent throws on an unpaired surrogate (an invalid key): show U+FFFD instead, and let the
// server refuse the name with a typed error
const encodeUri = (text: string) =>
  encodeURIComponent(text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD"))

const columnsQuery = `
select a.attname as name, a.atttypid::int as oid, a.atttypmod as typmod,
       format_type(a.atttypid, a.atttypmod) as sql_type, a.attnotnull as not_null
from pg_attribute a
where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped
order by a.attnum`

const ColumnRow = Schema.Struct({
  name: Schema.String,
  oid: Schema.Number,
  typmod: Schema.Number,
  sql_type: Schema.String,
  not_null: Schema.Boolean
})
const decodeColumnRow = Schema.decodeUnknownSync(ColumnRow)

const readColumns = (connection: Pick<PgConnection, "query">, name: TableName) =>
  connection.query(columnsQuery, [qualified(name)]).pipe(
    Effect.map((rows) =>
      rows.map((raw): PgColumn => {
        const row = decodeColumnRow(raw)
        return { name: row.name, oid: row.oid, typmod: row.typmod, sqlType: row.sql_type, notNull: row.not_null }
      })
    )
  )

/** A row of {@link lockAndDescribe}'s description: the table's comment, and one of its columns (none for a table without columns). */
const DescribedRow = Schema.Struct({
  comment: Schema.NullOr(Schema.String),
  name: Schema.NullOr(Schema.String),
  oid: Schema.NullOr(Schema.Number),
  typmod: Schema.NullOr(Schema.Number),
  sql_type: Schema.NullOr(Schema.String),
  not_null: Schema.NullOr(Schema.Boolean)
})
const decodeDescribedRow = Schema.decodeUnknownSync(DescribedRow)

/**
 * Opens a load's transaction on `connection`, locks the table against
 * replacement and describes it (its comment and columns), in one round trip;
 * `undefined` when the table or its schema does not exist. The caller commits
 * after its COPY (a failure destroys the connection, which rolls back).
 *
 * Why the lock comes first: an unpartitioned store replaces the table (drop,
 * then rename the staging table) in one transaction, and DDL is not
 * MVCC-safe. A statement takes its snapshot before it waits for a lock, so a
 * bare `COPY (select ...) TO STDOUT` that queued behind a swap read, once the
 * swap committed, the new table through a snapshot older than the
 * transaction that filled it: zero rows. `LOCK TABLE` takes no snapshot
 * (Postgres lets a transaction lock before its snapshot is set: see the LOCK
 * page and "Explicit Locking"); it waits until a swap in progress commits,
 * then locks the table now bearing the name (the name is looked up again
 * after the wait). The describe and the COPY take their snapshots after that
 * (READ COMMITTED: one per statement; REPEATABLE READ and SERIALIZABLE: at the
 * describe), and the lock keeps any later swap from dropping the table until
 * the load commits. A swap waits for the loads holding the lock and later
 * loads queue behind the waiting swap, so neither starves; partition writes
 * take ROW EXCLUSIVE, which ACCESS SHARE does not block. The statements go as
 * one simple-protocol message because a load of a small table is a few round
 * trips: this keeps it at three (this, the COPY, the commit), as before.
 */
const lockAndDescribe = (connection: Pick<PgConnection, "query">, name: TableName) => {
  const table = quoteLiteral(qualified(name))
  return connection.query(
    `begin; lock table ${qualified(name)} in access share mode;
     select d.comment, a.attname as name, a.atttypid::int as oid, a.atttypmod as typmod,
            format_type(a.atttypid, a.atttypmod) as sql_type, a.attnotnull as not_null
     from (select obj_description(to_regclass(${table}), 'pg_class') as comment) d
     left join pg_attribute a on a.attrelid = to_regclass(${table}) and a.attnum > 0 and not a.attisdropped
     order by a.attnum`
  ).pipe(
    Effect.map((rows) => {
      const decoded = rows.map((row) => decodeDescribedRow(row))
      const columns = decoded.flatMap((row): Array<PgColumn> =>
        row.name === null
          ? []
          : [{ name: row.name, oid: row.oid!, typmod: row.typmod!, sqlType: row.sql_type!, notNull: row.not_null! }]
      )
      return { comment: decoded[0]?.comment ?? "", columns }
    }),
    // undefined table, undefined schema: nothing stored yet
    Effect.catchIf((error) => error.sqlState === "42P01" || error.sqlState === "3F000", () => Effect.succeed(undefined))
  )
}

/**
 * The opening of a load and of a measure: the table locked and described
 * ({@link lockAndDescribe}), with the columns a read selects (a partition's
 * read leaves out the partition column); `undefined`, its transaction rolled
 * back, when the table does not exist. A partition's read of a table without
 * the partition column fails: the partition "cannot be" `purpose`.
 */
const openRead = (
  connection: PgConnection,
  request: TableIO.ReadRequest,
  partitionColumn: string,
  purpose: "loaded from it" | "measured"
): Effect.Effect<{ readonly comment: string; readonly columns: ReadonlyArray<PgColumn> } | undefined, PgError | IOManager.IOError> =>
  Effect.gen(function*() {
    const { context, name, uri } = request
    const described = yield* lockAndDescribe(connection, name)
    if (described === undefined) {
      // the failed lock aborted the load's transaction: end it before the connection goes back to the pool
      yield* connection.query("rollback")
      return undefined
    }
    if (context.partition === undefined) return described
    if (!described.columns.some((column) => column.name === partitionColumn)) {
      return yield* TableIO.ioError(
        "load",
        context,
        uri,
        `table ${uri} has no partition column ${JSON.stringify(partitionColumn)}, so partition ${context.partition} cannot be ${purpose}`,
        false
      )
    }
    return { comment: described.comment, columns: described.columns.filter((column) => column.name !== partitionColumn) }
  })

/**
 * Builds the Postgres I/O managers (tables, rows, values, withHandler) over a
 * client: the Postgres {@link TableIO.Backend} behind `@strata/arrow`'s
 * shared table I/O skeleton.
 *
 * @since 0.1.0
 */
export const make = (client: PgClient["Service"], options?: Options): TableIO.Managers => TableIO.make(backend(client, options))

const backend = (client: PgClient["Service"], options?: Options): TableIO.Backend => {
  const partitionColumn = options?.partitionColumn ?? "_partition"
  return {
    name: "postgres",
    naming: { defaultSchema: options?.schema ?? "public", metadataPrefix: "postgres", maxBytes: MAX_IDENTIFIER },
    partitionColumn,
    uriOf: (name) => uriOf(client.info, name),
    columnType: sqlTypeOf,
    write: (request) => writeTable(client, request, partitionColumn, options?.dataVersion ?? "content"),
    // a range of partitions loads with one query (whereOf)
    readsRanges: true,
    read: (request) => readTable(client, request, partitionColumn),
    sql: { dialect, read: (request, use) => sqlRead(client, request, partitionColumn, use) }
  }
}

/** Postgres SQL for the skeleton's table measures (the built-in checks pushed down). */
const dialect: TableIO.SqlDialect = {
  quoteIdentifier,
  placeholder: (index) => `$${index}`,
  isNaN: (expression) => `${expression} = 'NaN'::float8`,
  binaryCollation: ` collate "C"`,
  typedParameter: (placeholder, family) =>
    family === "integer"
      ? `${placeholder}::numeric`
      : family === "float"
      ? `${placeholder}::float8`
      : family === "string"
      ? `${placeholder}::text`
      : family === "boolean"
      ? `${placeholder}::boolean`
      : placeholder
}

/** How SQL may compare a column like the loaded cells: only the types a load decodes natively to those values. */
const familyOf = (column: PgColumn): TableIO.ColumnFamily => {
  switch (column.oid) {
    case OID.int2:
    case OID.int4:
    case OID.int8:
      return "integer"
    case OID.float8:
      return "float"
    case OID.text:
    case OID.varchar:
      return "string"
    case OID.bool:
      return "boolean"
    default:
      return "other"
  }
}

/**
 * A consistent read of a table for SQL measures: opened like a load (locked
 * against replacement, then described), the queries of `use` in the same
 * transaction; `undefined` when the table does not exist.
 */
const sqlRead = <A>(
  client: PgClient["Service"],
  request: TableIO.ReadRequest,
  partitionColumn: string,
  use: (table: TableIO.SqlTable & { readonly kind: TableIO.StoredKind }, query: TableIO.SqlQuery) => Effect.Effect<A, IOManager.IOError>
): Effect.Effect<A | undefined, IOManager.IOError> =>
  client.withConnection((connection) =>
    Effect.gen(function*() {
      const { context, name, uri } = request
      const described = yield* openRead(connection, request, partitionColumn, "measured")
      if (described === undefined) return undefined
      const columns = described.columns.map((column) => ({ name: column.name, family: familyOf(column) }))
      const table = {
        sql: qualified(name),
        columns,
        kind: TableIO.kindOfComment(described.comment),
        partition: context.partition === undefined ? undefined : { column: partitionColumn, value: context.partition }
      }
      const result = yield* use(table, (sql, params) =>
        connection.query(sql, params).pipe(Effect.mapError(fromPg("load", context, uri, "measuring"))))
      yield* connection.query("commit")
      return result
    })
  ).pipe(mapFailures("load", request.context, request.uri))


const fromPg = (operation: "store" | "load", context: OutputContext | InputContext, uri: string, what: string) => (error: PgError) =>
  // a value the encoder refused surfaces through the COPY stream: report it as bad input, not as a server error
  error.cause instanceof ColumnError
    ? TableIO.ioError(operation, context, uri, `cannot store asset ${context.key} in ${uri}: ${error.cause.message}`, false, error.cause)
    : TableIO.ioError(
      operation,
      context,
      uri,
      `${what} ${uri} failed (${error.reason}${error.sqlState ? `, SQLSTATE ${error.sqlState}` : ""}): ${error.message}`,
      error.isRetryable,
      error
    )

/** Maps a store's or load's failures (server errors and encoder defects) to `IOError`s. */
const mapFailures = (operation: "store" | "load", context: OutputContext | InputContext, uri: string) =>
<A, R>(effect: Effect.Effect<A, PgError | IOManager.IOError, R>): Effect.Effect<A, IOManager.IOError, R> =>
  effect.pipe(
    Effect.catch((error) =>
      error._tag === "@strata/postgres/PgError"
        ? Effect.fail(fromPg(operation, context, uri, operation === "store" ? "writing" : "reading")(error))
        : Effect.fail(error)
    ),
    Effect.catchDefect((defect) =>
      Effect.fail(TableIO.ioError(
        operation,
        context,
        uri,
        defect instanceof ColumnError ? `cannot store asset ${context.key}: ${defect.message}` : `${operation === "store" ? "writing" : "reading"} ${uri} failed: ${messageOf(defect)}`,
        false,
        defect
      ))
    )
  )

const ensureSchema = (client: PgClient["Service"], schema: string) =>
  client.query(`create schema if not exists ${quoteIdentifier(schema)}`).pipe(
    // two writers creating the same schema at once: the loser sees a duplicate, which is fine
    Effect.catchIf((error) => error.reason === "unique-violation" || error.sqlState === "42P06", () => Effect.succeed([]))
  )

const columnDefinitions = (request: TableIO.WriteRequest, partitionColumn: string): Array<string> => [
  ...request.table.schema.fields.map((field) => `${quoteIdentifier(field.name)} ${sqlTypeOf(field)}${field.nullable ? "" : " not null"}`),
  ...(request.context.partition !== undefined ? [`${quoteIdentifier(partitionColumn)} text not null`] : [])
]

const writeTable = (
  client: PgClient["Service"],
  request: TableIO.WriteRequest,
  partitionColumn: string,
  versionMode: "content" | "transaction"
) =>
  Effect.gen(function*() {
    const { context, kind, name, table } = request
    const definitions = columnDefinitions(request, partitionColumn)
    const hash = createHash("sha256")
    const chunks = encodeTable(table, context.partition, versionMode === "content" ? (chunk) => hash.update(chunk) : () => {})
    const columnList = [
      ...table.schema.fields.map((field) => quoteIdentifier(field.name)),
      ...(context.partition !== undefined ? [quoteIdentifier(partitionColumn)] : [])
    ].join(", ")
    yield* ensureSchema(client, name.schema)
    if (context.partition !== undefined) {
      // created once, in its own short transaction, by whichever partition comes first
      yield* client.transaction((connection) =>
        Effect.gen(function*() {
          yield* connection.query("select pg_advisory_xact_lock(hashtext($1))", [`strata-io:${qualified(name)}`])
          yield* connection.query(`create table if not exists ${qualified(name)} (${definitions.join(", ")})`)
          yield* connection.query(`comment on table ${qualified(name)} is '${TableIO.KIND_PREFIX}${kind}'`)
        })
      )
    }
    const written = yield* client.transaction((connection) =>
      Effect.gen(function*() {
        const copied = context.partition === undefined
          ? yield* swapIn(connection, name, definitions, columnList, kind, chunks)
          : yield* replacePartition(connection, request, definitions, columnList, partitionColumn, chunks)
        const [stats] = yield* connection.query<{ bytes: string; xid: string }>(
          "select pg_total_relation_size(to_regclass($1))::text as bytes, txid_current()::text as xid",
          [qualified(name)]
        )
        return { copied, bytes: Number(stats!.bytes), xid: stats!.xid }
      })
    )
    const result: TableIO.Written = {
      rows: written.copied,
      bytes: written.bytes,
      dataVersion: versionMode === "content" ? hash.digest("hex").slice(0, 16) : `pg-xid-${written.xid}`
    }
    return result
  }).pipe(mapFailures("store", request.context, request.uri))

/** An unpartitioned store: a fresh staging table, filled, then swapped in under the name. */
const swapIn = (
  connection: PgConnection,
  name: TableName,
  definitions: ReadonlyArray<string>,
  columnList: string,
  kind: TableIO.StoredKind,
  chunks: Iterable<Uint8Array>
) =>
  Effect.gen(function*() {
    const staging: TableName = { schema: name.schema, table: `_strata_stage_${randomBytes(6).toString("hex")}` }
    yield* connection.query(`create table ${qualified(staging)} (${definitions.join(", ")})`)
    yield* connection.query(`comment on table ${qualified(staging)} is '${TableIO.KIND_PREFIX}${kind}'`)
    // a table without columns (an empty array of rows) has nothing to copy, and COPY has no syntax for it
    const copied = columnList === ""
      ? 0
      : yield* connection.copyFrom(`copy ${qualified(staging)} (${columnList}) from stdin (format binary)`, chunks)
    // serialise concurrent swaps of the same table: the second waits and replaces the first's result
    yield* connection.query("select pg_advisory_xact_lock(hashtext($1))", [`strata-io:${qualified(name)}`])
    yield* connection.query(`drop table if exists ${qualified(name)}`)
    yield* connection.query(`alter table ${qualified(staging)} rename to ${quoteIdentifier(name.table)}`)
    return copied
  })

/** A partition's store: its rows deleted and the new ones copied, in the caller's transaction. */
const replacePartition = (
  connection: PgConnection,
  request: TableIO.WriteRequest,
  definitions: ReadonlyArray<string>,
  columnList: string,
  partitionColumn: string,
  chunks: Iterable<Uint8Array>
) =>
  Effect.gen(function*() {
    const { context, name, table, uri } = request
    const partition = context.partition!
    // partitions of one asset are written in parallel (backfills); only writers of the same partition wait
    yield* connection.query("select pg_advisory_xact_lock(hashtext($1), hashtext($2))", [`strata-io:${qualified(name)}`, partition])
    const existing = yield* readColumns(connection, name)
    if (!sameColumns(existing, table.schema.fields, partitionColumn)) {
      const actual = existing.map((column) => `${quoteIdentifier(column.name)} ${column.sqlType}${column.notNull ? " not null" : ""}`).join(", ")
      return yield* Effect.fail(TableIO.ioError(
        "store",
        context,
        uri,
        `partition ${partition} of asset ${context.key} has columns (${definitions.join(", ")}) but table ${uri} has (${actual}); ` +
          "every partition must have the same columns: fix the asset or drop the table to re-create it",
        false
      ))
    }
    yield* connection.query(`delete from ${qualified(name)} where ${quoteIdentifier(partitionColumn)} = $1`, [partition])
    return yield* connection.copyFrom(`copy ${qualified(name)} (${columnList}) from stdin (format binary)`, chunks)
  })

const readTable = (client: PgClient["Service"], request: TableIO.ReadRequest, partitionColumn: string) =>
  client.withConnection((connection) =>
    Effect.gen(function*() {
      const { context, name } = request
      const described = yield* openRead(connection, request, partitionColumn, "loaded from it")
      if (described === undefined) return undefined
      const { columns: selected, comment } = described
      const list = selected.map((column) =>
        isNative(column) ? quoteIdentifier(column.name) : `${quoteIdentifier(column.name)}::text as ${quoteIdentifier(column.name)}`
      ).join(", ")
      const where = whereOf(context, quoteIdentifier(partitionColumn))
      const decoder = makeTableDecoder(selected)
      if (selected.length > 0) {
        yield* connection.copyTo(`copy (select ${list} from ${qualified(name)}${where}) to stdout (format binary)`, decoder.push)
      }
      yield* connection.query("commit")
      return { table: decoder.finish(), kind: TableIO.kindOfComment(comment) }
    })
  ).pipe(mapFailures("load", request.context, request.uri))

/**
 * The rows a load reads: all of them, one partition's, or a range's in one
 * query (`= any(array[...])`), ordered by the range's key order, then by
 * their place in the table (a partition's rows come back as stored).
 */
const whereOf = (context: TableIO.ReadRequest["context"], column: string): string => {
  if (context.partition === undefined) return ""
  const range = context.partitions
  if (range === undefined || range.count === 1) return ` where ${column} = ${quoteLiteral(context.partition)}`
  const keys = `array[${range.keys.map(quoteLiteral).join(", ")}]::text[]`
  return ` where ${column} = any(${keys}) order by array_position(${keys}, ${column}), ctid`
}

const messageOf = (error: unknown): string => error instanceof Error ? error.message : String(error)

const sameColumns = (existing: ReadonlyArray<PgColumn>, fields: ReadonlyArray<Arrow.Field>, partitionColumn: string): boolean => {
  const data = existing.filter((column) => column.name !== partitionColumn)
  if (data.length !== fields.length) return false
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!
    const column = data[i]!
    if (column.name !== field.name || normalizeType(column.sqlType) !== normalizeType(sqlTypeOf(field))) return false
  }
  return true
}

const normalizeType = (type: string): string =>
  type
    .replace("timestamp without time zone", "timestamp")
    .replace("timestamp with time zone", "timestamptz")
    .replace(/ /g, "")

