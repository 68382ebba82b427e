/**
 * Looks at an existing database file before anything opens it for writing,
 * without changing it or creating anything beside it.
 *
 * Why not just open it read-only: a read-only SQLite connection to a file in
 * WAL mode creates the `-wal` and `-shm` files when they are missing (SQLite
 * needs the shared-memory index to read a WAL database, and creates it when
 * the folder is writable), and leaves them behind. Every Strata instance file
 * is in WAL mode, so opening a damaged one, or one written by a newer Strata,
 * left two files beside a file we promised not to touch. When the WAL file is
 * missing, the database file holds every committed transaction (the last
 * connection checkpointed it and removed the WAL), so it is read with SQLite's
 * `immutable` URI parameter: no locks, no `-wal`, no `-shm`. When a WAL file
 * is there (another process has the database open, or one crashed), it must be
 * read too, and a plain read-only connection uses the files that exist.
 */
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { pathToFileURL } from "node:url"
import { DatabaseSync } from "node:sqlite"
import { Instance } from "@strata/core"
import type { Database } from "./database.ts"
import { toInstanceError, unavailable } from "./database.ts"
import { corrupt, inspect } from "./schema.ts"

const SQLITE_HEADER = "SQLite format 3\u0000"
// https://www.sqlite.org/fileformat2.html#the_database_header
const HEADER_BYTES = 100

/** What an existing file is, before SQLite opens it (all fields from its first 100 bytes). */
interface Header {
  /** The file is in WAL mode (read version 2). */
  readonly wal: boolean
  /** The database size the header records, in bytes, when the header says it is valid. */
  readonly declaredBytes: number | undefined
  /** The file's size. */
  readonly fileBytes: number
}

const parseHeader = (header: Buffer, fileBytes: number): Header => {
  const rawPageSize = header.readUInt16BE(16)
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize
  const pages = header.readUInt32BE(28)
  // the in-header size is valid only when the change counter matches "version-valid-for"
  const valid = pages > 0 && header.readUInt32BE(24) === header.readUInt32BE(92)
  return { wal: header[19] === 2, declaredBytes: valid ? pages * pageSize : undefined, fileBytes }
}

/** Reads the header of an existing file; "missing" and "empty" files are for SQLite to create. */
const readHeader = (path: string): Header | "missing" | "empty" | Instance.InstanceError => {
  let handle: number
  try {
    handle = fs.openSync(path, "r")
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing"
    return unavailable(path, "read the database file", error)
  }
  try {
    const header = Buffer.alloc(HEADER_BYTES)
    let read: number
    let fileBytes: number
    try {
      read = fs.readSync(handle, header, 0, HEADER_BYTES, 0)
      fileBytes = fs.fstatSync(handle).size
    } catch (error) {
      return unavailable(path, "read the database file", error)
    }
    if (read === 0) return "empty"
    if (read < 16 || header.toString("latin1", 0, 16) !== SQLITE_HEADER) {
      const start = JSON.stringify(header.subarray(0, Math.min(read, 16)).toString("latin1").replace(/[^\x20-\x7e]/g, "."))
      return corrupt(path, `is not an SQLite database (it starts with ${start})`)
    }
    if (read < HEADER_BYTES) return corrupt(path, `is truncated: ${read} bytes, shorter than an SQLite header`)
    return parseHeader(header, fileBytes)
  } finally {
    fs.closeSync(handle)
  }
}

/** A read-only connection that creates nothing: `immutable` when the file alone is the database. */
const openProbe = (path: string, immutable: boolean, timeoutMs: number): Database => {
  if (!immutable) return new DatabaseSync(path, { readOnly: true, timeout: timeoutMs }) as unknown as Database
  const url = pathToFileURL(nodePath.resolve(path))
  url.searchParams.set("immutable", "1")
  return new DatabaseSync(url, { readOnly: true }) as unknown as Database
}

/**
 * Checks an instance file before it is opened for writing: "new" when SQLite
 * is to create it (missing or empty), "good" when it is an SQLite database
 * whose header, length, markers and tables are those of a Strata instance
 * this package can open (or an empty SQLite database), else the typed error
 * (`corrupt`, `unsupported-version`, `unavailable`). Nothing is written or
 * created either way. Damage deeper in a file that passes is reported as
 * `corrupt` by the read that meets it.
 */
export const probe = (path: string, timeoutMs: number): "new" | "good" | Instance.InstanceError => {
  const header = readHeader(path)
  if (header === "missing" || header === "empty") return "new"
  if (header instanceof Instance.InstanceError) return header
  const immutable = header.wal && !fs.existsSync(`${path}-wal`)
  if (immutable && header.declaredBytes !== undefined && header.declaredBytes > header.fileBytes) {
    return corrupt(path, `is truncated: its header records ${header.declaredBytes} bytes, the file has ${header.fileBytes}`)
  }
  try {
    const db = openProbe(path, immutable, timeoutMs)
    try {
      const inspection = inspect(db, path)
      return inspection instanceof Instance.InstanceError ? inspection : "good"
    } finally {
      db.close()
    }
  } catch (error) {
    return toInstanceError("open", path, error)
  }
}
