/**
 * Layouts computed in a Web Worker (`layoutWorker.ts`) and kept in IndexedDB
 * under the graph's ETag and the group's name, so that a second visit draws
 * a laid-out group at once. The ETag names the graph's content (see the
 * server's `GET /api/graph`), so a cached layout is never used for another
 * shape. Without Worker or IndexedDB (old browsers, private windows that
 * refuse storage) layouts are computed here and not kept.
 */
import type { Layout, LayoutInput } from "./layout.ts"
import { layout } from "./layout.ts"

let worker: Worker | undefined
let nextId = 0
const waiting = new Map<number, (value: { layout: Layout; ms: number }) => void>()

const workerOf = (): Worker | undefined => {
  if (typeof Worker === "undefined") return undefined
  if (worker === undefined) {
    worker = new Worker(new URL("./layoutWorker.ts", import.meta.url), { type: "module" })
    worker.onmessage = (message: MessageEvent<{ id: number; layout: Layout; ms: number }>) => {
      const done = waiting.get(message.data.id)
      waiting.delete(message.data.id)
      done?.({ layout: message.data.layout, ms: message.data.ms })
    }
  }
  return worker
}

/** Lays `nodes` out in the worker; `ms` is the layout's own time there. */
export const layoutOffThread = (nodes: ReadonlyArray<LayoutInput>): Promise<{ layout: Layout; ms: number }> => {
  const target = workerOf()
  if (target === undefined) {
    const started = performance.now()
    const result = layout(nodes)
    return Promise.resolve({ layout: result, ms: performance.now() - started })
  }
  const id = nextId++
  return new Promise((resolve) => {
    waiting.set(id, resolve)
    target.postMessage({ id, nodes })
  })
}

const storeName = "layouts"
const shapeStore = "shapes"
let database: Promise<IDBDatabase | undefined> | undefined

const open = (): Promise<IDBDatabase | undefined> =>
  database ??= new Promise((resolve) => {
    if (typeof indexedDB === "undefined") return resolve(undefined)
    const request = indexedDB.open("strata-catalog", 1)
    request.onupgradeneeded = () => {
      request.result.createObjectStore(storeName)
      request.result.createObjectStore(shapeStore)
    }
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => resolve(undefined)
    request.onblocked = () => resolve(undefined)
  })

/** The layout kept under `key`, if any (never fails: a broken store is a miss). */
export const cachedLayout = async (key: string): Promise<Layout | undefined> => {
  const db = await open()
  if (db === undefined) return undefined
  return new Promise((resolve) => {
    try {
      const request = db.transaction(storeName, "readonly").objectStore(storeName).get(key)
      request.onsuccess = () => resolve(isLayout(request.result) ? request.result : undefined)
      request.onerror = () => resolve(undefined)
    } catch {
      resolve(undefined)
    }
  })
}

/** Keeps `value` under `key`; layouts of older ETags are dropped so the store does not grow without end. */
export const keepLayout = async (key: string, etag: string, value: Layout): Promise<void> => {
  const db = await open()
  if (db === undefined) return
  try {
    const store = db.transaction(storeName, "readwrite").objectStore(storeName)
    store.put(value, key)
    const keys = store.getAllKeys()
    keys.onsuccess = () => {
      for (const other of keys.result) if (typeof other === "string" && !other.startsWith(`${etag} `)) store.delete(other)
    }
  } catch {
    // quota or a closed database: the layout is simply not kept
  }
}

const isLayout = (value: unknown): value is Layout =>
  typeof value === "object" && value !== null && (value as Layout).x instanceof Float64Array &&
  (value as Layout).y instanceof Float64Array && (value as Layout).edges instanceof Int32Array &&
  (value as Layout).layer instanceof Int32Array && typeof (value as Layout).width === "number"

/**
 * The graph's shape as last decoded, with its ETag: a page load that gets a
 * `304` for that ETag uses it instead of decoding 50,000 assets again (the
 * decode, not the transfer, is what takes seconds at that size).
 */
export const cachedShape = async <A>(isShape: (value: unknown) => value is A): Promise<{ etag: string; shape: A } | undefined> => {
  const db = await open()
  if (db === undefined) return undefined
  return new Promise((resolve) => {
    try {
      const request = db.transaction(shapeStore, "readonly").objectStore(shapeStore).get("graph")
      request.onsuccess = () => {
        const value = request.result as { etag?: unknown; shape?: unknown } | undefined
        resolve(typeof value?.etag === "string" && isShape(value.shape) ? { etag: value.etag, shape: value.shape } : undefined)
      }
      request.onerror = () => resolve(undefined)
    } catch {
      resolve(undefined)
    }
  })
}

/** Keeps the shape; resolves once it is written (then its ETag may be remembered), rejects when it is not. */
export const keepShape = async (etag: string, shape: unknown): Promise<void> => {
  const db = await open()
  if (db === undefined) return
  return new Promise((resolve, reject) => {
    try {
      const transaction = db.transaction(shapeStore, "readwrite")
      transaction.objectStore(shapeStore).put({ etag, shape }, "graph")
      transaction.oncomplete = () => resolve()
      transaction.onerror = () => reject(transaction.error)
    } catch (error) {
      reject(error)
    }
  })
}
