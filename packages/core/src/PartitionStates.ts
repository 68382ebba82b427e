/**
 * The states of partitions as disjoint range sets, computed from the
 * instance's status ranges, never partition by partition: materialized
 * (fresh), stale, failed, in progress and missing. In progress wins over
 * failed, failed over materialized, and stale partitions are materialized
 * ones taken out of `materialized`. The catalog's partition views and
 * backfill pages and the CLI's backfill progress all count with these, so
 * they agree.
 *
 * Every function is linear in the number of ranges.
 *
 * @since 0.2.0
 */
import type * as Instance from "./Instance.ts"
import * as Partitions from "./Partitions.ts"

const Ranges = Partitions.Ranges
type Ranges = Partitions.Ranges.Ranges

/** How many partitions each state holds. */
export interface Counts {
  readonly total: number
  readonly materialized: number
  readonly stale: number
  readonly failed: number
  readonly inProgress: number
  readonly missing: number
}

/**
 * The five states as disjoint range sets: in progress wins over failed,
 * failed over materialized; the stale partitions are taken out of the
 * materialized ones (`materialized` holds the fresh ones).
 */
export interface States {
  readonly materialized: Ranges
  readonly stale: Ranges
  readonly failed: Ranges
  readonly inProgress: Ranges
  readonly missing: Ranges
}

/** The states of the partitions in `within` (status recorded under another definition counts as missing), none stale. */
export const statesOf = (space: Partitions.Space, status: Instance.PartitionStatus | undefined, within: Ranges = space.all): States => {
  const current = status !== undefined && status.fingerprint === Partitions.fingerprint(space.definition) ? status : undefined
  const clip = (set: Ranges | undefined) => Ranges.intersection(set ?? Ranges.empty, within)
  const inProgress = clip(current?.inProgress)
  const failed = Ranges.difference(clip(current?.failed), inProgress)
  const materialized = Ranges.difference(Ranges.difference(clip(current?.materialized), inProgress), failed)
  const missing = Ranges.difference(Ranges.difference(Ranges.difference(within, materialized), failed), inProgress)
  return { materialized, stale: Ranges.empty, failed, inProgress, missing }
}

/** The materialized partitions, fresh or stale. */
export const materializedOf = (states: States): Ranges => Ranges.union(states.materialized, states.stale)

/** The states with the materialized partitions of `staleRanges` (core's stale ranges) moved to stale. */
export const withStale = (states: States, staleRanges: Ranges): States => {
  const done = materializedOf(states)
  const stale = Ranges.intersection(done, staleRanges)
  return { ...states, materialized: Ranges.difference(done, stale), stale }
}

/**
 * The states intersected over several assets' statuses (a partition is
 * materialized only when all have it, and stale when any of them has it stale).
 */
export const combine = (list: ReadonlyArray<States>, within: Ranges): States => {
  if (list.length === 0) return { materialized: Ranges.empty, stale: Ranges.empty, failed: Ranges.empty, inProgress: Ranges.empty, missing: within }
  let inProgress: Ranges = Ranges.empty
  let failed: Ranges = Ranges.empty
  let stale: Ranges = Ranges.empty
  let done = within
  for (const states of list) {
    inProgress = Ranges.union(inProgress, states.inProgress)
    failed = Ranges.union(failed, states.failed)
    stale = Ranges.union(stale, states.stale)
    done = Ranges.intersection(done, materializedOf(states))
  }
  failed = Ranges.difference(failed, inProgress)
  done = Ranges.difference(Ranges.difference(done, inProgress), failed)
  const missing = Ranges.difference(Ranges.difference(Ranges.difference(within, done), failed), inProgress)
  stale = Ranges.intersection(stale, done)
  return { materialized: Ranges.difference(done, stale), stale, failed, inProgress, missing }
}

/**
 * A rebuild backfill's states: the materialized partitions it has not
 * rebuilt yet (`rebuilt` is what its runs wrote) are stale (still to run),
 * as are those stale already; the rest of the materialized are fresh.
 */
export const rebuilding = (states: States, rebuilt: Ranges): States => {
  const stale = Ranges.union(states.stale, Ranges.difference(states.materialized, rebuilt))
  return { ...states, materialized: Ranges.difference(states.materialized, stale), stale }
}

/** How many partitions each state holds. */
export const counts = (states: States): Counts => {
  const materialized = Ranges.count(states.materialized)
  const stale = Ranges.count(states.stale)
  const failed = Ranges.count(states.failed)
  const inProgress = Ranges.count(states.inProgress)
  const missing = Ranges.count(states.missing)
  return { total: materialized + stale + failed + inProgress + missing, materialized, stale, failed, inProgress, missing }
}
