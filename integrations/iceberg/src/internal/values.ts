/**
 * Values of Arrow chunks in their Iceberg representation: longs and
 * microsecond timestamps as `bigint`, dates as days, strings, booleans, bytes.
 * Used for partition values and row filters.
 */
import { type Data, Type } from "apache-arrow"
import type * as IcebergSchema from "../IcebergSchema.ts"
import type * as PartitionSpec from "../PartitionSpec.ts"

/** The value of row `index` of a chunk in its Iceberg representation (for partition values). */
export const valueAt = (data: Data, index: number, type: IcebergSchema.IcebergType): PartitionSpec.Value => {
  const position = data.offset + index
  const bitmap = data.nullBitmap
  if (data.nullCount > 0 && bitmap !== undefined && bitmap.length > 0 && ((bitmap[position >> 3]! >> (position & 7)) & 1) === 0) return null
  if (data.typeId === Type.Dictionary) {
    const key = Number((data.values as ArrayLike<number | bigint>)[position])
    return valueAt(data.dictionary!.data[0]!, key, type)
  }
  switch (data.typeId) {
    case Type.Utf8:
    case Type.Binary: {
      const offsets = data.valueOffsets as Int32Array
      const bytes = (data.values as Uint8Array).subarray(offsets[position]!, offsets[position + 1]!)
      return type === "string" ? new TextDecoder().decode(bytes) : bytes.slice()
    }
    case Type.Bool:
      return (((data.values as Uint8Array)[position >> 3]! >> (position & 7)) & 1) === 1
    case Type.FixedSizeBinary: {
      const width = (data.type as unknown as { byteWidth: number }).byteWidth
      return (data.values as Uint8Array).slice(position * width, position * width + width)
    }
  }
  const value = (data.values as ArrayLike<number | bigint>)[position]!
  return typeof value === "bigint" ? value : value
}

