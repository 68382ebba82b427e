/**
 * Wildcard patterns for `key:` selections, where `*` matches any run of
 * characters (empty included) and every other character matches itself.
 *
 * Patterns come from users (a URL's query, a `--select` flag), so matching
 * must not depend on how the pattern is written: a RegExp built from
 * `a*b*c*…` backtracks exponentially on a key that almost matches (12 stars
 * froze the catalog). Here a pattern is compiled once into its literal
 * segments and a key is matched greedily in one left-to-right pass: the
 * first segment must start the key, the last must end it, and each middle
 * segment is taken at its leftmost occurrence after the previous one.
 * Taking the leftmost occurrence is never wrong: a later occurrence leaves
 * less room for the segments that follow. Runs of `*` collapse (empty
 * segments are dropped), and each key costs at most O(key length × pattern
 * length) character comparisons, whatever the pattern.
 */

/** A compiled wildcard pattern. */
export interface Glob {
  readonly prefix: string
  readonly middle: ReadonlyArray<string>
  readonly suffix: string
  /** Characters a key needs at least: the sum of the literal segments. */
  readonly minLength: number
  /** No `*` at all: the key must equal the pattern. */
  readonly exact: boolean
}

/** Compiles `pattern`. */
export const compile = (pattern: string): Glob => {
  const parts = pattern.split("*")
  const prefix = parts[0]!
  const suffix = parts.length > 1 ? parts[parts.length - 1]! : ""
  const middle = parts.slice(1, -1).filter((part) => part !== "")
  const minLength = prefix.length + suffix.length + middle.reduce((sum, part) => sum + part.length, 0)
  return { prefix, middle, suffix, minLength, exact: parts.length === 1 }
}

/** Whether `key` matches the compiled pattern. */
export const matches = (glob: Glob, key: string): boolean => {
  if (glob.exact) return key === glob.prefix
  if (key.length < glob.minLength || !key.startsWith(glob.prefix) || !key.endsWith(glob.suffix)) return false
  let from = glob.prefix.length
  const end = key.length - glob.suffix.length
  for (const segment of glob.middle) {
    const at = key.indexOf(segment, from)
    if (at === -1 || at + segment.length > end) return false
    from = at + segment.length
  }
  return true
}
