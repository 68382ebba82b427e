/**
 * The one error type of `@strata/snowflake`. Its `reason` is derived from
 * Snowflake's error code and SQL state (or, for failures before Snowflake
 * answered, from the driver's code and the HTTP status), so callers and
 * core's retry policy read `reason` and `isRetryable`, never driver codes.
 *
 * | reason | Snowflake code / SQL state / driver code | retryable |
 * | --- | --- | --- |
 * | `auth` | 390100 (bad password), 390144 (bad JWT), 390303 / 390318 (OAuth), other 3901xx login codes, SQL state 28xxx | no |
 * | `session` | 390104, 390111, 390112, 390114 (session or master token invalid, gone or expired) | yes |
 * | `network` | driver 401001, 402001 (could not connect), HTTP 5xx, ECONNREFUSED, ECONNRESET, ETIMEDOUT... | yes |
 * | `throttled` | HTTP 429, 000625 (too many waiters on a lock), 000610 (warehouse queue full) | yes |
 * | `timeout` | 000630 (statement timeout), SQL state 57014 without cancel, driver request timeout | yes |
 * | `canceled` | 000604 (SQL execution canceled) | no |
 * | `syntax` | 001003 and SQL state 42000/42601 syntax errors, 002140 (unknown function) | no |
 * | `object-not-found` | 002003, SQL state 42S02, 000904 (invalid identifier), 42S22 | no |
 * | `already-exists` | 002002, SQL state 42710 | no |
 * | `permission` | 003001 (insufficient privileges), SQL state 42501 | no |
 * | `data` | SQL state class 22 (numeric/date value not recognized, NULL in a non-nullable column...) | no |
 * | `warehouse` | 000606 (no active warehouse), 390201, 390189 (warehouse does not exist or cannot be resumed) | no |
 * | `configuration` | driver 404xxx (invalid connection options) | no |
 * | `internal` | 000603, SQL state XX000 | yes |
 * | `other` | anything else | no |
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Why a Snowflake operation failed.
 *
 * @since 0.1.0
 */
export const SnowflakeErrorReason = Schema.Literals([
  "auth",
  "session",
  "network",
  "throttled",
  "timeout",
  "canceled",
  "syntax",
  "object-not-found",
  "already-exists",
  "permission",
  "data",
  "warehouse",
  "configuration",
  "internal",
  "other"
])

/**
 * Why a Snowflake operation failed.
 *
 * @since 0.1.0
 */
export type SnowflakeErrorReason = typeof SnowflakeErrorReason.Type

const retryable: ReadonlySet<SnowflakeErrorReason> = new Set(["session", "network", "throttled", "timeout", "internal"])

/**
 * A failed Snowflake operation.
 *
 * @since 0.1.0
 */
export class SnowflakeError extends Schema.TaggedError<SnowflakeError>()("@strata/snowflake/SnowflakeError", {
  reason: SnowflakeErrorReason,
  /** What Strata was doing: `connect`, `query`, `stream`, `write`... */
  operation: Schema.String,
  message: Schema.String,
  /** Snowflake's (or the driver's) error code: `002003`, `390100`, `401001`. */
  code: Schema.optional(Schema.String),
  /** The SQL state, when Snowflake gave one. */
  sqlState: Schema.optional(Schema.String),
  /** The query id, when the statement reached Snowflake (look it up in QUERY_HISTORY). */
  queryId: Schema.optional(Schema.String),
  /** The HTTP status, for failures of the HTTP request itself. */
  httpStatus: Schema.optional(Schema.Number),
  cause: Schema.optional(Schema.Defect())
}) {
  /** Network failures, throttling, timeouts, expired sessions and internal errors may clear up on retry. */
  get isRetryable(): boolean {
    return retryable.has(this.reason)
  }
}

const SESSION_CODES = new Set(["390104", "390111", "390112", "390114"])
const AUTH_CODES = new Set(["390100", "390144", "390303", "390318", "390102", "390113", "390127", "390142", "390186", "390190", "390191"])
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED"])

/**
 * Classifies a Snowflake code, SQL state and HTTP status.
 *
 * @since 0.1.0
 */
export const reasonOf = (
  code: string | undefined,
  sqlState: string | undefined,
  httpStatus: number | undefined,
  message: string
): SnowflakeErrorReason => {
  if (code !== undefined) {
    if (AUTH_CODES.has(code)) return "auth"
    if (SESSION_CODES.has(code)) return "session"
    switch (code) {
      case "000630":
        return "timeout"
      case "000604":
        return "canceled"
      case "000625":
      case "000610":
        return "throttled"
      case "001003":
      case "002140":
        return "syntax"
      case "002003":
      case "000904":
        return "object-not-found"
      case "002002":
        return "already-exists"
      case "003001":
        return "permission"
      case "000606":
      case "390201":
      case "390189":
        return "warehouse"
      case "000603":
        return "internal"
      case "401001":
      case "402001":
        return "network"
      case "ETIMEDOUT":
        return "timeout"
    }
    if (NETWORK_CODES.has(code)) return "network"
    if (/^404\d{3}$/.test(code)) return "configuration"
    if (/^3901\d\d$/.test(code)) return "auth"
  }
  if (httpStatus !== undefined) {
    if (httpStatus === 429) return "throttled"
    if (httpStatus === 401 || httpStatus === 403) return "auth"
    if (httpStatus >= 500) return "network"
  }
  if (sqlState !== undefined) {
    const klass = sqlState.slice(0, 2)
    if (sqlState === "42S02" || sqlState === "42S22") return "object-not-found"
    if (sqlState === "42710") return "already-exists"
    if (sqlState === "42501") return "permission"
    if (sqlState === "42000" || sqlState === "42601") return "syntax"
    if (sqlState === "57014") return "timeout"
    if (klass === "22") return "data"
    if (klass === "28") return "auth"
    if (klass === "08") return "network"
    if (klass === "XX") return "internal"
  }
  if (/timed? ?out/i.test(message)) return "timeout"
  return "other"
}

/**
 * Turns anything the driver throws or passes to a callback into a
 * {@link SnowflakeError}.
 *
 * @since 0.1.0
 */
export const fromUnknown = (operation: string, error: unknown, context?: string): SnowflakeError => {
  if (error instanceof SnowflakeError) return error
  const record = (typeof error === "object" && error !== null ? error : {}) as {
    readonly code?: unknown
    readonly sqlState?: unknown
    readonly message?: unknown
    readonly data?: { readonly queryId?: unknown } | null
    readonly response?: { readonly statusCode?: unknown; readonly status?: unknown } | null
    readonly cause?: { readonly code?: unknown } | null
  }
  const rawCode = typeof record.code === "string" || typeof record.code === "number" ? String(record.code) : undefined
  const causeCode = typeof record.cause?.code === "string" ? record.cause.code : undefined
  const code = rawCode ?? causeCode
  const sqlState = typeof record.sqlState === "string" ? record.sqlState : undefined
  const statusValue = record.response?.statusCode ?? record.response?.status
  const httpStatus = typeof statusValue === "number" ? statusValue : undefined
  const text = typeof record.message === "string" ? record.message : String(error)
  const queryId = typeof record.data?.queryId === "string" ? record.data.queryId : undefined
  // a network failure wraps the socket error: its code says more than the driver's 401001
  const reason = causeCode !== undefined && NETWORK_CODES.has(causeCode) ? "network" : reasonOf(code, sqlState, httpStatus, text)
  return new SnowflakeError({
    reason,
    operation,
    message: context === undefined ? text : `${context}: ${text}`,
    ...(code !== undefined ? { code } : {}),
    ...(sqlState !== undefined ? { sqlState } : {}),
    ...(queryId !== undefined ? { queryId } : {}),
    ...(httpStatus !== undefined ? { httpStatus } : {}),
    cause: error
  })
}
