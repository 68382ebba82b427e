import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ArrowIO, Sql, Tables } from "../src/index.ts"
import { bigTable, expectSameValues, tempFolder } from "./fixtures.ts"

describe("Sql.query (DuckDB)", () => {
  it.effect("runs SQL over Arrow tables and returns a table", () =>
    Effect.gen(function*() {
      const orders = Tables.fromRows([
        { customer: "ada", amount: 10 },
        { customer: "bob", amount: 5 },
        { customer: "ada", amount: 2.5 },
        { customer: null, amount: 1 }
      ])
      const customers = Tables.fromRows([{ customer: "ada", country: "uk" }, { customer: "bob", country: "fr" }])
      const result = yield* Sql.query(
        `select o.customer, c.country, sum(o.amount) as total, count(*)::integer as orders
         from orders o join customers c using (customer)
         group by all order by total desc;`,
        { orders, customers }
      )
      expect(result.schema.fields.map((field) => [field.name, String(field.type)])).toEqual([
        ["customer", "Utf8"],
        ["country", "Utf8"],
        ["total", "Float64"],
        ["orders", "Int32"]
      ])
      expect(Tables.toRows(result)).toEqual([
        { customer: "ada", country: "uk", total: 12.5, orders: 2 },
        { customer: "bob", country: "fr", total: 5, orders: 1 }
      ])
    }))

  it.effect("reads the Parquet files ArrowIO wrote, value for value (DuckDB as an independent reader)", () =>
    Effect.gen(function*() {
      const io = ArrowIO.make({ base: tempFolder() })
      const table = bigTable(100_000, 5)
      yield* io.write("bronze/events", table)
      const events = { parquet: io.path("bronze/events") }
      const copy = yield* Sql.query("select * from events", { events })
      expectSameValues(copy, table)

      const [stats] = Tables.toRows(
        yield* Sql.query(
          "select count(*) as n, count(name) as names, count(distinct name) as distinct_names, sum(id)::bigint as ids, " +
            "min(big) as min_big, max(\"at\") as max_at from events",
          { events }
        )
      )
      const names = [...table.getChild("name")!].filter((name) => name !== null)
      expect(stats).toMatchObject({
        n: 100_000n,
        names: BigInt(names.length),
        distinct_names: BigInt(new Set(names).size),
        ids: [...table.getChild("id")!].reduce((a, b) => a + b, 0n),
        min_big: [...table.getChild("big")!].reduce((a, b) => b === null || (a !== null && a < b) ? a : b, null)
      })
      // DuckDB reads microsecond timestamps: compare with the raw values
      const raw = table.getChild("at")!.data[0]!.values as BigInt64Array
      let max = 0n
      for (let i = 0; i < raw.length; i++) if (table.getChild("at")!.isValid(i) && raw[i]! > max) max = raw[i]!
      expect((stats!.max_at as Date).getTime()).toBe(Number(max / 1000n))
    }))

  it.effect("an empty result keeps its columns", () =>
    Effect.gen(function*() {
      const result = yield* Sql.query("select a, 'x' as b from t where a > 10", { t: Tables.fromRows([{ a: 1 }]) })
      expect(result.numRows).toBe(0)
      expect(result.schema.fields.map((field) => [field.name, String(field.type)])).toEqual([["a", "Float64"], ["b", "Utf8"]])
    }))

  it.effect("a bad query is a sql error with DuckDB's message", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Sql.query("select nope from t", { t: Tables.fromRows([{ a: 1 }]) }))
      expect(error.reason).toBe("sql")
      expect(error.message).toContain("nope")
      const name = yield* Effect.flip(Sql.query("select 1", { "bad name": Tables.fromRows([{ a: 1 }]) }))
      expect(name.reason).toBe("invalid-value")
      const input = yield* Effect.flip(Sql.query("select 1", { t: [{ a: 1 }] as never }))
      expect(input.message).toContain("neither an Arrow Table nor { parquet")
    }))
})
