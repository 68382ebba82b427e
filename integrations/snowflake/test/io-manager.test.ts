// The Snowflake I/O manager through the real snowflake-sdk against the local server: type round trips with
// nulls, kinds, naming, partitions, the atomic swap seen by concurrent readers, typed errors.
import { Tables } from "@strata/arrow"
import { AssetKey, IOManager } from "@strata/core"
import * as Arrow from "apache-arrow"
import { Effect, Exit } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SnowflakeClientShape } from "../src/SnowflakeClient.ts"
import { make } from "../src/SnowflakeIOManager.ts"
import type { LocalSnowflake } from "../src/testing.ts"
import { start } from "../src/testing.ts"
import { passwordClient, runScoped } from "./support.ts"

let server: LocalSnowflake
beforeAll(async () => {
  server = await start({ databases: ["ANALYTICS"] })
})
afterAll(() => server.close())

const output = (key: string, partition?: string, definitionMetadata: Record<string, string> = {}): IOManager.OutputContext => ({
  key: AssetKey.make(key),
  partition,
  runId: "test-run",
  definitionMetadata
})
const input = (key: string, partition?: string): IOManager.InputContext => ({
  key: AssetKey.make(key),
  partition,
  downstream: undefined,
  definitionMetadata: {}
})

const withClient = <A, E>(use: (client: SnowflakeClientShape) => Effect.Effect<A, E>) =>
  runScoped(Effect.flatMap(passwordClient(server, { maxConnections: 6 }), use))

const ioErrorOf = <A>(effect: Effect.Effect<A, IOManager.IOError>) =>
  Effect.map(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) throw new Error("expected a failure")
    const error = exit.cause.reasons.find((reason) => reason._tag === "Fail")
    if (error === undefined || error._tag !== "Fail") throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
    return error.error as IOManager.IOError
  })

const orders = (region: string, amounts: ReadonlyArray<number | null>) =>
  Tables.fromRows(amounts.map((amount, i) => ({ id: BigInt(i + 1), region, amount })), { types: { amount: new Arrow.Float64() } })

describe("SnowflakeIOManager", () => {
  it("round-trips every column type, nulls kept, with the metadata every store records", async () => {
    const table = new Arrow.Table({
      id: Arrow.vectorFromArray([1n, 2n, null], new Arrow.Int64()),
      score: Arrow.vectorFromArray([1.5, null, -2.25], new Arrow.Float64()),
      name: Arrow.vectorFromArray(["ada", null, "grace é"], new Arrow.Utf8()),
      ok: Arrow.vectorFromArray([true, false, null], new Arrow.Bool()),
      at: Arrow.vectorFromArray([Date.UTC(2024, 0, 2, 3, 4, 5), null, 0], new Arrow.TimestampMillisecond())
    })
    const result = await withClient((client) =>
      Effect.gen(function*() {
        const io = make(client).tables
        const stored = yield* io.store(output("gold/typed"), table)
        const loaded = yield* io.load(input("gold/typed"))
        const again = yield* io.store(output("gold/typed"), table)
        return { stored, loaded, again }
      })
    )
    const rows = Tables.toRows(result.loaded)
    expect(rows.map((row) => row["id"])).toEqual([1n, 2n, null])
    expect(rows.map((row) => row["score"])).toEqual([1.5, null, -2.25])
    expect(rows.map((row) => row["name"])).toEqual(["ada", null, "grace é"])
    expect(rows.map((row) => row["ok"])).toEqual([true, false, null])
    expect(rows.map((row) => row["at"] === null ? null : new Date(row["at"] as number).toISOString())).toEqual([
      "2024-01-02T03:04:05.000Z",
      null,
      "1970-01-01T00:00:00.000Z"
    ])
    expect(result.stored.metadata).toMatchObject({
      row_count: 3,
      uri: `snowflake://${server.connection.account}/ANALYTICS/GOLD.TYPED`,
      table: "GOLD.TYPED",
      null_counts: { id: 1, score: 1, name: 1, ok: 1, at: 1 }
    })
    expect((result.stored.metadata?.["schema"] as Array<{ type: string }>).map((column) => column.type)).toEqual([
      "NUMBER(38,0)",
      "FLOAT",
      "VARCHAR",
      "BOOLEAN",
      "TIMESTAMP_NTZ(9)"
    ])
    expect((result.stored.metadata?.["query_ids"] as Array<string>).length).toBeGreaterThan(0)
    // the same table stored again has the same data version
    expect(result.again.dataVersion).toBe(result.stored.dataVersion)
  })

  it("names tables as Snowflake would unquoted, so plain SQL finds them; metadata overrides the name", async () => {
    const counts = await withClient((client) =>
      Effect.gen(function*() {
        const io = make(client).tables
        yield* io.store(output("bronze/raw_orders"), orders("EU", [1, 2, 3]))
        yield* io.store(output("lake-2/x", undefined, { "snowflake/table": "ORDERS_V2" }), orders("US", [4]))
        const plain = yield* client.query("select count(*) as n from bronze.raw_orders")
        // not a plain identifier: kept as written, so it is quoted in SQL
        const quoted = yield* client.query(`select count(*) as n from "lake-2".ORDERS_V2`)
        return [plain[0]!["N"], quoted[0]!["N"]]
      })
    )
    expect(counts.map(Number)).toEqual([3, 1])
  })

  it("values: tables, arrays of rows and JSON values load back as what was stored", async () => {
    const loaded = await withClient((client) =>
      Effect.gen(function*() {
        const io = make(client).values
        yield* io.store(output("kinds/json"), { a: 1, nested: { b: [1, "two", null] } })
        yield* io.store(output("kinds/rows"), [{ city: "Oslo", n: 2 }, { city: "Rome", n: null }])
        yield* io.store(output("kinds/table"), orders("EU", [1]))
        return {
          json: yield* io.load(input("kinds/json")),
          rows: yield* io.load(input("kinds/rows")),
          table: yield* io.load(input("kinds/table"))
        }
      })
    )
    expect(loaded.json).toEqual({ a: 1, nested: { b: [1, "two", null] } })
    expect(loaded.rows).toEqual([{ city: "Oslo", n: 2 }, { city: "Rome", n: null }])
    expect(loaded.table).toBeInstanceOf(Arrow.Table)
  })

  it("partitions: a partition's rows are replaced, the others kept; a partition loads alone", async () => {
    const result = await withClient((client) =>
      Effect.gen(function*() {
        const io = make(client).tables
        yield* io.store(output("silver/daily", "2024-01-01"), orders("EU", [1, 2]))
        yield* io.store(output("silver/daily", "2024-01-02"), orders("US", [3]))
        yield* io.store(output("silver/daily", "2024-01-01"), orders("EU", [10, 20, 30]))
        const first = yield* io.load(input("silver/daily", "2024-01-01"))
        const second = yield* io.load(input("silver/daily", "2024-01-02"))
        const all = yield* client.query(`select "_PARTITION" as p, count(*) as n from silver.daily group by 1 order by 1`)
        return { first: Tables.toRows(first), second: Tables.toRows(second), all }
      })
    )
    expect(result.first.map((row) => row["amount"])).toEqual([10, 20, 30])
    expect(Object.keys(result.first[0]!)).not.toContain("_PARTITION")
    expect(result.second.map((row) => row["region"])).toEqual(["US"])
    expect(result.all.map((row) => [row["P"], Number(row["N"])])).toEqual([["2024-01-01", 3], ["2024-01-02", 1]])
  })

  it("a concurrent reader sees the old table or the new one, never an empty or mixed one", async () => {
    const rows = 500
    const versions = 12
    const tableOf = (version: number) => Tables.fromColumns({ v: new Float64Array(rows).fill(version) })
    const reads = await withClient((client) =>
      Effect.gen(function*() {
        const io = make(client).tables
        yield* io.store(output("gold/swapped"), tableOf(0))
        const writer = Effect.forEach(Array.from({ length: versions }, (_, i) => i + 1), (version) => io.store(output("gold/swapped"), tableOf(version)), {
          discard: true
        })
        const reader = Effect.forEach(Array.from({ length: 40 }), () =>
          Effect.map(io.load(input("gold/swapped")), (table) => {
            const values = new Set(Array.from(table.getChild("v")!.toArray() as Float64Array))
            return { count: table.numRows, distinct: values.size }
          }))
        const [, first, second] = yield* Effect.all([writer, reader, reader], { concurrency: "unbounded" })
        return [...first, ...second]
      })
    )
    const wrong = reads.filter((read) => read.count !== rows || read.distinct !== 1)
    expect(reads.length).toBe(80)
    expect(wrong).toEqual([])
  })

  it("typed errors name the asset and say what to do", async () => {
    const errors = await withClient((client) =>
      Effect.gen(function*() {
        const io = make(client).tables
        const missing = yield* ioErrorOf(io.load(input("gold/never_stored")))
        const long = yield* ioErrorOf(io.store(output(`gold/${"x".repeat(300)}`), orders("EU", [1])))
        const clash = yield* ioErrorOf(
          io.store(output("gold/clash", "2024-01-01"), Tables.fromColumns({ _PARTITION: ["a"] }))
        )
        const nested = new Arrow.Table({
          list: Arrow.vectorFromArray([[1]], new Arrow.List(new Arrow.Field("item", new Arrow.Int32(), true)))
        })
        const unsupported = yield* ioErrorOf(io.store(output("gold/nested"), nested))
        return { missing, long, clash, unsupported }
      })
    )
    expect(errors.missing).toBeInstanceOf(IOManager.IOError)
    expect(errors.missing.key).toBe("gold/never_stored")
    expect(errors.missing.message).toContain("materialize it first")
    expect(errors.missing.isRetryable).toBe(false)
    expect(errors.long.message).toContain("longer than 255 bytes")
    expect(errors.clash.message).toContain("partition column")
    expect(errors.unsupported.message).toContain("list")
  })
})
