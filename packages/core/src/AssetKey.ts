/**
 * Asset keys: slash-separated paths such as `bronze/raw_users`.
 *
 * A key is made of one or more segments. A segment is letters (any script),
 * digits, `_`, `-` and `.`, and does not start with `-` or `.`. Keys are
 * case-sensitive. Characters used by the selection syntax (`+ * , : ( )` and
 * white space) are never part of a key, so any key can be written in a
 * selection without quoting.
 *
 * @since 0.1.0
 */
import { Brand, Schema } from "effect"

/**
 * A validated asset key.
 *
 * @since 0.1.0
 */
export type AssetKey = string & Brand.Brand<"@strata/core/AssetKey">

/**
 * Raised when a string is not a valid asset key.
 *
 * @since 0.1.0
 */
export class InvalidAssetKey extends Schema.TaggedError<InvalidAssetKey>()("@strata/core/InvalidAssetKey", {
  key: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid asset key ${JSON.stringify(this.key)}: ${this.reason}`
  }
}

const segmentPattern = /^[\p{L}\p{N}_][\p{L}\p{N}_.-]*$/u

/**
 * Returns why `key` is not a valid asset key, or `undefined` when it is.
 *
 * @since 0.1.0
 */
export const problem = (key: string): string | undefined => {
  if (typeof key !== "string") return "an asset key must be a string"
  if (key.length === 0) return "an asset key cannot be empty"
  if (key.length > 512) return "an asset key is at most 512 characters long"
  const segments = key.split("/")
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!
    if (segment.length === 0) {
      return index === 0 || index === segments.length - 1
        ? "an asset key cannot start or end with '/'"
        : "an asset key cannot contain an empty segment ('//')"
    }
    if (!segmentPattern.test(segment)) {
      const bad = [...segment].find((char) => !/[\p{L}\p{N}_.-]/u.test(char))
      return bad === undefined
        ? `segment ${JSON.stringify(segment)} must start with a letter, a digit or '_'`
        : `segment ${JSON.stringify(segment)} contains ${JSON.stringify(bad)}; ` +
          "use letters, digits, '_', '-' and '.' in each '/'-separated segment"
    }
  }
  return undefined
}

/**
 * Validates a key, throwing {@link InvalidAssetKey} when it is not valid.
 *
 * @example
 * ```ts
 * import { AssetKey } from "@strata/core"
 * const key = AssetKey.make("silver/users")
 * ```
 * @since 0.1.0
 */
export const make = (key: string): AssetKey => {
  const reason = problem(key)
  if (reason !== undefined) throw new InvalidAssetKey({ key: String(key), reason })
  return key as AssetKey
}

/**
 * `true` when `key` is a valid asset key.
 *
 * @since 0.1.0
 */
export const isValid = (key: string): key is AssetKey => problem(key) === undefined

/**
 * The segments of a key: `"a/b/c"` gives `["a", "b", "c"]`.
 *
 * @since 0.1.0
 */
export const segments = (key: AssetKey): ReadonlyArray<string> => key.split("/")

/**
 * The last segment of a key, used as a short display name.
 *
 * @since 0.1.0
 */
export const name = (key: AssetKey): string => {
  const index = key.lastIndexOf("/")
  return index === -1 ? key : key.slice(index + 1)
}

/**
 * Schema for asset keys crossing a boundary (files, HTTP, database rows).
 *
 * @since 0.1.0
 */
export const AssetKeySchema = Schema.String.pipe(
  Schema.check(Schema.makeFilter((key: string) => problem(key) ?? true)),
  Schema.brand("@strata/core/AssetKey")
)
