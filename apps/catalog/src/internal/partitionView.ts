/**
 * Partition views computed from range sets, never from partitions one by
 * one: the five disjoint states of an asset's partitions, the bar (the index
 * space cut into equal buckets, each with its count per state), a page of one
 * state's ranges, and the segments of a requested set by state. Every
 * function is linear in the number of ranges (plus the buckets), so a million
 * partitions cost what their ranges cost.
 */
import { PartitionStates, Partitions } from "@strata/core"
import type { PartitionModels } from "@strata/protocol"

const Ranges = Partitions.Ranges
type Ranges = Partitions.Ranges.Ranges

type States = PartitionStates.States

/** Adds, to each bucket, how many indexes of `set` it holds: one pass over the ranges and the buckets they cross. */
const fill = (set: Ranges, starts: ReadonlyArray<number>, into: Array<number>) => {
  let bucket = 0
  for (const [start, end] of set) {
    while (bucket < into.length - 1 && starts[bucket + 1]! <= start) bucket++
    let b = bucket
    while (b < into.length && starts[b]! < end) {
      into[b]! += Math.min(end, starts[b + 1]!) - Math.max(start, starts[b]!)
      b++
    }
    bucket = Math.max(bucket, b - 1)
  }
}

/** The bar over indexes `[from, to)`: at most `n` buckets of equal width (the last ones one narrower at most). */
export const buckets = (states: States, from: number, to: number, n: number, keyAt: (index: number) => string): PartitionModels.PartitionBuckets => {
  const size = Math.max(0, to - from)
  const count = Math.min(n, size)
  const starts = count === 0 ? [from] : Array.from({ length: count + 1 }, (_, i) => from + Math.floor((i * size) / count))
  const zero = () => new Array<number>(count).fill(0)
  const result = { materialized: zero(), stale: zero(), failed: zero(), inProgress: zero(), missing: zero() }
  fill(states.materialized, starts, result.materialized)
  fill(states.stale, starts, result.stale)
  fill(states.failed, starts, result.failed)
  fill(states.inProgress, starts, result.inProgress)
  fill(states.missing, starts, result.missing)
  return { starts, keys: starts.slice(0, count).map(keyAt), ...result }
}

export const rangeOf = (range: Partitions.Ranges.Range, keyAt: (index: number) => string): PartitionModels.PartitionRange => ({
  start: range[0],
  end: range[1],
  first: keyAt(range[0]),
  last: keyAt(range[1] - 1),
  count: range[1] - range[0]
})

/** Which field of {@link States} a state is. */
export const field = (state: PartitionModels.PartitionState): keyof States => state === "in-progress" ? "inProgress" : state

/**
 * The segments of `states` in index order (each a maximal range in one
 * state), `limit` of them from `offset`, and how many there are. Merges the
 * five sorted lists, so it walks at most all their ranges.
 */
export const segments = (states: States, offset: number, limit: number, keyAt: (index: number) => string) => {
  const all: Array<readonly [Partitions.Ranges.Range, PartitionModels.PartitionState]> = []
  for (const state of ["materialized", "stale", "failed", "in-progress", "missing"] as const) {
    for (const range of states[field(state)]) all.push([range, state])
  }
  all.sort((a, b) => a[0][0] - b[0][0])
  return {
    total: all.length,
    page: all.slice(offset, offset + limit).map(([range, state]) => ({ ...rangeOf(range, keyAt), state }))
  }
}
