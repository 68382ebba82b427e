/**
 * A partitioned asset's stale partitions and why, for the catalog: core's
 * per-partition staleness (`Staleness.computePartitions`, the rules `strata
 * status` uses) computed over the asset and its ancestors only, from the
 * instance's partition versions and asset records. Everything is range
 * sets: an asset of a million partitions costs what its segments cost.
 *
 * Reading the versions is most of that cost (a row per segment), so the
 * inputs are kept in a {@link Memo} and read again only when the event log
 * moved (versions and records change only with events) or the project was
 * reloaded; a backfill's page reads its reference assets' through it too.
 */
import { Staleness } from "@strata/core"
import type { Instance, Partitions } from "@strata/core"
import type { ProjectHost } from "@strata/runtime"
import { Effect } from "effect"

/**
 * The inputs read since the event log last moved, by the keys they were read
 * for (an asset, or a backfill's reference assets), with the generation and
 * event id they were read at: all are dropped when that moves.
 */
export interface Memo {
  stamp: string | undefined
  readonly inputs: Map<string, Staleness.PartitionInputs>
}

/** At most this many sets of inputs are kept (a backfills list asks for one per selection). */
const KEPT = 16

export const makeMemo = (): Memo => ({ stamp: undefined, inputs: new Map() })

/** The inputs of `keys` (their ancestors' records and partition versions), from `memo` when nothing was recorded since they were read. */
export const inputsOf = (generation: ProjectHost.Generation, keys: ReadonlyArray<string>, memo: Memo) =>
  Effect.gen(function*() {
    // the id is read first: an event appended while reading makes the next request read again
    const stamp = `${generation.number}:${yield* generation.instance.lastEventId()}`
    if (memo.stamp !== stamp) {
      memo.stamp = stamp
      memo.inputs.clear()
    }
    const id = keys.join("\n")
    const kept = memo.inputs.get(id)
    if (kept !== undefined) return kept
    const inputs = yield* Staleness.readPartitionInputs(generation.project, generation.instance, keys)
    if (memo.inputs.size >= KEPT) memo.inputs.clear()
    memo.inputs.set(id, inputs)
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
  Effect.map(inputsOf(generation, [key], memo), (inputs) => Staleness.partitionsFrom(generation.project, inputs, resolution).get(key))
