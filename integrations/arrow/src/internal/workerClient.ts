/**
 * The main thread's side of the encoding worker: one worker per process,
 * started on first use, holding the process open only while a job runs.
 * Jobs run one at a time in the worker, in the order they are sent.
 */
import { Worker } from "node:worker_threads"
import type { Job, Reply } from "./workerProtocol.ts"

type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never

/** A job the worker could not do; `stage` is `encode` when parquet-rs refused the table. */
export class WorkerFailure extends Error {
  readonly stage: "encode" | "run" | "worker"
  readonly code: string | undefined
  constructor(stage: "encode" | "run" | "worker", message: string, code?: string) {
    super(message)
    this.stage = stage
    this.code = code
  }
}

// The sources run the worker's .ts file (Node strips the types); the build
// bundles it as dist/worker.js next to dist/index.js.
const workerUrl = new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url)

let worker: Worker | undefined
let nextId = 0
const pending = new Map<number, { readonly resolve: (reply: Reply) => void; readonly reject: (error: Error) => void }>()

const failAll = (error: Error) => {
  for (const job of pending.values()) job.reject(error)
  pending.clear()
}

const start = (): Worker => {
  const created = new Worker(workerUrl)
  created.unref()
  created.on("message", (reply: Reply) => {
    const job = pending.get(reply.id)
    if (job === undefined) return
    pending.delete(reply.id)
    if (pending.size === 0) created.unref()
    if ("error" in reply) job.reject(new WorkerFailure(reply.error.stage, reply.error.message, reply.error.code))
    else job.resolve(reply)
  })
  created.on("error", (error) => {
    if (worker === created) worker = undefined
    failAll(new WorkerFailure("worker", `the encoding worker failed: ${error.message}`))
  })
  created.on("exit", (code) => {
    if (worker === created) worker = undefined
    failAll(new WorkerFailure("worker", `the encoding worker exited with code ${code}`))
  })
  return created
}

/**
 * Sends a job to the worker. Buffers that the bytes own alone are
 * transferred (not copied); the caller must not use them afterwards.
 */
export const run = <R extends Reply>(job: WithoutId<Job>, bytes: Uint8Array): Promise<R> =>
  new Promise((resolve, reject) => {
    worker ??= start()
    const id = ++nextId
    pending.set(id, { resolve: resolve as (reply: Reply) => void, reject })
    worker.ref()
    const transferable = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength &&
      bytes.buffer instanceof ArrayBuffer
    worker.postMessage({ ...job, id }, transferable ? [bytes.buffer as ArrayBuffer] : [])
  })

/** The reply to a write job. */
export type Written = Extract<Reply, { readonly hash: string }>

/** The reply to a read job. */
export type Decoded = Extract<Reply, { readonly ipc: Uint8Array }>
