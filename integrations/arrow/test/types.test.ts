import { describe, expect, it } from "@effect/vitest"
import {
  Binary,
  DateDay,
  DateMillisecond,
  Decimal,
  Dictionary,
  DurationMillisecond,
  Field,
  FixedSizeBinary,
  Float32,
  Int16,
  Int32,
  Int8,
  LargeUtf8,
  List,
  makeData,
  makeVector,
  Schema,
  Struct,
  Table,
  TimeMillisecond,
  TimestampNanosecond,
  TimestampSecond,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
  vectorFromArray
} from "apache-arrow"
import { Effect } from "effect"
import { ArrowIO } from "../src/index.ts"
import { expectSameSchema, expectSameValues, tempFolder } from "./fixtures.ts"

// One column per Arrow type a dataframe commonly holds, with nulls.
const manyTypes = (): Table => {
  const n = 4
  const columns = {
    int8: vectorFromArray([1, -2, null, 127], new Int8()),
    int16: vectorFromArray([1, -2, null, 32767], new Int16()),
    uint8: vectorFromArray([1, 2, null, 255], new Uint8()),
    uint16: vectorFromArray([1, 2, null, 65535], new Uint16()),
    uint32: vectorFromArray([1, 2, null, 4294967295], new Uint32()),
    uint64: vectorFromArray([1n, 2n, null, 18446744073709551615n], new Uint64()),
    float32: vectorFromArray([1.5, -2.25, null, 3.125], new Float32()),
    date_day: vectorFromArray([new Date(Date.UTC(2024, 0, 1)), null, new Date(Date.UTC(1969, 11, 31)), new Date(0)], new DateDay()),
    date_ms: vectorFromArray([new Date(Date.UTC(2024, 0, 1, 12)), null, new Date(0), new Date(Date.UTC(2000, 1, 29))], new DateMillisecond()),
    time_ms: vectorFromArray([0, 86_399_999, null, 1000], new TimeMillisecond()),
    ts_s: makeVector(makeData({ type: new TimestampSecond(), length: n, data: new BigInt64Array([0n, 1n, -1n, 1_700_000_000n]) })),
    ts_ns: makeVector(
      makeData({ type: new TimestampNanosecond("Europe/Paris"), length: n, data: new BigInt64Array([0n, 1n, -1n, 1_700_000_000_123_456_789n]) })
    ),
    duration: makeVector(makeData({ type: new DurationMillisecond(), length: n, data: new BigInt64Array([0n, 5n, -5n, 86_400_000n]) })),
    decimal: makeVector(makeData({ type: new Decimal(2, 12, 128), length: n, data: new Uint32Array([1234, 0, 0, 0, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0, 0, 0, 0, 99, 0, 0, 0]) })),
    binary: vectorFromArray([new Uint8Array([1, 2]), null, new Uint8Array([]), new Uint8Array([255])], new Binary()),
    fixed: makeVector(makeData({ type: new FixedSizeBinary(2), length: n, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) })),
    large_text: vectorFromArray(["a", null, "ccc", "été"], new LargeUtf8()),
    tags: vectorFromArray([["a", "b"], null, [], ["c"]], new List(new Field("item", new Utf8(), true))),
    point: vectorFromArray([{ x: 1, y: "a" }, null, { x: 3, y: null }, { x: 4, y: "d" }], new Struct([new Field("x", new Float32(), true), new Field("y", new Utf8(), true)])),
    category: vectorFromArray(["red", "blue", null, "red"], new Dictionary(new Utf8(), new Int32()))
  }
  const fields = Object.entries(columns).map(([name, vector]) => new Field(name, vector.type, true, new Map([["source", name]])))
  return new Table(new Schema(fields, new Map([["table", "many types"]])), columns)
}

describe("types", () => {
  for (const format of ["parquet", "ipc"] as const) {
    it.effect(`keeps every column type, null and metadata (${format})`, () =>
      Effect.gen(function*() {
        const io = ArrowIO.make({ base: tempFolder(), format })
        const table = manyTypes()
        const { metadata } = yield* io.write("types", table)
        const loaded = yield* io.read("types")
        expectSameSchema(loaded, table)
        expectSameValues(loaded, table)
        const columns = metadata!.columns as Record<string, Record<string, unknown>>
        expect(columns.uint64).toMatchObject({ min: 1, max: "18446744073709551615" })
        expect(columns.int8).toMatchObject({ min: -2, max: 127, null_count: 1 })
        expect(columns.date_day).toMatchObject({ min: "1969-12-31", max: "2024-01-01" })
        expect(columns.ts_ns).toMatchObject({ min: "1969-12-31T23:59:59.999Z", max: "2023-11-14T22:13:20.123Z" })
        expect(columns.large_text).toMatchObject({ distinct_estimate: 3 })
        expect(columns.category).toMatchObject({ distinct_estimate: 2 })
      }))
  }
})
