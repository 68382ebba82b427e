/**
 * An I/O manager storing each asset's value (and each partition's) as a row
 * of one table, `strata_values`, in a DuckDB database file.
 *
 * - Values: anything JSON represents exactly (plain objects, arrays,
 *   strings, finite numbers, booleans, null); others fail the store with an
 *   `IOError` saying so.
 * - Keys and partitions are bound parameters, never SQL text, and the primary
 *   key is (asset, partitioned, partition): no key can reach another's row.
 * - An overwrite is one `INSERT OR REPLACE`, atomic: a concurrent load sees
 *   the old row or the new one.
 * - The data version is the SHA-256 of the stored JSON (equal values, equal
 *   versions); metadata gives the `uri`, the `bytes` and the `format`.
 */
import { createHash } from "node:crypto"
import type { DuckDBConnection } from "@duckdb/node-api"
import { IOManager } from "@strata/core"
import { exactJson } from "@strata/core/spi"
import type { Context } from "effect"
import { Effect, Layer } from "effect"
import type { DuckDBError, DuckDBShape } from "./DuckDB.ts"
import { DuckDB } from "./DuckDB.ts"

const TABLE = "strata_values"

const createTable = `create table if not exists ${TABLE} (
  asset varchar not null,
  partitioned boolean not null,
  partition varchar not null,
  value varchar not null,
  version varchar not null,
  primary key (asset, partitioned, partition)
)`

const ioError = (
  operation: "store" | "load",
  context: { readonly key: string; readonly partition: string | undefined },
  message: string,
  cause?: DuckDBError
) =>
  new IOManager.IOError({
    operation,
    key: context.key,
    ...(context.partition === undefined ? {} : { partition: context.partition }),
    message,
    isRetryable: cause?.isRetryable ?? false,
    ...(cause === undefined ? {} : { cause })
  })

const describe = (context: { readonly key: string; readonly partition: string | undefined }) =>
  context.partition === undefined ? `asset ${context.key}` : `asset ${context.key} (partition ${JSON.stringify(context.partition)})`

/** Makes the I/O manager over an open database. */
export const make = (database: DuckDBShape): IOManager.IOManager<unknown> => {
  let ready: Promise<unknown> | undefined
  const ensureTable = (connection: DuckDBConnection) => (ready ??= connection.run(createTable))
  return {
    name: "duckdb",
    store(context, value) {
      const json = exactJson(value)
      if (json === undefined) {
        return Effect.fail(ioError("store", context, `${describe(context)}: the value has no exact JSON form (a Date, Map, BigInt, NaN...); the DuckDB I/O manager stores JSON values`))
      }
      const version = createHash("sha256").update(json).digest("hex").slice(0, 16)
      return database.use("store", async (connection) => {
        await ensureTable(connection)
        await connection.run(`insert or replace into ${TABLE} values ($1, $2, $3, $4, $5)`, [
          context.key,
          context.partition !== undefined,
          context.partition ?? "",
          json,
          version
        ])
      }).pipe(
        Effect.mapError((cause) => ioError("store", context, `cannot store ${describe(context)} in ${database.path}: ${cause.message}`, cause)),
        Effect.as({
          dataVersion: version,
          metadata: { uri: `duckdb://${database.path}#${TABLE}`, bytes: Buffer.byteLength(json), format: "json" }
        })
      )
    },
    load(context) {
      return database.use("load", async (connection) => {
        await ensureTable(connection)
        const reader = await connection.runAndReadAll(
          `select value from ${TABLE} where asset = $1 and partitioned = $2 and partition = $3`,
          [context.key, context.partition !== undefined, context.partition ?? ""]
        )
        return reader.getRowsJS()[0]?.[0] as string | undefined
      }).pipe(
        Effect.mapError((cause) => ioError("load", context, `cannot load ${describe(context)} from ${database.path}: ${cause.message}`, cause)),
        Effect.flatMap((json) =>
          json === undefined
            ? Effect.fail(ioError("load", context, `${describe(context)} has no stored value in ${database.path}; materialize it first`))
            : Effect.succeed(JSON.parse(json) as unknown)
        )
      )
    }
  }
}

/** Backs core's `DefaultIO` (assets that name no I/O manager) with DuckDB. */
export const layer: Layer.Layer<IOManager.DefaultIO, never, DuckDB> = Layer.effect(
  IOManager.DefaultIO,
  Effect.gen(function*() {
    return make(yield* DuckDB)
  })
)

/** Backs another I/O manager key whose values are JSON. */
export const layerFor = <Id, A>(key: Context.Key<Id, IOManager.IOManager<A>>): Layer.Layer<Id, never, DuckDB> =>
  Layer.effect(
    key,
    Effect.gen(function*() {
      return make(yield* DuckDB) as IOManager.IOManager<A>
    })
  )
