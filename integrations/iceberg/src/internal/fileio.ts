/**
 * Where Iceberg locations live on this machine. Metadata names files by URI
 * (`file:///warehouse/db/t/data/x.parquet`); a warehouse can also be served
 * over HTTP and its tables written with `http(s)://` locations (engines in a
 * browser read them so), in which case a mount maps that URI prefix to the
 * local folder. A location that resolves outside its mount is refused.
 *
 * Plain async functions that throw `IcebergError`s.
 */
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as IcebergError from "../IcebergError.ts"

/** A URI prefix and the local folder it stands for. */
export interface Mount {
  readonly location: string
  readonly path: string
}

/** Maps locations to local paths and back. */
export interface FileIO {
  readonly mounts: ReadonlyArray<Mount>
}

const trimSlash = (value: string) => value.replace(/\/+$/, "")

/** A FileIO with the given mounts (`file://` URIs always map to their path). */
export const make = (mounts: ReadonlyArray<Mount> = []): FileIO => ({
  mounts: mounts
    .map((mount) => ({ location: trimSlash(mount.location), path: path.resolve(mount.path) }))
    .sort((a, b) => b.location.length - a.location.length)
})

const within = (base: string, target: string): boolean => target === base || target.startsWith(base + path.sep)

/** The local path of a location. */
export const toPath = (io: FileIO, location: string): string => {
  for (const mount of io.mounts) {
    if (location === mount.location || location.startsWith(mount.location + "/")) {
      const relative = decodeURIComponent(location.slice(mount.location.length + 1))
      const resolved = path.resolve(mount.path, relative)
      if (!within(mount.path, resolved)) {
        throw IcebergError.make({ reason: "invalid-argument", location, detail: `the location leaves its mount ${mount.location}` })
      }
      return resolved
    }
  }
  if (location.startsWith("file:")) return fileURLToPath(location)
  if (location.startsWith("/")) return location
  throw IcebergError.make({
    reason: "invalid-argument",
    location,
    detail: "no mount maps this location to a local folder (give the catalog a mount for its URI prefix)"
  })
}

/** The location of a local path (a mount's URI when one covers it, else a `file://` URI). */
export const toLocation = (io: FileIO, localPath: string): string => {
  const resolved = path.resolve(localPath)
  for (const mount of io.mounts) {
    if (within(mount.path, resolved)) {
      const relative = path.relative(mount.path, resolved).split(path.sep).map(encodeURIComponent).join("/")
      return relative === "" ? mount.location : `${mount.location}/${relative}`
    }
  }
  return trimSlash(pathToFileURL(resolved).href)
}

/** Joins a location and relative segments with `/`. */
export const join = (location: string, ...segments: ReadonlyArray<string>): string =>
  [trimSlash(location), ...segments.map((segment) => segment.replace(/^\/+|\/+$/g, ""))].filter((part) => part !== "").join("/")

export const read = async (io: FileIO, location: string): Promise<Uint8Array> => {
  try {
    return await fs.promises.readFile(toPath(io, location))
  } catch (cause) {
    throw IcebergError.fromSystemError(cause, location)
  }
}

export const readText = async (io: FileIO, location: string): Promise<string> => new TextDecoder().decode(await read(io, location))

/** Creates `file` (failing if it exists) with `bytes`, its folders first; fsyncs when durable. */
const createFile = async (file: string, bytes: Uint8Array, durable: boolean): Promise<void> => {
  await fs.promises.mkdir(path.dirname(file), { recursive: true })
  const handle = await fs.promises.open(file, "wx")
  try {
    await handle.writeFile(bytes)
    if (durable) await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Writes a new file (folders created). Files are named uniquely, so no rename is needed. */
export const write = async (io: FileIO, location: string, bytes: Uint8Array, durable = false): Promise<void> => {
  try {
    await createFile(toPath(io, location), bytes, durable)
  } catch (cause) {
    throw IcebergError.fromSystemError(cause, location)
  }
}

/**
 * Writes `bytes` to `location` only if no file is there, atomically: the bytes
 * go to a unique temporary file that is then hard-linked to the name (`link`
 * fails with EEXIST when the name exists, unlike `rename`). Returns `false`
 * when the name was taken. The temporary file is removed either way.
 */
export const writeIfAbsent = async (io: FileIO, location: string, bytes: Uint8Array, durable = false): Promise<boolean> => {
  const file = toPath(io, location)
  const temporary = `${file}.${randomUUID()}.tmp`
  try {
    await createFile(temporary, bytes, durable)
    try {
      await fs.promises.link(temporary, file)
      return true
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === "EEXIST") return false
      throw cause
    }
  } catch (cause) {
    throw IcebergError.fromSystemError(cause, location)
  } finally {
    await fs.promises.rm(temporary, { force: true })
  }
}

/** Replaces a small file atomically (temporary file + rename). */
export const replace = async (io: FileIO, location: string, bytes: Uint8Array): Promise<void> => {
  const file = toPath(io, location)
  const temporary = `${file}.${randomUUID()}.tmp`
  try {
    await fs.promises.mkdir(path.dirname(file), { recursive: true })
    await fs.promises.writeFile(temporary, bytes)
    await fs.promises.rename(temporary, file)
  } catch (cause) {
    await fs.promises.rm(temporary, { force: true })
    throw IcebergError.fromSystemError(cause, location)
  }
}

export const exists = async (io: FileIO, location: string): Promise<boolean> => {
  try {
    await fs.promises.access(toPath(io, location))
    return true
  } catch {
    return false
  }
}

export const remove = async (io: FileIO, location: string): Promise<void> => {
  try {
    await fs.promises.rm(toPath(io, location), { force: true })
  } catch (cause) {
    throw IcebergError.fromSystemError(cause, location)
  }
}

/** Every file under a location (recursively), with its modification time. */
export const list = async (io: FileIO, location: string): Promise<Array<{ readonly location: string; readonly modifiedMs: number }>> => {
  const root = toPath(io, location)
  const found: Array<{ location: string; modifiedMs: number }> = []
  const visit = async (folder: string): Promise<void> => {
    let entries: Array<fs.Dirent>
    try {
      entries = await fs.promises.readdir(folder, { withFileTypes: true })
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === "ENOENT") return
      throw IcebergError.fromSystemError(cause, toLocation(io, folder))
    }
    for (const entry of entries) {
      const full = path.join(folder, entry.name)
      if (entry.isDirectory()) await visit(full)
      else if (entry.isFile()) {
        const stat = await fs.promises.stat(full).catch(() => undefined)
        if (stat !== undefined) found.push({ location: toLocation(io, full), modifiedMs: stat.mtimeMs })
      }
    }
  }
  await visit(root)
  return found
}
