/**
 * The writer of one column of a record batch, by its Arrow type: the value in
 * the Postgres binary send format of the column type `sqlTypeOf` gives it.
 * Text goes byte for byte from Arrow's UTF-8 buffer to the wire, 64-bit
 * integers travel as two 32-bit words.
 */
import { EXTENSION_NAME, JSON_EXTENSION } from "@strata/arrow/TableIO"
import * as Arrow from "apache-arrow"
import { ColumnError, EPOCH_DAYS, EPOCH_MICROS, SAFE, TWO_32 } from "./format.ts"
import { encodeNumeric, numericWords } from "./numeric.ts"
import { sqlTypeOf } from "./schema.ts"
import type { FieldWriter } from "./writer.ts"
import { bytesWriter, fixedWriter, int64Words, isValid, writeInt64Number, writeNull } from "./writer.ts"

/** A batch's column being encoded: its field, its data, and whether a row holds a value. */
interface ColumnSource {
  readonly field: Arrow.Field
  readonly data: Arrow.Data
  readonly valid: (row: number) => boolean
}

/** The writer of a column, by its Arrow type's family. */
export const fieldWriter = (field: Arrow.Field, data: Arrow.Data): FieldWriter => {
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
