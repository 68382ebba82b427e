/**
 * Postgres binary COPY <-> Arrow columns, without going through JS values
 * where the layouts allow: text goes byte-for-byte from Arrow's UTF-8 buffer
 * to the wire and back, 64-bit integers travel as two 32-bit words.
 *
 * Binary COPY layout: an 11-byte signature, int32 flags, int32 header
 * extension length; then per row int16 field count and per field int32
 * length (-1 for NULL) and the value in the type's binary send format;
 * an int16 -1 ends the stream. All integers are big-endian.
 */
import * as Arrow from "apache-arrow"

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1")
/** Days from 1970-01-01 to 2000-01-01, Postgres' epoch. */
const EPOCH_DAYS = 10_957
/** Microseconds from 1970-01-01 to 2000-01-01. */
const EPOCH_MICROS = 946_684_800_000_000
const TWO_32 = 4_294_967_296
const SAFE = Number.MAX_SAFE_INTEGER
const CHUNK = 1 << 20

/** Field metadata naming JSON text (Arrow's canonical JSON extension type). */
export const EXTENSION_NAME = "ARROW:extension:name"
export const JSON_EXTENSION = "arrow.json"
/** Field metadata recording the Postgres type a column was read from or should be stored as. */
export const PG_TYPE = "strata:pg_type"
/** Field metadata `exact`: JSON text kept byte for byte (see `@strata/arrow/TableIO`). */
export const JSON_TEXT = "strata:json_text"

/** A column whose values cannot be encoded: the caller turns it into an error naming the asset. */
export class ColumnError extends Error {
  readonly column: string
  constructor(column: string, message: string) {
    super(message)
    this.column = column
  }
}

// ---------------------------------------------------------------------------
// Arrow -> Postgres types

/** The Postgres column type for an Arrow field. */
export const sqlTypeOf = (field: Arrow.Field): string => {
  const type = field.type as Arrow.DataType
  const pgType = field.metadata.get(PG_TYPE)
  switch (type.typeId) {
    case Arrow.Type.Int: {
      const int = type as Arrow.Int
      if (int.isSigned) return int.bitWidth <= 16 ? "smallint" : int.bitWidth === 32 ? "integer" : "bigint"
      return int.bitWidth <= 8 ? "smallint" : int.bitWidth === 16 ? "integer" : int.bitWidth === 32 ? "bigint" : "numeric(20,0)"
    }
    case Arrow.Type.Float:
      return (type as Arrow.Float).precision === Arrow.Precision.DOUBLE ? "double precision" : "real"
    case Arrow.Type.Decimal: {
      const decimal = type as Arrow.Decimal
      return `numeric(${decimal.precision},${decimal.scale})`
    }
    case Arrow.Type.Utf8:
    case Arrow.Type.LargeUtf8:
      if (field.metadata.get(EXTENSION_NAME) === JSON_EXTENSION) {
        // exact JSON text (the values manager's JSON kind) is kept byte for byte: json, not jsonb
        return pgType === "json" || field.metadata.get(JSON_TEXT) === "exact" ? "json" : "jsonb"
      }
      return "text"
    case Arrow.Type.Dictionary: {
      const value = (type as Arrow.Dictionary).dictionary
      if (value.typeId === Arrow.Type.Utf8 || value.typeId === Arrow.Type.LargeUtf8) return "text"
      break
    }
    case Arrow.Type.Bool:
      return "boolean"
    case Arrow.Type.Date:
      return "date"
    case Arrow.Type.Timestamp:
      return (type as Arrow.Timestamp).timezone ? "timestamptz" : "timestamp"
    case Arrow.Type.Binary:
    case Arrow.Type.LargeBinary:
      return "bytea"
    case Arrow.Type.Null:
      return "text"
  }
  throw new ColumnError(
    field.name,
    `column ${JSON.stringify(field.name)} has Arrow type ${String(type)}, which the Postgres I/O manager cannot store; ` +
      "convert it to one of: integers, floats, decimal, utf8 (JSON text with field metadata ARROW:extension:name=arrow.json), " +
      "bool, date, timestamp, binary"
  )
}

// ---------------------------------------------------------------------------
// Encoding

class Writer {
  buffer = Buffer.allocUnsafe(CHUNK + 1024)
  position = 0
  ensure(bytes: number) {
    if (this.position + bytes > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.position + bytes))
      this.buffer.copy(bigger, 0, 0, this.position)
      this.buffer = bigger
    }
  }
  take(): Buffer {
    const filled = this.buffer.subarray(0, this.position)
    this.buffer = Buffer.allocUnsafe(CHUNK + 1024)
    this.position = 0
    return filled
  }
}

type FieldWriter = (writer: Writer, row: number) => void

const isValid = (bitmap: Uint8Array | null | undefined, offset: number, row: number): boolean => {
  if (bitmap == null || bitmap.length === 0) return true
  const bit = offset + row
  return (bitmap[bit >> 3]! & (1 << (bit & 7))) !== 0
}

const writeNull = (writer: Writer) => {
  writer.ensure(4)
  writer.buffer.writeInt32BE(-1, writer.position)
  writer.position += 4
}

/** Writes a 64-bit integer given as a JS number (exact below 2^53). */
const writeInt64Number = (buffer: Buffer, position: number, value: number) => {
  const high = Math.floor(value / TWO_32)
  buffer.writeInt32BE(high, position)
  buffer.writeUInt32BE(value - high * TWO_32, position + 4)
}

const int64Words = (values: ArrayLike<unknown> & { buffer: ArrayBufferLike; byteOffset: number; length: number }) =>
  new Int32Array(values.buffer, values.byteOffset, values.length * 2)

const numericWords = (words: Uint32Array, index: number, wordCount: number): bigint => {
  let value = 0n
  for (let w = wordCount - 1; w >= 0; w--) value = (value << 32n) | BigInt(words[index * wordCount + w]!)
  const bits = BigInt(wordCount * 32)
  if (value >> (bits - 1n) === 1n) value -= 1n << bits
  return value
}

/** The binary send format of `numeric` for an unscaled integer and a scale. */
export const encodeNumeric = (unscaled: bigint, scale: number): Buffer => {
  const negative = unscaled < 0n
  let magnitude = negative ? -unscaled : unscaled
  const pad = (4 - (scale % 4)) % 4
  magnitude *= 10n ** BigInt(pad)
  const fractionGroups = (scale + pad) / 4
  const digits: Array<number> = []
  while (magnitude > 0n) {
    digits.push(Number(magnitude % 10000n))
    magnitude /= 10000n
  }
  digits.reverse()
  let weight = digits.length - 1 - fractionGroups
  while (digits.length > 0 && digits[0] === 0) {
    digits.shift()
    weight--
  }
  while (digits.length > 0 && digits[digits.length - 1] === 0) digits.pop()
  const out = Buffer.allocUnsafe(8 + digits.length * 2)
  out.writeInt16BE(digits.length, 0)
  out.writeInt16BE(digits.length === 0 ? 0 : weight, 2)
  out.writeUInt16BE(negative && digits.length > 0 ? 0x4000 : 0, 4)
  out.writeInt16BE(scale, 6)
  for (let i = 0; i < digits.length; i++) out.writeInt16BE(digits[i]!, 8 + i * 2)
  return out
}

const bytesWriter = (bytes: (row: number) => Uint8Array | null, validity: (row: number) => boolean, prefix?: number): FieldWriter =>
  (writer, row) => {
    const value = validity(row) ? bytes(row) : null
    if (value === null) return writeNull(writer)
    const extra = prefix === undefined ? 0 : 1
    writer.ensure(4 + extra + value.length)
    writer.buffer.writeInt32BE(value.length + extra, writer.position)
    writer.position += 4
    if (prefix !== undefined) writer.buffer[writer.position++] = prefix
    writer.buffer.set(value, writer.position)
    writer.position += value.length
  }

/** A batch's column being encoded: its field, its data, and whether a row holds a value. */
interface ColumnSource {
  readonly field: Arrow.Field
  readonly data: Arrow.Data
  readonly valid: (row: number) => boolean
}

/** A writer of a fixed-width binary format: `width` bytes after the length, NULL where the row holds none. */
const fixedWriter = (
  valid: (row: number) => boolean,
  width: number,
  write: (buffer: Buffer, position: number, row: number) => void
): FieldWriter =>
(writer, row) => {
  if (!valid(row)) return writeNull(writer)
  writer.ensure(4 + width)
  const buffer = writer.buffer
  buffer.writeInt32BE(width, writer.position)
  write(buffer, writer.position + 4, row)
  writer.position += 4 + width
}

/** The writer of a column, by its Arrow type's family. */
const fieldWriter = (field: Arrow.Field, data: Arrow.Data): FieldWriter => {
  const type = data.type as Arrow.DataType
  const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined
  const offset = data.offset
  const source: ColumnSource = { field, data, valid: (row: number) => isValid(bitmap, offset, row) }
  switch (type.typeId) {
    case Arrow.Type.Int:
      return integerWriter(source)
    case Arrow.Type.Float:
      return floatWriter(source)
    case Arrow.Type.Decimal:
      return decimalWriter(source)
    case Arrow.Type.Utf8:
    case Arrow.Type.LargeUtf8:
    case Arrow.Type.Binary:
    case Arrow.Type.LargeBinary:
      return varlenaWriter(source)
    case Arrow.Type.Dictionary:
      return dictionaryWriter(source)
    case Arrow.Type.Bool:
      return boolWriter(source)
    case Arrow.Type.Date:
      return dateWriter(source)
    case Arrow.Type.Timestamp:
      return timestampWriter(source)
    case Arrow.Type.Null:
      return (writer) => writeNull(writer)
  }
  sqlTypeOf(field)
  throw new ColumnError(field.name, `column ${JSON.stringify(field.name)}: unsupported Arrow type ${String(type)}`)
}

/** Integers: smallint, integer or bigint by width (unsigned ones one size up), unsigned 64-bit as numeric. */
const integerWriter = ({ data, valid }: ColumnSource): FieldWriter => {
  const int = data.type as Arrow.Int
  const values = data.values as ArrayLike<number | bigint> & { buffer: ArrayBufferLike; byteOffset: number; length: number }
  if (int.bitWidth === 64) {
    const words = int64Words(values)
    if (!int.isSigned) {
      return bytesWriter((row) => encodeNumeric(BigInt.asUintN(64, (values as BigUint64Array)[row]!), 0), valid)
    }
    return fixedWriter(valid, 8, (buffer, position, row) => {
      buffer.writeInt32BE(words[row * 2 + 1]!, position)
      buffer.writeInt32BE(words[row * 2]!, position + 4)
    })
  }
  const numbers = values as ArrayLike<number>
  if (int.isSigned ? int.bitWidth <= 16 : int.bitWidth <= 8) {
    return fixedWriter(valid, 2, (buffer, position, row) => buffer.writeInt16BE(numbers[row]!, position))
  }
  if (int.isSigned ? int.bitWidth === 32 : int.bitWidth === 16) {
    return fixedWriter(valid, 4, (buffer, position, row) => buffer.writeInt32BE(numbers[row]!, position))
  }
  return fixedWriter(valid, 8, (buffer, position, row) => writeInt64Number(buffer, position, numbers[row]!))
}

/** Floats: double precision, or real for single and half precision. */
const floatWriter = ({ data, valid }: ColumnSource): FieldWriter => {
  const float = data.type as Arrow.Float
  if (float.precision === Arrow.Precision.DOUBLE) {
    const values = data.values as Float64Array
    return fixedWriter(valid, 8, (buffer, position, row) => buffer.writeDoubleBE(values[row]!, position))
  }
  if (float.precision === Arrow.Precision.SINGLE) {
    const values = data.values as Float32Array
    return fixedWriter(valid, 4, (buffer, position, row) => buffer.writeFloatBE(values[row]!, position))
  }
  const vector = Arrow.makeVector(data) as Arrow.Vector<Arrow.Float16>
  return fixedWriter(valid, 4, (buffer, position, row) => buffer.writeFloatBE(vector.get(row) as number, position))
}

/** Decimals: numeric, from the unscaled two's-complement words. */
const decimalWriter = ({ data, valid }: ColumnSource): FieldWriter => {
  const decimal = data.type as Arrow.Decimal
  const wordCount = decimal.bitWidth / 32
  const words = data.values as Uint32Array
  return bytesWriter((row) => encodeNumeric(numericWords(words, row, wordCount), decimal.scale), valid)
}

/**
 * Text and binary: the bytes as they are (a small-offset column without a
 * prefix straight from Arrow's buffer); JSON text stored as jsonb gets its
 * version byte.
 */
const varlenaWriter = ({ field, data, valid }: ColumnSource): FieldWriter => {
  const type = data.type as Arrow.DataType
  const offsets = data.valueOffsets as Int32Array | BigInt64Array
  const bytes = data.values as Uint8Array
  const large = type.typeId === Arrow.Type.LargeUtf8 || type.typeId === Arrow.Type.LargeBinary
  const jsonb = field.metadata.get(EXTENSION_NAME) === JSON_EXTENSION && sqlTypeOf(field) === "jsonb"
  if (!large && !jsonb) {
    const small = offsets as Int32Array
    return (writer, row) => {
      if (!valid(row)) return writeNull(writer)
      const start = small[row]!
      const length = small[row + 1]! - start
      writer.ensure(4 + length)
      writer.buffer.writeInt32BE(length, writer.position)
      writer.buffer.set(bytes.subarray(start, start + length), writer.position + 4)
      writer.position += 4 + length
    }
  }
  return bytesWriter(
    (row) => bytes.subarray(Number(offsets[row]!), Number(offsets[row + 1]!)),
    valid,
    jsonb ? 1 : undefined
  )
}

/** Dictionary-encoded text: each dictionary value encoded once. */
const dictionaryWriter = ({ data, valid }: ColumnSource): FieldWriter => {
  const dictionary = (data.dictionary as Arrow.Vector | undefined)
  const encoded: Array<Uint8Array | null> = []
  if (dictionary !== undefined) for (const value of dictionary) encoded.push(value == null ? null : Buffer.from(String(value), "utf8"))
  const indices = data.values as ArrayLike<number | bigint>
  return bytesWriter((row) => encoded[Number(indices[row]!)] ?? null, valid)
}

/** Booleans, from Arrow's bit-packed values. */
const boolWriter = ({ data, valid }: ColumnSource): FieldWriter => {
  const bits = data.values as Uint8Array
  const offset = data.offset
  return fixedWriter(valid, 1, (buffer, position, row) => {
    const bit = offset + row
    buffer[position] = (bits[bit >> 3]! >> (bit & 7)) & 1
  })
}

/** Dates: days since Postgres' epoch; a date in milliseconds must be a whole day. */
const dateWriter = ({ field, data, valid }: ColumnSource): FieldWriter => {
  const name = field.name
  if ((data.type as Arrow.Date_).unit === Arrow.DateUnit.DAY) {
    const days = data.values as Int32Array
    return fixedWriter(valid, 4, (buffer, position, row) => buffer.writeInt32BE(days[row]! - EPOCH_DAYS, position))
  }
  const words = int64Words(data.values as BigInt64Array)
  return fixedWriter(valid, 4, (buffer, position, row) => {
    const millis = words[row * 2 + 1]! * TWO_32 + (words[row * 2]! >>> 0)
    if (millis % 86_400_000 !== 0) {
      throw new ColumnError(name, `column ${JSON.stringify(name)} (date in milliseconds) has a value that is not a whole day at row ${row}`)
    }
    buffer.writeInt32BE(millis / 86_400_000 - EPOCH_DAYS, position)
  })
}

/**
 * Timestamps: microseconds since Postgres' epoch, as a JS number while it is
 * exact, else as a bigint; nanoseconds must be whole microseconds.
 */
const timestampWriter = ({ field, data, valid }: ColumnSource): FieldWriter => {
  const name = field.name
  const unit = (data.type as Arrow.Timestamp).unit
  const words = int64Words(data.values as BigInt64Array)
  const values = data.values as BigInt64Array
  const factor = unit === Arrow.TimeUnit.SECOND ? 1_000_000 : unit === Arrow.TimeUnit.MILLISECOND ? 1000 : 1
  return fixedWriter(valid, 8, (buffer, position, row) => {
    const raw = words[row * 2 + 1]! * TWO_32 + (words[row * 2]! >>> 0)
    let micros: number
    if (unit === Arrow.TimeUnit.NANOSECOND) {
      if (raw % 1000 !== 0 || Math.abs(raw) > SAFE) {
        const big = values[row]!
        if (big % 1000n !== 0n) {
          throw new ColumnError(
            name,
            `column ${JSON.stringify(name)} has a timestamp with nanoseconds at row ${row}; Postgres keeps microseconds: round the column first`
          )
        }
        buffer.writeBigInt64BE(big / 1000n - BigInt(EPOCH_MICROS), position)
        return
      }
      micros = raw / 1000
    } else {
      micros = raw * factor
    }
    if (Math.abs(micros) < SAFE - EPOCH_MICROS) writeInt64Number(buffer, position, micros - EPOCH_MICROS)
    else buffer.writeBigInt64BE(values[row]! * BigInt(factor) - BigInt(EPOCH_MICROS), position)
  })
}

/**
 * The binary COPY stream of a table, in chunks of about 1 MiB. `extra` is an
 * optional constant text value appended to every row (the partition column).
 * `onChunk` sees every chunk (for hashing) before it is yielded.
 */
export function* encodeTable(table: Arrow.Table, extra: string | undefined, onChunk: (chunk: Buffer) => void): Generator<Buffer> {
  const writer = new Writer()
  writer.buffer.set(SIGNATURE, 0)
  writer.buffer.writeInt32BE(0, 11)
  writer.buffer.writeInt32BE(0, 15)
  writer.position = 19
  const fields = table.schema.fields
  const fieldCount = fields.length + (extra === undefined ? 0 : 1)
  const extraBytes = extra === undefined ? undefined : Buffer.from(extra, "utf8")
  for (const batch of table.batches) {
    const writers = fields.map((field, index) => fieldWriter(field, batch.getChildAt(index)!.data[0]!))
    const rows = batch.numRows
    const columns = writers.length
    for (let row = 0; row < rows; row++) {
      writer.ensure(2)
      writer.buffer.writeInt16BE(fieldCount, writer.position)
      writer.position += 2
      for (let column = 0; column < columns; column++) writers[column]!(writer, row)
      if (extraBytes !== undefined) {
        writer.ensure(4 + extraBytes.length)
        writer.buffer.writeInt32BE(extraBytes.length, writer.position)
        writer.buffer.set(extraBytes, writer.position + 4)
        writer.position += 4 + extraBytes.length
      }
      if (writer.position >= CHUNK) {
        const chunk = writer.take()
        onChunk(chunk)
        yield chunk
      }
    }
  }
  writer.ensure(2)
  writer.buffer.writeInt16BE(-1, writer.position)
  writer.position += 2
  const last = writer.take()
  onChunk(last)
  yield last
}

// ---------------------------------------------------------------------------
// Decoding

/** A column as Postgres describes it (`pg_attribute`). */
export interface PgColumn {
  readonly name: string
  readonly oid: number
  readonly typmod: number
  readonly sqlType: string
  readonly notNull: boolean
}

/** The Postgres type OIDs decoded natively; anything else is read as `::text`. */
export const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  json: 114,
  float4: 700,
  float8: 701,
  varchar: 1043,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  jsonb: 3802
} as const

const numericPrecision = (typmod: number) => typmod < 4 ? undefined : { precision: ((typmod - 4) >> 16) & 0xffff, scale: (typmod - 4) & 0xffff }

/** `true` when a column is decoded from its binary format (else it is selected as `::text`). */
export const isNative = (column: PgColumn): boolean => {
  switch (column.oid) {
    case OID.bool:
    case OID.bytea:
    case OID.int8:
    case OID.int2:
    case OID.int4:
    case OID.text:
    case OID.varchar:
    case OID.json:
    case OID.jsonb:
    case OID.float4:
    case OID.float8:
    case OID.date:
    case OID.timestamp:
    case OID.timestamptz:
      return true
    case OID.numeric: {
      const numeric = numericPrecision(column.typmod)
      return numeric !== undefined && numeric.precision <= 76 && numeric.scale <= numeric.precision
    }
  }
  return false
}

/** The Arrow field a column is loaded as. */
export const arrowFieldOf = (column: PgColumn): Arrow.Field => {
  const metadata = new Map<string, string>()
  let type: Arrow.DataType
  if (!isNative(column)) {
    metadata.set(PG_TYPE, column.sqlType)
    type = new Arrow.Utf8()
  } else {
    switch (column.oid) {
      case OID.bool:
        type = new Arrow.Bool()
        break
      case OID.bytea:
        type = new Arrow.Binary()
        break
      case OID.int2:
        type = new Arrow.Int16()
        break
      case OID.int4:
        type = new Arrow.Int32()
        break
      case OID.int8:
        type = new Arrow.Int64()
        break
      case OID.float4:
        type = new Arrow.Float32()
        break
      case OID.float8:
        type = new Arrow.Float64()
        break
      case OID.date:
        type = new Arrow.DateDay()
        break
      case OID.timestamp:
        type = new Arrow.TimestampMicrosecond()
        break
      case OID.timestamptz:
        type = new Arrow.TimestampMicrosecond("UTC")
        break
      case OID.numeric: {
        const { precision, scale } = numericPrecision(column.typmod)!
        type = new Arrow.Decimal(scale, precision, precision <= 38 ? 128 : 256)
        break
      }
      case OID.json:
      case OID.jsonb:
        metadata.set(EXTENSION_NAME, JSON_EXTENSION)
        metadata.set(PG_TYPE, column.oid === OID.json ? "json" : "jsonb")
        type = new Arrow.Utf8()
        break
      case OID.varchar:
        metadata.set(PG_TYPE, column.sqlType)
        type = new Arrow.Utf8()
        break
      default:
        type = new Arrow.Utf8()
    }
  }
  return new Arrow.Field(column.name, type, !column.notNull, metadata)
}

class Growable<T extends Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array | Float64Array | Uint32Array> {
  array: T
  readonly make: (size: number) => T
  constructor(make: (size: number) => T) {
    this.make = make
    this.array = make(1024)
  }
  reserve(size: number) {
    if (size > this.array.length) {
      const bigger = this.make(Math.max(size, this.array.length * 2))
      bigger.set(this.array as never)
      this.array = bigger
    }
  }
}

interface ColumnDecoder {
  /** Decodes the value at `buffer[position .. position + length)`; `length` is -1 for NULL. */
  readonly push: (buffer: Buffer, position: number, length: number, row: number) => void
  readonly finish: (length: number) => Arrow.Data
}

const decodeNumeric = (buffer: Buffer, position: number, scale: number, column: string): bigint => {
  const ndigits = buffer.readInt16BE(position)
  const weight = buffer.readInt16BE(position + 2)
  const sign = buffer.readUInt16BE(position + 4)
  if (sign !== 0 && sign !== 0x4000) {
    throw new ColumnError(column, `column ${JSON.stringify(column)} holds NaN or infinity, which an Arrow decimal cannot represent`)
  }
  let value = 0n
  for (let i = 0; i < ndigits; i++) value = value * 10000n + BigInt(buffer.readInt16BE(position + 8 + i * 2))
  // value * 10000^(weight - ndigits + 1) * 10^scale, as an integer
  const exponent = 4 * (weight - ndigits + 1) + scale
  value = exponent >= 0 ? value * 10n ** BigInt(exponent) : value / 10n ** BigInt(-exponent)
  return sign === 0x4000 ? -value : value
}

/** The validity bitmap of a column being decoded, and its count of NULLs. */
class Validity {
  readonly bits = new Growable((size) => new Uint8Array(size))
  nullCount = 0
  setValid(row: number) {
    this.bits.reserve((row >> 3) + 1)
    this.bits.array[row >> 3]! |= 1 << (row & 7)
  }
  /** The bitmap of `length` rows, or none when every row holds a value. */
  bitmap(length: number) {
    if (this.nullCount === 0) return undefined
    this.bits.reserve((length >> 3) + 1)
    return this.bits.array.subarray(0, (length + 7) >> 3)
  }
}

/** The Arrow data of a decoded column of `length` rows, from its buffers (`props`). */
type MakeData = (props: Record<string, unknown>, length: number) => Arrow.Data

/**
 * A decoder of a fixed-width binary format into a typed array of `perRow`
 * elements per row; `read` decodes one value, `finish` wraps the array.
 */
const fixedDecoder = <T extends Int16Array | Int32Array | Float32Array | Float64Array | Uint8Array | Uint32Array>(
  validity: Validity,
  make: (size: number) => T,
  perRow: number,
  read: (array: T, index: number, buffer: Buffer, position: number, length: number) => void,
  finish: (array: T, length: number) => Arrow.Data
): ColumnDecoder => {
  const values = new Growable(make)
  return {
    push: (buffer, position, length, row) => {
      values.reserve((row + 1) * perRow)
      if (length < 0) {
        validity.nullCount++
        return
      }
      validity.setValid(row)
      read(values.array, row, buffer, position, length)
    },
    finish: (length) => {
      values.reserve(length * perRow)
      return finish(values.array.subarray(0, length * perRow) as T, length)
    }
  }
}

/** The decoder of a column, by its Postgres type's family. */
const makeDecoder = (field: Arrow.Field, column: PgColumn): ColumnDecoder => {
  const type = field.type as Arrow.DataType
  const validity = new Validity()
  const data: MakeData = (props, length) =>
    Arrow.makeData({ type, length, nullCount: validity.nullCount, nullBitmap: validity.bitmap(length), ...props } as never) as Arrow.Data
  if (type.typeId === Arrow.Type.Utf8 || type.typeId === Arrow.Type.Binary) return varlenaDecoder(column, validity, data)
  switch (column.oid) {
    case OID.bool:
      return boolDecoder(validity, data)
    case OID.int2:
    case OID.int4:
    case OID.int8:
      return integerDecoder(column.oid, validity, data)
    case OID.float4:
    case OID.float8:
      return floatDecoder(column.oid, validity, data)
    case OID.date:
      return fixedDecoder(validity, (size) => new Int32Array(size), 1, (array, row, buffer, position) => {
        array[row] = buffer.readInt32BE(position) + EPOCH_DAYS
      }, (array, length) => data({ data: array }, length))
    case OID.timestamp:
    case OID.timestamptz:
      return timestampDecoder(validity, data)
    case OID.numeric:
      return numericDecoder(type as Arrow.Decimal, column, validity, data)
  }
  throw new ColumnError(column.name, `column ${JSON.stringify(column.name)}: no decoder for ${column.sqlType}`)
}

/** Text, JSON and bytea: the bytes appended to one buffer (jsonb without its version byte). */
const varlenaDecoder = (column: PgColumn, validity: Validity, data: MakeData): ColumnDecoder => {
  const offsets = new Growable((size) => new Int32Array(size))
  const bytes = new Growable((size) => new Uint8Array(size))
  let end = 0
  const skip = column.oid === OID.jsonb ? 1 : 0
  return {
    push: (buffer, position, length, row) => {
      offsets.reserve(row + 2)
      if (length < 0) {
        validity.nullCount++
      } else {
        validity.setValid(row)
        const size = length - skip
        bytes.reserve(end + size)
        bytes.array.set(buffer.subarray(position + skip, position + length), end)
        end += size
      }
      offsets.array[row + 1] = end
    },
    finish: (length) => {
      offsets.reserve(length + 1)
      return data({ valueOffsets: offsets.array.subarray(0, length + 1), data: bytes.array.subarray(0, end) }, length)
    }
  }
}

/** Booleans: one byte a row while decoding, bit-packed at the end. */
const boolDecoder = (validity: Validity, data: MakeData): ColumnDecoder =>
  fixedDecoder(validity, (size) => new Uint8Array(size), 1, (array, row, buffer, position) => {
    array[row] = buffer[position]!
  }, (array, length) => {
    const packed = new Uint8Array((length + 7) >> 3)
    for (let i = 0; i < length; i++) if (array[i]) packed[i >> 3]! |= 1 << (i & 7)
    return data({ data: packed }, length)
  })

/** smallint, integer, and bigint as two 32-bit words (little-endian, as Arrow's Int64 lays them out). */
const integerDecoder = (oid: typeof OID.int2 | typeof OID.int4 | typeof OID.int8, validity: Validity, data: MakeData): ColumnDecoder => {
  switch (oid) {
    case OID.int2:
      return fixedDecoder(validity, (size) => new Int16Array(size), 1, (array, row, buffer, position) => {
        array[row] = buffer.readInt16BE(position)
      }, (array, length) => data({ data: array }, length))
    case OID.int4:
      return fixedDecoder(validity, (size) => new Int32Array(size), 1, (array, row, buffer, position) => {
        array[row] = buffer.readInt32BE(position)
      }, (array, length) => data({ data: array }, length))
    case OID.int8:
      return fixedDecoder(validity, (size) => new Int32Array(size), 2, (array, row, buffer, position) => {
        array[row * 2 + 1] = buffer.readInt32BE(position)
        array[row * 2] = buffer.readInt32BE(position + 4)
      }, (array, length) => data({ data: new BigInt64Array(array.buffer, array.byteOffset, length) }, length))
  }
}

/** real and double precision. */
const floatDecoder = (oid: typeof OID.float4 | typeof OID.float8, validity: Validity, data: MakeData): ColumnDecoder =>
  oid === OID.float4
    ? fixedDecoder(validity, (size) => new Float32Array(size), 1, (array, row, buffer, position) => {
      array[row] = buffer.readFloatBE(position)
    }, (array, length) => data({ data: array }, length))
    : fixedDecoder(validity, (size) => new Float64Array(size), 1, (array, row, buffer, position) => {
      array[row] = buffer.readDoubleBE(position)
    }, (array, length) => data({ data: array }, length))

/** Timestamps: microseconds since the Unix epoch, as a JS number while it is exact, else through a bigint. */
const timestampDecoder = (validity: Validity, data: MakeData): ColumnDecoder =>
  fixedDecoder(validity, (size) => new Int32Array(size), 2, (array, row, buffer, position) => {
    const high = buffer.readInt32BE(position)
    const low = buffer.readUInt32BE(position + 4)
    const micros = high * TWO_32 + low
    if (Math.abs(micros) < SAFE - EPOCH_MICROS) {
      const unix = micros + EPOCH_MICROS
      const unixHigh = Math.floor(unix / TWO_32)
      array[row * 2 + 1] = unixHigh
      array[row * 2] = unix - unixHigh * TWO_32
    } else {
      const unix = BigInt.asUintN(64, buffer.readBigInt64BE(position) + BigInt(EPOCH_MICROS))
      array[row * 2 + 1] = Number(unix >> 32n)
      array[row * 2] = Number(unix & 0xffffffffn)
    }
  }, (array, length) => data({ data: new BigInt64Array(array.buffer, array.byteOffset, length) }, length))

/** numeric: the unscaled value as the decimal's two's-complement words. */
const numericDecoder = (decimal: Arrow.Decimal, column: PgColumn, validity: Validity, data: MakeData): ColumnDecoder => {
  const wordCount = decimal.bitWidth / 32
  return fixedDecoder(validity, (size) => new Uint32Array(size), wordCount, (array, row, buffer, position) => {
    let value = BigInt.asUintN(decimal.bitWidth, decodeNumeric(buffer, position, decimal.scale, column.name))
    for (let w = 0; w < wordCount; w++) {
      array[row * wordCount + w] = Number(value & 0xffffffffn)
      value >>= 32n
    }
  }, (array, length) => data({ data: array }, length))
}

/**
 * A streaming decoder of binary COPY output into an Arrow table: feed it the
 * chunks in order, then call `finish`.
 */
export const makeTableDecoder = (columns: ReadonlyArray<PgColumn>) => {
  const fields = columns.map(arrowFieldOf)
  const decoders = fields.map((field, index) => makeDecoder(field, columns[index]!))
  let pending: Buffer | undefined
  let headerDone = false
  let ended = false
  let rows = 0

  /** The end of the tuple starting at `position`, or -1 when it is not all there yet. */
  const tupleEnd = (buffer: Buffer, position: number): number => {
    if (position + 2 > buffer.length) return -1
    const count = buffer.readInt16BE(position)
    if (count === -1) return position + 2
    let cursor = position + 2
    for (let i = 0; i < count; i++) {
      if (cursor + 4 > buffer.length) return -1
      const length = buffer.readInt32BE(cursor)
      cursor += 4 + (length > 0 ? length : 0)
    }
    return cursor <= buffer.length ? cursor : -1
  }

  const push = (chunk: Buffer) => {
    let buffer = pending === undefined ? chunk : Buffer.concat([pending, chunk])
    pending = undefined
    let position = 0
    if (!headerDone) {
      if (buffer.length < 19) {
        pending = buffer
        return
      }
      if (!buffer.subarray(0, 11).equals(SIGNATURE)) throw new Error("the server's COPY output is not in the binary format")
      const extension = buffer.readInt32BE(15)
      if (buffer.length < 19 + extension) {
        pending = buffer
        return
      }
      position = 19 + extension
      headerDone = true
    }
    const columnCount = decoders.length
    while (position < buffer.length && !ended) {
      const end = tupleEnd(buffer, position)
      if (end === -1) break
      const count = buffer.readInt16BE(position)
      if (count === -1) {
        ended = true
        position = end
        break
      }
      if (count !== columnCount) throw new Error(`expected ${columnCount} columns in COPY output, got ${count}`)
      let cursor = position + 2
      for (let i = 0; i < columnCount; i++) {
        const length = buffer.readInt32BE(cursor)
        decoders[i]!.push(buffer, cursor + 4, length, rows)
        cursor += 4 + (length > 0 ? length : 0)
      }
      rows++
      position = end
    }
    if (position < buffer.length && !ended) pending = buffer.subarray(position)
    buffer = Buffer.alloc(0)
  }

  const finish = (): Arrow.Table => {
    const schema = new Arrow.Schema(fields)
    const children = decoders.map((decoder) => decoder.finish(rows))
    const struct = Arrow.makeData({ type: new Arrow.Struct(fields), length: rows, nullCount: 0, children })
    return new Arrow.Table(schema, [new Arrow.RecordBatch(schema, struct)])
  }

  return { push, finish, rows: () => rows }
}
