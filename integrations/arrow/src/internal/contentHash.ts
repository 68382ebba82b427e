/**
 * Data versions of stored files: xxHash64 of the file's bytes, as 16 hex
 * digits. A fast non-cryptographic hash (about 12 GB/s here, WebAssembly,
 * against SHA-256's 2 GB/s): a data version tells that content changed, it
 * is not a security boundary. Used on the main thread for Arrow IPC files and
 * in the encoding worker for Parquet files.
 */
import xxhash, { type XXHashAPI } from "xxhash-wasm"

let api: Promise<XXHashAPI> | undefined

/** The hasher, compiled once per thread on first use. */
export const load = (): Promise<XXHashAPI> => api ??= xxhash()

// Bytes are copied into the WebAssembly memory before hashing; feeding them in
// slices keeps that memory small whatever the file's size.
const SLICE = 1 << 22

/** xxHash64 (seed 0) of the concatenated chunks, as 16 lowercase hex digits. */
export const hashChunks = (hasher: XXHashAPI, chunks: ReadonlyArray<Uint8Array>): string => {
  const state = hasher.create64()
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.byteLength; at += SLICE) state.update(chunk.subarray(at, at + SLICE))
  }
  return state.digest().toString(16).padStart(16, "0")
}
