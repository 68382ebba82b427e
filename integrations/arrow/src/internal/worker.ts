/**
 * The encoding worker: Parquet encoding and decoding (parquet-wasm), Parquet
 * file writes and content hashes run here, off the main thread, so a big store
 * neither blocks the event loop nor waits for the table profile the main
 * thread computes meanwhile. Plain Node: no apache-arrow, no Effect.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { parentPort } from "node:worker_threads"
import * as Parquet from "parquet-wasm"
import * as ContentHash from "./contentHash.ts"
import type { Job, Reply } from "./workerProtocol.ts"

const codecs = {
  zstd: Parquet.Compression.ZSTD,
  snappy: Parquet.Compression.SNAPPY,
  none: Parquet.Compression.UNCOMPRESSED
} as const

// compiled before the first job arrives
const hasher = await ContentHash.load()

const writeAndHash = (bytes: Uint8Array, temp: string, durable: boolean): { hash: string; size: number } => {
  fs.mkdirSync(path.dirname(temp), { recursive: true })
  fs.writeFileSync(temp, bytes, { flush: durable })
  return { hash: ContentHash.hashChunks(hasher, [bytes]), size: bytes.byteLength }
}

// A job's big buffers (the table it was sent, the file it wrote or read) are
// garbage once it is done. Detaching them frees their memory now, instead of
// at this thread's next garbage collection, which would land in a later job.
// (ES2024 ArrayBuffer methods, in every Node this package supports; the compiler's lib is ES2023)
type Detachable = ArrayBuffer & { readonly detached: boolean; transfer(length?: number): ArrayBuffer }
const release = (bytes: Uint8Array): void => {
  const buffer = bytes.buffer as Detachable
  if (buffer instanceof ArrayBuffer && !buffer.detached && bytes.byteLength === buffer.byteLength) buffer.transfer(0)
}

const run = (job: Job): { reply: Reply; transfer: Array<ArrayBuffer> } => {
  switch (job.kind) {
    case "write-parquet": {
      let builder = new Parquet.WriterPropertiesBuilder()
        .setCompression(codecs[job.compression])
        .setCreatedBy("@strata/arrow (parquet-wasm)")
      if (job.rowGroupRows !== undefined) builder = builder.setMaxRowGroupSize(job.rowGroupRows)
      let bytes: Uint8Array
      try {
        bytes = Parquet.writeParquet(Parquet.Table.fromIPCStream(job.ipc), builder.build())
      } catch (error) {
        return { reply: { id: job.id, error: { stage: "encode", message: messageOf(error) } }, transfer: [] }
      } finally {
        release(job.ipc)
      }
      try {
        return { reply: { id: job.id, ...writeAndHash(bytes, job.temp, job.durable) }, transfer: [] }
      } finally {
        release(bytes)
      }
    }
    case "read-parquet": {
      const options: Parquet.ReaderOptions = { batchSize: 1 << 20 }
      if (job.columns !== undefined) options.columns = job.columns
      let ipc: Uint8Array
      try {
        ipc = Parquet.readParquet(job.bytes, options).intoIPCStream()
      } finally {
        release(job.bytes)
      }
      return { reply: { id: job.id, ipc }, transfer: [ipc.buffer as ArrayBuffer] }
    }
  }
}

const messageOf = (error: unknown): string => error instanceof Error ? error.message : String(error)

parentPort!.on("message", (job: Job) => {
  let result: { reply: Reply; transfer: Array<ArrayBuffer> }
  try {
    result = run(job)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code
    result = {
      reply: { id: job.id, error: { stage: "run", message: messageOf(error), ...(code === undefined ? {} : { code }) } },
      transfer: []
    }
  }
  parentPort!.postMessage(result.reply, result.transfer)
})
