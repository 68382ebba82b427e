/**
 * An I/O manager that stores Arrow tables (and arrays of row objects, and
 * JSON values) as Snowflake tables, on `@strata/arrow`'s shared table I/O
 * skeleton (`TableIO`): the same naming, checks, metadata and kinds as the
 * Postgres I/O manager; only the writes and reads are Snowflake's.
 *
 * Where an asset goes: `<database>.<schema>.<table>` with the table the key's
 * last segment and the schema the segments before it (a one-segment key goes
 * to the `schema` option, else the client's schema, else `PUBLIC`); the
 * database is the `database` option or the client's. A key part that is a
 * lower-case plain identifier is upper-cased, as Snowflake does with unquoted
 * names, so `select * from bronze.raw_users` finds `bronze/raw_users`; any
 * other part is kept as written (and must then be quoted in SQL), with its
 * upper-case letters escaped (`Users` → `^users`) so that two keys never
 * share a table (see {@link normalizeName}). Metadata
 * `snowflake/schema` and `snowflake/table` on the asset override either part.
 *
 * Writes are atomic:
 * - an unpartitioned asset is loaded into a fresh staging table, then swapped
 *   in with `ALTER TABLE ... SWAP WITH` (one metadata operation: a concurrent
 *   reader sees the old table or the new one) and the staging table, now
 *   holding the old rows, dropped; the first store renames the staging table
 *   into place instead;
 * - a partitioned asset's table has a partition column (`_PARTITION`);
 *   storing a partition deletes its rows and inserts the new ones in one
 *   transaction.
 *
 * Rows travel by array binds (default) or a staged Parquet file (`method:
 * "stage"`), as `SnowflakeClient.insertArrow`. Every statement carries the
 * client's query tag (asset and run). The data version is a hash of the
 * table's content; the metadata adds the query ids of the load.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import * as TableIO from "@strata/arrow/TableIO"
import { IOManager } from "@strata/core"
import * as Arrow from "apache-arrow"
import { Effect, Layer } from "effect"
import type { SnowflakeClientShape, SnowflakeConnection } from "./SnowflakeClient.ts"
import { quoteIdentifier, SnowflakeClient } from "./SnowflakeClient.ts"
import type { SnowflakeError } from "./SnowflakeError.ts"
import { sqlTypeOf } from "./internal/arrow.ts"
import { createTableSql } from "./internal/write.ts"

/**
 * Options of the Snowflake I/O manager.
 *
 * @since 0.1.0
 */
export interface Options {
  /** The database of every table. Default: the client's. */
  readonly database?: string | undefined
  /** The schema of one-segment asset keys. Default: the client's, else `PUBLIC`. */
  readonly schema?: string | undefined
  /** The column holding the partition key of partitioned assets. Default `_PARTITION`. */
  readonly partitionColumn?: string | undefined
  /** How rows travel: `binds` (default) or `stage` (Parquet, PUT, COPY INTO). */
  readonly method?: "binds" | "stage" | undefined
}

const layers = TableIO.layers(SnowflakeClient, (client: Parameters<typeof make>[0], options?: Options) => make(client, options))

/**
 * An I/O manager key for Arrow tables stored in Snowflake.
 *
 * @since 0.1.0
 */
export class SnowflakeIOManager extends IOManager.Tag<SnowflakeIOManager, Arrow.Table>()("@strata/snowflake/SnowflakeIOManager") {
  /** Builds the managers (`tables`, `rows`, `values`, `withHandler`) over a client, outside any layer. */
  static readonly make = (client: SnowflakeClientShape, options?: Options): TableIO.Managers => make(client, options)

  /** The Snowflake I/O manager for Arrow tables, behind {@link SnowflakeIOManager}. */
  static readonly layer = (options?: Options): Layer.Layer<SnowflakeIOManager, never, SnowflakeClient> => layers.layerFor(SnowflakeIOManager, options)

  /** Snowflake behind core's `DefaultIO`: Arrow tables, arrays of row objects and JSON values. */
  static readonly layerDefault = layers.layerDefault

  /**
   * The Snowflake I/O manager behind another key (the project's own
   * `TableIO`, say); a `handler` converts values that are not Arrow tables.
   */
  static readonly layerFor = layers.layerFor
}

/** Snowflake identifiers are at most 255 characters. */
const MAX_IDENTIFIER = 255
const LOWER_PLAIN = /^[a-z_][a-z0-9_$]*$/

/**
 * A key part as a Snowflake name: a lower-case plain identifier is
 * upper-cased, as Snowflake does with unquoted names (`raw_users` →
 * `RAW_USERS`, which unquoted SQL finds); any other part is kept as written
 * (quoted in SQL), except that upper-case letters become `^` and the letter
 * (`Users` → `^users`, a non-ASCII one `^<hex code point>;`) and `^` itself
 * `^^`. The result has no upper-case letters, so two keys never name one
 * table, even where names compare case-insensitively (the local server, and
 * Snowflake's unquoted names).
 *
 * @since 0.1.0
 */
export const normalizeName = (part: string): string => {
  if (LOWER_PLAIN.test(part)) return part.toUpperCase()
  let name = ""
  for (const char of part) {
    if (char === "^") name += "^^"
    else if (char === char.toLowerCase()) name += char
    else if (char >= "A" && char <= "Z") name += `^${char.toLowerCase()}`
    else name += `^${char.codePointAt(0)!.toString(16)};`
  }
  return name
}

/**
 * Builds the Snowflake I/O managers over a client.
 *
 * @since 0.1.0
 */
export const make = (client: SnowflakeClientShape, options?: Options): TableIO.Managers => TableIO.make(backend(client, options))

interface Settings {
  readonly database: string | undefined
  readonly partitionColumn: string
  readonly method: "binds" | "stage"
}

const backend = (client: SnowflakeClientShape, options?: Options): TableIO.Backend => {
  const settings: Settings = {
    database: options?.database ?? client.info.database,
    partitionColumn: options?.partitionColumn ?? "_PARTITION",
    method: options?.method ?? "binds"
  }
  return {
    name: "snowflake",
    naming: {
      defaultSchema: options?.schema ?? client.info.schema ?? "PUBLIC",
      metadataPrefix: "snowflake",
      maxBytes: MAX_IDENTIFIER,
      normalize: normalizeName
    },
    partitionColumn: settings.partitionColumn,
    uriOf: (name) =>
      `snowflake://${client.info.account}/${settings.database === undefined ? "" : `${TableIO.encodeUriPart(settings.database)}/`}${
        TableIO.encodeUriPart(name.schema)
      }.${TableIO.encodeUriPart(name.table)}`,
    columnType: sqlTypeOf,
    write: (request) =>
      (request.context.partition === undefined ? swapIn(client, settings, request) : replacePartition(client, settings, request)).pipe(
        mapFailures("store", request)
      ),
    read: (request) => readTable(client, settings, request).pipe(mapFailures("load", request))
  }
}

const qualified = (settings: Settings, name: TableIO.TableName): string =>
  `${settings.database === undefined ? "" : `${quoteIdentifier(settings.database)}.`}${quoteIdentifier(name.schema)}.${quoteIdentifier(name.table)}`

const informationSchema = (settings: Settings): string =>
  `${settings.database === undefined ? "" : `${quoteIdentifier(settings.database)}.`}information_schema`

const mapFailures = (operation: "store" | "load", request: TableIO.WriteRequest | TableIO.ReadRequest) =>
<A>(effect: Effect.Effect<A, SnowflakeError | IOManager.IOError>): Effect.Effect<A, IOManager.IOError> =>
  Effect.catch(effect, (error) =>
    Effect.fail(
      error._tag === "@strata/core/IOError" ? error : TableIO.ioError(
        operation,
        request.context,
        request.uri,
        `${operation === "store" ? "writing" : "reading"} ${request.uri} failed (${error.reason}${
          error.code === undefined ? "" : `, code ${error.code}`
        }): ${error.message}`,
        error.isRetryable,
        error
      )
    ))

const ensureSchema = (client: SnowflakeClientShape, settings: Settings, schema: string) =>
  client.execute(
    `create schema if not exists ${settings.database === undefined ? "" : `${quoteIdentifier(settings.database)}.`}${quoteIdentifier(schema)}`
  )

const tableExists = (connection: SnowflakeConnection, settings: Settings, name: TableIO.TableName) =>
  Effect.map(
    connection.query(`select count(*) as "n" from ${informationSchema(settings)}.tables where table_schema = ? and table_name = ?`, [
      name.schema,
      name.table
    ]),
    (rows) => Number(rows[0]?.["n"] ?? 0) > 0
  )

/** An unpartitioned store: a staging table loaded, then swapped in (or renamed into place the first time). */
const swapIn = (client: SnowflakeClientShape, settings: Settings, request: TableIO.WriteRequest) =>
  Effect.gen(function*() {
    const { kind, name, table } = request
    yield* ensureSchema(client, settings, name.schema)
    const staging = qualified(settings, { schema: name.schema, table: `_STRATA_STAGE_${randomBytes(6).toString("hex").toUpperCase()}` })
    const target = qualified(settings, name)
    return yield* client.withConnection((connection) =>
      Effect.gen(function*() {
        yield* connection.execute(createTableSql(staging, table.schema))
        yield* connection.execute(`comment on table ${staging} is '${TableIO.KIND_PREFIX}${kind}'`)
        const written = yield* connection.insertArrow(staging, table, { method: settings.method })
        const exists = yield* tableExists(connection, settings, name)
        const renamed = exists
          ? false
          : yield* connection.execute(`alter table ${staging} rename to ${target}`).pipe(
            Effect.as(true),
            // another writer created it since: swap with theirs instead
            Effect.catchIf((error) => error.reason === "already-exists", () => Effect.succeed(false))
          )
        if (!renamed) yield* connection.execute(`alter table ${target} swap with ${staging}`)
        return { rows: written.rows, metadata: { query_ids: written.queryIds } }
      }).pipe(Effect.ensuring(connection.execute(`drop table if exists ${staging}`).pipe(Effect.ignore)))
    )
  })

/** The table with the partition key appended as a column. */
const withPartitionColumn = (table: Arrow.Table, column: string, partition: string): Arrow.Table => {
  const values = Arrow.vectorFromArray(new Array<string>(table.numRows).fill(partition), new Arrow.Utf8())
  const columns: Record<string, Arrow.Vector> = {}
  for (const field of table.schema.fields) columns[field.name] = table.getChild(field.name)!
  columns[column] = values
  const fields = [...table.schema.fields, new Arrow.Field(column, new Arrow.Utf8(), false)]
  return new Arrow.Table(new Arrow.Schema(fields), columns)
}

const columnsOf = (connection: SnowflakeConnection, settings: Settings, name: TableIO.TableName) =>
  Effect.map(
    connection.query(
      `select column_name as "name" from ${informationSchema(settings)}.columns where table_schema = ? and table_name = ? order by ordinal_position`,
      [name.schema, name.table]
    ),
    (rows) => rows.map((row) => String(row["name"]))
  )

/** A partition's store: its rows deleted and the new ones inserted, in one transaction. */
const replacePartition = (client: SnowflakeClientShape, settings: Settings, request: TableIO.WriteRequest) =>
  Effect.gen(function*() {
    const { context, kind, name, table, uri } = request
    const partition = context.partition!
    const target = qualified(settings, name)
    const data = withPartitionColumn(table, settings.partitionColumn, partition)
    yield* ensureSchema(client, settings, name.schema)
    yield* client.execute(createTableSql(target, data.schema))
    yield* client.execute(`comment on table ${target} is '${TableIO.KIND_PREFIX}${kind}'`)
    const columns = yield* client.withConnection((connection) => columnsOf(connection, settings, name))
    const expected = data.schema.fields.map((field) => field.name)
    if (columns.join("\u0000") !== expected.join("\u0000")) {
      return yield* TableIO.ioError(
        "store",
        context,
        uri,
        `partition ${partition} of asset ${context.key} has columns (${expected.join(", ")}) but table ${uri} has (${columns.join(", ")}); ` +
          "every partition must have the same columns: fix the asset or drop the table to re-create it",
        false
      )
    }
    const written = yield* client.transaction((connection) =>
      Effect.andThen(
        connection.execute(`delete from ${target} where ${quoteIdentifier(settings.partitionColumn)} = ?`, [partition]),
        connection.insertArrow(target, data, { method: settings.method })
      )
    )
    return { rows: written.rows, metadata: { query_ids: written.queryIds } }
  })

const readTable = (client: SnowflakeClientShape, settings: Settings, request: TableIO.ReadRequest) =>
  client.withConnection((connection) =>
    Effect.gen(function*() {
      const { context, name } = request
      const described = yield* connection.query(
        `select comment as "comment" from ${informationSchema(settings)}.tables where table_schema = ? and table_name = ?`,
        [name.schema, name.table]
      )
      if (described.length === 0) return undefined
      const kind = TableIO.kindOfComment(described[0]?.["comment"] as string | null | undefined)
      const partitionColumn = quoteIdentifier(settings.partitionColumn)
      const sql = context.partition === undefined
        ? `select * from ${qualified(settings, name)}`
        : `select * exclude (${partitionColumn}) from ${qualified(settings, name)} where ${partitionColumn} = ?`
      const result = yield* connection.queryArrow(sql, context.partition === undefined ? [] : [context.partition]).pipe(
        // dropped between the describe and the select: nothing stored
        Effect.map((result): Arrow.Table | undefined => result.table),
        Effect.catchIf((error) => error.reason === "object-not-found", () => Effect.succeed(undefined))
      )
      return result === undefined ? undefined : { table: result, kind }
    })
  )
