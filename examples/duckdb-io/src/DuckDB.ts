/**
 * The DuckDB resource: one database file opened for the life of a layer.
 * The same shape as Strata's own resources (`PgClient`): a `Context.Service`
 * with `layer` (configuration given) and `layerConfig` (from the
 * environment), opened with `acquireRelease`, and one error type with a
 * `reason` and `isRetryable` that Strata's retry policies read.
 */
import * as fs from "node:fs"
import { dirname } from "node:path"
import { DuckDBInstance } from "@duckdb/node-api"
import type { DuckDBConnection } from "@duckdb/node-api"
import type { Scope } from "effect"
import { Config, Context, Effect, Layer, Schema } from "effect"

/** Why a DuckDB call failed. */
export const DuckDBErrorReason = Schema.Literals(["open", "locked", "query", "other"])
export type DuckDBErrorReason = typeof DuckDBErrorReason.Type

/** Raised by the DuckDB resource. A `locked` database (another process holds it) may clear up on retry. */
export class DuckDBError extends Schema.TaggedError<DuckDBError>()("@example/duckdb-io/DuckDBError", {
  reason: DuckDBErrorReason,
  /** What was being done: `open`, `store`, `load`... */
  operation: Schema.String,
  /** The database file. */
  path: Schema.String,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  get isRetryable(): boolean {
    return this.reason === "locked"
  }
}

/** The service: the database file, and a way to run work on a fresh connection. */
export interface DuckDBShape {
  readonly path: string
  readonly use: <A>(operation: string, run: (connection: DuckDBConnection) => Promise<A>) => Effect.Effect<A, DuckDBError>
}

const failure = (operation: string, path: string) => (cause: unknown) => {
  const message = cause instanceof Error ? cause.message : String(cause)
  return new DuckDBError({
    reason: /lock/i.test(message) ? "locked" : operation === "open" ? "open" : "query",
    operation,
    path,
    message: `DuckDB ${operation} on ${path} failed: ${message}`,
    cause
  })
}

/** Opens the database in the current scope; closing the scope closes it. */
const make = (path: string): Effect.Effect<DuckDBShape, DuckDBError, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      // fromCache: managers opened twice on one file in one process share the database, as DuckDB requires
      Effect.tryPromise({
        try: async () => {
          await fs.promises.mkdir(dirname(path), { recursive: true })
          return await DuckDBInstance.fromCache(path)
        },
        catch: failure("open", path)
      }),
      (instance) => Effect.sync(() => instance.closeSync())
    ),
    (instance) => ({
      path,
      use: (operation, run) =>
        Effect.tryPromise({
          try: async () => {
            const connection = await instance.connect()
            try {
              return await run(connection)
            } finally {
              connection.closeSync()
            }
          },
          catch: failure(operation, path)
        })
    })
  )

export class DuckDB extends Context.Service<DuckDB, DuckDBShape>()("@example/duckdb-io/DuckDB") {
  /** A database in the file `path` (created when missing). */
  static readonly layer = (options: { readonly path: string }): Layer.Layer<DuckDB, DuckDBError> =>
    Layer.effect(DuckDB, make(options.path))

  /** A database in the file named by `STRATA_DUCKDB_PATH` (default `.strata/assets.duckdb`). */
  static readonly layerConfig: Layer.Layer<DuckDB, DuckDBError | Config.ConfigError> = Layer.effect(
    DuckDB,
    Effect.gen(function*() {
      return yield* make(yield* Config.String("STRATA_DUCKDB_PATH").pipe(Config.withDefault(".strata/assets.duckdb")))
    })
  )
}
