import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import type { Event } from "@strata/core"
import { Asset, InMemoryIO, Instance, IOManager, Materialize, Output, PartitionMapping, Partitions, Project } from "@strata/core"
import { Field, Int32, Schema, type Table, Utf8 } from "apache-arrow"
import { Effect, Layer } from "effect"
import { ArrowIO, Sql, Tables, TypeHandler } from "../src/index.ts"
import { fileVersion, tempFolder } from "./fixtures.ts"

const materialized = (events: ReadonlyArray<Event.StoredEvent>, key: string) => {
  const found = events.filter((event): event is Event.StoredEvent & Event.AssetMaterialized =>
    event.type === "asset-materialized" && event.assetKey === key
  )
  expect(found.length, `materializations of ${key}`).toBe(1)
  return found[0]!
}

const makeProject = (orderCount: number) => {
  const orders = Asset.make("bronze/orders", { io: ArrowIO, group: "bronze" }, () =>
    Effect.succeed(
      Output.make(
        Tables.fromColumns({
          id: new Int32Array(orderCount).map((_, i) => i + 1),
          customer: Array.from({ length: orderCount }, (_, i) => i % 10 === 9 ? null : `c${i % 3}`),
          amount: Array.from({ length: orderCount }, (_, i) => (i + 1) * 2.5),
          placed_at: Array.from({ length: orderCount }, (_, i) => new Date(Date.UTC(2024, 0, 1 + i)))
        }),
        { metadata: { source: "generated" } }
      )
    ))
  // loaded through the I/O manager: the whole upstream table
  const customers = Asset.make("silver/customers", { io: ArrowIO, deps: { orders } }, ({ orders }) =>
    Sql.query("select distinct customer from orders where customer is not null order by customer", { orders }))
  // loads two columns of the upstream itself
  const amounts = Asset.make("silver/amounts", { io: ArrowIO, after: [orders] }, (_, context) =>
    ArrowIO.read(orders, { columns: ["id", "amount"], partition: context.partition }))
  return { orders, customers, amounts, project: Project.make({ assets: [orders, customers, amounts] }) }
}

describe("materializing assets stored by ArrowIO", () => {
  it.effect("records the store metadata and data version in the instance events", () =>
    Effect.gen(function*() {
      const { project } = makeProject(20)
      const instance = yield* Instance.Instance
      const io = yield* ArrowIO
      const result = yield* Materialize.materialize(project)
      expect(result.status).toBe("succeeded")
      expect([...result.materialized].sort()).toEqual(["bronze/orders", "silver/amounts", "silver/customers"])
      const events = yield* instance.runEvents(result.runId)

      const orders = materialized(events, "bronze/orders")
      const file = io.path("bronze/orders")
      expect(orders.dataVersion).toBe(yield* fileVersion(file))
      expect(orders.metadata).toMatchObject({
        row_count: 20,
        column_count: 4,
        null_count: 2,
        bytes: fs.statSync(file).size,
        uri: `file://${file}`,
        format: "parquet",
        compression: "zstd",
        source: "generated",
        schema: [
          { name: "id", type: "Int32", nullable: false },
          { name: "customer", type: "Utf8", nullable: true },
          { name: "amount", type: "Float64", nullable: true },
          { name: "placed_at", type: "Timestamp<MILLISECOND, UTC>", nullable: true }
        ],
        columns: {
          id: { min: 1, max: 20, null_count: 0 },
          customer: { null_count: 2, null_rate: 0.1, distinct_estimate: 3 },
          amount: { min: 2.5, max: 50 },
          placed_at: { min: "2024-01-01T00:00:00.000Z", max: "2024-01-20T00:00:00.000Z" }
        }
      })

      const customers = materialized(events, "silver/customers")
      expect(customers.inputVersions).toEqual({ "bronze/orders": orders.dataVersion })
      expect(customers.metadata).toMatchObject({ row_count: 3, columns: { customer: { type: "Utf8" } } })
      expect(Tables.toRows(yield* io.read("silver/customers"))).toEqual([{ customer: "c0" }, { customer: "c1" }, { customer: "c2" }])

      const amounts = materialized(events, "silver/amounts")
      expect(amounts.inputVersions).toEqual({ "bronze/orders": orders.dataVersion })
      expect(amounts.metadata).toMatchObject({
        row_count: 20,
        schema: [{ name: "id", type: "Int32", nullable: false }, { name: "amount", type: "Float64", nullable: true }]
      })

      // the asset index carries the latest materialization with its metadata
      const records = yield* instance.assets(["bronze/orders"])
      expect(records.get("bronze/orders")?.materialization?.metadata.row_count).toBe(20)
    }).pipe(Effect.provide(Layer.mergeAll(Instance.layerMemory, ArrowIO.layer({ base: tempFolder() })))))

  it.effect("a schema change fails the step with the column diff and keeps the stored table", () =>
    Effect.gen(function*() {
      const instance = yield* Instance.Instance
      const io = yield* ArrowIO
      const { orders, project } = makeProject(5)
      const first = yield* Materialize.materialize(project, { selection: "bronze/orders" })
      expect(first.status).toBe("succeeded")
      const stored = fs.readFileSync(io.path("bronze/orders"))

      const changed = Asset.make("bronze/orders", { io: ArrowIO }, () =>
        Effect.succeed(Tables.fromColumns({ id: ["a", "b"], amount: [1, 2] })))
      const second = yield* Materialize.materialize(Project.make({ assets: [changed] }))
      expect(second.status).toBe("failed")
      const failure = (yield* instance.runEvents(second.runId)).find((event) => event.type === "step-failed")
      expect(failure?.type === "step-failed" && failure.error).toMatchObject({ tag: "@strata/core/IOError", retryable: false })
      const message = failure?.type === "step-failed" ? failure.error.message : ""
      expect(message).toContain("asset bronze/orders")
      expect(message).toContain(io.path("bronze/orders"))
      expect(message).toContain("id Int32 not null -> Utf8")
      expect(message).toContain("customer removed")
      expect(fs.readFileSync(io.path("bronze/orders")).equals(stored)).toBe(true)

      // the latest materialization is still the first one
      const records = yield* instance.assets([orders.key])
      expect(records.get(orders.key)?.materialization?.runId).toBe(first.runId)
    }).pipe(Effect.provide(Layer.mergeAll(Instance.layerMemory, ArrowIO.layer({ base: tempFolder() })))))

  it.effect("partitioned assets get one file per partition", () =>
    Effect.gen(function*() {
      const io = yield* ArrowIO
      const daily = Asset.make("daily", { io: ArrowIO }, (_, context) =>
        Effect.succeed(Tables.fromRows([{ day: context.partition ?? "none", n: 1 }], { types: { n: new Int32() } })))
      const project = Project.make({ assets: [daily] })
      for (const partition of ["2024-01-01", "2024-01-02"]) {
        const result = yield* Materialize.materialize(project, { partition })
        expect(result.status).toBe("succeeded")
      }
      expect(fs.readdirSync(`${io.base}/daily`).sort()).toEqual(["@2024-01-01.parquet", "@2024-01-02.parquet"])
      expect(Tables.toRows(yield* io.read("daily", { partition: "2024-01-02" }))).toEqual([{ day: "2024-01-02", n: 1 }])
    }).pipe(Effect.provide(Layer.mergeAll(Instance.layerMemory, ArrowIO.layer({ base: tempFolder() })))))

  it.effect("a weekly asset reading its 7 daily partitions through a time-window mapping gets one table of the 7 files", () =>
    Effect.gen(function*() {
      const io = yield* ArrowIO
      const days = Partitions.daily({ start: "2024-01-01" })
      // one step over the 7 days (as a single-run backfill): one table per day, one file per day
      const daily = Asset.make("daily", { io: ArrowIO, partitions: days }, (_, context) =>
        Effect.succeed(Object.fromEntries(context.partitions.keys.map((day) => [
          day,
          Tables.fromRows([0, 1].map((i) => ({ day, n: i })), { types: { n: new Int32() } })
        ])) as unknown as Table))
      const seen: Array<{ readonly rows: number; readonly days: ReadonlyArray<string> }> = []
      const weekly = Asset.make("weekly", {
        io: ArrowIO,
        deps: { daily },
        partitions: Partitions.weekly({ start: "2024-01-01" }),
        partitionMappings: { daily: PartitionMapping.timeWindow() }
      }, ({ daily }) =>
        Effect.sync(() => {
          const rows = Tables.toRows(daily) as Array<{ day: string; n: number }>
          seen.push({ rows: daily.numRows, days: rows.map((row) => row.day) })
          return Tables.fromRows([{ days: new Set(rows.map((row) => row.day)).size }], { types: { days: new Int32() } })
        }))
      const project = Project.make({ assets: [daily, weekly] })
      const built = yield* Materialize.materialize(project, { selection: "daily", partition: "2024-01-01...2024-01-07" })
      expect(built.status).toBe("succeeded")
      expect(fs.readdirSync(`${io.base}/daily`)).toHaveLength(7)
      // each day's own version (its file's) is recorded per partition: 7 ranges, each the version of its file
      const instance = yield* Instance.Instance
      const versions = (yield* instance.partitionVersions!("daily"))!.segments
      expect(versions.map((s) => [s.start, s.end])).toEqual(Array.from({ length: 7 }, (_, i) => [i, i + 1]))
      for (const [i, segment] of versions.entries()) {
        expect(segment.dataVersion).toBe(yield* fileVersion(io.path("daily", `2024-01-0${i + 1}`)))
      }
      const week = yield* Materialize.materialize(project, { selection: "weekly", partition: "2024-01-01" })
      expect(week.status).toBe("succeeded")
      const expected = Array.from({ length: 7 }, (_, i) => `2024-01-0${i + 1}`)
      expect(seen).toEqual([{ rows: 14, days: expected.flatMap((day) => [day, day]) }])
      expect(Tables.toRows(yield* io.read("weekly", { partition: "2024-01-01" }))).toEqual([{ days: 7 }])
    }).pipe(Effect.provide(Layer.mergeAll(Instance.layerMemory, ArrowIO.layer({ base: tempFolder() })))))
})

interface User {
  readonly id: number
  readonly email: string
  readonly country: string | null
}

class UsersIO extends IOManager.Tag<UsersIO, Array<User>>()("test/UsersIO") {}

describe("ArrowIO.layerFor: plain rows stored as Parquet through a type handler", () => {
  const base = tempFolder()
  const schema = new Schema([
    new Field("id", new Int32(), false),
    new Field("email", new Utf8(), false),
    new Field("country", new Utf8(), true)
  ])
  it.effect("assets keep computing rows; files and metadata are ArrowIO's", () =>
    Effect.gen(function*() {
      const instance = yield* Instance.Instance
      const users = Asset.make("silver_users", { io: UsersIO }, () =>
        Effect.succeed([
          { id: 1, email: "ada@example.com", country: "UK" },
          { id: 2, email: "bob@example.com", country: null }
        ]))
      const countries = Asset.make("gold_countries", { deps: { users } }, ({ users }) =>
        Effect.succeed(users.map((user) => user.country ?? "unknown")))
      const result = yield* Materialize.materialize(Project.make({ assets: [users, countries] }))
      expect(result.status).toBe("succeeded")
      const events = yield* instance.runEvents(result.runId)
      expect(materialized(events, "silver_users").metadata).toMatchObject({
        row_count: 2,
        format: "parquet",
        schema: [
          { name: "id", type: "Int32", nullable: false },
          { name: "email", type: "Utf8", nullable: false },
          { name: "country", type: "Utf8", nullable: true }
        ],
        columns: { country: { null_count: 1 } }
      })
      expect(fs.existsSync(`${base}/silver_users.parquet`)).toBe(true)
      const io = ArrowIO.make({ base })
      expect(Tables.toRows(yield* io.read("silver_users"))).toEqual([
        { id: 1, email: "ada@example.com", country: "UK" },
        { id: 2, email: "bob@example.com", country: null }
      ])
      const defaultIO = yield* IOManager.DefaultIO
      const stored = yield* defaultIO.load({ key: countries.key, partition: undefined, downstream: undefined, definitionMetadata: {} })
      expect(stored).toEqual(["UK", "unknown"])

      // a row the schema refuses fails the step with the asset and column named
      const broken = Asset.make("silver_users", { io: UsersIO }, () =>
        Effect.succeed([{ id: 3, email: null as unknown as string, country: "FR" }]))
      const failed = yield* Materialize.materialize(Project.make({ assets: [broken] }))
      expect(failed.status).toBe("failed")
      expect(failed.failed[0]!.error.message).toContain("asset silver_users")
      expect(failed.failed[0]!.error.message).toContain("column email")
      expect(failed.failed[0]!.error.message).toContain("not nullable")
    }).pipe(Effect.provide(Layer.mergeAll(
      Instance.layerMemory,
      InMemoryIO.layer,
      ArrowIO.layerFor(UsersIO, TypeHandler.rows<User>({ schema }), { base })
    ))))
})

// An asset stored by ArrowIO must produce a Table: anything else is a compile error.
export const typeChecks = () => {
  Asset.make("typed", { io: ArrowIO }, () => Effect.succeed(Tables.fromRows([])))
  // @ts-expect-error rows are not a Table: convert them with Tables.fromRows
  Asset.make("untyped", { io: ArrowIO }, () => Effect.succeed([{ a: 1 }]))
  const table: Effect.Effect<Table, unknown, ArrowIO> = ArrowIO.read("x")
  // @ts-expect-error the handler must convert the key's values (rows of User), not tables
  ArrowIO.layerFor(UsersIO, TypeHandler.table)
  return table
}
