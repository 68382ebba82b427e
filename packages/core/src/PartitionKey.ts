/**
 * Partition keys: the name of one partition of an asset (`2024-06-01`,
 * `eu-west`, `customer 42`).
 *
 * A partition key is 1 to 128 characters of any script, without control
 * characters (newlines, tabs, NUL...), unpaired UTF-16 surrogates, or white
 * space at either end, and it is neither `.` nor `..`. Everything else is
 * allowed, `/` and quotes included: I/O managers never build a path or a
 * statement from the text as it is (see `StoragePath` in
 * `@strata/core/spi` for how file-based managers name files).
 *
 * Keys are checked where they enter: `ExecutionPlan.make` (so
 * `Materialize.materialize`, the catalog's `POST /api/runs` and the CLI) and
 * the file-based I/O managers.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * The longest partition key, in characters (code points).
 *
 * @since 0.1.0
 */
export const MAX_LENGTH = 128

/**
 * What a partition key may be, in one sentence (used in error messages).
 *
 * @since 0.1.0
 */
export const ALLOWED = `1 to ${MAX_LENGTH} characters, no control characters, no white space at either end, not "." or ".."`

/**
 * Raised when a partition key is not valid. Names the asset (or the assets
 * of the run) it was given for, the key, and what is allowed.
 *
 * @since 0.1.0
 */
export class InvalidPartitionKey extends Schema.TaggedError<InvalidPartitionKey>()("@strata/core/InvalidPartitionKey", {
  /** The key as given (at most its first 200 characters). */
  partition: Schema.String,
  /** The asset (or the assets of a run, comma-separated) it was given for, when known. */
  assetKey: Schema.optional(Schema.String),
  reason: Schema.String
}) {
  override get message(): string {
    const asset = this.assetKey === undefined ? "" : ` of asset ${this.assetKey}`
    return `invalid partition key ${JSON.stringify(this.partition)}${asset}: ${this.reason}; a partition key is ${ALLOWED}`
  }
}

// C0 and C1 control characters (NUL, newline, tab, DEL...), and the line and paragraph separators
const controlPattern = /[\p{Cc}\u2028\u2029]/u
// a high surrogate not followed by a low one, or a low one not preceded by a high one
const lonePattern = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Returns why `partition` is not a valid partition key, or `undefined` when
 * it is. Linear in the length of the input, and stops early on long ones.
 *
 * @since 0.1.0
 */
export const problem = (partition: string): string | undefined => {
  if (typeof partition !== "string") return "a partition key must be a string"
  if (partition.length === 0) return "a partition key cannot be empty"
  // a code point is at most two UTF-16 units: longer than twice the limit is too long without counting
  if (partition.length > MAX_LENGTH * 2 || [...partition].length > MAX_LENGTH) {
    return `a partition key is at most ${MAX_LENGTH} characters long (this one has ${[...partition.slice(0, MAX_LENGTH * 4)].length}${
      partition.length > MAX_LENGTH * 4 ? "+" : ""
    })`
  }
  if (partition === "." || partition === "..") return `a partition key cannot be ${JSON.stringify(partition)}`
  const control = controlPattern.exec(partition)
  if (control !== null) {
    return `it contains the control character U+${control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`
  }
  if (lonePattern.test(partition)) return "it contains an unpaired UTF-16 surrogate (not valid Unicode text)"
  if (/^\s|\s$/u.test(partition)) return "it starts or ends with white space"
  return undefined
}

/**
 * `true` when `partition` is a valid partition key.
 *
 * @since 0.1.0
 */
export const isValid = (partition: string): boolean => problem(partition) === undefined

/**
 * The error for an invalid key, or `undefined` when it is valid. `assetKey`
 * names the asset (or assets) it was given for.
 *
 * @example
 * ```ts
 * import { PartitionKey } from "@strata/core"
 * PartitionKey.check("..", "daily_sales")?.message
 * // invalid partition key ".." of asset daily_sales: a partition key cannot be ".."; a partition key is ...
 * ```
 * @since 0.1.0
 */
export const check = (partition: string, assetKey?: string | undefined): InvalidPartitionKey | undefined => {
  const reason = problem(partition)
  return reason === undefined ? undefined : new InvalidPartitionKey({
    partition: typeof partition === "string" ? partition.slice(0, 200) : String(partition),
    assetKey,
    reason
  })
}

/**
 * Schema for partition keys crossing a boundary (HTTP bodies, files,
 * database rows).
 *
 * @since 0.1.0
 */
export const PartitionKeySchema = Schema.String.pipe(
  Schema.check(Schema.makeFilter((partition: string) => {
    const reason = problem(partition)
    return reason === undefined ? true : `${reason}; a partition key is ${ALLOWED}`
  }))
)
