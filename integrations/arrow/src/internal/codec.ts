/**
 * File formats on the main thread: Arrow IPC files (apache-arrow), magic-byte
 * checks, Parquet schemas read from footers, and the types Parquet cannot
 * hold. Parquet data itself is encoded and decoded in the worker
 * (`worker.ts`). Plain functions that throw: callers map the errors to
 * `ArrowError`s with the asset and file they know.
 */
import * as fs from "node:fs"
import {
  DataType,
  type Field,
  RecordBatchFileWriter,
  RecordBatchReader,
  type Schema,
  type Table,
  tableFromIPC,
  tableToIPC
} from "apache-arrow"
import * as Parquet from "parquet-wasm"

export type Format = "parquet" | "ipc"
export type Compression = "zstd" | "snappy" | "none"

export const extensions: Record<Format, string> = { parquet: "parquet", ipc: "arrow" }

const PARQUET_MAGIC = [0x50, 0x41, 0x52, 0x31] // "PAR1"
const ARROW_MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31] // "ARROW1"

/** Thrown when bytes are not a file of the expected format; the message says why. */
export class ForeignFile extends Error {}

/** Thrown for a column whose type the Parquet writer cannot encode. */
export class UnsupportedColumn extends Error {
  readonly column: string
  constructor(column: string, type: DataType) {
    super(`Parquet cannot hold the ${type} type`)
    this.column = column
  }
}

// parquet-rs has no mapping for unions: it panics (a WebAssembly trap), so
// refuse them first with a message that names the column.
const findUnsupported = (fields: ReadonlyArray<Field>, prefix: string): UnsupportedColumn | undefined => {
  for (const field of fields) {
    const name = `${prefix}${field.name}`
    if (DataType.isUnion(field.type)) return new UnsupportedColumn(name, field.type)
    const nested = findUnsupported(field.type.children ?? [], `${name}.`)
    if (nested !== undefined) return nested
  }
  return undefined
}

/** Throws {@link UnsupportedColumn} for the first column Parquet cannot hold. */
export const checkParquetTypes = (table: Table): void => {
  const unsupported = findUnsupported(table.schema.fields, "")
  if (unsupported !== undefined) throw unsupported
}

const hasMagic = (bytes: Uint8Array, magic: ReadonlyArray<number>, at: number): boolean => {
  if (at < 0 || at + magic.length > bytes.byteLength) return false
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic[i]) return false
  return true
}

export const checkParquet = (bytes: Uint8Array): void => {
  if (bytes.byteLength < 12 || !hasMagic(bytes, PARQUET_MAGIC, 0) || !hasMagic(bytes, PARQUET_MAGIC, bytes.byteLength - 4)) {
    throw new ForeignFile(
      bytes.byteLength < 12
        ? `the file has ${bytes.byteLength} bytes, too few for Parquet`
        : "the file does not start and end with the Parquet magic bytes PAR1: it is not a Parquet file, or it was cut short"
    )
  }
}

export const checkIpc = (bytes: Uint8Array): void => {
  if (bytes.byteLength < 12 || !hasMagic(bytes, ARROW_MAGIC, 0) || !hasMagic(bytes, ARROW_MAGIC, bytes.byteLength - 6)) {
    throw new ForeignFile(
      "the file does not start and end with the Arrow IPC file magic bytes ARROW1: it is not an Arrow IPC file, or it was cut short"
    )
  }
}

/** The Arrow schema of a Parquet file held in memory (parses the footer only). */
export const parquetSchema = (bytes: Uint8Array): Schema => {
  checkParquet(bytes)
  return tableFromIPC(Parquet.readSchema(bytes).intoIPCStream()).schema
}

export const encodeIpc = (table: Table): Uint8Array => tableToIPC(table, "file")

/**
 * The Arrow IPC file of a table as the writer produces it: small framing
 * chunks and views of the table's own buffers, in file order. Their
 * concatenation is `tableToIPC(table, "file")`; keeping them apart saves
 * copying the whole table into one buffer before writing and hashing it.
 * The views alias the table's memory: use them before the table changes.
 */
export const encodeIpcChunks = async (table: Table): Promise<Array<Uint8Array>> => {
  const chunks: Array<Uint8Array> = []
  // writeAll of a Table is synchronous; the queue is already closed and full
  for await (const chunk of RecordBatchFileWriter.writeAll(table)) chunks.push(chunk)
  return chunks
}

export const decodeIpc = (bytes: Uint8Array): Table => {
  checkIpc(bytes)
  return tableFromIPC(bytes)
}

/**
 * The schema of a stored file, reading only what is needed: the Parquet
 * footer, or the Arrow IPC file's footer.
 * Returns `undefined` when the file does not exist.
 */
export const readFileSchema = async (file: string, format: Format): Promise<Schema | undefined> => {
  let handle: fs.promises.FileHandle
  try {
    handle = await fs.promises.open(file, "r")
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw error
  }
  try {
    const { size } = await handle.stat()
    return format === "parquet" ? await parquetFooterSchema(handle, size) : await ipcFooterSchema(handle, size)
  } finally {
    await handle.close()
  }
}

const readAt = async (handle: fs.promises.FileHandle, position: number, length: number): Promise<Uint8Array> => {
  const buffer = new Uint8Array(length)
  const { bytesRead } = await handle.read(buffer, 0, length, position)
  if (bytesRead !== length) throw new ForeignFile(`the file ended after ${position + bytesRead} bytes`)
  return buffer
}

// A Parquet file ends with <footer><footer length: u32 LE>"PAR1"; the schema is
// in the footer. parquet-wasm only parses a whole file, so hand it the footer
// framed as a file with no data pages: the schema needs nothing else.
const parquetFooterSchema = async (handle: fs.promises.FileHandle, size: number): Promise<Schema> => {
  if (size < 12) throw new ForeignFile(`the file has ${size} bytes, too few for Parquet`)
  const head = await readAt(handle, 0, 4)
  const tail = await readAt(handle, size - 8, 8)
  if (!hasMagic(head, PARQUET_MAGIC, 0) || !hasMagic(tail, PARQUET_MAGIC, 4)) {
    throw new ForeignFile("the file does not start and end with the Parquet magic bytes PAR1")
  }
  const footerLength = new DataView(tail.buffer).getUint32(0, true)
  if (footerLength + 12 > size) throw new ForeignFile(`the footer length ${footerLength} exceeds the file size ${size}`)
  const framed = new Uint8Array(footerLength + 12)
  framed.set(PARQUET_MAGIC, 0)
  framed.set(await readAt(handle, size - 8 - footerLength, footerLength), 4)
  framed.set(tail, footerLength + 4)
  return parquetSchema(framed)
}

// An Arrow IPC file keeps its schema in the footer (apache-arrow does not
// repeat it at the head); its file reader reads just the footer through the
// handle.
const ipcFooterSchema = async (handle: fs.promises.FileHandle, size: number): Promise<Schema> => {
  if (size < 16) throw new ForeignFile(`the file has ${size} bytes, too few for Arrow IPC`)
  const head = await readAt(handle, 0, 6)
  const tail = await readAt(handle, size - 6, 6)
  if (!hasMagic(head, ARROW_MAGIC, 0) || !hasMagic(tail, ARROW_MAGIC, 0)) {
    throw new ForeignFile("the file does not start and end with the Arrow IPC magic bytes ARROW1")
  }
  const reader = await RecordBatchReader.from(handle)
  await reader.open()
  return reader.schema
}
