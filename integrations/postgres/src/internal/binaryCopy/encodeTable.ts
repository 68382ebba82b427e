/**
 * An Arrow table as a binary COPY stream, in chunks of about 1 MiB.
 */
import type * as Arrow from "apache-arrow"
import { fieldWriter } from "./columnWriters.ts"
import { CHUNK, SIGNATURE } from "./format.ts"
import { Writer } from "./writer.ts"

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
