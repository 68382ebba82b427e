/**
 * The one error type of `@strata/postgres`. Its `reason` is derived from the
 * server's SQLSTATE (or, for failures before the server answers, from the
 * driver's error code), so callers and core's retry policy read `reason` and
 * `isRetryable` instead of driver codes.
 *
 * | reason | SQLSTATE / driver code | retryable |
 * | --- | --- | --- |
 * | `connection` | class 08, 57P01-57P03, ECONNREFUSED, ECONNRESET, EPIPE, ENOTFOUND, EAI_AGAIN, "Connection terminated" | yes |
 * | `auth` | class 28 | no |
 * | `database-not-found` | 3D000 | no |
 * | `unique-violation` | 23505 | no |
 * | `constraint` | other class 23 | no |
 * | `deadlock` | 40P01 | yes |
 * | `serialization` | 40001 | yes |
 * | `timeout` | 57014 (statement timeout / cancel), 55P03 (lock not available), ETIMEDOUT, pool connect timeout | yes |
 * | `syntax` | 42601 | no |
 * | `undefined-object` | 42P01, 42703, 42883, 42704, 3F000 | no |
 * | `permission` | 42501 | no |
 * | `data` | class 22 | no |
 * | `resources` | class 53 (disk full, out of memory, too many connections) | yes |
 * | `other` | anything else | no |
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Why a Postgres operation failed.
 *
 * @since 0.1.0
 */
export const PgErrorReason = Schema.Literals([
  "connection",
  "auth",
  "database-not-found",
  "unique-violation",
  "constraint",
  "deadlock",
  "serialization",
  "timeout",
  "syntax",
  "undefined-object",
  "permission",
  "data",
  "resources",
  "other"
])

/**
 * Why a Postgres operation failed.
 *
 * @since 0.1.0
 */
export type PgErrorReason = typeof PgErrorReason.Type

const retryable: ReadonlySet<PgErrorReason> = new Set(["connection", "deadlock", "serialization", "timeout", "resources"])

/**
 * A failed Postgres operation.
 *
 * @since 0.1.0
 */
export class PgError extends Schema.TaggedError<PgError>()("@strata/postgres/PgError", {
  reason: PgErrorReason,
  /** What Strata was doing: `connect`, `query`, `copy from`, `migrate`... */
  operation: Schema.String,
  message: Schema.String,
  /** The server's SQLSTATE, when the server answered. */
  sqlState: Schema.optional(Schema.String),
  /** The driver's error code (`ECONNREFUSED`...), for failures before the server answered. */
  code: Schema.optional(Schema.String),
  /** The server's DETAIL line, when it gave one. */
  detail: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect())
}) {
  /** Connection drops, deadlocks, serialization failures, timeouts and resource exhaustion may clear up on retry. */
  get isRetryable(): boolean {
    return retryable.has(this.reason)
  }
}

const connectionCodes = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"])

/**
 * Classifies a SQLSTATE (five characters) or a Node/driver error code.
 *
 * @since 0.1.0
 */
export const reasonOf = (sqlState: string | undefined, code: string | undefined, message: string): PgErrorReason => {
  if (sqlState !== undefined && /^[0-9A-Z]{5}$/.test(sqlState)) {
    const klass = sqlState.slice(0, 2)
    switch (sqlState) {
      case "23505":
        return "unique-violation"
      case "40P01":
        return "deadlock"
      case "40001":
        return "serialization"
      case "57014":
      case "55P03":
        return "timeout"
      case "42601":
        return "syntax"
      case "42P01":
      case "42703":
      case "42883":
      case "42704":
      case "3F000":
        return "undefined-object"
      case "42501":
        return "permission"
      case "3D000":
        return "database-not-found"
      case "57P01":
      case "57P02":
      case "57P03":
        return "connection"
    }
    switch (klass) {
      case "08":
        return "connection"
      case "28":
        return "auth"
      case "23":
        return "constraint"
      case "22":
        return "data"
      case "53":
        return "resources"
    }
    return "other"
  }
  if (code === "ETIMEDOUT") return "timeout"
  if (code !== undefined && connectionCodes.has(code)) return "connection"
  if (/timeout exceeded when trying to connect|Query read timeout/i.test(message)) return "timeout"
  if (/Connection terminated|connection (is )?closed|Client has encountered a connection error|socket hang up/i.test(message)) {
    return "connection"
  }
  return "other"
}

/**
 * Turns anything thrown by `pg` (a `DatabaseError`, a socket error) into a {@link PgError}.
 *
 * @since 0.1.0
 */
export const fromUnknown = (operation: string, error: unknown, context?: string): PgError => {
  if (error instanceof PgError) return error
  const record = (typeof error === "object" && error !== null ? error : {}) as {
    readonly code?: unknown
    readonly message?: unknown
    readonly detail?: unknown
  }
  const rawCode = typeof record.code === "string" ? record.code : undefined
  const isSqlState = rawCode !== undefined && /^[0-9A-Z]{5}$/.test(rawCode)
  const text = typeof record.message === "string" ? record.message : String(error)
  const reason = reasonOf(isSqlState ? rawCode : undefined, isSqlState ? undefined : rawCode, text)
  return new PgError({
    reason,
    operation,
    message: context === undefined ? text : `${context}: ${text}`,
    ...(isSqlState ? { sqlState: rawCode } : rawCode !== undefined ? { code: rawCode } : {}),
    ...(typeof record.detail === "string" ? { detail: record.detail } : {}),
    cause: error
  })
}
