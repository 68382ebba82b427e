/**
 * The one error type of `@strata/iceberg`. Its `reason` says what went wrong;
 * `table`, `column`, `location` and `snapshotId` say where; the message says
 * what to do. Core's retry policy reads `isRetryable`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Why an Iceberg operation failed.
 *
 * - `not-found`: the table, namespace, snapshot or file does not exist.
 * - `already-exists`: a table or namespace of that name exists.
 * - `commit-conflict`: another writer committed first and this commit cannot be
 *   re-applied safely on its result (it overwrote the same data, or changed the
 *   schema). Retryable: run the operation again on the new table state.
 * - `commit-failed`: the commit did not land after the configured number of
 *   attempts (many concurrent writers). Retryable.
 * - `schema-incompatible`: the written table cannot evolve the table's schema
 *   (a type change Iceberg does not allow, a missing required column): the
 *   message names the column.
 * - `unsupported-type`: an Arrow type Iceberg format v2 (or this package) has no
 *   mapping for: the message names the column.
 * - `invalid-metadata`: a metadata file, manifest or manifest list breaks the
 *   spec (the message lists the problems).
 * - `invalid-argument`: bad input: a table name, a partition transform, a filter.
 * - `io`: the file system failed; `busy` when it may clear up (retryable).
 * - `catalog`: the REST catalog answered with an error; `unavailable` when it
 *   could not be reached or answered 5xx (retryable).
 *
 * @since 0.1.0
 */
export const Reason = Schema.Literals([
  "not-found",
  "already-exists",
  "commit-conflict",
  "commit-failed",
  "schema-incompatible",
  "unsupported-type",
  "invalid-metadata",
  "invalid-argument",
  "io",
  "busy",
  "catalog",
  "unavailable"
])

/**
 * Why an Iceberg operation failed (see the {@link Reason} schema).
 *
 * @since 0.1.0
 */
export type Reason = typeof Reason.Type

const retryable: ReadonlySet<Reason> = new Set(["commit-conflict", "commit-failed", "busy", "unavailable"])

/**
 * Raised by the catalogs, table operations and readers of `@strata/iceberg`.
 *
 * @example
 * ```ts
 * import { IcebergError } from "@strata/iceberg"
 * import { Effect } from "effect"
 *
 * const onConflict = Effect.catchTag("@strata/iceberg/IcebergError", (error: IcebergError.IcebergError) =>
 *   error.reason === "commit-conflict" ? Effect.log(error.message) : Effect.fail(error))
 * ```
 * @since 0.1.0
 */
export class IcebergError extends Schema.TaggedError<IcebergError>()("@strata/iceberg/IcebergError", {
  reason: Reason,
  /** The table concerned (`namespace.name`), when there is one. */
  table: Schema.optional(Schema.String),
  column: Schema.optional(Schema.String),
  /** The file or URI read or written, when there is one. */
  location: Schema.optional(Schema.String),
  /** The full message: reason, table, column, location and what to do. */
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  /** Conflicts, exhausted commit attempts, busy file systems and unreachable catalogs may clear up. */
  get isRetryable(): boolean {
    return retryable.has(this.reason)
  }
}

/**
 * The fields of {@link make}.
 *
 * @since 0.1.0
 */
export interface Fields {
  readonly reason: Reason
  readonly table?: string | undefined
  readonly column?: string | undefined
  readonly location?: string | undefined
  readonly detail: string
  readonly cause?: unknown
}

const headlines: Record<Reason, string> = {
  "not-found": "not found",
  "already-exists": "already exists",
  "commit-conflict": "commit conflict",
  "commit-failed": "commit failed",
  "schema-incompatible": "incompatible schema",
  "unsupported-type": "unsupported type",
  "invalid-metadata": "invalid Iceberg metadata",
  "invalid-argument": "invalid argument",
  io: "file system error",
  busy: "file system busy",
  catalog: "catalog error",
  unavailable: "catalog unavailable"
}

/**
 * Builds an {@link IcebergError} whose message names the table, column and
 * location.
 *
 * @since 0.1.0
 */
export const make = (fields: Fields): IcebergError => {
  const where: Array<string> = []
  if (fields.table !== undefined) where.push(`table ${fields.table}`)
  if (fields.column !== undefined) where.push(`column ${fields.column}`)
  if (fields.location !== undefined) where.push(`location ${fields.location}`)
  const message = `${headlines[fields.reason]}${where.length > 0 ? ` (${where.join(", ")})` : ""}: ${fields.detail}`
  return new IcebergError({
    reason: fields.reason,
    table: fields.table,
    column: fields.column,
    location: fields.location,
    message,
    cause: fields.cause
  })
}

const transientCodes = new Set(["EBUSY", "EAGAIN", "EMFILE", "ENFILE", "ETIMEDOUT"])

/**
 * Maps a file-system failure to an {@link IcebergError}: `not-found` for
 * ENOENT, `busy` when it may clear up, else `io`.
 *
 * @since 0.1.0
 */
export const fromSystemError = (cause: unknown, location: string, table?: string): IcebergError => {
  if (cause instanceof IcebergError) return cause
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? ""
  return make({
    reason: code === "ENOENT" ? "not-found" : transientCodes.has(code) ? "busy" : "io",
    table,
    location,
    detail: (cause as Error | undefined)?.message ?? String(cause),
    cause
  })
}

/**
 * True when `value` is an {@link IcebergError}.
 *
 * @since 0.1.0
 */
export const isIcebergError = (value: unknown): value is IcebergError => value instanceof IcebergError
