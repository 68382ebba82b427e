/**
 * Writes an Arrow table into a Snowflake table, by one of the two paths the
 * driver offers:
 *
 * - `binds`: `INSERT INTO t (...) VALUES (?, ...)` with array binding, in
 *   batches kept under Snowflake's `CLIENT_STAGE_ARRAY_BINDING_THRESHOLD`
 *   (65,280 values), so each batch travels inline in one request;
 * - `stage`: the table as one Parquet file (snappy), `PUT` to the user's
 *   stage, `COPY INTO ... MATCH_BY_COLUMN_NAME = CASE_SENSITIVE PURGE = TRUE`.
 *
 * Either way the statements run on one connection, so the caller can wrap
 * them in a transaction.
 */
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Arrow from "apache-arrow"
import { Effect } from "effect"
import * as Parquet from "parquet-wasm"
import type { SnowflakeConnection } from "../SnowflakeClient.ts"
import { SnowflakeError } from "../SnowflakeError.ts"
import { bindColumn, ConversionError, sqlTypeOf } from "./arrow.ts"

/**
 * Options of `insertArrow`.
 *
 * @since 0.1.0
 */
export interface WriteOptions {
  /** `binds` (default) or `stage` (Parquet + PUT + COPY INTO); see the package README for when each is faster. */
  readonly method?: "binds" | "stage" | undefined
  /** Create the table from the Arrow schema when it does not exist. Default false. */
  readonly create?: boolean | undefined
}

/**
 * What a write did.
 *
 * @since 0.1.0
 */
export interface WriteResult {
  readonly rows: number
  readonly method: "binds" | "stage"
  /** The query ids of the statements that loaded the rows. */
  readonly queryIds: ReadonlyArray<string>
}

const BIND_THRESHOLD = 65_280

const quote = (name: string) => `"${name.replaceAll("\"", "\"\"")}"`

const invalid = (table: string, error: unknown) =>
  new SnowflakeError({
    reason: "data",
    operation: "write",
    message: `cannot write to ${table}: ${error instanceof Error ? error.message : String(error)}`,
    cause: error
  })

/** `create table if not exists` with the Snowflake types of the Arrow schema. */
export const createTableSql = (table: string, schema: Arrow.Schema): string =>
  `create table if not exists ${table} (${
    schema.fields.map((field) => `${quote(field.name)} ${sqlTypeOf(field)}${field.nullable ? "" : " not null"}`).join(", ")
  })`

const writeBinds = (connection: SnowflakeConnection, table: string, data: Arrow.Table) =>
  Effect.gen(function*() {
    const fields = data.schema.fields
    const columns = yield* Effect.try({
      try: () => fields.map((field, index) => bindColumn(field, data.getChildAt(index)!)),
      catch: (error) => invalid(table, error)
    })
    const sql = `insert into ${table} (${fields.map((field) => quote(field.name)).join(", ")}) values (${fields.map(() => "?").join(", ")})`
    const batch = Math.max(1, Math.floor(BIND_THRESHOLD / Math.max(1, fields.length)))
    const queryIds: Array<string> = []
    for (let start = 0; start < data.numRows; start += batch) {
      const end = Math.min(data.numRows, start + batch)
      const rows: Array<Array<string | number | boolean | null>> = new Array(end - start)
      for (let row = start; row < end; row++) rows[row - start] = columns.map((column) => column[row]!)
      const result = yield* connection.execute(sql, rows)
      queryIds.push(result.queryId)
    }
    return { rows: data.numRows, method: "binds" as const, queryIds }
  })

const writeStage = (connection: SnowflakeConnection, table: string, data: Arrow.Table) =>
  Effect.gen(function*() {
    const directory = yield* Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "strata-snowflake-"))),
      (directory) => Effect.sync(() => fs.rmSync(directory, { recursive: true, force: true }))
    )
    const file = path.join(directory, "part-0.parquet")
    yield* Effect.try({
      try: () => {
        const properties = new Parquet.WriterPropertiesBuilder().setCompression(Parquet.Compression.SNAPPY).build()
        fs.writeFileSync(file, Parquet.writeParquet(Parquet.Table.fromIPCStream(Arrow.tableToIPC(data, "stream")), properties))
      },
      catch: (error) => invalid(table, error)
    })
    const prefix = `@~/strata/${randomUUID()}`
    yield* connection.execute(`put 'file://${file.replaceAll("\\", "/")}' ${prefix} auto_compress = false overwrite = true`)
    const copy = yield* connection.execute(
      `copy into ${table} from ${prefix}/ file_format = (type = parquet) match_by_column_name = case_sensitive purge = true`
    )
    return { rows: data.numRows, method: "stage" as const, queryIds: [copy.queryId] }
  }).pipe(Effect.scoped)

/** Appends `data` to `table` (an already quoted, possibly qualified name). */
export const insertArrow = (
  connection: SnowflakeConnection,
  table: string,
  data: Arrow.Table,
  options?: WriteOptions
): Effect.Effect<WriteResult, SnowflakeError> =>
  Effect.gen(function*() {
    if (options?.create === true) {
      const ddl = yield* Effect.try({ try: () => createTableSql(table, data.schema), catch: (error) => invalid(table, error) })
      yield* connection.execute(ddl)
    }
    if (data.numRows === 0) return { rows: 0, method: options?.method ?? "binds", queryIds: [] }
    return yield* (options?.method === "stage" ? writeStage(connection, table, data) : writeBinds(connection, table, data))
  }).pipe(Effect.catchDefect((defect) => Effect.fail(invalid(table, defect instanceof ConversionError ? defect : defect))))
