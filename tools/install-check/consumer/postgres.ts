// @strata/postgres as a user runs it: materializes one Arrow table into Postgres through
// PostgresIOManager (binary COPY), reads the rows back with PgClient, drops the schema and prints one line
// of JSON. Connection from DATABASE_URL; the schema name is the first argument.
import { Asset, Instance, Materialize, Project } from "@strata/core"
import { PgClient, PostgresIOManager, quoteIdentifier } from "@strata/postgres"
import { tableFromArrays } from "apache-arrow"
import { Effect, Layer } from "effect"

const schema = process.argv[2]
if (schema === undefined) throw new Error("usage: node postgres.ts SCHEMA")

const orders = Asset.make("orders", { io: PostgresIOManager }, () =>
  Effect.succeed(tableFromArrays({ id: Int32Array.from([1, 2, 3]), amount: Float64Array.from([30, 12.5, 7]) })))

const layer = Layer.mergeAll(PostgresIOManager.layer({ schema }), Instance.layerMemory).pipe(
  Layer.provideMerge(PgClient.layerConfig)
)

const program = Effect.gen(function*() {
  const result = yield* Materialize.materialize(Project.make({ assets: [orders] }))
  const client = yield* PgClient
  const rows = yield* client.query<{ id: number; amount: number }>(
    `select id, amount from ${quoteIdentifier(schema)}.orders order by id`
  )
  yield* client.query(`drop schema ${quoteIdentifier(schema)} cascade`)
  return { status: result.status, materialized: result.materialized, rows }
})

console.log(JSON.stringify(await Effect.runPromise(program.pipe(Effect.provide(layer)))))
