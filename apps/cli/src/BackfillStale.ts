/**
 * What `strata backfill --stale` and `strata backfills` need beyond core's
 * `Backfill`: the stale partitions of one asset among those asked for (as the
 * catalog's "Backfill stale" computes them), and a backfill's counts per
 * state as the catalog's backfills page shows them.
 *
 * @since 0.2.0
 */
import type { BackfillStore } from "@strata/core"
import { Backfill, DynamicPartitionStore, Instance, PartitionStates, Partitions } from "@strata/core"
import { Effect } from "effect"
import { CliFailure, coreFailure as failure, usage } from "./CliError.ts"
import type { Opened } from "./OpenProject.ts"
import * as PartitionStatus from "./PartitionStatus.ts"

const Ranges = Partitions.Ranges
type Ranges = Partitions.Ranges.Ranges

/**
 * The partitions of `asset` a selection names, or a usage error naming every
 * key that is not one of its partitions.
 */
const parseAll = (space: Partitions.Space, asset: string, text: string): Ranges | CliFailure => {
  const bad: Array<string> = []
  let reason = ""
  let expected = ""
  for (const item of text.split(",")) {
    const parsed = Partitions.parseSelection(space, item, { asset })
    if (!(parsed instanceof Partitions.InvalidPartitionKey)) continue
    bad.push(parsed.key)
    reason ||= parsed.reason
    expected ||= parsed.expected
  }
  if (bad.length === 0) {
    const whole = Partitions.parseSelection(space, text, { asset })
    return whole instanceof Partitions.InvalidPartitionKey ? usage(whole.message) : whole
  }
  const names = bad.slice(0, 10).map((key) => JSON.stringify(key)).join(", ") + (bad.length > 10 ? ` and ${bad.length - 10} more` : "")
  return usage(`not partitions of ${asset}: ${names} (${reason}; expected ${expected})`)
}

/**
 * The stale partitions of `asset` among `partitions` (all of them when not
 * given): the materialized partitions whose latest run succeeded and that
 * must be rebuilt, as `strata status` and the catalog count them.
 *
 * @since 0.2.0
 */
export const staleOf = (
  opened: Opened,
  asset: string,
  partitions: string | undefined
): Effect.Effect<{ readonly asked: string; readonly stale: Ranges; readonly selection: string }, CliFailure> =>
  Effect.gen(function*() {
    const definition = opened.project.get(asset)
    if (definition === undefined) {
      return yield* usage(`--stale takes one asset by its key; ${JSON.stringify(asset)} is not an asset of the project`)
    }
    if (definition.partitions === undefined) return yield* usage(`asset ${asset} is not partitioned; --stale backfills stale partitions`)
    const dynamicKeys = yield* DynamicPartitionStore.keysFor(opened.project, opened.instance).pipe(Effect.mapError(failure))
    const space = Partitions.resolve(definition.partitions, { now: Date.now(), dynamic: (name) => dynamicKeys?.[name] })
    const asked = partitions === undefined ? space.all : parseAll(space, asset, partitions)
    if (asked instanceof CliFailure) return yield* asked
    const reports = yield* PartitionStatus.read(opened.project, [asset], asset).pipe(
      Effect.provideService(Instance.Instance, opened.instance),
      Effect.mapError(failure)
    )
    const staleRanges = reports.find((r) => r.key === asset)?.staleRanges ?? []
    const stale = Ranges.intersection(Ranges.normalize(staleRanges), asked)
    return { asked: partitions ?? Partitions.selection(space, space.all), stale, selection: Partitions.selection(space, stale) }
  })

/**
 * A backfill's partitions by state, as the catalog's backfills page counts
 * them: over the requested partitions of its reference assets, a partition
 * is in progress or failed when its latest run on any of them is, and
 * materialized when all have it, and stale when it is materialized and
 * stale now on any of them (core's per-partition staleness). For a rebuild
 * backfill, the materialized partitions its runs have not written yet count
 * as stale too (still to rebuild).
 *
 * @since 0.2.0
 */
export type Counts = PartitionStates.Counts

/** @since 0.2.0 */
export const counts = (opened: Opened, record: BackfillStore.BackfillRecord, now: number): Effect.Effect<Counts, Backfill.PlanError> =>
  // the same states as the catalog's backfill page (core's `Backfill.assess`)
  Effect.map(Backfill.assess(opened.project, opened.instance, { ...Backfill.requestOf(record), now }), (plan) => PartitionStates.counts(plan.states))
