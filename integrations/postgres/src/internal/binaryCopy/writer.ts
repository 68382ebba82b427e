/**
 * The buffer a binary COPY stream is written into, and the writers of one
 * field's value that the per-type writers are built from.
 */
import { CHUNK, TWO_32 } from "./format.ts"

/** A growable output buffer; `take` hands over what is filled and starts a new one. */
export class Writer {
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

/** Writes one column's value of `row` (its length, then its bytes) to the stream. */
export type FieldWriter = (writer: Writer, row: number) => void

/** `true` when `row` holds a value in an Arrow validity bitmap (none: every row does). */
export const isValid = (bitmap: Uint8Array | null | undefined, offset: number, row: number): boolean => {
  if (bitmap == null || bitmap.length === 0) return true
  const bit = offset + row
  return (bitmap[bit >> 3]! & (1 << (bit & 7))) !== 0
}

/** A NULL: the length -1 and no bytes. */
export const writeNull = (writer: Writer) => {
  writer.ensure(4)
  writer.buffer.writeInt32BE(-1, writer.position)
  writer.position += 4
}

/** Writes a 64-bit integer given as a JS number (exact below 2^53). */
export const writeInt64Number = (buffer: Buffer, position: number, value: number) => {
  const high = Math.floor(value / TWO_32)
  buffer.writeInt32BE(high, position)
  buffer.writeUInt32BE(value - high * TWO_32, position + 4)
}

/** A 64-bit column's values as 32-bit words, low word first (Arrow's little-endian layout). */
export const int64Words = (values: ArrayLike<unknown> & { buffer: ArrayBufferLike; byteOffset: number; length: number }) =>
  new Int32Array(values.buffer, values.byteOffset, values.length * 2)

/** A writer of a variable-length value; `prefix` is a byte written before it (jsonb's version). */
export const bytesWriter = (bytes: (row: number) => Uint8Array | null, validity: (row: number) => boolean, prefix?: number): FieldWriter =>
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

/** A writer of a fixed-width binary format: `width` bytes after the length, NULL where the row holds none. */
export const fixedWriter = (
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
