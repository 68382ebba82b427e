/**
 * Profiles an Arrow table into flat JSON metadata the catalog can plot:
 * numbers at the top level (`row_count`, `column_count`, `null_count`) and a
 * `columns` object with, per column, its type, nullability, `null_count`,
 * `null_rate`, `min`/`max` (numeric and temporal columns) and
 * `distinct_estimate` (string columns, a HyperLogLog estimate within ~2%).
 *
 * One pass over each column's buffers, without materializing JS values, so
 * profiling a million rows costs milliseconds. `ArrowIO` adds `bytes`, `uri`,
 * `path`, `format` and `compression` to it on every store.
 *
 * @example
 * ```ts
 * import { TableMetadata, Tables } from "@strata/arrow"
 *
 * const metadata = TableMetadata.describe(Tables.fromRows([{ name: "a", score: 1.5 }, { name: null, score: 3 }]))
 * // { row_count: 2, column_count: 2, null_count: 1, schema: [...],
 * //   columns: { name: { type: "Utf8", nullable: true, null_count: 1, null_rate: 0.5, distinct_estimate: 1 },
 * //              score: { type: "Float64", ..., min: 1.5, max: 3 } } }
 * ```
 * @since 0.1.0
 */
import type { Metadata } from "@strata/core"
import type { Data, Field, Schema, Table } from "apache-arrow"
import { DataType, DateUnit, makeVector, TimeUnit } from "apache-arrow"

type Json = Metadata.Json

/**
 * A column's entry in the schema description.
 *
 * @since 0.1.0
 */
export interface FieldDescription {
  readonly name: string
  /** The Arrow type as apache-arrow prints it: `Int64`, `Utf8`, `Timestamp<MILLISECOND, UTC>`. */
  readonly type: string
  readonly nullable: boolean
}

/**
 * Describes a schema as JSON: one `{ name, type, nullable }` per column.
 *
 * @since 0.1.0
 */
export const describeSchema = (schema: Schema): Array<FieldDescription> =>
  schema.fields.map((field) => ({ name: field.name, type: String(field.type), nullable: field.nullable }))

/**
 * How much {@link describe} computes: `full` (default) adds min/max and
 * distinct estimates, one pass over each column's values; `basic` keeps the
 * counts and the schema, which cost nothing (Arrow stores null counts).
 *
 * @since 0.1.0
 */
export type Statistics = "full" | "basic"

/**
 * Profiles a table (see the module documentation for the keys).
 *
 * @since 0.1.0
 */
export const describe = (table: Table, statistics: Statistics = "full"): { [key: string]: Json } => {
  const rows = table.numRows
  const columns: Record<string, Json> = {}
  let nulls = 0
  const fields = table.schema.fields
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!
    const chunks = table.getChildAt(i)?.data ?? []
    const column = describeColumn(field, chunks, rows, statistics === "full")
    nulls += column.null_count as number
    columns[field.name] = column
  }
  return {
    row_count: rows,
    column_count: fields.length,
    null_count: nulls,
    schema: describeSchema(table.schema) as unknown as Json,
    columns
  }
}

const describeColumn = (field: Field, chunks: ReadonlyArray<Data>, rows: number, full: boolean): Record<string, Json> => {
  let nullCount = 0
  for (const chunk of chunks) nullCount += chunk.nullCount
  const result: Record<string, Json> = {
    type: String(field.type),
    nullable: field.nullable,
    null_count: nullCount,
    null_rate: rows === 0 ? 0 : nullCount / rows
  }
  if (!full || nullCount === rows) return result
  const type = field.type
  if (DataType.isInt(type) || DataType.isFloat(type)) {
    const range = numericRange(chunks, type)
    if (range !== undefined) {
      result.min = range[0]
      result.max = range[1]
    }
  } else if (DataType.isTimestamp(type) || DataType.isDate(type)) {
    const range = numericRange(chunks, type)
    if (range !== undefined) {
      const toIso = temporalIso(type)
      result.min = toIso(range[0])
      result.max = toIso(range[1])
    }
  } else if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) {
    const sketch = new Uint8Array(HLL_REGISTERS)
    for (const chunk of chunks) sketchStrings(sketch, chunk, undefined)
    result.distinct_estimate = estimate(sketch)
  } else if (DataType.isDictionary(type) && (DataType.isUtf8(type.dictionary) || DataType.isLargeUtf8(type.dictionary))) {
    const sketch = new Uint8Array(HLL_REGISTERS)
    for (const chunk of chunks) sketchDictionary(sketch, chunk)
    result.distinct_estimate = estimate(sketch)
  }
  return result
}

const isValid = (bitmap: Uint8Array, index: number): boolean => (bitmap[index >> 3]! & (1 << (index & 7))) !== 0

/**
 * Min and max of a numeric or temporal column, as numbers, or as strings for
 * 64-bit integers beyond 2^53 (JSON numbers are doubles).
 */
const numericRange = (chunks: ReadonlyArray<Data>, type: DataType): [number | string, number | string] | undefined => {
  const isFloat16 = DataType.isFloat(type) && type.precision === 0
  if (isFloat16) return genericRange(chunks)
  let min: number | bigint | undefined
  let max: number | bigint | undefined
  for (const chunk of chunks) {
    const values = chunk.values as ArrayLike<number | bigint> & { readonly BYTES_PER_ELEMENT: number }
    const range = values instanceof BigInt64Array || values instanceof BigUint64Array
      ? bigRange(chunk, values)
      : smallRange(chunk, values as unknown as Float64Array)
    if (range === undefined) continue
    if (min === undefined || range[0] < min) min = range[0]
    if (max === undefined || range[1] > max) max = range[1]
  }
  if (min === undefined || max === undefined) return undefined
  return [jsonNumber(min), jsonNumber(max)]
}

const jsonNumber = (value: number | bigint): number | string =>
  typeof value === "number"
    ? value
    : value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value.toString()

// The validity bit is read only for a value that would move the minimum or
// the maximum: after the first rows that is rare, and the loop stays tight.
const smallRange = (chunk: Data, values: Float64Array): [number, number] | undefined => {
  const length = chunk.length
  const bitmap = chunk.nullCount > 0 ? chunk.nullBitmap : undefined
  const offset = chunk.offset
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < length; i++) {
    const value = values[i]!
    // NaN fails both comparisons and is skipped
    if (value < min && (bitmap === undefined || isValid(bitmap, offset + i))) min = value
    if (value > max && (bitmap === undefined || isValid(bitmap, offset + i))) max = value
  }
  return min === Infinity && max === -Infinity ? undefined : [min, max]
}

// Comparing BigInts one by one is slow; compare the two 32-bit halves as
// numbers and read the winning BigInts once.
const bigRange = (chunk: Data, values: BigInt64Array | BigUint64Array): [bigint, bigint] | undefined => {
  const length = chunk.length
  const bitmap = chunk.nullCount > 0 ? chunk.nullBitmap : undefined
  const offset = chunk.offset
  const halves = new Int32Array(values.buffer, values.byteOffset, length * 2)
  const signed = values instanceof BigInt64Array
  let minIndex = -1
  let maxIndex = -1
  let minHigh = 0
  let minLow = 0
  let maxHigh = 0
  let maxLow = 0
  for (let i = 0; i < length; i++) {
    const low = halves[2 * i]! >>> 0
    const high = signed ? halves[2 * i + 1]! : halves[2 * i + 1]! >>> 0
    if (
      (minIndex < 0 || high < minHigh || (high === minHigh && low < minLow)) &&
      (bitmap === undefined || isValid(bitmap, offset + i))
    ) {
      minIndex = i
      minHigh = high
      minLow = low
    }
    if (
      (maxIndex < 0 || high > maxHigh || (high === maxHigh && low > maxLow)) &&
      (bitmap === undefined || isValid(bitmap, offset + i))
    ) {
      maxIndex = i
      maxHigh = high
      maxLow = low
    }
  }
  return minIndex < 0 ? undefined : [values[minIndex]!, values[maxIndex]!]
}

const genericRange = (chunks: ReadonlyArray<Data>): [number, number] | undefined => {
  let min = Infinity
  let max = -Infinity
  for (const chunk of chunks) {
    const vector = makeVector(chunk)
    for (let i = 0; i < chunk.length; i++) {
      const value = chunk.getValid(i) ? Number(vector.get(i)) : NaN
      if (value < min) min = value
      if (value > max) max = value
    }
  }
  return min === Infinity ? undefined : [min, max]
}

const temporalIso = (type: DataType): (value: number | string) => string => {
  let toMillis: (value: number) => number
  let dateOnly = false
  if (DataType.isDate(type)) {
    dateOnly = type.unit === DateUnit.DAY
    toMillis = dateOnly ? (days) => days * 86_400_000 : (millis) => millis
  } else {
    const unit = (type as unknown as { readonly unit: TimeUnit }).unit
    const perMilli = unit === TimeUnit.SECOND ? 1e-3 : unit === TimeUnit.MILLISECOND ? 1 : unit === TimeUnit.MICROSECOND ? 1e3 : 1e6
    toMillis = (value) => Math.floor(value / perMilli)
  }
  return (value) => {
    const millis = toMillis(Number(value))
    const date = new Date(millis)
    if (Number.isNaN(date.getTime())) return String(value)
    const iso = date.toISOString()
    return dateOnly ? iso.slice(0, 10) : iso
  }
}

// HyperLogLog with 2^12 registers: standard error 1.04 / sqrt(4096) ≈ 1.6%.
const HLL_BITS = 12
const HLL_REGISTERS = 1 << HLL_BITS

// MurmurHash3 (x86, 32-bit) over the UTF-8 bytes, four at a time: a string
// costs a few multiplications instead of one per byte.
const hashBytes = (view: DataView, bytes: Uint8Array, start: number, end: number): number => {
  let hash = 0x811c9dc5 ^ (end - start)
  let i = start
  for (; i + 4 <= end; i += 4) {
    let k = view.getInt32(i, true)
    k = Math.imul(k, 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, 0x1b873593)
    hash ^= k
    hash = (hash << 13) | (hash >>> 19)
    hash = (Math.imul(hash, 5) + 0xe6546b64) | 0
  }
  let k = 0
  for (let shift = 0; i < end; i++, shift += 8) k |= bytes[i]! << shift
  k = Math.imul(k, 0xcc9e2d51)
  k = (k << 15) | (k >>> 17)
  k = Math.imul(k, 0x1b873593)
  hash ^= k
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  return hash >>> 0
}

const addHash = (sketch: Uint8Array, hash: number): void => {
  const register = hash >>> (32 - HLL_BITS)
  const rest = (hash << HLL_BITS) | (1 << (HLL_BITS - 1))
  const rank = Math.clz32(rest) + 1
  if (rank > sketch[register]!) sketch[register] = rank
}

const sketchStrings = (sketch: Uint8Array, chunk: Data, only: Uint8Array | undefined): void => {
  const offsets = chunk.valueOffsets as Int32Array | BigInt64Array
  const bytes = chunk.values as Uint8Array
  const length = chunk.length
  const bitmap = chunk.nullCount > 0 ? chunk.nullBitmap : undefined
  const big = offsets instanceof BigInt64Array
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const size = bytes.byteLength
  for (let i = 0; i < length; i++) {
    if (only !== undefined && only[i] === 0) continue
    if (bitmap !== undefined && !isValid(bitmap, chunk.offset + i)) continue
    // offsets past the data (a malformed table) must not throw here: the encoder reports them
    const start = Math.max(0, big ? Number(offsets[i]) : (offsets as Int32Array)[i]!)
    const end = Math.min(size, big ? Number(offsets[i + 1]) : (offsets as Int32Array)[i + 1]!)
    addHash(sketch, hashBytes(view, bytes, start, end))
  }
}

// Only dictionary entries that some row uses count.
const sketchDictionary = (sketch: Uint8Array, chunk: Data): void => {
  const dictionary = chunk.dictionary
  if (dictionary === undefined) return
  const keys = chunk.values as ArrayLike<number | bigint>
  const bitmap = chunk.nullCount > 0 ? chunk.nullBitmap : undefined
  const used = new Uint8Array(dictionary.length)
  for (let i = 0; i < chunk.length; i++) {
    if (bitmap !== undefined && !isValid(bitmap, chunk.offset + i)) continue
    const key = Number(keys[i])
    if (key < used.length) used[key] = 1
  }
  let base = 0
  for (const entries of dictionary.data) {
    sketchStrings(sketch, entries, used.subarray(base, base + entries.length))
    base += entries.length
  }
}

const estimate = (sketch: Uint8Array): number => {
  const m = HLL_REGISTERS
  let sum = 0
  let zeros = 0
  for (let i = 0; i < m; i++) {
    const rank = sketch[i]!
    sum += 2 ** -rank
    if (rank === 0) zeros++
  }
  const raw = (0.7213 / (1 + 1.079 / m)) * m * m / sum
  // linear counting is more accurate for small cardinalities
  const value = raw <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : raw
  return Math.round(value)
}
