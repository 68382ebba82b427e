/**
 * Column statistics for manifests (spec: "Field-level Metrics") and the binary
 * single-value serialization of bounds (spec Appendix D). Statistics come from
 * the Parquet footer the writer just produced (as the reference
 * implementation does): value counts (nulls included), null counts, and
 * lower/upper bounds merged over row groups. Strings and binaries are bounded
 * by their first 16 characters/bytes, as the reference implementation's
 * default `truncate(16)` metrics mode does: the upper bound is then the prefix
 * with its last character incremented, so it still bounds every value.
 * Parquet statistics leave NaNs out of float bounds, as Iceberg requires;
 * NaN counts are not recorded (optional in the spec).
 */
import { parquetMetadata } from "hyparquet"

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
// Statistics from the Parquet footer

/** Footer values as raw as Iceberg needs them: timestamps in µs, dates in days, strings as bytes. */
const rawParsers = {
  timestampFromMilliseconds: (value: bigint) => value * 1000n,
  timestampFromMicroseconds: (value: bigint) => value,
  timestampFromNanoseconds: (value: bigint) => value / 1000n,
  dateFromDays: (days: number) => days,
  stringFromBytes: (bytes: Uint8Array) => bytes,
  jsonFromBytes: (bytes: Uint8Array) => bytes,
  geometryFromBytes: (bytes: Uint8Array) => bytes,
  geographyFromBytes: (bytes: Uint8Array) => bytes,
  uuidFromBytes: (bytes: Uint8Array) => bytes
}

const asBytes = (value: unknown): Uint8Array | undefined =>
  value instanceof Uint8Array ? value : typeof value === "string" ? new TextEncoder().encode(value) : undefined

/** The bound bytes of a footer value for a column of an Iceberg type (strings/binaries truncated). */
const boundOf = (type: string, value: unknown, side: "lower" | "upper"): Uint8Array | undefined => {
  if (value === undefined || value === null) return undefined
  if (type === "string" || type === "binary") {
    const bytes = asBytes(value)
    if (bytes === undefined) return undefined
    return side === "lower" ? truncateLower(bytes, type === "string").slice() : truncateUpper(bytes, type === "string")?.slice()
  }
  if (/^fixed\[/.test(type) || type === "uuid") return asBytes(value)?.slice()
  return serialize(type, value)
}

/**
 * Statistics of every column of a Parquet file, by field id, from its footer:
 * `types` gives each field id's Iceberg type.
 */
export const fromParquetFooter = (bytes: Uint8Array, types: ReadonlyMap<number, string>): Map<number, ColumnMetrics> => {
  // a Uint8Array is read in place (only the footer is parsed)
  const footer = parquetMetadata(bytes as never, { parsers: rawParsers as never, geoparquet: false })
  const leaves = footer.schema.slice(1)
  const result = new Map<number, ColumnMetrics>()
  leaves.forEach((element, index) => {
    const id = element.field_id
    const type = id === undefined ? undefined : types.get(id)
    if (id === undefined || type === undefined) return
    let nullCount = 0
    let min: unknown
    let max: unknown
    let complete = true
    for (const group of footer.row_groups) {
      const statistics = group.columns[index]?.meta_data?.statistics
      if (statistics === undefined || statistics.null_count === undefined) complete = false
      nullCount += Number(statistics?.null_count ?? 0n)
      const low = statistics?.min_value ?? statistics?.min
      const high = statistics?.max_value ?? statistics?.max
      if (low !== undefined && (min === undefined || compare(low, min) < 0)) min = low
      if (high !== undefined && (max === undefined || compare(high, max) > 0)) max = high
    }
    const valueCount = Number(footer.num_rows)
    result.set(id, {
      valueCount,
      nullCount: complete ? nullCount : Number.NaN,
      nanCount: undefined,
      // a row group without bounds (all nulls) does not widen them; one without statistics leaves them unknown
      lower: complete ? boundOf(type, min, "lower") : undefined,
      upper: complete ? boundOf(type, max, "upper") : undefined
    })
  })
  return result
}
