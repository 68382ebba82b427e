// Arrow in and out through the real driver: every type with nulls, streaming 100,000 rows, both write paths.
import * as Arrow from "apache-arrow"
import { Effect, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { JSON_EXTENSION, SNOWFLAKE_TYPE } from "../src/internal/arrow.ts"
import type { LocalSnowflake } from "../src/testing.ts"
import { start } from "../src/testing.ts"
import { passwordClient, runScoped, uniqueName } from "./support.ts"

let server: LocalSnowflake
beforeAll(async () => {
  server = await start({ databases: ["LAKE"], inlineRows: 500, chunkRows: 8192 })
})
afterAll(() => server.close())

const typesTable = `(
  n number(38,0), d number(10,2), f float, s varchar, b boolean, dt date,
  ntz timestamp_ntz(9), ltz timestamp_ltz(9), v variant
)`

describe("reads: Snowflake types to Arrow, nulls kept", () => {
  it("maps each type and keeps exact values (Int64 beyond 2^53, decimals, nanoseconds)", async () => {
    const table = uniqueName("TYPES")
    const { table: arrow } = await runScoped(Effect.gen(function*() {
      const client = yield* passwordClient(server)
      yield* client.execute(`create table ${table} ${typesTable}`)
      yield* client.execute(
        `insert into ${table} values (?, ?, ?, ?, ?, ?, ?, ?, parse_json(?))`,
        ["9007199254740993", "-12.34", 1.5, "héllo", true, "2024-02-29", "2024-01-02 03:04:05.123456789", "2024-01-02 03:04:05.5+02:00", "{\"a\":[1,2]}"]
      )
      yield* client.execute(`insert into ${table} (n) values (null)`)
      return yield* client.queryArrow(`select * from ${table} order by n nulls last`)
    }))
    const types = Object.fromEntries(arrow.schema.fields.map((field) => [field.name, String(field.type)]))
    expect(types).toEqual({
      N: "Int64",
      D: "Decimal[10e+2]",
      F: "Float64",
      S: "Utf8",
      B: "Bool",
      DT: "Date32<DAY>",
      NTZ: "Timestamp<NANOSECOND>",
      LTZ: "Timestamp<NANOSECOND, UTC>",
      V: "Utf8"
    })
    expect(arrow.schema.fields[1]!.type).toMatchObject({ precision: 10, scale: 2, bitWidth: 128 })
    expect(arrow.schema.fields.find((field) => field.name === "V")!.metadata.get("ARROW:extension:name")).toBe(JSON_EXTENSION)
    expect(arrow.schema.fields.find((field) => field.name === "D")!.metadata.get(SNOWFLAKE_TYPE)).toBe("NUMBER(10,2)")
    const row = arrow.get(0)!.toJSON()
    expect(row["N"]).toBe(9007199254740993n)
    expect(Array.from(row["D"] as Uint32Array)).toEqual(Array.from(new Uint32Array(new BigInt64Array([-1234n, -1n]).buffer)))
    expect(row["F"]).toBe(1.5)
    expect(row["S"]).toBe("héllo")
    expect(row["B"]).toBe(true)
    expect(row["DT"]).toBe(Date.UTC(2024, 1, 29))
    expect(arrow.getChild("NTZ")!.data[0]!.values[0]).toBe(1704164645123456789n)
    expect(arrow.getChild("LTZ")!.data[0]!.values[0]).toBe(1704157445500000000n)
    expect(JSON.parse(row["V"] as string)).toEqual({ a: [1, 2] })
    // the second row: every column null but none dropped
    expect(Object.values(arrow.get(1)!.toJSON()).every((value) => value === null)).toBe(true)
    expect(arrow.schema.fields.map((field) => arrow.getChild(field.name)!.nullCount)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1])
  })

  it("refuses a NUMBER(38,0) value outside Int64, naming the column", async () => {
    const error = await runScoped(Effect.flip(Effect.flatMap(passwordClient(server), (client) =>
      client.queryArrow("select 99999999999999999999::number(38,0) as huge"))))
    expect(error.reason).toBe("data")
    expect(error.message).toContain("HUGE")
  })

  it("streams 100,000 rows as record batches (chunks downloaded as octet-stream)", async () => {
    const batches = await runScoped(Effect.flatMap(passwordClient(server), (client) =>
      client.stream("select range as id, 'row ' || range as label from range(100000)", [], { batchRows: 30_000 }).pipe(Stream.runCollect)
    ))
    expect(batches.map((batch) => batch.numRows)).toEqual([30_000, 30_000, 30_000, 10_000])
    const ids = batches.flatMap((batch) => Array.from(batch.getChild("ID")!.toArray() as BigInt64Array))
    expect(ids.length).toBe(100_000)
    expect(ids[99_999]).toBe(99_999n)
    expect(ids.every((id, index) => id === BigInt(index))).toBe(true)
    expect(batches[3]!.getChild("LABEL")!.get(9_999)).toBe("row 99999")
  })
})

const sample = (rows: number): Arrow.Table => {
  const ids = BigInt64Array.from({ length: rows }, (_, i) => BigInt(i))
  const at = BigInt64Array.from({ length: rows }, (_, i) => 1_704_164_645_123_456_789n + BigInt(i))
  const names = Array.from({ length: rows }, (_, i) => i % 10 === 0 ? null : `name ${i}`)
  const scores = Array.from({ length: rows }, (_, i) => i % 7 === 0 ? null : i / 4)
  return new Arrow.Table({
    id: Arrow.makeVector({ type: new Arrow.Int64(), data: ids }),
    name: Arrow.vectorFromArray(names, new Arrow.Utf8()),
    score: Arrow.vectorFromArray(scores, new Arrow.Float64()),
    ok: Arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => i % 3 === 0 ? null : i % 2 === 0), new Arrow.Bool()),
    at: Arrow.makeVector({ type: new Arrow.TimestampNanosecond(), data: at })
  })
}

describe("writes: Arrow tables in, by binds and by staged Parquet (PUT + COPY INTO on a LOCAL_FS stage)", () => {
  for (const method of ["binds", "stage"] as const) {
    it(`${method}: creates the table, loads every row and reads back the same values`, async () => {
      const table = `"${uniqueName(method)}"`
      const data = sample(20_000)
      const { result, back } = await runScoped(Effect.gen(function*() {
        const client = yield* passwordClient(server)
        const result = yield* client.insertArrow(table, data, { method, create: true })
        const back = yield* client.queryArrow(`select "id", "name", "score", "ok", "at" from ${table} order by "id"`)
        return { result, back: back.table }
      }))
      expect(result).toMatchObject({ rows: 20_000, method })
      expect(back.numRows).toBe(20_000)
      for (const column of ["id", "name", "score", "ok"]) {
        expect([...back.getChild(column)!], column).toEqual([...data.getChild(column)!])
        expect(back.getChild(column)!.nullCount, `${column} nulls`).toBe(data.getChild(column)!.nullCount)
      }
      expect(back.getChild("at")!.data.flatMap((chunk) => Array.from(chunk.values as BigInt64Array))).toEqual(Array.from(data.getChild("at")!.data[0]!.values as BigInt64Array))
      if (method === "stage") {
        const copy = server.queries.findLast((query) => query.sqlText.startsWith("copy into"))
        expect(copy?.sqlText).toContain("match_by_column_name")
        expect(server.queries.some((query) => query.sqlText.startsWith("put 'file://"))).toBe(true)
      }
    })
  }
})
