/**
 * The catalog's partition handlers: where a partitioned asset's partitions
 * stand (counts, range counts, the bar and why the stale ones are stale) and
 * one state's ranges a page at a time, from the instance's status ranges
 * (`instance.partitionStatus`) and core's per-partition staleness.
 */
import { DynamicPartitionStore, PartitionStates, Partitions, Staleness } from "@strata/core"
import type { Instance } from "@strata/core"
import { Errors } from "@strata/protocol"
import type { PartitionModels } from "@strata/protocol"
import type { ProjectHost } from "@strata/runtime"
import { Clock, Effect } from "effect"
import * as PartitionStaleness from "./partitionStaleness.ts"
import * as View from "./partitionView.ts"

const storageError = (error: Instance.InstanceError) => new Errors.StorageError({ operation: error.operation, message: error.message })

/**
 * The asset's space now, its states and its staleness kept to its
 * materialized partitions; or a 404/400 naming the asset. Without a `memo`
 * (a page of missing, failed or in-progress ranges, which staleness does not
 * change), stale partitions count as materialized and the partition versions
 * are not read.
 */
export const load = (generation: ProjectHost.Generation, key: string, memo: PartitionStaleness.Memo | undefined) =>
  Effect.gen(function*() {
    const node = generation.project.get(key)
    if (node === undefined) {
      return yield* new Errors.AssetNotFound({ key, suggestions: [], message: `asset ${key} is not in the project` })
    }
    if (node.partitions === undefined) {
      return yield* new Errors.InvalidRequest({ part: "Query", message: `asset ${key} is not partitioned` })
    }
    const dynamicKeys = yield* DynamicPartitionStore.keysFor(generation.project, generation.instance).pipe(Effect.mapError(storageError))
    const resolution: Partitions.Resolution = { now: yield* Clock.currentTimeMillis, dynamic: (name) => dynamicKeys?.[name] }
    const space = Partitions.resolve(node.partitions, resolution)
    const status = yield* (generation.instance.partitionStatus?.(key) ?? Effect.succeed(undefined)).pipe(Effect.mapError(storageError))
    const before = PartitionStates.statesOf(space, status)
    if (memo === undefined) return { space, states: before, staleness: undefined }
    const computed = yield* PartitionStaleness.of(generation, key, resolution, memo).pipe(Effect.mapError(storageError))
    const kept = computed === undefined ? undefined : Staleness.restrictPartitions(computed, space, PartitionStates.materializedOf(before))
    return { space, states: PartitionStates.withStale(before, kept?.staleRanges ?? []), staleness: kept }
  })

const reasonOf = (entry: Staleness.PartitionReasonRanges): PartitionModels.StaleReason => ({
  type: entry.reason.type,
  ...(entry.reason.type === "code-changed" ? {} : { upstream: entry.reason.upstream }),
  description: entry.description,
  count: entry.count,
  partitions: entry.partitions
})

/** `GET /api/asset/partitions`: counts, range counts, a bar of at most `buckets` (default 1,000) buckets, and the stale reasons. */
export const asset = (generation: ProjectHost.Generation, memo: PartitionStaleness.Memo, key: string, bucketCount: number | undefined) =>
  Effect.map(load(generation, key, memo), ({ space, states, staleness }): PartitionModels.AssetPartitions => {
    const first = space.all[0]
    const last = space.all[space.all.length - 1]
    return {
      key,
      definition: Partitions.describe(space.definition),
      counts: PartitionStates.counts(states),
      rangeCounts: {
        materialized: states.materialized.length,
        stale: states.stale.length,
        failed: states.failed.length,
        inProgress: states.inProgress.length,
        missing: states.missing.length
      },
      ...(first === undefined || last === undefined ? {} : { firstKey: space.keyAt(first[0]), lastKey: space.keyAt(last[1] - 1) }),
      buckets: View.buckets(states, 0, space.size, bucketCount ?? 1000, space.keyAt),
      staleReasons: (staleness?.reasons ?? []).map(reasonOf)
    }
  })

/** Whether a range of `set` meets `[start, end)` (binary search for the first range ending after `start`). */
const meets = (set: Partitions.Ranges.Ranges, start: number, end: number): boolean => {
  let lo = 0
  let hi = set.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (set[mid]![1] <= start) lo = mid + 1
    else hi = mid
  }
  return lo < set.length && set[lo]![0] < end
}

/** The reasons (as sentences) holding for some partition of `[start, end)`: a binary search per reason. */
const reasonsIn = (staleness: Staleness.PartitionStaleness | undefined, start: number, end: number): Array<string> =>
  (staleness?.reasons ?? []).filter((entry) => meets(entry.ranges, start, end)).map((entry) => entry.description)

/** `GET /api/asset/partitions/ranges`: one state's ranges in key order, `limit` (default 100) from `offset`; stale ones with their reasons. */
export const ranges = (
  generation: ProjectHost.Generation,
  memo: PartitionStaleness.Memo,
  query: { readonly key: string; readonly state: PartitionModels.PartitionState; readonly offset?: number | undefined; readonly limit?: number | undefined }
) =>
  Effect.map(load(generation, query.key, query.state === "stale" || query.state === "materialized" ? memo : undefined), ({ space, states, staleness }): PartitionModels.PartitionRanges => {
    const set = states[View.field(query.state)]
    const offset = query.offset ?? 0
    return {
      key: query.key,
      state: query.state,
      total: set.length,
      offset,
      ranges: set.slice(offset, offset + (query.limit ?? 100)).map((range) => ({
        ...View.rangeOf(range, space.keyAt),
        ...(query.state === "stale" ? { reasons: reasonsIn(staleness, range[0], range[1]) } : {})
      }))
    }
  })
