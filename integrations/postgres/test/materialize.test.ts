import { describe, expect, layer } from "@effect/vitest"
import { Asset, Instance, IOManager, Materialize, Project } from "@strata/core"
import * as Arrow from "apache-arrow"
import { Effect, Layer } from "effect"
import { PgClient, PostgresInstance, PostgresIOManager } from "../src/index.ts"
import type { TableHandler } from "../src/index.ts"
import { clientLayer } from "./support.ts"

// the project names its own keys; which implementation backs them is the layer's choice
class TableIO extends IOManager.Tag<TableIO, Arrow.Table>()("test/TableIO") {}
interface Order {
  readonly id: number
  readonly amount: number
}
class OrdersIO extends IOManager.Tag<OrdersIO, ReadonlyArray<Order>>()("test/OrdersIO") {}

const orderHandler: TableHandler<ReadonlyArray<Order>> = {
  name: "orders",
  toTable: (orders) =>
    Arrow.tableFromArrays({ id: Int32Array.from(orders.map((o) => o.id)), amount: Float64Array.from(orders.map((o) => o.amount)) }),
  fromTable: (table) => table.toArray().map((row) => ({ id: row.id as number, amount: row.amount as number }))
}

const orders = Asset.make("bronze/orders", { io: OrdersIO }, () =>
  Effect.succeed([{ id: 1, amount: 9.5 }, { id: 2, amount: 20 }, { id: 3, amount: 0.5 }]))
const big = Asset.make("silver/big_orders", { io: TableIO, deps: { orders } }, ({ orders }) =>
  Effect.succeed(Arrow.tableFromArrays({ id: Int32Array.from(orders.filter((o) => o.amount > 1).map((o) => o.id)) })))
const count = Asset.make("gold/big_order_count", { io: TableIO, deps: { big } }, ({ big }) =>
  Effect.succeed(Arrow.tableFromArrays({ n: Int32Array.from([big.numRows]) })))
const project = Project.make({ assets: [orders, big, count] })

const production = Layer.mergeAll(
  PostgresIOManager.layerFor(TableIO, { schema: "lake" }),
  PostgresIOManager.layerFor(OrdersIO, { handler: orderHandler }),
  PostgresInstance.layer({ schema: "strata" })
).pipe(Layer.provideMerge(clientLayer))

describe("materializing a project on Postgres", () => {
  layer(production, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("assets are stored as tables, loaded downstream, and recorded with their metadata", () =>
      Effect.gen(function*() {
        const first = yield* Materialize.materialize(project)
        expect(first.status).toBe("succeeded")
        const client = yield* PgClient
        expect(yield* client.query("select id from silver.big_orders order by id")).toEqual([{ id: 1 }, { id: 2 }])
        expect(yield* client.query("select n from gold.big_order_count")).toEqual([{ n: 2 }])

        const instance = yield* Instance.Instance
        const records = yield* instance.assets()
        const latest = records.get("silver/big_orders")!.materialization!
        expect(latest.metadata).toMatchObject({ row_count: 2, table: "silver.big_orders" })
        expect(String(latest.metadata.uri)).toMatch(/^postgres:\/\/127\.0\.0\.1\/strata_test_\d+_[0-9a-f]+\/silver\.big_orders$/)

        // same inputs, same content: the data versions do not move, so nothing is stale
        const second = yield* Materialize.materialize(project, { staleOnly: true })
        expect(second.materialized).toEqual([])
        expect(second.skipped.map((s) => s.kind)).toEqual(["not-stale", "not-stale", "not-stale"])
      }))
  })
})

// assets that name no I/O manager (like examples/lakehouse): rows and a JSON summary
interface User {
  readonly id: number
  readonly email: string
  readonly country: string | null
  readonly signupDate: string
}
const someUsers: Array<User> = [
  { id: 1, email: "ada@example.com", country: "GB", signupDate: "2024-01-01" },
  { id: 2, email: "grace@example.com", country: null, signupDate: "2024-01-01" },
  { id: 3, email: "linus@example.com", country: "FI", signupDate: "2024-01-02" }
]
const users = Asset.make("silver_users", {}, () => Effect.succeed(someUsers))
const summary = Asset.make("gold_user_summary", { deps: { users } }, ({ users }) =>
  Effect.succeed({
    total: users.length,
    byDay: [...new Set(users.map((user) => user.signupDate))].map((date) => ({
      date,
      signups: users.filter((user) => user.signupDate === date).length
    })),
    unknownCountry: users.filter((user) => user.country === null).map((user) => user.email)
  }))
const defaultProject = Project.make({ assets: [users, summary] })

describe("DefaultIO on Postgres", () => {
  layer(
    Layer.mergeAll(PostgresIOManager.layerDefault({ schema: "lakehouse" }), PostgresInstance.layer()).pipe(Layer.provideMerge(clientLayer)),
    { timeout: 60_000, excludeTestServices: true }
  )((it) => {
    it.effect("rows become a table, other JSON values a one-row json table; both load back as they were", () =>
      Effect.gen(function*() {
        const result = yield* Materialize.materialize(defaultProject)
        expect(result.status).toBe("succeeded")
        const client = yield* PgClient
        const stored = yield* client.query(`select id, email, country, "signupDate" from lakehouse.silver_users order by id`)
        expect(stored).toEqual([
          { id: 1, email: "ada@example.com", country: "GB", signupDate: "2024-01-01" },
          { id: 2, email: "grace@example.com", country: null, signupDate: "2024-01-01" },
          { id: 3, email: "linus@example.com", country: "FI", signupDate: "2024-01-02" }
        ])
        const [row] = yield* client.query<{ value: unknown }>(`select value from lakehouse.gold_user_summary`)
        expect(row!.value).toEqual({
          total: 3,
          byDay: [{ date: "2024-01-01", signups: 2 }, { date: "2024-01-02", signups: 1 }],
          unknownCountry: ["grace@example.com"]
        })
        const io = yield* IOManager.DefaultIO
        const loadedUsers = yield* io.load({ key: users.key, partition: undefined, downstream: undefined, definitionMetadata: {} })
        expect(loadedUsers).toEqual(someUsers)
      }))
  })
})
