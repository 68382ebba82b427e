/**
 * The file-system I/O manager's files: where a value lives, and the atomic
 * write (a temporary file renamed over the old one), sync for small values
 * and async for large ones. The manager's state (made folders, temporary
 * file sequence, stems of assets) is a value passed in.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { Options } from "../../FileSystemIO.ts"
import * as StoragePath from "../../StoragePath.ts"

/** One manager's settings and what it remembers between calls. */
export interface Files {
  readonly base: string
  readonly format: "auto" | "json" | "v8"
  readonly durable: boolean
  readonly madeDirs: Set<string>
  /** An asset's stem is kept (bounded by the project's assets): a run stores each asset once and loads it once per downstream. */
  readonly stems: Map<string, string>
  sequence: number
}

export const files = (options?: Options): Files => ({
  base: path.resolve(options?.base ?? path.join(".strata", "storage")),
  format: options?.format ?? "auto",
  durable: options?.durable ?? false,
  madeDirs: new Set(),
  stems: new Map(),
  sequence: 0
})

/** The shared mapping: no key or partition escapes the base or lands on another's file. */
export const location = (state: Files, key: string, partition: string | undefined): string => {
  if (partition !== undefined) return StoragePath.stem(state.base, key, partition)
  let stem = state.stems.get(key)
  if (stem === undefined) {
    stem = StoragePath.stem(state.base, key, undefined)
    state.stems.set(key, stem)
  }
  return stem
}

export const writeSync = (state: Files, file: string, bytes: Uint8Array | string): void => {
  const dir = path.dirname(file)
  if (!state.madeDirs.has(dir)) {
    fs.mkdirSync(dir, { recursive: true })
    state.madeDirs.add(dir)
  }
  const temp = `${file}.${process.pid}.${++state.sequence}.tmp`
  try {
    if (state.durable) {
      const fd = fs.openSync(temp, "w")
      try {
        fs.writeFileSync(fd, bytes)
        fs.fsyncSync(fd)
      } finally {
        fs.closeSync(fd)
      }
    } else {
      fs.writeFileSync(temp, bytes)
    }
    fs.renameSync(temp, file)
  } catch (error) {
    fs.rmSync(temp, { force: true })
    throw error
  }
}

export const writeAsync = async (state: Files, file: string, bytes: Uint8Array | string): Promise<void> => {
  const dir = path.dirname(file)
  await fs.promises.mkdir(dir, { recursive: true })
  state.madeDirs.add(dir)
  const temp = `${file}.${process.pid}.${++state.sequence}.tmp`
  try {
    const handle = await fs.promises.open(temp, "w")
    try {
      await handle.writeFile(bytes)
      if (state.durable) await handle.sync()
    } finally {
      await handle.close()
    }
    await fs.promises.rename(temp, file)
  } catch (error) {
    await fs.promises.rm(temp, { force: true })
    throw error
  }
}
