/**
 * A partitioned asset's stale partitions and why, for the catalog: core's
 * per-partition staleness (`Staleness.computePartitions`, the rules `strata
 * status` uses) computed over the asset and its ancestors only, from the
 * instance's partition versions and asset records. Everything is range
 * sets: an asset of a million partitions costs what its segments cost.
 *
 * Reading the versions is most of that cost (a row per segment), so the
 * last asset's inputs are kept in a {@link Memo} and read again only when
 * the event log moved (versions and records change only with events) or
 * the project was reloaded.
 */
import { Staleness } from "@strata/core"
import type { Instance, Partitions } from "@strata/core"
import type { ProjectHost } from "@strata/runtime"
import { Effect } from "effect"

/** The inputs read last, with the generation, event id and asset they were read for. */
export interface Memo {
  last: { readonly stamp: string; readonly inputs: Staleness.PartitionInputs } | undefined
}

export const makeMemo = (): Memo => ({ last: undefined })

/** The inputs of `key` (its ancestors' records and partition versions), from `memo` when nothing was recorded since they were read. */
const inputsOf = (generation: ProjectHost.Generation, key: string, memo: Memo) =>
  Effect.gen(function*() {
    // the id is read first: an event appended while reading makes the next request read again
    const stamp = `${generation.number}:${yield* generation.instance.lastEventId()}:${key}`
    if (memo.last?.stamp === stamp) return memo.last.inputs
    const inputs = yield* Staleness.readPartitionInputs(generation.project, generation.instance, [key])
    memo.last = { stamp, inputs }
    return inputs
  })

/**
 * The staleness of `key` (undefined for a source or an unpartitioned asset),
 * before it is kept to the materialized partitions (`Staleness.restrictPartitions`).
 */
export const of = (
  generation: ProjectHost.Generation,
  key: string,
  resolution: Partitions.Resolution,
  memo: Memo
): Effect.Effect<Staleness.PartitionStaleness | undefined, Instance.InstanceError> =>
  Effect.map(inputsOf(generation, key, memo), (inputs) => Staleness.partitionsFrom(generation.project, inputs, resolution).get(key))
