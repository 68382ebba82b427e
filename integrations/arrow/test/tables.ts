/**
 * Test tables built from buffers (no vitest import: the crash test's child
 * process loads this file with plain Node).
 */
import type { Table } from "apache-arrow"
import { Bool, Field, Float64, Int64, makeData, makeVector, Schema, Table as ArrowTable, TimestampMicrosecond, Utf8 } from "apache-arrow"

const validity = (n: number, every: number): { bitmap: Uint8Array; nulls: number } => {
  const bitmap = new Uint8Array(Math.ceil(n / 8)).fill(0xff)
  let nulls = 0
  for (let i = 0; i < n; i += every) {
    bitmap[i >> 3]! &= ~(1 << (i & 7))
    nulls++
  }
  return { bitmap, nulls }
}

const words = ["alpha", "beta", "gamma", "déjà vu", "数据", "", "z".repeat(40), "emoji 🚀"]

/**
 * `n` rows × 6 columns: id Int64 (not null), score Float64, name Utf8,
 * active Bool, at Timestamp<MICROSECOND, UTC>, big Int64 (values beyond 2^53),
 * each nullable column with nulls at its own stride. Built from buffers, so a
 * million rows take milliseconds. `seed` shifts the values.
 */
export const bigTable = (n: number, seed = 0): Table => {
  const id = new BigInt64Array(n)
  const score = new Float64Array(n)
  const big = new BigInt64Array(n)
  const at = new BigInt64Array(n)
  const active = new Uint8Array(Math.ceil(n / 8))
  const encoder = new TextEncoder()
  const encoded = words.map((word) => encoder.encode(word))
  const offsets = new Int32Array(n + 1)
  let total = 0
  for (let i = 0; i < n; i++) {
    offsets[i] = total
    total += encoded[(i + seed) % encoded.length]!.byteLength + ((i % 3 === 0) ? 6 : 0)
  }
  offsets[n] = total
  const bytes = new Uint8Array(total)
  for (let i = 0; i < n; i++) {
    id[i] = BigInt(i + seed)
    score[i] = (i + seed) / 7 - 1000
    big[i] = (BigInt(i) * 9_007_199_254_741n) * (i % 2 === 0 ? 1n : -1n)
    at[i] = 1_700_000_000_000_000n + BigInt(i) * 1_234_567n + BigInt(seed)
    if ((i * 7 + seed) % 5 < 2) active[i >> 3]! |= 1 << (i & 7)
    const word = encoded[(i + seed) % encoded.length]!
    bytes.set(word, offsets[i]!)
    if (i % 3 === 0) bytes.set(encoder.encode(`#${String(i % 100000).padStart(5, "0")}`), offsets[i]! + word.byteLength)
  }
  const scoreNulls = validity(n, 7)
  const nameNulls = validity(n, 11)
  const activeNulls = validity(n, 13)
  const atNulls = validity(n, 17)
  const bigNulls = validity(n, 19)
  const schema = new Schema([
    new Field("id", new Int64(), false, new Map([["description", "row id"]])),
    new Field("score", new Float64(), true),
    new Field("name", new Utf8(), true),
    new Field("active", new Bool(), true),
    new Field("at", new TimestampMicrosecond("UTC"), true),
    new Field("big", new Int64(), true)
  ], new Map([["producer", "strata-test"]]))
  if (n === 0) return new ArrowTable(schema)
  return new ArrowTable(schema, {
    id: makeVector(makeData({ type: new Int64(), length: n, nullCount: 0, data: id })),
    score: makeVector(makeData({ type: new Float64(), length: n, nullCount: scoreNulls.nulls, nullBitmap: scoreNulls.bitmap, data: score })),
    name: makeVector(
      makeData({ type: new Utf8(), length: n, nullCount: nameNulls.nulls, nullBitmap: nameNulls.bitmap, valueOffsets: offsets, data: bytes })
    ),
    active: makeVector(makeData({ type: new Bool(), length: n, nullCount: activeNulls.nulls, nullBitmap: activeNulls.bitmap, data: active })),
    at: makeVector(makeData({ type: new TimestampMicrosecond("UTC"), length: n, nullCount: atNulls.nulls, nullBitmap: atNulls.bitmap, data: at })),
    big: makeVector(makeData({ type: new Int64(), length: n, nullCount: bigNulls.nulls, nullBitmap: bigNulls.bitmap, data: big }))
  })
}

