/**
 * SQL over Arrow tables and Parquet files with embedded DuckDB, for asset
 * code that would otherwise loop over rows.
 *
 * DuckDB (`@duckdb/node-api`) is an optional peer dependency: install it in
 * the project that uses this module. Its Node API has no Arrow bridge, so
 * tables travel through Parquet files (encoded and decoded in the encoding
 * worker, like `ArrowIO`'s) in a temporary folder: each input
 * table is written as Parquet and exposed as a view named after its key,
 * Parquet inputs are read in place, and the query result is written by
 * DuckDB as Parquet and read back as an Arrow table. The folder and the
 * in-memory database are removed when the query ends.
 *
 * Types follow DuckDB's Parquet writer: `VARCHAR` → `Utf8`, `BIGINT` →
 * `Int64`, `DOUBLE` → `Float64`, `TIMESTAMP` → `Timestamp<MICROSECOND>`,
 * `TIMESTAMPTZ` → `Timestamp<MICROSECOND, UTC>`, `HUGEINT` (e.g. `sum` of
 * `BIGINT`s) → `Float64`; cast in SQL where a type matters.
 *
 * @example
 * ```ts
 * import { ArrowIO, Sql } from "@strata/arrow"
 * import { Asset } from "@strata/core"
 *
 * const totals = Asset.make("gold/totals", { deps: { orders }, io: ArrowIO }, ({ orders }) =>
 *   Sql.query("select customer, sum(amount)::double as total from orders group by customer order by customer", { orders }))
 * ```
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type Table, tableFromIPC, tableToIPC } from "apache-arrow"
import { Effect } from "effect"
import * as ArrowError from "./ArrowError.ts"
import * as Codec from "./internal/codec.ts"
import * as WorkerClient from "./internal/workerClient.ts"
import { isTable } from "./TypeHandler.ts"

/**
 * A query input: an Arrow table, or a Parquet file read in place (for
 * example one written by `ArrowIO`: `{ parquet: io.path("bronze/orders") }`).
 *
 * @since 0.1.0
 */
export type Input = Table | { readonly parquet: string }

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/

const quoteString = (text: string): string => `'${text.replaceAll("'", "''")}'`

type DuckDB = typeof import("@duckdb/node-api")

const loadDuckDB = Effect.tryPromise({
  try: (): Promise<DuckDB> => import("@duckdb/node-api"),
  catch: (cause) =>
    ArrowError.make({
      reason: "missing-dependency",
      detail: "Sql.query needs DuckDB: install @duckdb/node-api in your project (it is an optional peer dependency of @strata/arrow)",
      cause
    })
})

/**
 * Runs a query over named inputs and returns its result as an Arrow table.
 * Input names are the view names in SQL (letters, digits, `_`).
 *
 * @since 0.1.0
 */
export const query = Effect.fn("Sql.query")(function*(sql: string, inputs: Readonly<Record<string, Input>> = {}) {
  for (const name in inputs) {
    if (!identifier.test(name)) {
      return yield* ArrowError.make({
        reason: "invalid-value",
        detail: `input name ${JSON.stringify(name)} cannot be a SQL view name; use letters, digits and '_'`
      })
    }
  }
  const duckdb = yield* loadDuckDB
  return yield* Effect.scoped(Effect.gen(function*() {
    const folder = yield* temporaryFolder
    const views: Array<string> = []
    for (const name in inputs) views.push(yield* inputView(folder, name, inputs[name]!))
    const output = path.join(folder, "result.parquet")
    yield* runToParquet(duckdb, views, sql, output)
    return yield* readResult(output)
  }))
})

/** A folder for the query's Parquet files, removed with everything in it when the scope closes. */
const temporaryFolder = Effect.acquireRelease(
  Effect.tryPromise({
    try: () => fs.promises.mkdtemp(path.join(os.tmpdir(), "strata-sql-")),
    catch: (cause) => ArrowError.fromSystemError(cause, { file: os.tmpdir() })
  }),
  (folder) => Effect.promise(() => fs.promises.rm(folder, { recursive: true, force: true }))
)

/** The statement creating an input's view: a table is written as Parquet into `folder` first, a Parquet file is read in place. */
const inputView = (folder: string, name: string, input: Input): Effect.Effect<string, ArrowError.ArrowError> =>
  Effect.gen(function*() {
    let file: string
    if (isTable(input)) {
      file = path.join(folder, `${name}.parquet`)
      yield* writeParquet(name, input, file)
    } else if (typeof input === "object" && input !== null && typeof input.parquet === "string") {
      file = path.resolve(input.parquet)
    } else {
      return yield* ArrowError.make({
        reason: "invalid-value",
        detail: `input ${name} is neither an Arrow Table nor { parquet: "<file>" }`
      })
    }
    return `create view "${name}" as select * from read_parquet(${quoteString(file)})`
  })

/** Writes an input table as an uncompressed Parquet file (in the encoding worker). */
const writeParquet = (name: string, input: Table, target: string): Effect.Effect<void, ArrowError.ArrowError> =>
  Effect.gen(function*() {
    const ipc = yield* Effect.try({
      try: () => {
        Codec.checkParquetTypes(input)
        return tableToIPC(input, "stream")
      },
      catch: (cause) =>
        ArrowError.make({ reason: "unsupported-type", column: name, detail: `cannot pass input ${name} to DuckDB: ${(cause as Error).message}`, cause })
    })
    yield* Effect.tryPromise({
      try: () =>
        WorkerClient.run({ kind: "write-parquet", ipc, compression: "none", rowGroupRows: undefined, temp: target, durable: false }, ipc),
      catch: (cause) =>
        cause instanceof WorkerClient.WorkerFailure && cause.stage === "encode"
          ? ArrowError.make({ reason: "encode-failed", column: name, detail: `cannot pass input ${name} to DuckDB: ${cause.message}`, cause })
          : ArrowError.fromSystemError(cause, { file: target })
    })
  })

/** Creates the views in an in-memory DuckDB (closed with the scope) and writes the query's result to `output` as Parquet. */
const runToParquet = (duckdb: DuckDB, views: ReadonlyArray<string>, sql: string, output: string) =>
  Effect.gen(function*() {
    const instance = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => duckdb.DuckDBInstance.create(":memory:"),
        catch: (cause) => sqlError(cause, "cannot start DuckDB")
      }),
      (instance) => Effect.sync(() => instance.closeSync())
    )
    const connection = yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => instance.connect(), catch: (cause) => sqlError(cause, "cannot connect to DuckDB") }),
      (connection) => Effect.sync(() => connection.closeSync())
    )
    const body = sql.trim().replace(/;+\s*$/, "")
    for (const statement of views) {
      yield* Effect.tryPromise({ try: () => connection.run(statement), catch: (cause) => sqlError(cause, statement) })
    }
    yield* Effect.tryPromise({
      try: () => connection.run(`copy (${body}) to ${quoteString(output)} (format parquet)`),
      catch: (cause) => sqlError(cause, body)
    })
  })

/** The Parquet file DuckDB wrote, as an Arrow table (decoded in the encoding worker). */
const readResult = (output: string): Effect.Effect<Table, ArrowError.ArrowError> =>
  Effect.gen(function*() {
    const bytes = yield* Effect.tryPromise({
      try: () => fs.promises.readFile(output),
      catch: (cause) => ArrowError.fromSystemError(cause, { file: output })
    })
    const unreadable = (cause: unknown) =>
      ArrowError.make({ reason: "corrupt-file", file: output, detail: `cannot read DuckDB's result: ${(cause as Error).message}`, cause })
    const decoded = yield* Effect.tryPromise({
      try: () => WorkerClient.run<WorkerClient.Decoded>({ kind: "read-parquet", bytes, columns: undefined }, bytes),
      catch: unreadable
    })
    return yield* Effect.try({ try: () => tableFromIPC(decoded.ipc), catch: unreadable })
  })

const sqlError = (cause: unknown, statement: string): ArrowError.ArrowError =>
  ArrowError.make({
    reason: "sql",
    detail: `${(cause as Error)?.message ?? cause}\nin: ${statement}`,
    cause
  })
