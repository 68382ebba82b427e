import { assert, describe, expect, layer } from "@effect/vitest"
import { AssetKey, IOManager } from "@strata/core"
import * as Arrow from "apache-arrow"
import { Effect, Exit, Fiber, Layer } from "effect"
import { PgClient, PostgresIOManager, PostgresRowsIOManager } from "../src/index.ts"
import { clientLayer, TestDb, sql } from "./support.ts"

const output = (key: string, partition?: string, definitionMetadata: Record<string, string> = {}): IOManager.OutputContext => ({
  key: AssetKey.make(key),
  partition,
  runId: "test-run",
  definitionMetadata
})
const input = (key: string, partition?: string, definitionMetadata: Record<string, string> = {}): IOManager.InputContext => ({
  key: AssetKey.make(key),
  partition,
  downstream: undefined,
  definitionMetadata
})

/** A column from raw buffers, with a null wherever `isNull(i)`. */
const column = <T extends Arrow.DataType>(
  type: T,
  length: number,
  props: Record<string, unknown>,
  isNull?: (i: number) => boolean
): Arrow.Data<T> => {
  let nullBitmap: Uint8Array | undefined
  let nullCount = 0
  if (isNull !== undefined) {
    nullBitmap = new Uint8Array((length + 7) >> 3)
    for (let i = 0; i < length; i++) {
      if (isNull(i)) nullCount++
      else nullBitmap[i >> 3]! |= 1 << (i & 7)
    }
  }
  return Arrow.makeData({ type, length, nullCount, nullBitmap, ...props } as never) as Arrow.Data<T>
}

const tableOf = (fields: ReadonlyArray<Arrow.Field>, columns: ReadonlyArray<Arrow.Data>): Arrow.Table => {
  const schema = new Arrow.Schema([...fields])
  const length = columns[0]!.length
  const struct = Arrow.makeData({ type: new Arrow.Struct([...fields]), length, nullCount: 0, children: [...columns] })
  return new Arrow.Table(schema, [new Arrow.RecordBatch(schema, struct)])
}

const utf8 = (values: ReadonlyArray<string | null>) => {
  const offsets = new Int32Array(values.length + 1)
  const parts: Array<Buffer> = []
  let end = 0
  values.forEach((value, i) => {
    if (value !== null) {
      const bytes = Buffer.from(value, "utf8")
      parts.push(bytes)
      end += bytes.length
    }
    offsets[i + 1] = end
  })
  return { valueOffsets: offsets, data: new Uint8Array(Buffer.concat(parts)) }
}

const same = (a: unknown, b: unknown): boolean => {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b))
  if (a !== null && typeof a === "object" && b !== null && typeof b === "object") return String(a) === String(b)
  return Object.is(a, b)
}

/** Same columns (names, types, nullability) and the same value in every cell. */
const expectSameTable = (actual: Arrow.Table, expected: Arrow.Table, types?: Record<string, string>) => {
  expect(actual.numRows).toBe(expected.numRows)
  expect(actual.schema.fields.map((f) => f.name)).toEqual(expected.schema.fields.map((f) => f.name))
  for (const field of expected.schema.fields) {
    const got = actual.schema.fields.find((f) => f.name === field.name)!
    expect(String(got.type), field.name).toBe(types?.[field.name] ?? String(field.type))
    expect(got.nullable, field.name).toBe(field.nullable)
    const a = actual.getChild(field.name)!
    const b = expected.getChild(field.name)!
    for (let i = 0; i < expected.numRows; i++) {
      const x = a.get(i)
      const y = b.get(i)
      if (!same(x, y)) assert.fail(`column ${field.name} row ${i}: got ${String(x)}, expected ${String(y)}`)
    }
  }
}

const TestLayer = Layer.mergeAll(PostgresIOManager.layer(), PostgresRowsIOManager.layer()).pipe(Layer.provideMerge(clientLayer))

layer(TestLayer, { timeout: 60_000 })("PostgresIOManager", (it) => {
  it.effect("round-trips every type of the type map, with nulls", () =>
    Effect.gen(function*() {
      const io = yield* PostgresIOManager
      const n = 6
      const isNull = (i: number) => i === 2
      const decimal = new Arrow.Decimal(2, 12, 128)
      const wide = new Arrow.Decimal(5, 40, 256)
      const decimalWords = new Uint32Array(n * 4)
      const unscaled = [12345n, -12345n, 0n, 1n, -1n, 99999999999n]
      unscaled.forEach((value, i) => {
        let v = BigInt.asUintN(128, value)
        for (let w = 0; w < 4; w++) {
          decimalWords[i * 4 + w] = Number(v & 0xffffffffn)
          v >>= 32n
        }
      })
      const wideWords = new Uint32Array(n * 8)
      const wideValues = [10n ** 39n - 1n, -(10n ** 39n) + 1n, 0n, 123456789012345678901234567890n, -5n, 100000n]
      wideValues.forEach((value, i) => {
        let v = BigInt.asUintN(256, value)
        for (let w = 0; w < 8; w++) {
          wideWords[i * 8 + w] = Number(v & 0xffffffffn)
          v >>= 32n
        }
      })
      const json = (values: ReadonlyArray<string | null>, pgType: string) =>
        new Arrow.Field(pgType, new Arrow.Utf8(), true, new Map([["ARROW:extension:name", "arrow.json"], ["strata:pg_type", pgType]]))
      const jsonValues = ["{\"a\": 1}", "[1, 2, 3]", null, "\"text\"", "null", "{\"nested\": {\"deep\": [true, false]}}"]
      const fields = [
        new Arrow.Field("int16", new Arrow.Int16(), true),
        new Arrow.Field("int32", new Arrow.Int32(), false),
        new Arrow.Field("int64", new Arrow.Int64(), true),
        new Arrow.Field("float32", new Arrow.Float32(), true),
        new Arrow.Field("float64", new Arrow.Float64(), true),
        new Arrow.Field("decimal", decimal, true),
        new Arrow.Field("wide_decimal", wide, true),
        new Arrow.Field("text", new Arrow.Utf8(), true),
        new Arrow.Field("bool", new Arrow.Bool(), true),
        new Arrow.Field("date", new Arrow.DateDay(), true),
        new Arrow.Field("timestamp", new Arrow.TimestampMicrosecond(), true),
        new Arrow.Field("timestamptz", new Arrow.TimestampMicrosecond("UTC"), true),
        json(jsonValues, "json"),
        json(jsonValues, "jsonb"),
        new Arrow.Field("bytes", new Arrow.Binary(), true)
      ]
      const micros = [0n, 1_700_000_000_123_456n, 0n, -1n, 253_402_300_799_999_999n, -62_135_596_800_000_000n]
      const table = tableOf(fields, [
        column(new Arrow.Int16(), n, { data: Int16Array.from([0, -32768, 0, 32767, 1, -1]) }, isNull),
        column(new Arrow.Int32(), n, { data: Int32Array.from([0, -2147483648, 7, 2147483647, 1, -1]) }),
        column(new Arrow.Int64(), n, { data: BigInt64Array.from([0n, -(2n ** 63n), 0n, 2n ** 63n - 1n, 2n ** 53n + 1n, -1n]) }, isNull),
        column(new Arrow.Float32(), n, { data: Float32Array.from([0, 1.5, 0, -3.25, Infinity, Number.NaN]) }, isNull),
        column(new Arrow.Float64(), n, { data: Float64Array.from([-0, Math.PI, 0, -Infinity, Number.MAX_VALUE, 5e-324]) }, isNull),
        column(decimal, n, { data: decimalWords }, isNull),
        column(wide, n, { data: wideWords }, isNull),
        column(new Arrow.Utf8(), n, utf8(["", "héllo wörld", null, "tab\there \"quoted\" 'single'", "日本語 🏳️‍🌈", "\\N"]), isNull),
        column(new Arrow.Bool(), n, { data: Uint8Array.from([0b101010]) }, isNull),
        column(new Arrow.DateDay(), n, { data: Int32Array.from([0, 19_000, 0, -719_162, 2_932_896, -1]) }, isNull),
        column(new Arrow.TimestampMicrosecond(), n, { data: BigInt64Array.from(micros) }, isNull),
        column(new Arrow.TimestampMicrosecond("UTC"), n, { data: BigInt64Array.from(micros) }, isNull),
        column(new Arrow.Utf8(), n, utf8(jsonValues), isNull),
        column(new Arrow.Utf8(), n, utf8(jsonValues), isNull),
        column(new Arrow.Binary(), n, utf8(["", "\u0000\u0001binary", null, "x", "yy", "zzz"]), isNull)
      ])
      const stored = yield* io.store(output("bronze/every_type"), table)
      expect(stored.metadata?.row_count).toBe(n)
      const loaded = yield* io.load(input("bronze/every_type"))
      // jsonb normalises its text (key order, spacing); json keeps it as given
      const jsonbLoaded = loaded.getChild("jsonb")!
      expect([...jsonbLoaded].map((v) => v === null ? null : JSON.parse(v as string))).toEqual(
        jsonValues.map((v) => v === null ? null : JSON.parse(v))
      )
      const { jsonb: _ignored, ...rest } = Object.fromEntries(fields.map((f) => [f.name, f]))
      expectSameTable(
        loaded.select(Object.keys(rest)),
        table.select(Object.keys(rest))
      )
      expect(loaded.schema.fields.find((f) => f.name === "json")!.metadata.get("ARROW:extension:name")).toBe("arrow.json")
    }))

  it.effect("tables of several batches and sliced tables (offsets into shared buffers) round-trip", () =>
    Effect.gen(function*() {
      const io = yield* PostgresIOManager
      const make = (start: number, n: number) => {
        const isNull = (i: number) => (start + i) % 3 === 0
        return tableOf(
          [
            new Arrow.Field("i", new Arrow.Int64(), true),
            new Arrow.Field("s", new Arrow.Utf8(), true),
            new Arrow.Field("b", new Arrow.Bool(), true),
            new Arrow.Field("d", new Arrow.Float64(), true)
          ],
          [
            column(new Arrow.Int64(), n, { data: BigInt64Array.from({ length: n }, (_, i) => BigInt(start + i)) }, isNull),
            column(new Arrow.Utf8(), n, utf8(Array.from({ length: n }, (_, i) => isNull(i) ? null : `s${start + i}`)), isNull),
            column(new Arrow.Bool(), n, { data: Uint8Array.from({ length: (n + 7) >> 3 }, (_, k) => (0b10110101 + k) & 0xff) }, isNull),
            column(new Arrow.Float64(), n, { data: Float64Array.from({ length: n }, (_, i) => (start + i) / 4) }, isNull)
          ]
        )
      }
      const whole = make(0, 37).concat(make(37, 21), make(58, 5))
      expect(whole.batches.length).toBe(3)
      yield* io.store(output("batches/whole"), whole)
      expectSameTable(yield* io.load(input("batches/whole")), whole)
      const sliced = make(0, 100).slice(13, 71)
      yield* io.store(output("batches/sliced"), sliced)
      expectSameTable(yield* io.load(input("batches/sliced")), sliced)
    }))

  it.effect("maps Postgres types outside the map to text, and widens what Postgres cannot hold", () =>
    Effect.gen(function*() {
      const io = yield* PostgresIOManager
      const client = yield* PgClient
      yield* client.query("create schema if not exists external")
      yield* client.query(`create table external.odd (id uuid, code varchar(10), span interval, amount numeric, tags text[])`)
      yield* client.query(
        `insert into external.odd values ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'abc', '1 day 2 hours', 3.14159265358979323846, '{a,b}'), (null, null, null, null, null)`
      )
      const loaded = yield* io.load(input("external/odd"))
      expect(loaded.schema.fields.map((f) => `${f.name}:${String(f.type)}:${f.metadata.get("strata:pg_type")}`)).toEqual([
        "id:Utf8:uuid",
        "code:Utf8:character varying(10)",
        "span:Utf8:interval",
        "amount:Utf8:numeric",
        "tags:Utf8:text[]"
      ])
      expect(loaded.get(0)!.toJSON()).toEqual({
        id: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        code: "abc",
        span: "1 day 02:00:00",
        amount: "3.14159265358979323846",
        tags: "{a,b}"
      })
      expect(loaded.get(1)!.toJSON()).toEqual({ id: null, code: null, span: null, amount: null, tags: null })

      // Int8 and dictionaries are stored as smallint and text, and come back as Int16 and Utf8
      const small = Arrow.tableFromArrays({ tiny: Int8Array.from([-128, 0, 127]), label: ["x", "y", "x"] })
      yield* io.store(output("bronze/widened"), small)
      const widened = yield* io.load(input("bronze/widened"))
      expect(widened.schema.fields.map((f) => String(f.type))).toEqual(["Int16", "Utf8"])
      expect([...widened.getChild("tiny")!]).toEqual([-128, 0, 127])
      expect([...widened.getChild("label")!]).toEqual(["x", "y", "x"])
    }))

  it.effect("1,000,000 rows x 6 typed columns with nulls round-trip exactly", () =>
    Effect.gen(function*() {
      const io = yield* PostgresIOManager
      const n = 1_000_000
      const ids = new Int32Array(n)
      const amounts = new BigInt64Array(n)
      const prices = new Float64Array(n)
      const flags = new Uint8Array((n + 7) >> 3)
      const times = new BigInt64Array(n)
      const names: Array<string | null> = new Array(n)
      for (let i = 0; i < n; i++) {
        ids[i] = i
        amounts[i] = BigInt(i) * 1_000_003n - 500_000_000n
        prices[i] = i / 7 - 1000
        if (i % 3 === 0) flags[i >> 3]! |= 1 << (i & 7)
        times[i] = 1_600_000_000_000_000n + BigInt(i) * 1_000_001n
        names[i] = i % 13 === 0 ? null : `name-${i}-${i % 5 === 0 ? "ünïcødé" : "ascii"}`
      }
      const fields = [
        new Arrow.Field("id", new Arrow.Int32(), false),
        new Arrow.Field("amount", new Arrow.Int64(), true),
        new Arrow.Field("price", new Arrow.Float64(), true),
        new Arrow.Field("name", new Arrow.Utf8(), true),
        new Arrow.Field("active", new Arrow.Bool(), true),
        new Arrow.Field("at", new Arrow.TimestampMicrosecond("UTC"), true)
      ]
      const table = tableOf(fields, [
        column(new Arrow.Int32(), n, { data: ids }),
        column(new Arrow.Int64(), n, { data: amounts }, (i) => i % 7 === 0),
        column(new Arrow.Float64(), n, { data: prices }, (i) => i % 11 === 0),
        column(new Arrow.Utf8(), n, utf8(names), (i) => i % 13 === 0),
        column(new Arrow.Bool(), n, { data: flags }, (i) => i % 5 === 0),
        column(new Arrow.TimestampMicrosecond("UTC"), n, { data: times }, (i) => i % 17 === 0)
      ])
      const stored = yield* io.store(output("bench/million"), table)
      expect(stored.metadata?.row_count).toBe(n)
      expect(stored.metadata?.bytes).toBeGreaterThan(10_000_000)
      const loaded = yield* io.load(input("bench/million"))
      expectSameTable(loaded, table)
      // the raw 64-bit buffers are identical too (no float rounding on the way)
      const loadedTimes = loaded.getChild("at")!.data[0]!.values as BigInt64Array
      for (let i = 0; i < n; i++) if (i % 17 !== 0 && loadedTimes[i] !== times[i]) assert.fail(`at row ${i}`)
    }), { timeout: 120_000 })

  it.effect("metadata, URI and a content-derived data version", () =>
    Effect.gen(function*() {
      const io = yield* PostgresIOManager
      const database = yield* TestDb
      const a = Arrow.tableFromArrays({ x: Int32Array.from([1, 2, 3]) })
      const b = Arrow.tableFromArrays({ x: Int32Array.from([1, 2, 4]) })
      const first = yield* io.store(output("silver/versions"), a)
      const again = yield* io.store(output("silver/versions"), a)
      const changed = yield* io.store(output("silver/versions"), b)
      expect(first.dataVersion).toBe(again.dataVersion)
      expect(changed.dataVersion).not.toBe(first.dataVersion)
      expect(first.metadata).toMatchObject({
        row_count: 3,
        uri: `postgres://127.0.0.1/${database.name}/silver.versions`,
        table: "silver.versions",
        schema: [{ name: "x", type: "integer", nullable: false }]
      })
      expect(first.metadata?.bytes).toBeGreaterThan(0)
    }))

  it.effect("replacing a table is atomic: concurrent readers see the old rows or the new, never a part", () =>
    Effect.gen(function*() {
      const io = yield* PostgresIOManager
      const client = yield* PgClient
      const rows = (n: number) => Arrow.tableFromArrays({ id: Int32Array.from({ length: n }, (_, i) => i), v: Float64Array.from({ length: n }, (_, i) => i * 0.5) })
      yield* io.store(output("silver/swapped"), rows(100_000))
      const writer = yield* Effect.forkChild(io.store(output("silver/swapped"), rows(300_000)))
      // loads through the I/O manager (a bare `select` outside a transaction may see the new table empty:
      // see concurrent-replace.test.ts and the README)
      const seen = new Set<number>()
      while (writer.pollUnsafe() === undefined) {
        seen.add((yield* io.load(input("silver/swapped"))).numRows)
      }
      yield* Fiber.join(writer)
      seen.add((yield* io.load(input("silver/swapped"))).numRows)
      expect([...seen].sort((x, y) => x - y)).toEqual(seen.size === 1 ? [300_000] : [100_000, 300_000])
      expect(seen.has(100_000)).toBe(true)
      const staging = yield* client.query(`select relname from pg_class where relname like '_strata_stage_%'`)
      expect(staging).toEqual([])
    }))

  it.effect("partitions replace only their own rows, in one transaction", () =>
    Effect.gen(function*() {
      const io = yield* PostgresIOManager
      const client = yield* PgClient
      const day = (values: ReadonlyArray<number>) => Arrow.tableFromArrays({ v: Int32Array.from(values) })
      yield* io.store(output("events/daily", "2024-01-01"), day([1, 2]))
      yield* io.store(output("events/daily", "2024-01-02"), day([3, 4, 5]))
      yield* io.store(output("events/daily", "2024-01-01"), day([10]))
      const first = yield* io.load(input("events/daily", "2024-01-01"))
      const second = yield* io.load(input("events/daily", "2024-01-02"))
      expect([...first.getChild("v")!]).toEqual([10])
      expect([...second.getChild("v")!]).toEqual([3, 4, 5])
      expect(first.schema.fields.map((f) => f.name)).toEqual(["v"])
      const all = yield* client.query(`select "_partition" as p, count(*)::int as n from events.daily group by 1 order by 1`)
      expect(all).toEqual([{ p: "2024-01-01", n: 1 }, { p: "2024-01-02", n: 3 }])
      // a partition with other columns is refused, naming both shapes, and changes nothing
      const wrong = yield* Effect.exit(io.store(output("events/daily", "2024-01-03"), Arrow.tableFromArrays({ w: Float64Array.from([1]) })))
      expect(Exit.isFailure(wrong)).toBe(true)
      expect(String(Exit.isFailure(wrong) ? wrong.cause.reasons[0] : "")).toContain("every partition must have the same columns")
      const count = yield* client.query(`select count(*)::int as n from events.daily`)
      expect(count).toEqual([{ n: 4 }])
      // a partition key with quotes is a value, not SQL
      yield* io.store(output("events/daily", "x'); drop table events.daily; --"), day([7]))
      const odd = yield* io.load(input("events/daily", "x'); drop table events.daily; --"))
      expect([...odd.getChild("v")!]).toEqual([7])
    }))

  it.effect("partitions written at once (a backfill) do not lose or duplicate rows", () =>
    Effect.gen(function*() {
      const io = yield* PostgresIOManager
      const client = yield* PgClient
      const rows = 20_000
      const day = (partition: number) =>
        Arrow.tableFromArrays({ p: Int32Array.from({ length: rows }, () => partition), i: Int32Array.from({ length: rows }, (_, i) => i) })
      // 6 partitions at once, and every partition written twice at the same time
      yield* Effect.all(
        [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5].map((partition) => io.store(output("events/backfill", `p${partition}`), day(partition))),
        { concurrency: "unbounded" }
      )
      const counts = yield* client.query(
        `select "_partition" as partition, count(*)::int as n, count(distinct i)::int as distinct_i, min(p) as p
         from events.backfill group by 1 order by 1`
      )
      expect(counts).toEqual([0, 1, 2, 3, 4, 5].map((p) => ({ partition: `p${p}`, n: rows, distinct_i: rows, p })))
    }))

  it.effect("asset keys and column names with quotes, spaces and SQL keywords are always quoted", () =>
    Effect.gen(function*() {
      const io = yield* PostgresIOManager
      const client = yield* PgClient
      const names = ["select", "from", "with space", "quote\"d", "it's", "Robert'); drop table students; --", "MixedCase", "order"]
      const table = Arrow.tableFromArrays(Object.fromEntries(names.map((name, i) => [name, Int32Array.from([i, i + 1])])))
      yield* io.store(output("select/table"), table)
      yield* io.store(output("order/group"), table)
      yield* io.store(output("user"), table)
      for (const key of ["select/table", "order/group", "user"]) {
        const loaded = yield* io.load(input(key))
        expect(loaded.schema.fields.map((f) => f.name)).toEqual(names)
        expect(loaded.get(1)!.toJSON()).toEqual(Object.fromEntries(names.map((name, i) => [name, i + 1])))
      }
      const tables = yield* client.query<{ schema: string; name: string }>(
        `select table_schema as schema, table_name as name from information_schema.tables
         where table_schema in ('select', 'order', 'public') order by 1, 2`
      )
      expect(tables).toEqual([{ schema: "order", name: "group" }, { schema: "public", name: "user" }, { schema: "select", name: "table" }])
      // metadata overrides the mapping
      yield* io.store(output("a/b", undefined, { "postgres/schema": "custom schema", "postgres/table": "my \"table\"" }), table)
      const [found] = yield* client.query(`select count(*)::int as n from "custom schema"."my ""table"""`)
      expect(found).toEqual({ n: 2 })
    }))

  it.effect("bad input gets a typed IOError naming the asset, and what to do", () =>
    Effect.gen(function*() {
      const io = yield* PostgresIOManager
      const message = (exit: Exit.Exit<unknown, IOManager.IOError>) => {
        expect(Exit.isFailure(exit)).toBe(true)
        const error = Exit.isFailure(exit) ? (exit.cause.reasons[0] as unknown as { error: IOManager.IOError }).error : undefined
        expect(error).toBeInstanceOf(IOManager.IOError)
        return error!
      }
      const missing = message(yield* Effect.exit(io.load(input("gold/never_stored"))))
      expect(missing.message).toContain("materialize it first")
      expect(missing.key).toBe("gold/never_stored")
      expect(missing.isRetryable).toBe(false)

      const long = message(yield* Effect.exit(io.store(output(`gold/${"x".repeat(64)}`), Arrow.tableFromArrays({ a: Int32Array.from([1]) }))))
      expect(long.message).toContain("longer than 63 bytes")

      const list = Arrow.tableFromArrays({ a: Int32Array.from([1]) })
      const withList = new Arrow.Table({
        a: list.getChild("a")!,
        nested: Arrow.vectorFromArray([[1, 2]], new Arrow.List(new Arrow.Field("item", new Arrow.Int32(), true)))
      })
      const unsupported = message(yield* Effect.exit(io.store(output("gold/nested"), withList)))
      expect(unsupported.message).toContain("\"nested\"")
      expect(unsupported.message).toContain("cannot store")

      const nanos = Arrow.makeData({ type: new Arrow.TimestampNanosecond(), length: 2, nullCount: 0, data: BigInt64Array.from([1000n, 1001n]) })
      const precise = message(yield* Effect.exit(io.store(output("gold/precise"), new Arrow.Table({ at: Arrow.makeVector(nanos) }))))
      expect(precise.message).toContain("\"at\" has a timestamp with nanoseconds at row 1")

      const badJson = new Arrow.Table(
        new Arrow.Schema([new Arrow.Field("j", new Arrow.Utf8(), true, new Map([["ARROW:extension:name", "arrow.json"]]))]),
        { j: Arrow.vectorFromArray(["{not json"], new Arrow.Utf8()) }
      )
      const invalid = message(yield* Effect.exit(io.store(output("gold/bad_json"), badJson)))
      expect(invalid.message).toContain("22P02")
      expect(invalid.uri).toContain("gold.bad_json")
    }))

  it.effect("row arrays: stored through the same COPY path and read back as rows", () =>
    Effect.gen(function*() {
      const io = yield* PostgresRowsIOManager
      const rows = [
        { id: 1, name: "ada", big: 2n ** 60n, active: true, at: new Date("2024-05-01T12:34:56.789Z"), extra: { tags: ["a"], n: 1 } },
        { id: 2.5, name: null, big: null, active: false, at: null, extra: null },
        { id: -3, name: "ünï", big: -1n, active: null, at: new Date(0), extra: [1, "two"] }
      ]
      yield* io.store(output("silver/people"), rows)
      const back = yield* io.load(input("silver/people"))
      expect(back).toEqual(rows)
      const mixed = yield* Effect.exit(io.store(output("silver/mixed"), [{ a: 1 }, { a: "one" }]))
      expect(Exit.isFailure(mixed)).toBe(true)
    }))

  it.effect("DefaultIO values: tables, rows and JSON come back as what was stored; other values are refused", () =>
    Effect.gen(function*() {
      const values = PostgresIOManager.make(yield* PgClient).values
      const cases: ReadonlyArray<readonly [string, unknown]> = [
        ["values/number", 42],
        ["values/text", "it's \"quoted\""],
        ["values/nested", { a: [1, { b: null }], c: "ü" }],
        ["values/empty_rows", []],
        ["values/rows", [{ a: 1, b: "x" }, { a: 2, b: null }]]
      ]
      for (const [key, value] of cases) {
        yield* values.store(output(key), value)
        expect(yield* values.load(input(key)), key).toEqual(value)
      }
      const table = Arrow.tableFromArrays({ x: Int32Array.from([1, 2]) })
      yield* values.store(output("values/table"), table)
      const loaded = yield* values.load(input("values/table"))
      expect(loaded).toBeInstanceOf(Arrow.Table)
      expect([...(loaded as Arrow.Table).getChild("x")!]).toEqual([1, 2])
      const refused = yield* Effect.exit(values.store(output("values/map"), new Map([["a", 1]])))
      expect(Exit.isFailure(refused)).toBe(true)
      expect(String(Exit.isFailure(refused) ? refused.cause.reasons[0] : "")).toContain("neither an Arrow table")
    }))
})
