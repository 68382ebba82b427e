/**
 * The catalog's partition handlers: where a partitioned asset's partitions
 * stand (counts, range counts and the bar) and one state's ranges a page at
 * a time, from the instance's status ranges (`instance.partitionStatus`).
 */
import { Partitions } from "@strata/core"
import type { Instance } from "@strata/core"
import { Errors } from "@strata/protocol"
import type { PartitionModels } from "@strata/protocol"
import type { ProjectHost } from "@strata/runtime"
import { Clock, Effect } from "effect"
import * as View from "./partitionView.ts"

const storageError = (error: Instance.InstanceError) => new Errors.StorageError({ operation: error.operation, message: error.message })

/** The asset's space now and its states, or a 404/400 naming the asset. */
const load = (generation: ProjectHost.Generation, key: string) =>
  Effect.gen(function*() {
    const node = generation.project.get(key)
    if (node === undefined) {
      return yield* new Errors.AssetNotFound({ key, suggestions: [], message: `asset ${key} is not in the project` })
    }
    if (node.partitions === undefined) {
      return yield* new Errors.InvalidRequest({ part: "Query", message: `asset ${key} is not partitioned` })
    }
    const space = Partitions.resolve(node.partitions, { now: yield* Clock.currentTimeMillis })
    const status = yield* (generation.instance.partitionStatus?.(key) ?? Effect.succeed(undefined)).pipe(Effect.mapError(storageError))
    return { space, states: View.statesOf(space, status) }
  })

/** `GET /api/asset/partitions`: counts, range counts and a bar of at most `buckets` (default 1,000) buckets. */
export const asset = (generation: ProjectHost.Generation, key: string, bucketCount: number | undefined) =>
  Effect.map(load(generation, key), ({ space, states }): PartitionModels.AssetPartitions => {
    const first = space.all[0]
    const last = space.all[space.all.length - 1]
    return {
      key,
      definition: Partitions.describe(space.definition),
      counts: View.counts(states),
      rangeCounts: {
        materialized: states.materialized.length,
        failed: states.failed.length,
        inProgress: states.inProgress.length,
        missing: states.missing.length
      },
      ...(first === undefined || last === undefined ? {} : { firstKey: space.keyAt(first[0]), lastKey: space.keyAt(last[1] - 1) }),
      buckets: View.buckets(states, 0, space.size, bucketCount ?? 1000, space.keyAt)
    }
  })

/** `GET /api/asset/partitions/ranges`: one state's ranges in key order, `limit` (default 100) from `offset`. */
export const ranges = (
  generation: ProjectHost.Generation,
  query: { readonly key: string; readonly state: PartitionModels.PartitionState; readonly offset?: number | undefined; readonly limit?: number | undefined }
) =>
  Effect.map(load(generation, query.key), ({ space, states }): PartitionModels.PartitionRanges => {
    const set = states[View.field(query.state)]
    const offset = query.offset ?? 0
    return {
      key: query.key,
      state: query.state,
      total: set.length,
      offset,
      ranges: set.slice(offset, offset + (query.limit ?? 100)).map((range) => View.rangeOf(range, space.keyAt))
    }
  })
