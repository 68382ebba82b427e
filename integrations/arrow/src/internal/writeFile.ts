/**
 * Writing a table to a temporary file, in either format, while the main
 * thread profiles it: returns the profile and the file's size and hash.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { Table } from "apache-arrow"
import { tableToIPC } from "apache-arrow"
import { Effect, Exit } from "effect"
import * as ArrowError from "../ArrowError.ts"
import * as TableMetadata from "../TableMetadata.ts"
import * as Codec from "./codec.ts"
import * as ContentHash from "./contentHash.ts"
import type { Settings, Where } from "./layout.ts"
import * as WorkerClient from "./workerClient.ts"

const encodeFailed = (settings: Settings, cause: unknown, where: Where) =>
  cause instanceof Codec.UnsupportedColumn
    ? ArrowError.make({
      reason: "unsupported-type",
      ...where,
      column: cause.column,
      detail: `${cause.message}; cast the column to a type Parquet supports, or use format 'ipc'`,
      cause
    })
    : ArrowError.make({
      reason: "encode-failed",
      ...where,
      detail: `${settings.format === "parquet" ? "Parquet" : "Arrow IPC"} encoding failed: ${(cause as Error)?.message ?? cause}` +
        (settings.format === "parquet"
          ? " (a table of more than about a gigabyte: split it into partitions, or use format 'ipc')"
          : ""),
      cause
    })

// Parquet: the main thread turns the table into an Arrow IPC stream (a
// copy of its buffers, handed over without another copy); the worker
// encodes Parquet, writes the temporary file and hashes it while the main
// thread profiles the table.
const writeParquet = Effect.fnUntraced(function*(settings: Settings, table: Table, temp: string, where: Where) {
  const bytes = yield* Effect.try({
    try: () => {
      Codec.checkParquetTypes(table)
      return tableToIPC(table, "stream")
    },
    catch: (cause) => encodeFailed(settings, cause, where)
  })
  const { compression, rowGroupRows, durable } = settings
  const pending = WorkerClient.run<WorkerClient.Written>(
    { kind: "write-parquet", ipc: bytes, compression, rowGroupRows, temp, durable },
    bytes
  )
  pending.catch(() => {})
  return yield* Effect.gen(function*() {
    const profile = TableMetadata.describe(table, settings.statistics)
    const written = yield* Effect.tryPromise({
      try: () => pending,
      catch: (cause) =>
        cause instanceof WorkerClient.WorkerFailure && cause.stage === "encode"
          ? encodeFailed(settings, cause, where)
          : ArrowError.fromSystemError(cause, where)
    })
    return { profile, written: { hash: written.hash, size: written.size } }
  }).pipe(
    // the worker may still be writing the temporary file: let it finish before it is removed
    Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : Effect.promise(() => pending.catch(() => {})))
  )
})

// Opened before the write starts, so that the write is under way while the main thread is busy.
const writeChunks = (handle: fs.promises.FileHandle, chunks: Array<Uint8Array>, size: number, temp: string, durable: boolean) =>
  (async () => {
    try {
      const { bytesWritten } = await handle.writev(chunks)
      if (bytesWritten !== size) throw new Error(`wrote ${bytesWritten} of ${size} bytes to ${temp}`)
      if (durable) await handle.sync()
    } finally {
      await handle.close()
    }
  })()

// Arrow IPC has no encoding to hide the extra passes behind, so nothing is
// copied: the file is the writer's chunks, views of the table's own
// buffers. The thread pool writes them (one writev) while the main thread
// hashes the same chunks and profiles the table.
const writeIpc = Effect.fnUntraced(function*(settings: Settings, table: Table, temp: string, where: Where) {
  const hasher = yield* Effect.promise(ContentHash.load)
  const chunks = yield* Effect.tryPromise({
    try: () => Codec.encodeIpcChunks(table),
    catch: (cause) => encodeFailed(settings, cause, where)
  })
  let size = 0
  for (const chunk of chunks) size += chunk.byteLength
  const handle = yield* Effect.tryPromise({
    try: async () => {
      await fs.promises.mkdir(path.dirname(temp), { recursive: true })
      return await fs.promises.open(temp, "w")
    },
    catch: (cause) => ArrowError.fromSystemError(cause, where)
  })
  const pending = writeChunks(handle, chunks, size, temp, settings.durable)
  pending.catch(() => {})
  return yield* Effect.gen(function*() {
    const hash = ContentHash.hashChunks(hasher, chunks)
    const profile = TableMetadata.describe(table, settings.statistics)
    yield* Effect.tryPromise({ try: () => pending, catch: (cause) => ArrowError.fromSystemError(cause, where) })
    return { profile, written: { hash, size } }
  }).pipe(
    // the write may still be under way: let it finish (and close the file) before the file is removed
    Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : Effect.promise(() => pending.catch(() => {})))
  )
})

/** Writes `table` to `temp` in the layer's format. */
export const writeTemp = (settings: Settings, table: Table, temp: string, where: Where) =>
  settings.format === "parquet" ? writeParquet(settings, table, temp, where) : writeIpc(settings, table, temp, where)
