/**
 * The decoder of one column of binary COPY output into Arrow data, by its
 * Postgres type: text goes byte for byte into Arrow's UTF-8 buffer, 64-bit
 * values are stored as two 32-bit words.
 */
import * as Arrow from "apache-arrow"
import type { ColumnDecoder, MakeData } from "./decoder.ts"
import { fixedDecoder, Growable, Validity } from "./decoder.ts"
import { ColumnError, EPOCH_DAYS, EPOCH_MICROS, SAFE, TWO_32 } from "./format.ts"
import { decodeNumeric } from "./numeric.ts"
import type { PgColumn } from "./schema.ts"
import { OID } from "./schema.ts"

/** The decoder of a column, by its Postgres type's family. */
export const makeDecoder = (field: Arrow.Field, column: PgColumn): ColumnDecoder => {
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
