/**
 * Gathers rows of an Arrow chunk by index (apache-arrow has no `take`
 * kernel): splits a table's rows into the partitions they belong to. Typed
 * array copies for fixed-width values, offset rebuilding for strings and
 * binaries, index gathering for dictionaries.
 */
import { type Data, DataType, makeData, Type } from "apache-arrow"

const bit = (bitmap: Uint8Array, index: number) => (bitmap[index >> 3]! >> (index & 7)) & 1

const gatherBits = (bitmap: Uint8Array, offset: number, indices: Int32Array): Uint8Array => {
  const out = new Uint8Array(Math.ceil(indices.length / 8))
  for (let j = 0; j < indices.length; j++) if (bit(bitmap, offset + indices[j]!) === 1) out[j >> 3]! |= 1 << (j & 7)
  return out
}

const gatherValidity = (data: Data, indices: Int32Array): { nullBitmap: Uint8Array | undefined; nullCount: number } => {
  if (data.nullCount === 0 || data.nullBitmap === undefined || data.nullBitmap.length === 0) return { nullBitmap: undefined, nullCount: 0 }
  const nullBitmap = gatherBits(data.nullBitmap, data.offset, indices)
  let valid = 0
  for (let j = 0; j < indices.length; j++) valid += bit(nullBitmap, j)
  return { nullBitmap, nullCount: indices.length - valid }
}

const gatherVariable = (data: Data, indices: Int32Array) => {
  const offsets = data.valueOffsets as Int32Array
  const bytes = data.values as Uint8Array
  const valueOffsets = new Int32Array(indices.length + 1)
  let size = 0
  for (let j = 0; j < indices.length; j++) {
    const index = data.offset + indices[j]!
    size += offsets[index + 1]! - offsets[index]!
    valueOffsets[j + 1] = size
  }
  const out = new Uint8Array(size)
  for (let j = 0; j < indices.length; j++) {
    const index = data.offset + indices[j]!
    out.set(bytes.subarray(offsets[index]!, offsets[index + 1]!), valueOffsets[j]!)
  }
  return { valueOffsets, data: out }
}

const strideOf = (type: DataType): number => {
  if (DataType.isDecimal(type)) return 4
  if (DataType.isFixedSizeBinary(type)) return (type as unknown as { byteWidth: number }).byteWidth
  if (DataType.isInterval(type)) return 2
  return 1
}

/** The rows of `data` at `indices` (relative to the chunk), as a new chunk. */
export const take = (data: Data, indices: Int32Array): Data => {
  const { nullBitmap, nullCount } = gatherValidity(data, indices)
  const base = { type: data.type, length: indices.length, nullCount, ...(nullBitmap !== undefined ? { nullBitmap } : {}) }
  switch (data.typeId) {
    case Type.Utf8:
    case Type.Binary:
      return makeData({ ...base, ...gatherVariable(data, indices) } as never)
    case Type.Bool:
      return makeData({ ...base, data: gatherBits(data.values as Uint8Array, data.offset, indices) } as never)
    case Type.Dictionary: {
      const keys = makeData({ type: (data.type as unknown as { indices: DataType }).indices, length: data.length, offset: data.offset, data: data.values } as never)
      const gathered = take(keys, indices)
      return makeData({ ...base, data: gathered.values, dictionary: data.dictionary } as never)
    }
  }
  const stride = strideOf(data.type)
  const values = data.values as unknown as { [index: number]: number | bigint; constructor: new (length: number) => unknown }
  const out = new (values.constructor)(indices.length * stride) as { [index: number]: number | bigint }
  for (let j = 0; j < indices.length; j++) {
    const from = (data.offset + indices[j]!) * stride
    for (let k = 0; k < stride; k++) out[j * stride + k] = values[from + k]!
  }
  return makeData({ ...base, data: out } as never)
}
