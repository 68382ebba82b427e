/**
 * Snowflake columns <-> Arrow types, and driver rows -> Arrow record
 * batches. Rows are fetched with NUMBER as strings (exact) and timestamps
 * as the driver's `SfDate` (epoch seconds + nanoseconds), so no value is
 * rounded through a JS number or Date.
 *
 * | Snowflake | Arrow |
 * | --- | --- |
 * | NUMBER(p,0) | Int64 (a value outside the Int64 range is an error naming the column) |
 * | NUMBER(p,s), s > 0 | Decimal128(p, s) |
 * | FLOAT | Float64 |
 * | VARCHAR | Utf8 |
 * | BOOLEAN | Bool |
 * | DATE | Date32 (days) |
 * | TIME | Time64 (nanoseconds) |
 * | TIMESTAMP_NTZ | Timestamp(ns) |
 * | TIMESTAMP_LTZ, TIMESTAMP_TZ | Timestamp(ns, "UTC") (TZ: the instant; the offset is not kept) |
 * | VARIANT, OBJECT, ARRAY | Utf8 JSON text, field metadata `ARROW:extension:name = arrow.json` |
 * | BINARY | Binary |
 *
 * Every field records the Snowflake type in its metadata (`snowflake:type`).
 */
import { EXTENSION_NAME, JSON_EXTENSION, JSON_TEXT } from "@strata/arrow/TableIO"
import * as Arrow from "apache-arrow"

/** Field metadata naming JSON text (Arrow's canonical JSON extension type), as `@strata/arrow` and `@strata/postgres` read it. */
export { EXTENSION_NAME, JSON_EXTENSION }
/** Field metadata: the Snowflake type a column was read from or is stored as. */
export const SNOWFLAKE_TYPE = "snowflake:type"

/** A result column, as the driver describes it. */
export interface ColumnInfo {
  readonly name: string
  /** The driver's lower-case type: `fixed`, `real`, `text`, `timestamp_ntz`... */
  readonly type: string
  readonly precision: number
  readonly scale: number
  readonly nullable: boolean
}

/** A value the conversion refuses (an overflowing NUMBER, say): the caller names the query. */
export class ConversionError extends Error {
  readonly column: string
  constructor(column: string, message: string) {
    super(message)
    this.column = column
  }
}

const sqlTypeName = (column: ColumnInfo): string => {
  switch (column.type) {
    case "fixed":
      return `NUMBER(${column.precision},${column.scale})`
    case "real":
      return "FLOAT"
    case "text":
      return "VARCHAR"
    default:
      return column.type.toUpperCase()
  }
}

/** The Arrow field of a Snowflake column. */
export const fieldOf = (column: ColumnInfo): Arrow.Field => {
  const metadata = new Map([[SNOWFLAKE_TYPE, sqlTypeName(column)]])
  let type: Arrow.DataType
  switch (column.type) {
    case "fixed":
      type = column.scale === 0 ? new Arrow.Int64() : new Arrow.Decimal(column.scale, column.precision, 128)
      break
    case "real":
      type = new Arrow.Float64()
      break
    case "boolean":
      type = new Arrow.Bool()
      break
    case "date":
      type = new Arrow.DateDay()
      break
    case "time":
      type = new Arrow.TimeNanosecond()
      break
    case "timestamp_ntz":
      type = new Arrow.TimestampNanosecond()
      break
    case "timestamp_ltz":
    case "timestamp_tz":
      type = new Arrow.TimestampNanosecond("UTC")
      break
    case "variant":
    case "object":
    case "array":
      type = new Arrow.Utf8()
      metadata.set(EXTENSION_NAME, JSON_EXTENSION)
      break
    case "binary":
      type = new Arrow.Binary()
      break
    default:
      type = new Arrow.Utf8()
  }
  return new Arrow.Field(column.name, type, column.nullable, metadata)
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

interface SfDate {
  readonly getEpochSeconds: () => number
  readonly getNanoSeconds: () => number
}
interface SfTime {
  readonly getMidnightSeconds: () => number
  readonly getNanoSeconds: () => number
}

const nanosOf = (value: unknown): bigint => {
  const date = value as SfDate
  if (typeof date.getEpochSeconds === "function") return BigInt(date.getEpochSeconds()) * 1_000_000_000n + BigInt(date.getNanoSeconds())
  return BigInt((value as Date).getTime()) * 1_000_000n
}

/** Unscaled integer of a decimal string at `scale`: `("12.3", 2)` -> 1230n. */
const unscaled = (text: string, scale: number): bigint => {
  const negative = text.startsWith("-")
  const [whole = "0", fraction = ""] = (negative ? text.slice(1) : text).split(".")
  const digits = BigInt(whole + fraction.padEnd(scale, "0").slice(0, scale))
  return negative ? -digits : digits
}

/** Four little-endian 32-bit words of a 128-bit two's complement integer, as apache-arrow's Decimal stores it. */
const decimalWords = (value: bigint): Uint32Array => {
  const words = new Uint32Array(4)
  let rest = BigInt.asUintN(128, value)
  for (let i = 0; i < 4; i++) {
    words[i] = Number(rest & 0xffffffffn)
    rest >>= 32n
  }
  return words
}

/** Converts one driver value to what the column's Arrow builder appends. */
const converterOf = (column: ColumnInfo, field: Arrow.Field): (value: unknown) => unknown => {
  switch (column.type) {
    case "fixed":
      if (column.scale === 0) {
        return (value) => {
          const big = BigInt(value as string)
          if (big < INT64_MIN || big > INT64_MAX) {
            throw new ConversionError(column.name, `value ${String(value)} of column ${column.name} does not fit in Int64; cast it to VARCHAR or NUMBER(38,s) with s > 0`)
          }
          return big
        }
      }
      return (value) => decimalWords(unscaled(String(value), column.scale))
    case "real":
      return (value) => typeof value === "number" ? value : Number(value)
    case "date":
      // apache-arrow's DateDay builder takes milliseconds
      return (value) => Number(nanosOf(value) / 86_400_000_000_000n) * 86_400_000
    case "time":
      return (value) => {
        const time = value as SfTime
        return BigInt(time.getMidnightSeconds()) * 1_000_000_000n + BigInt(time.getNanoSeconds())
      }
    case "timestamp_ntz":
    case "timestamp_ltz":
    case "timestamp_tz":
      return nanosOf
    case "variant":
    case "object":
    case "array":
      return (value) => typeof value === "string" ? value : JSON.stringify(value)
    case "binary":
      return (value) => value as Uint8Array
    default:
      return field.type.typeId === Arrow.Type.Bool ? (value) => value === true || value === "TRUE" : (value) => String(value)
  }
}

const isNanos = (type: Arrow.DataType): boolean =>
  (type.typeId === Arrow.Type.Timestamp || type.typeId === Arrow.Type.Time) && (type as Arrow.Timestamp).unit === Arrow.TimeUnit.NANOSECOND

/** Builds record batches from driver rows (arrays), column by column. */
export class BatchBuilder {
  readonly schema: Arrow.Schema
  private readonly converters: Array<(value: unknown) => unknown>
  private readonly numeric: Array<boolean>
  private builders: Array<Arrow.Builder>
  private rows = 0

  constructor(columns: ReadonlyArray<ColumnInfo>) {
    const fields = columns.map(fieldOf)
    this.schema = new Arrow.Schema(fields)
    this.converters = columns.map((column, index) => converterOf(column, fields[index]!))
    this.numeric = columns.map((column) => column.type === "fixed" || column.type === "real")
    this.builders = this.newBuilders()
  }

  /** 64-bit temporal columns are built as Int64 and relabelled: apache-arrow's own builders take milliseconds. */
  private newBuilders(): Array<Arrow.Builder> {
    return this.schema.fields.map((field) =>
      Arrow.makeBuilder({ type: isNanos(field.type) ? new Arrow.Int64() : field.type, nullValues: [null, undefined] })
    )
  }

  get length(): number {
    return this.rows
  }

  append(row: ReadonlyArray<unknown>): void {
    for (let i = 0; i < this.builders.length; i++) {
      const value = row[i]
      // NUMBER fetched as a string comes back as "NULL" for SQL NULL (the driver's null text)
      const missing = value === null || value === undefined || (this.numeric[i] === true && value === "NULL")
      this.builders[i]!.append(missing ? null : this.converters[i]!(value))
    }
    this.rows++
  }

  /** The rows appended since the last flush, as one record batch. */
  flush(): Arrow.RecordBatch {
    const children = this.builders.map((builder, index) => {
      const data = builder.finish().flush()
      const type = this.schema.fields[index]!.type
      return isNanos(type)
        ? Arrow.makeData({ type, length: data.length, nullCount: data.nullCount, nullBitmap: data.nullBitmap, data: data.values } as never)
        : data
    })
    const data = Arrow.makeData({ type: new Arrow.Struct(this.schema.fields), length: this.rows, nullCount: 0, children })
    this.builders = this.newBuilders()
    this.rows = 0
    return new Arrow.RecordBatch(this.schema, data)
  }
}

/** A whole result as one table. */
export const tableOf = (columns: ReadonlyArray<ColumnInfo>, rows: ReadonlyArray<ReadonlyArray<unknown>>): Arrow.Table => {
  const builder = new BatchBuilder(columns)
  for (const row of rows) builder.append(row)
  return new Arrow.Table(builder.schema, [builder.flush()])
}

// ---------------------------------------------------------------------------
// Arrow -> Snowflake

/** The Snowflake column type for an Arrow field (the field's `snowflake:type` metadata wins). */
export const sqlTypeOf = (field: Arrow.Field): string => {
  const declared = field.metadata.get(SNOWFLAKE_TYPE)
  if (declared !== undefined) return declared
  const type = field.type as Arrow.DataType
  switch (type.typeId) {
    case Arrow.Type.Int:
      return "NUMBER(38,0)"
    case Arrow.Type.Float:
      return "FLOAT"
    case Arrow.Type.Decimal: {
      const decimal = type as Arrow.Decimal
      return `NUMBER(${decimal.precision},${decimal.scale})`
    }
    case Arrow.Type.Utf8:
    case Arrow.Type.LargeUtf8:
      // JSON kept byte for byte (the values manager's JSON kind) is text: a VARIANT would parse and re-serialise it
      return field.metadata.get(EXTENSION_NAME) === JSON_EXTENSION && field.metadata.get(JSON_TEXT) !== "exact" ? "VARIANT" : "VARCHAR"
    case Arrow.Type.Dictionary:
      return "VARCHAR"
    case Arrow.Type.Bool:
      return "BOOLEAN"
    case Arrow.Type.Date:
      return "DATE"
    case Arrow.Type.Time:
      return "TIME(9)"
    case Arrow.Type.Timestamp:
      return (type as Arrow.Timestamp).timezone ? "TIMESTAMP_LTZ(9)" : "TIMESTAMP_NTZ(9)"
    case Arrow.Type.Binary:
    case Arrow.Type.LargeBinary:
      return "BINARY"
    case Arrow.Type.Null:
      return "VARCHAR"
  }
  throw new ConversionError(
    field.name,
    `column ${field.name} has Arrow type ${String(type)}, which Snowflake cannot store; convert it to integers, floats, decimal, utf8, bool, date, time, timestamp or binary`
  )
}

const TIMESTAMP_DIVISOR: Record<number, bigint> = {
  [Arrow.TimeUnit.SECOND]: 1n,
  [Arrow.TimeUnit.MILLISECOND]: 1000n,
  [Arrow.TimeUnit.MICROSECOND]: 1_000_000n,
  [Arrow.TimeUnit.NANOSECOND]: 1_000_000_000n
}

/** `YYYY-MM-DD HH:MI:SS.fffffffff[ +00:00]` from a count of `unit`s since the epoch. */
const timestampText = (value: bigint, unit: Arrow.TimeUnit, zoned: boolean): string => {
  const perSecond = TIMESTAMP_DIVISOR[unit]!
  let seconds = value / perSecond
  let fraction = value % perSecond
  if (fraction < 0n) {
    seconds -= 1n
    fraction += perSecond
  }
  const nanos = fraction * (1_000_000_000n / perSecond)
  const iso = new Date(Number(seconds) * 1000).toISOString().slice(0, 19).replace("T", " ")
  return `${iso}.${nanos.toString().padStart(9, "0")}${zoned ? " +00:00" : ""}`
}

const decimalText = (words: Uint32Array, scale: number): string => {
  let value = 0n
  for (let i = words.length - 1; i >= 0; i--) value = (value << 32n) | BigInt(words[i]!)
  value = BigInt.asIntN(words.length * 32, value)
  if (scale === 0) return value.toString()
  const negative = value < 0n
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0")
  return `${negative ? "-" : ""}${digits.slice(0, -scale)}.${digits.slice(-scale)}`
}

/** One value of a chunk as a bind value. */
const bindValue = (type: Arrow.DataType, data: Arrow.Data, vector: Arrow.Vector, index: number): string | number | boolean | null => {
  const value: unknown = vector.get(index)
  if (value === null || value === undefined) return null
  switch (type.typeId) {
    case Arrow.Type.Int:
      return typeof value === "bigint" ? value.toString() : value as number
    case Arrow.Type.Decimal:
      return decimalText(value as Uint32Array, (type as Arrow.Decimal).scale)
    case Arrow.Type.Date:
      return new Date(value as number).toISOString().slice(0, 10)
    case Arrow.Type.Timestamp: {
      const timestamp = type as Arrow.Timestamp
      // the raw 64-bit count: apache-arrow's get() rounds to milliseconds
      const raw = (data.values as unknown as BigInt64Array)[index]!
      return timestampText(BigInt(raw), timestamp.unit, Boolean(timestamp.timezone))
    }
    case Arrow.Type.Time: {
      const nanos = BigInt(value as number | bigint) * (1_000_000_000n / TIMESTAMP_DIVISOR[(type as Arrow.Time).unit]!)
      const clock = new Date(Number(nanos / 1_000_000_000n) * 1000).toISOString().slice(11, 19)
      return `${clock}.${(nanos % 1_000_000_000n).toString().padStart(9, "0")}`
    }
    case Arrow.Type.Binary:
    case Arrow.Type.LargeBinary:
      return Buffer.from(value as Uint8Array).toString("hex")
    case Arrow.Type.Bool:
      return value as boolean
    case Arrow.Type.Float:
      return value as number
    default:
      return String(value)
  }
}

/**
 * A column's values as bind values (strings, numbers, booleans, null), in
 * the form the driver sends and Snowflake casts to the column's type.
 */
export const bindColumn = (field: Arrow.Field, vector: Arrow.Vector): Array<string | number | boolean | null> => {
  const type = field.type as Arrow.DataType
  const out: Array<string | number | boolean | null> = []
  for (const data of vector.data) {
    const chunk = Arrow.makeVector(data)
    for (let i = 0; i < data.length; i++) out.push(bindValue(type, data, chunk, i))
  }
  return out
}
