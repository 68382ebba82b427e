/**
 * The one error type of `@strata/arrow`. Its `reason` says what went wrong;
 * `key`, `partition`, `file` and `column` say where; `detail` says what to do.
 *
 * Inside an I/O manager the error reaches core as the `cause` of an
 * `IOError` (the I/O manager interface fails with `IOError`), with the same
 * message, so run events show it whole.
 *
 * @since 0.1.0
 */
import { IOManager } from "@strata/core"
import { Schema } from "effect"

/**
 * Why an Arrow operation failed.
 *
 * - `invalid-value`: the value is not an Arrow `Table` (or rows cannot be
 *   converted to one).
 * - `missing`: no file was written for the asset (materialize it first).
 * - `corrupt-file`: the file is damaged or is not a Parquet / Arrow IPC file.
 * - `schema-changed`: the new table drops or retypes columns of the stored one.
 * - `unknown-column`: a selected column does not exist in the stored table.
 * - `unsupported-type`: the Parquet writer cannot encode a column's type.
 * - `encode-failed`: the encoder failed otherwise (out of WebAssembly memory
 *   for a very large table, an invalid table built by hand).
 * - `io`: the file system failed (permissions, disk full...).
 * - `busy`: the file system failed in a way that may clear up (retryable).
 * - `missing-dependency`: an optional peer dependency (DuckDB) is not installed.
 * - `sql`: DuckDB rejected a query.
 *
 * @since 0.1.0
 */
export const Reason = Schema.Literals([
  "invalid-value",
  "missing",
  "corrupt-file",
  "schema-changed",
  "unknown-column",
  "unsupported-type",
  "encode-failed",
  "io",
  "busy",
  "missing-dependency",
  "sql"
])

/**
 * Why an Arrow operation failed (see the {@link Reason} schema).
 *
 * @since 0.1.0
 */
export type Reason = typeof Reason.Type

/**
 * One difference between the stored schema and a new one.
 *
 * @since 0.1.0
 */
export const ColumnChange = Schema.Struct({
  column: Schema.String,
  change: Schema.Literals(["removed", "type-changed", "added", "became-nullable", "became-required"]),
  /** The column's type (and nullability) before, when it existed. */
  before: Schema.optional(Schema.String),
  /** The column's type (and nullability) after, when it still exists. */
  after: Schema.optional(Schema.String)
})

/**
 * One difference between the stored schema and a new one (see the
 * {@link ColumnChange} schema).
 *
 * @since 0.1.0
 */
export type ColumnChange = typeof ColumnChange.Type

/**
 * Raised by `ArrowIO`, the type handlers, `Tables` and `Sql`.
 *
 * @example
 * ```ts
 * import { ArrowError } from "@strata/arrow"
 * import { Effect } from "effect"
 *
 * const recover = Effect.catchTag("@strata/arrow/ArrowError", (error: ArrowError.ArrowError) =>
 *   error.reason === "schema-changed" ? Effect.log(error.changes) : Effect.fail(error))
 * ```
 * @since 0.1.0
 */
export class ArrowError extends Schema.TaggedError<ArrowError>()("@strata/arrow/ArrowError", {
  reason: Reason,
  /** The asset concerned, when there is one. */
  key: Schema.optional(Schema.String),
  partition: Schema.optional(Schema.String),
  /** The file read or written, when there is one. */
  file: Schema.optional(Schema.String),
  column: Schema.optional(Schema.String),
  /** What happened and what to do about it. */
  detail: Schema.String,
  /** The column diff of a `schema-changed` error. */
  changes: Schema.optional(Schema.Array(ColumnChange)),
  /** The full message: reason, asset, file and detail. */
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  /** Only `busy` file-system errors are worth retrying. */
  get isRetryable(): boolean {
    return this.reason === "busy"
  }
}

/**
 * The fields of {@link make}.
 *
 * @since 0.1.0
 */
export interface Fields {
  readonly reason: Reason
  readonly key?: string | undefined
  readonly partition?: string | undefined
  readonly file?: string | undefined
  readonly column?: string | undefined
  readonly detail: string
  readonly changes?: ReadonlyArray<ColumnChange> | undefined
  readonly cause?: unknown
}

const headlines: Record<Reason, string> = {
  "invalid-value": "invalid value",
  missing: "no stored table",
  "corrupt-file": "unreadable file",
  "schema-changed": "incompatible schema change",
  "unknown-column": "unknown column",
  "unsupported-type": "unsupported column type",
  "encode-failed": "cannot encode the table",
  io: "file system error",
  busy: "file system busy",
  "missing-dependency": "missing dependency",
  sql: "SQL error"
}

/**
 * Builds an {@link ArrowError} whose message names the asset, partition,
 * file and column.
 *
 * @since 0.1.0
 */
export const make = (fields: Fields): ArrowError => {
  const where: Array<string> = []
  if (fields.key !== undefined) where.push(`asset ${fields.key}`)
  if (fields.partition !== undefined) where.push(`partition ${fields.partition}`)
  if (fields.column !== undefined) where.push(`column ${fields.column}`)
  if (fields.file !== undefined) where.push(`file ${fields.file}`)
  const message = `${headlines[fields.reason]}${where.length > 0 ? ` (${where.join(", ")})` : ""}: ${fields.detail}`
  return new ArrowError({ ...fields, changes: fields.changes === undefined ? undefined : [...fields.changes], message })
}

/**
 * Wraps an {@link ArrowError} in core's `IOError`, which the I/O manager
 * interface requires: same message and retryability, the Arrow error as
 * `cause`.
 *
 * @since 0.1.0
 */
export const toIOError = (operation: "store" | "load", key: string, partition: string | undefined) => (error: ArrowError): IOManager.IOError =>
  new IOManager.IOError({
    operation,
    key,
    partition,
    uri: error.file,
    message: error.message,
    isRetryable: error.isRetryable,
    cause: error
  })

/** Error codes of Node's file system calls that may clear up on a retry. */
const transientCodes = new Set(["EBUSY", "EAGAIN", "EMFILE", "ENFILE", "ETIMEDOUT"])

/**
 * Maps a file-system failure to an {@link ArrowError}: `busy` when it may
 * clear up (EBUSY, EAGAIN, EMFILE, ENFILE, ETIMEDOUT), else `io`.
 *
 * @since 0.1.0
 */
export const fromSystemError = (
  cause: unknown,
  where: { readonly key?: string | undefined; readonly partition?: string | undefined; readonly file?: string | undefined }
): ArrowError => {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? ""
  return make({
    reason: transientCodes.has(code) ? "busy" : "io",
    ...where,
    detail: `${(cause as Error | undefined)?.message ?? String(cause)}`,
    cause
  })
}
