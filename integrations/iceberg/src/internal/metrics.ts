/**
 * Column statistics for manifests (spec: "Field-level Metrics") and the binary
 * single-value serialization of bounds (spec Appendix D). Statistics are
 * computed from the Arrow columns as written: value counts (nulls included),
 * null counts, NaN counts for floating point, and lower/upper bounds. Strings
 * and binaries are bounded by their first 16 characters/bytes, as the
 * reference implementation's default `truncate(16)` metrics mode does: the
 * upper bound is then the prefix with its last character incremented, so it
 * still bounds every value.
 */
import { type Data, type Type as ArrowTypeId, type Vector, Type } from "apache-arrow"

/** Statistics of one column of one data file. */
export interface ColumnMetrics {
  readonly valueCount: number
  readonly nullCount: number
  readonly nanCount: number | undefined
  readonly lower: Uint8Array | undefined
  readonly upper: Uint8Array | undefined
}

const TRUNCATE = 16

// ---------------------------------------------------------------------------
// Binary single-value serialization (Appendix D)

const littleEndian = (size: number, write: (view: DataView) => void): Uint8Array => {
  const bytes = new Uint8Array(size)
  write(new DataView(bytes.buffer))
  return bytes
}

/** A value of an Iceberg primitive type as bytes; `undefined` for types without a serialization here. */
export const serialize = (type: string, value: unknown): Uint8Array | undefined => {
  switch (type) {
    case "boolean":
      return new Uint8Array([value === true ? 1 : 0])
    case "int":
    case "date":
      return littleEndian(4, (view) => view.setInt32(0, Number(value), true))
    case "long":
    case "time":
    case "timestamp":
    case "timestamptz":
      return littleEndian(8, (view) => view.setBigInt64(0, BigInt(value as bigint), true))
    case "float":
      return littleEndian(4, (view) => view.setFloat32(0, Number(value), true))
    case "double":
      return littleEndian(8, (view) => view.setFloat64(0, Number(value), true))
    case "string":
      return new TextEncoder().encode(String(value))
  }
  if (type === "binary" || type === "uuid" || /^fixed\[/.test(type)) return value instanceof Uint8Array ? value : undefined
  return undefined
}

/**
 * A bound back as a value: numbers for int/float/double/date, bigints for
 * long/time/timestamps, strings, bytes. Bounds written before a type promotion
 * are read by their length (spec: a 4-byte bound of a `long` column is an `int`).
 */
export const deserialize = (type: string, bytes: Uint8Array): number | bigint | string | boolean | Uint8Array | undefined => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  switch (type) {
    case "boolean":
      return bytes.length > 0 && bytes[0] !== 0
    case "int":
    case "date":
      return bytes.length === 4 ? view.getInt32(0, true) : undefined
    case "long":
    case "time":
      return bytes.length === 8 ? view.getBigInt64(0, true) : bytes.length === 4 ? BigInt(view.getInt32(0, true)) : undefined
    case "timestamp":
    case "timestamptz":
      // a 4-byte bound is a date promoted to timestamp (v3): days -> microseconds
      return bytes.length === 8 ? view.getBigInt64(0, true) : bytes.length === 4 ? BigInt(view.getInt32(0, true)) * 86_400_000_000n : undefined
    case "float":
      return bytes.length === 4 ? view.getFloat32(0, true) : undefined
    case "double":
      return bytes.length === 8 ? view.getFloat64(0, true) : bytes.length === 4 ? view.getFloat32(0, true) : undefined
    case "string":
      return new TextDecoder().decode(bytes)
  }
  return bytes
}

/** Compares two bytes ranges as unsigned bytes (UTF-8 strings compare as code points). */
const compareRange = (data: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number => {
  const length = Math.min(aEnd - aStart, bEnd - bStart)
  for (let i = 0; i < length; i++) {
    const difference = data[aStart + i]! - data[bStart + i]!
    if (difference !== 0) return difference
  }
  return aEnd - aStart - (bEnd - bStart)
}

/** Compares two values of one Iceberg type (as {@link deserialize} returns them). */
export const compare = (a: unknown, b: unknown): number => {
  if (typeof a === "number" && typeof b === "number") return a - b
  if ((typeof a === "bigint" || typeof a === "number") && (typeof b === "bigint" || typeof b === "number")) {
    const x = BigInt(a)
    const y = BigInt(b)
    return x < y ? -1 : x > y ? 1 : 0
  }
  if (typeof a === "string" && typeof b === "string") {
    const x = new TextEncoder().encode(a)
    const y = new TextEncoder().encode(b)
    return compareRange(concat(x, y), 0, x.length, x.length, x.length + y.length)
  }
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b)
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareRange(concat(a, b), 0, a.length, a.length, a.length + b.length)
  return 0
}

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

// ---------------------------------------------------------------------------
// Truncated bounds

/** The byte length of the first `count` UTF-8 characters of `bytes`. */
const utf8PrefixLength = (bytes: Uint8Array, count: number): number => {
  let index = 0
  for (let seen = 0; seen < count && index < bytes.length; seen++) {
    const byte = bytes[index]!
    index += byte < 0x80 ? 1 : byte < 0xe0 ? 2 : byte < 0xf0 ? 3 : 4
  }
  return Math.min(index, bytes.length)
}

const truncateLower = (bytes: Uint8Array, isString: boolean): Uint8Array =>
  bytes.subarray(0, isString ? utf8PrefixLength(bytes, TRUNCATE) : Math.min(bytes.length, TRUNCATE))

/** The smallest string/binary above every value with this prefix, or `undefined` when there is none. */
const truncateUpper = (bytes: Uint8Array, isString: boolean): Uint8Array | undefined => {
  const length = isString ? utf8PrefixLength(bytes, TRUNCATE) : Math.min(bytes.length, TRUNCATE)
  if (length === bytes.length) return bytes
  if (!isString) {
    const out = bytes.slice(0, length)
    for (let i = out.length - 1; i >= 0; i--) {
      if (out[i]! < 0xff) {
        out[i]! += 1
        return out.subarray(0, i + 1)
      }
    }
    return undefined
  }
  const chars = Array.from(new TextDecoder().decode(bytes.subarray(0, length)))
  for (let i = chars.length - 1; i >= 0; i--) {
    let next = chars[i]!.codePointAt(0)! + 1
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000
    if (next <= 0x10ffff) return new TextEncoder().encode(chars.slice(0, i).join("") + String.fromCodePoint(next))
  }
  return undefined
}

// ---------------------------------------------------------------------------
// Statistics of Arrow columns

const isValid = (bitmap: Uint8Array | null | undefined, index: number): boolean =>
  bitmap === null || bitmap === undefined || bitmap.length === 0 || (bitmap[index >> 3]! & (1 << (index & 7))) !== 0

interface Accumulator {
  nullCount: number
  nanCount: number
  min: number | bigint | undefined
  max: number | bigint | undefined
}

/** Min and max of a numeric chunk, skipping nulls and NaNs (typed-array loops). */
const numericChunk = (data: Data, accumulator: Accumulator, isFloat: boolean): void => {
  const values = data.values as Float64Array | Float32Array | Int32Array
  const offset = data.offset
  const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined
  let min = accumulator.min as number | undefined
  let max = accumulator.max as number | undefined
  let sawNegativeZero = false
  for (let i = 0; i < data.length; i++) {
    if (bitmap !== undefined && !isValid(bitmap, offset + i)) continue
    const value = values[offset + i]!
    if (isFloat && value !== value) {
      accumulator.nanCount += 1
      continue
    }
    if (min === undefined || value < min) min = value
    if (max === undefined || value > max) max = value
    if (value === 0 && 1 / value < 0) sawNegativeZero = true
  }
  // IEEE totalOrder: -0.0 precedes +0.0 in bounds
  if (sawNegativeZero && min === 0) min = -0
  accumulator.min = min
  accumulator.max = max
}

/** Min and max of a 64-bit chunk, comparing (high, low) 32-bit words instead of bigints. */
const int64Chunk = (data: Data, accumulator: Accumulator): void => {
  const values = data.values as BigInt64Array
  const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2)
  const offset = data.offset
  const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined
  let minIndex = -1
  let maxIndex = -1
  let minHigh = 0
  let minLow = 0
  let maxHigh = 0
  let maxLow = 0
  for (let i = 0; i < data.length; i++) {
    const index = offset + i
    if (bitmap !== undefined && !isValid(bitmap, index)) continue
    const high = words[index * 2 + 1]!
    const low = words[index * 2]! >>> 0
    if (minIndex < 0 || high < minHigh || (high === minHigh && low < minLow)) {
      minIndex = index
      minHigh = high
      minLow = low
    }
    if (maxIndex < 0 || high > maxHigh || (high === maxHigh && low > maxLow)) {
      maxIndex = index
      maxHigh = high
      maxLow = low
    }
  }
  if (minIndex < 0) return
  const min = values[minIndex]!
  const max = values[maxIndex]!
  if (accumulator.min === undefined || min < (accumulator.min as bigint)) accumulator.min = min
  if (accumulator.max === undefined || max > (accumulator.max as bigint)) accumulator.max = max
}

interface BytesBound {
  data: Uint8Array
  start: number
  end: number
}

/** Min and max of a variable-width chunk (Utf8/Binary), comparing bytes in place. */
const bytesChunk = (data: Data, bounds: { min?: BytesBound; max?: BytesBound }): void => {
  const offsets = data.valueOffsets as Int32Array
  const bytes = data.values as Uint8Array
  const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined
  let minStart = -1
  let minEnd = -1
  let maxStart = -1
  let maxEnd = -1
  for (let i = 0; i < data.length; i++) {
    const index = data.offset + i
    if (bitmap !== undefined && !isValid(bitmap, index)) continue
    const start = offsets[index]!
    const end = offsets[index + 1]!
    if (minStart < 0) {
      minStart = maxStart = start
      minEnd = maxEnd = end
      continue
    }
    // first bytes decide most comparisons
    const first = start < end ? bytes[start]! : -1
    const minFirst = minStart < minEnd ? bytes[minStart]! : -1
    if (first < minFirst || (first === minFirst && compareRange(bytes, start, end, minStart, minEnd) < 0)) {
      minStart = start
      minEnd = end
    }
    const maxFirst = maxStart < maxEnd ? bytes[maxStart]! : -1
    if (first > maxFirst || (first === maxFirst && compareRange(bytes, start, end, maxStart, maxEnd) > 0)) {
      maxStart = start
      maxEnd = end
    }
  }
  if (minStart < 0) return
  const candidateMin = { data: bytes, start: minStart, end: minEnd }
  const candidateMax = { data: bytes, start: maxStart, end: maxEnd }
  if (bounds.min === undefined || compareBounds(candidateMin, bounds.min) < 0) bounds.min = candidateMin
  if (bounds.max === undefined || compareBounds(candidateMax, bounds.max) > 0) bounds.max = candidateMax
}

const compareBounds = (a: BytesBound, b: BytesBound): number => {
  const x = a.data.subarray(a.start, a.end)
  const y = b.data.subarray(b.start, b.end)
  return compareRange(concat(x, y), 0, x.length, x.length, x.length + y.length)
}

const boolChunk = (data: Data, seen: { false: boolean; true: boolean }): void => {
  const values = data.values as Uint8Array
  const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined
  for (let i = 0; i < data.length && !(seen.false && seen.true); i++) {
    const index = data.offset + i
    if (bitmap !== undefined && !isValid(bitmap, index)) continue
    if ((values[index >> 3]! & (1 << (index & 7))) !== 0) seen.true = true
    else seen.false = true
  }
}

const fixedChunk = (data: Data, width: number, bounds: { min?: BytesBound; max?: BytesBound }): void => {
  const bytes = data.values as Uint8Array
  const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined
  for (let i = 0; i < data.length; i++) {
    const index = data.offset + i
    if (bitmap !== undefined && !isValid(bitmap, index)) continue
    const candidate = { data: bytes, start: index * width, end: index * width + width }
    if (bounds.min === undefined || compareBounds(candidate, bounds.min) < 0) bounds.min = candidate
    if (bounds.max === undefined || compareBounds(candidate, bounds.max) > 0) bounds.max = candidate
  }
}

const bytesMetrics = (chunks: ReadonlyArray<Data>, type: string, vector: Vector, width?: number): Pick<ColumnMetrics, "lower" | "upper"> => {
  const bounds: { min?: BytesBound; max?: BytesBound } = {}
  for (const data of chunks) {
    if (width !== undefined) fixedChunk(data, width, bounds)
    else bytesChunk(data, bounds)
  }
  void vector
  if (bounds.min === undefined || bounds.max === undefined) return { lower: undefined, upper: undefined }
  const isString = type === "string"
  const min = bounds.min.data.slice(bounds.min.start, bounds.min.end)
  const max = bounds.max.data.slice(bounds.max.start, bounds.max.end)
  if (width !== undefined) return { lower: min, upper: max }
  return { lower: truncateLower(min, isString).slice(), upper: truncateUpper(max, isString)?.slice() }
}

/** The Arrow chunks holding a column's values (a dictionary column's dictionary). */
const valueChunks = (vector: Vector): { chunks: ReadonlyArray<Data>; typeId: ArrowTypeId } => {
  const first = vector.data[0]
  if (first !== undefined && first.typeId === Type.Dictionary) {
    const dictionaries = vector.data.map((data) => data.dictionary).filter((dictionary) => dictionary !== undefined)
    const chunks = dictionaries.flatMap((dictionary) => dictionary.data)
    return { chunks, typeId: chunks[0]?.typeId ?? Type.Null }
  }
  return { chunks: vector.data, typeId: first?.typeId ?? Type.Null }
}

/**
 * Statistics of one Arrow column holding values of an Iceberg primitive type
 * (as prepared for writing: timestamps in microseconds, dates in days).
 */
export const columnMetrics = (vector: Vector, type: string): ColumnMetrics => {
  const valueCount = vector.length
  const nullCount = vector.nullCount
  const { chunks, typeId } = valueChunks(vector)
  const isFloat = type === "float" || type === "double"
  const accumulator: Accumulator = { nullCount, nanCount: 0, min: undefined, max: undefined }
  let lower: Uint8Array | undefined
  let upper: Uint8Array | undefined
  if (type === "boolean") {
    const seen = { false: false, true: false }
    for (const data of chunks) boolChunk(data, seen)
    if (seen.false || seen.true) {
      lower = new Uint8Array([seen.false ? 0 : 1])
      upper = new Uint8Array([seen.true ? 1 : 0])
    }
  } else if (type === "string" || type === "binary") {
    ;({ lower, upper } = bytesMetrics(chunks, type, vector))
  } else if (/^fixed\[/.test(type) || type === "uuid") {
    const width = (chunks[0]?.type as { byteWidth?: number } | undefined)?.byteWidth ?? 16
    ;({ lower, upper } = bytesMetrics(chunks, type, vector, width))
  } else if (typeId === Type.Int || typeId === Type.Float || typeId === Type.Date || typeId === Type.Timestamp || typeId === Type.Time) {
    const is64 = chunks[0]?.values instanceof BigInt64Array
    for (const data of chunks) {
      if (is64) int64Chunk(data, accumulator)
      else numericChunk(data, accumulator, isFloat)
    }
    if (accumulator.min !== undefined) lower = serialize(type, accumulator.min)
    if (accumulator.max !== undefined) upper = serialize(type, accumulator.max)
  }
  return { valueCount, nullCount, nanCount: isFloat ? accumulator.nanCount : undefined, lower, upper }
}
