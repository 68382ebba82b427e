/**
 * Sets of partition indexes as sorted, disjoint, non-adjacent half-open
 * ranges `[start, end)` over a definition's ordinal space. Every operation is
 * linear in the number of ranges, never in the number of partitions: a
 * million materialized days in one stretch is one range.
 *
 * The representation is plain data (`[[0, 7], [10, 11]]`), JSON-encodable.
 *
 * @since 0.1.0
 */

/**
 * One range of indexes, `start` included, `end` excluded.
 *
 * @since 0.1.0
 */
export type Range = readonly [start: number, end: number]

/**
 * A normalized set of ranges: sorted by start, non-empty, disjoint and not
 * touching (`[0, 2], [2, 3]` is written `[0, 3]`).
 *
 * @since 0.1.0
 */
export type Ranges = ReadonlyArray<Range>

/**
 * The empty set.
 *
 * @since 0.1.0
 */
export const empty: Ranges = Object.freeze([]) as unknown as Ranges

/**
 * The set `[start, end)` (empty when `end <= start`).
 *
 * @since 0.1.0
 */
export const range = (start: number, end: number): Ranges => end > start ? [[start, end]] : empty

/**
 * Normalizes any list of ranges (unsorted, overlapping, empty ones).
 *
 * @since 0.1.0
 */
export const normalize = (ranges: ReadonlyArray<Range>): Ranges => {
  const sorted = ranges.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0])
  const out: Array<[number, number]> = []
  for (const [s, e] of sorted) {
    const last = out[out.length - 1]
    if (last !== undefined && s <= last[1]) {
      if (e > last[1]) last[1] = e
    } else out.push([s, e])
  }
  return out
}

/**
 * The set of the given indexes (any order, repeats allowed).
 *
 * @since 0.1.0
 */
export const fromIndexes = (indexes: Iterable<number>): Ranges =>
  normalize(Array.from(indexes, (i): Range => [i, i + 1]))

/**
 * How many indexes the set holds.
 *
 * @since 0.1.0
 */
export const count = (set: Ranges): number => {
  let n = 0
  for (const [s, e] of set) n += e - s
  return n
}

/**
 * Whether the set holds `index` (binary search).
 *
 * @since 0.1.0
 */
export const has = (set: Ranges, index: number): boolean => {
  let lo = 0
  let hi = set.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const [s, e] = set[mid]!
    if (index < s) hi = mid - 1
    else if (index >= e) lo = mid + 1
    else return true
  }
  return false
}

/**
 * Indexes in either set (a linear merge).
 *
 * @since 0.1.0
 */
export const union = (a: Ranges, b: Ranges): Ranges => {
  if (a.length === 0) return b
  if (b.length === 0) return a
  const out: Array<[number, number]> = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i]![0] <= b[j]![0]) ? a[i++]! : b[j++]!
    const last = out[out.length - 1]
    if (last !== undefined && next[0] <= last[1]) {
      if (next[1] > last[1]) last[1] = next[1]
    } else out.push([next[0], next[1]])
  }
  return out
}

/**
 * Indexes in `a` and not in `b`.
 *
 * @since 0.1.0
 */
export const difference = (a: Ranges, b: Ranges): Ranges => {
  if (a.length === 0 || b.length === 0) return a
  const out: Array<Range> = []
  let j = 0
  for (const [s0, e] of a) {
    let s = s0
    while (j < b.length && b[j]![1] <= s) j++
    let k = j
    while (k < b.length && b[k]![0] < e) {
      const [bs, be] = b[k]!
      if (bs > s) out.push([s, bs])
      s = Math.max(s, be)
      if (be > e) break
      k++
    }
    if (s < e) out.push([s, e])
  }
  return out
}

/**
 * Indexes in both sets.
 *
 * @since 0.1.0
 */
export const intersection = (a: Ranges, b: Ranges): Ranges => {
  const out: Array<Range> = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const s = Math.max(a[i]![0], b[j]![0])
    const e = Math.min(a[i]![1], b[j]![1])
    if (s < e) out.push([s, e])
    if (a[i]![1] < b[j]![1]) i++
    else j++
  }
  return out
}

/**
 * Equality of two normalized sets.
 *
 * @since 0.1.0
 */
export const equals = (a: Ranges, b: Ranges): boolean =>
  a.length === b.length && a.every(([s, e], k) => s === b[k]![0] && e === b[k]![1])

/**
 * The indexes of the set, in order (only for sets known to be small).
 *
 * @since 0.1.0
 */
export function* indexes(set: Ranges): Generator<number> {
  for (const [s, e] of set) for (let i = s; i < e; i++) yield i
}

/**
 * Cuts the set into consecutive pieces of at most `size` indexes each, in
 * order (a piece may span several ranges). `size` must be at least 1.
 *
 * @since 0.1.0
 */
export const chunks = (set: Ranges, size: number): Array<Ranges> => {
  const out: Array<Array<Range>> = []
  let current: Array<Range> = []
  let room = size
  for (const [s0, e] of set) {
    let s = s0
    while (s < e) {
      const take = Math.min(room, e - s)
      current.push([s, s + take])
      s += take
      room -= take
      if (room === 0) {
        out.push(current)
        current = []
        room = size
      }
    }
  }
  if (current.length > 0) out.push(current)
  return out
}

/**
 * Shifts every index by `by`, dropping what falls below 0.
 *
 * @since 0.1.0
 */
export const shift = (set: Ranges, by: number): Ranges =>
  set.map(([s, e]): Range => [Math.max(0, s + by), e + by]).filter(([s, e]) => e > s)
