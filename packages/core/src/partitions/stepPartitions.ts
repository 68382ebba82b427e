/**
 * What a step knows about the partitions it writes: the set as ranges over
 * the asset's definition, its first and last keys, every key, and for time
 * windows the instants it covers. Built once per step from the request.
 */
import type { PartitionsDefinition, Space, Window } from "../Partitions.ts"
import * as Ranges from "./Ranges.ts"

/**
 * The partitions of one step (a key, or a range for single-run backfills).
 *
 * @since 0.1.0
 */
export interface StepPartitions {
  readonly definition: PartitionsDefinition
  /** The step's partitions, as index ranges over the definition. */
  readonly ranges: Ranges.Ranges
  /** The first and last keys (the same key for one partition). */
  readonly first: string
  readonly last: string
  /** How many partitions. */
  readonly count: number
  /** Every key, in order. */
  readonly keys: ReadonlyArray<string>
  /** Time windows: from the start of the first to the end of the last. */
  readonly window?: Window | undefined
}

/** The step partitions of a non-empty set of a space. */
export const make = (space: Space, ranges: Ranges.Ranges): StepPartitions => {
  const first = ranges[0]![0]
  const last = ranges[ranges.length - 1]![1] - 1
  return {
    definition: space.definition,
    ranges,
    first: space.keyAt(first),
    last: space.keyAt(last),
    count: Ranges.count(ranges),
    keys: Array.from(Ranges.indexes(ranges), space.keyAt),
    window: space.window === undefined ? undefined : { start: space.window(first).start, end: space.window(last).end }
  }
}
