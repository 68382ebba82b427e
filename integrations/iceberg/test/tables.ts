// Arrow tables of known content for tests and the benchmark (apache-arrow only).
import {
  Bool,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMicrosecond,
  Utf8,
  vectorFromArray
} from "apache-arrow"

/** A table from plain columns (strings as Utf8, not dictionaries). */
export const tableOf = (columns: Record<string, { readonly type: "int" | "long" | "double" | "string" | "bool" | "timestamptz"; readonly values: ReadonlyArray<unknown>; readonly nullable?: boolean }>): Table => {
  const fields: Array<Field> = []
  const children = []
  let length = 0
  for (const [name, column] of Object.entries(columns)) {
    const type = column.type === "int" ? new Int32() : column.type === "long" ? new Int64() : column.type === "double" ? new Float64()
      : column.type === "string" ? new Utf8() : column.type === "bool" ? new Bool() : new TimestampMicrosecond("UTC")
    const vector = column.type === "timestamptz"
      ? makeVector({ type, data: BigInt64Array.from(column.values as Array<bigint>) } as never)
      : vectorFromArray(column.values as Array<never>, type as never)
    fields.push(new Field(name, type, column.nullable ?? true))
    children.push(vector.data[0]!)
    length = vector.length
  }
  const schema = new Schema(fields)
  return new Table(schema, [new RecordBatch(schema, makeData({ type: new Struct(fields), length, nullCount: 0, children }))])
}

/**
 * The benchmark's table shape: `id` Int64 not null, `score` Float64, `name`
 * Utf8 (multi-byte text), `flag` Bool, `at` Timestamp µs UTC, `big` Int64
 * beyond 2^53; every column but `id` has nulls.
 */
export const eventsTable = (rows: number, seed = 1): Table => {
  const id = new BigInt64Array(rows)
  const score = new Float64Array(rows)
  const at = new BigInt64Array(rows)
  const big = new BigInt64Array(rows)
  const names: Array<string | null> = new Array(rows)
  const flags: Array<boolean | null> = new Array(rows)
  const valid = (step: number) => {
    const bitmap = new Uint8Array(Math.ceil(rows / 8))
    let nulls = 0
    for (let i = 0; i < rows; i++) {
      if ((i + seed) % step === 0) nulls++
      else bitmap[i >> 3]! |= 1 << (i & 7)
    }
    return { bitmap, nulls }
  }
  for (let i = 0; i < rows; i++) {
    id[i] = BigInt(i + seed * 1_000_000)
    score[i] = ((i * 7919 + seed) % 100_000) / 7 - 999.857
    at[i] = 1_700_000_000_000_000n + BigInt(i) * 1_234_567n
    big[i] = (i % 2 === 0 ? 1n : -1n) * (9_007_190_247_541_745n + BigInt(i) * 1_000_003n)
    names[i] = (i + seed) % 11 === 0 ? null : `user-${(i * 31) % 100_003}-é漢`
    flags[i] = (i + seed) % 5 === 0 ? null : i % 3 === 0
  }
  const scoreValid = valid(7)
  const atValid = valid(13)
  const bigValid = valid(17)
  const fields = [
    new Field("id", new Int64(), false),
    new Field("score", new Float64(), true),
    new Field("name", new Utf8(), true),
    new Field("flag", new Bool(), true),
    new Field("at", new TimestampMicrosecond("UTC"), true),
    new Field("big", new Int64(), true)
  ]
  const children = [
    makeData({ type: new Int64(), length: rows, data: id }),
    makeData({ type: new Float64(), length: rows, nullCount: scoreValid.nulls, nullBitmap: scoreValid.bitmap, data: score }),
    vectorFromArray(names, new Utf8()).data[0]!,
    vectorFromArray(flags, new Bool()).data[0]!,
    makeData({ type: new TimestampMicrosecond("UTC"), length: rows, nullCount: atValid.nulls, nullBitmap: atValid.bitmap, data: at }),
    makeData({ type: new Int64(), length: rows, nullCount: bigValid.nulls, nullBitmap: bigValid.bitmap, data: big })
  ]
  const schema = new Schema(fields)
  return new Table(schema, [new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows, nullCount: 0, children: children as never }))])
}

