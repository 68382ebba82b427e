/**
 * A streaming decoder of binary COPY output into an Arrow table. The server's
 * chunks split tuples anywhere: the bytes of an incomplete tuple wait in the
 * stream's state for the next chunk.
 */
import * as Arrow from "apache-arrow"
import { makeDecoder } from "./columnDecoders.ts"
import type { ColumnDecoder } from "./decoder.ts"
import { SIGNATURE } from "./format.ts"
import type { PgColumn } from "./schema.ts"
import { arrowFieldOf } from "./schema.ts"

/** Where the decoding of a stream is: bytes not decoded yet, whether the header and the end were read, rows so far. */
interface StreamState {
  pending: Buffer | undefined
  headerDone: boolean
  ended: boolean
  rows: number
}

/**
 * A streaming decoder of binary COPY output into an Arrow table: feed it the
 * chunks in order, then call `finish`.
 */
export const makeTableDecoder = (columns: ReadonlyArray<PgColumn>) => {
  const fields = columns.map(arrowFieldOf)
  const decoders = fields.map((field, index) => makeDecoder(field, columns[index]!))
  const stream: StreamState = { pending: undefined, headerDone: false, ended: false, rows: 0 }
  return {
    push: (chunk: Buffer) => pushChunk(stream, decoders, chunk),
    finish: () => tableOf(fields, decoders, stream.rows),
    rows: () => stream.rows
  }
}

/** Decodes the complete tuples that `chunk` (after what was pending) holds, and keeps the rest pending. */
const pushChunk = (stream: StreamState, decoders: ReadonlyArray<ColumnDecoder>, chunk: Buffer): void => {
  const buffer = stream.pending === undefined ? chunk : Buffer.concat([stream.pending, chunk])
  stream.pending = undefined
  let position = 0
  if (!stream.headerDone) {
    position = headerEnd(buffer)
    if (position === -1) {
      stream.pending = buffer
      return
    }
    stream.headerDone = true
  }
  position = decodeTuples(stream, decoders, buffer, position)
  if (position < buffer.length && !stream.ended) stream.pending = buffer.subarray(position)
}

/** The end of the header at the start of `buffer`, or -1 when it is not all there yet. */
const headerEnd = (buffer: Buffer): number => {
  if (buffer.length < 19) return -1
  if (!buffer.subarray(0, 11).equals(SIGNATURE)) throw new Error("the server's COPY output is not in the binary format")
  const extension = buffer.readInt32BE(15)
  return buffer.length < 19 + extension ? -1 : 19 + extension
}

/** Decodes the complete tuples from `position` on; the position after the last one (or after the end marker). */
const decodeTuples = (stream: StreamState, decoders: ReadonlyArray<ColumnDecoder>, buffer: Buffer, position: number): number => {
  const columnCount = decoders.length
  while (position < buffer.length && !stream.ended) {
    const end = tupleEnd(buffer, position)
    if (end === -1) break
    const count = buffer.readInt16BE(position)
    if (count === -1) {
      stream.ended = true
      return end
    }
    if (count !== columnCount) throw new Error(`expected ${columnCount} columns in COPY output, got ${count}`)
    let cursor = position + 2
    for (let i = 0; i < columnCount; i++) {
      const length = buffer.readInt32BE(cursor)
      decoders[i]!.push(buffer, cursor + 4, length, stream.rows)
      cursor += 4 + (length > 0 ? length : 0)
    }
    stream.rows++
    position = end
  }
  return position
}

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

/** The table of the decoded columns, one record batch of `rows` rows. */
const tableOf = (fields: ReadonlyArray<Arrow.Field>, decoders: ReadonlyArray<ColumnDecoder>, rows: number): Arrow.Table => {
  const schema = new Arrow.Schema([...fields])
  const children = decoders.map((decoder) => decoder.finish(rows))
  const struct = Arrow.makeData({ type: new Arrow.Struct([...fields]), length: rows, nullCount: 0, children })
  return new Arrow.Table(schema, [new Arrow.RecordBatch(schema, struct)])
}
