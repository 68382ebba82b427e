/**
 * The growable buffers a column is decoded into, and the decoder of a
 * fixed-width format that the per-type decoders are built from.
 */
import type * as Arrow from "apache-arrow"

/** A typed array that doubles when a value does not fit. */
export class Growable<T extends Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array | Float64Array | Uint32Array> {
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

/** Decodes one column's values, row after row, into Arrow data. */
export interface ColumnDecoder {
  /** Decodes the value at `buffer[position .. position + length)`; `length` is -1 for NULL. */
  readonly push: (buffer: Buffer, position: number, length: number, row: number) => void
  readonly finish: (length: number) => Arrow.Data
}

/** The validity bitmap of a column being decoded, and its count of NULLs. */
export class Validity {
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
export type MakeData = (props: Record<string, unknown>, length: number) => Arrow.Data

/**
 * A decoder of a fixed-width binary format into a typed array of `perRow`
 * elements per row; `read` decodes one value, `finish` wraps the array.
 */
export const fixedDecoder = <T extends Int16Array | Int32Array | Float32Array | Float64Array | Uint8Array | Uint32Array>(
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

