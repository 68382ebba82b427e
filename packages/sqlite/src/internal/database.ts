/**
 * The few calls the store makes on an SQLite connection. `node:sqlite`'s
 * `DatabaseSync` has them as they are; so has `better-sqlite3`, which lets
 * the driver benchmark run the very same store code on both drivers.
 */
import { DatabaseSync } from "node:sqlite"
import { Instance } from "@strata/core"

type InstanceError = Instance.InstanceError
const InstanceError = Instance.InstanceError

/** A value bound to or read from SQLite. */
export type SqlValue = null | number | bigint | string | Uint8Array

/** A row as the drivers return it. */
export type Row = Record<string, SqlValue>

export interface Statement {
  run(...parameters: Array<SqlValue>): { readonly changes: number | bigint; readonly lastInsertRowid: number | bigint }
  get(...parameters: Array<SqlValue>): unknown
  all(...parameters: Array<SqlValue>): Array<unknown>
}

export interface Database {
  exec(sql: string): void
  prepare(sql: string): Statement
  close(): void
}

/**
 * Makes `statement` return rows as arrays of column values, in select order:
 * no object with a property per column for every row, which is most of the
 * cost of reading many rows. `node:sqlite` calls it `setReturnArrays`,
 * `better-sqlite3` `raw`. Prepare a statement for this use only.
 */
export const returnArrays = (statement: Statement): Statement => {
  const driver = statement as { setReturnArrays?: (enabled: boolean) => void; raw?: (enabled: boolean) => unknown }
  if (typeof driver.setReturnArrays === "function") driver.setReturnArrays(true)
  else if (typeof driver.raw === "function") driver.raw(true)
  else throw new TypeError("this SQLite driver cannot return rows as arrays")
  return statement
}

/**
 * Rolls back the open transaction, if any: after some errors (disk full, I/O
 * errors) SQLite has already rolled back, and a second ROLLBACK would hide
 * the original error.
 */
export const rollback = (db: Database): void => {
  try {
    db.exec("ROLLBACK")
  } catch {
    // no transaction was active
  }
}

/** Opens a connection with `node:sqlite` (built into Node, no native build). */
export const openNodeSqlite = (path: string, options: { readonly readOnly: boolean; readonly timeoutMs: number }): Database =>
  new DatabaseSync(path, { readOnly: options.readOnly, timeout: options.timeoutMs }) as unknown as Database

/** The file cannot be reached (permissions, a folder in its place...). */
export const unavailable = (path: string, what: string, cause: unknown): InstanceError =>
  new InstanceError({
    operation: "open",
    reason: "unavailable",
    path,
    message: `cannot ${what} for ${path} (${cause instanceof Error ? cause.message : String(cause)}); check the path and its permissions`,
    cause
  })

// https://www.sqlite.org/rescode.html (primary result codes)
const SQLITE_BUSY = 5
const SQLITE_LOCKED = 6
const SQLITE_NOMEM = 7
const SQLITE_READONLY = 8
const SQLITE_IOERR = 10
const SQLITE_CORRUPT = 11
const SQLITE_FULL = 13
const SQLITE_CANTOPEN = 14
const SQLITE_TOOBIG = 18
const SQLITE_CONSTRAINT = 19
const SQLITE_NOTADB = 26

/** The SQLite result code of a driver error (both drivers put it somewhere). */
const resultCode = (error: unknown): number | undefined => {
  if (typeof error !== "object" || error === null) return undefined
  const record = error as { errcode?: unknown; code?: unknown }
  if (typeof record.errcode === "number") return record.errcode & 0xff
  if (typeof record.code === "string") {
    // better-sqlite3: code is the name, e.g. "SQLITE_BUSY_SNAPSHOT"
    const names: Record<string, number> = {
      SQLITE_BUSY,
      SQLITE_LOCKED,
      SQLITE_NOMEM,
      SQLITE_READONLY,
      SQLITE_IOERR,
      SQLITE_CORRUPT,
      SQLITE_FULL,
      SQLITE_CANTOPEN,
      SQLITE_TOOBIG,
      SQLITE_CONSTRAINT,
      SQLITE_NOTADB
    }
    for (const name in names) if (record.code === name || record.code.startsWith(`${name}_`)) return names[name]
  }
  return undefined
}

const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string"
    ? (error as { message: string }).message
    : String(error)

/** Maps a driver error to an {@link InstanceError} that says what happened and what to do. */
export const toInstanceError = (operation: string, path: string, error: unknown): InstanceError => {
  if (error instanceof InstanceError) return error
  const code = resultCode(error)
  const detail = messageOf(error)
  switch (code) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return new InstanceError({
        operation,
        reason: "locked",
        path,
        message: `${path} is locked by another process (${detail}); retry, or stop the other strata process`,
        cause: error
      })
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return new InstanceError({
        operation,
        reason: "corrupt",
        path,
        message: `${path} is not a readable Strata instance database (${detail}); move the file away or run 'strata wipe' to start a new instance`,
        cause: error
      })
    case SQLITE_CANTOPEN:
      return new InstanceError({
        operation,
        reason: "unavailable",
        path,
        message: `cannot open ${path} (${detail}); check that the folder exists and is writable`,
        cause: error
      })
    case SQLITE_TOOBIG:
      return new InstanceError({
        operation,
        reason: "invalid",
        path,
        message: `${operation} on ${path}: a value is larger than SQLite stores in one row (${detail}); keep metadata small and store large data with an I/O manager`,
        cause: error
      })
    case SQLITE_CONSTRAINT:
      return new InstanceError({
        operation,
        reason: "invalid",
        path,
        message: `${operation} on ${path} broke a constraint of the instance schema (${detail})`,
        cause: error
      })
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return new InstanceError({
        operation,
        reason: "io",
        path,
        message: `cannot write ${path} (${detail}); check free disk space and file permissions`,
        cause: error
      })
    default:
      return new InstanceError({ operation, reason: "io", path, message: `${operation} on ${path} failed: ${detail}`, cause: error })
  }
}
