/**
 * Partition summaries: counts and missing ranges of a partitioned asset, from
 * its definition's space and the instance's status ranges. Linear in the
 * number of ranges: a million partitions with scattered materializations cost
 * what their ranges cost.
 */
import { Effect } from "effect"
import type { InstanceError, InstanceShape, PartitionStatus } from "../Instance.ts"
import * as Partitions from "../Partitions.ts"
import type { Project } from "../Project.ts"
import * as Ranges from "./Ranges.ts"

/**
 * Where an asset's partitions stand now.
 *
 * @since 0.1.0
 */
export interface PartitionSummary {
  readonly key: string
  /** What a key looks like (`Partitions.describe`). */
  readonly definition: string
  readonly total: number
  readonly materialized: number
  readonly failed: number
  readonly inProgress: number
  readonly missing: number
  /** Missing partitions as ranges of indexes, and written as a selection (at most 20 ranges). */
  readonly missingRanges: Ranges.Ranges
  readonly missingText: string
  readonly failedText: string
}

/** The summary of one asset's space and status (ranges recorded under another definition count as missing). */
export const summarize = (key: string, space: Partitions.Space, status: PartitionStatus | undefined): PartitionSummary => {
  const current = status !== undefined && status.fingerprint === Partitions.fingerprint(space.definition) ? status : undefined
  const within = (set: Ranges.Ranges | undefined) => Ranges.intersection(set ?? Ranges.empty, space.all)
  const materialized = within(current?.materialized)
  const failed = within(current?.failed)
  const inProgress = within(current?.inProgress)
  const missing = Ranges.difference(Ranges.difference(Ranges.difference(space.all, materialized), failed), inProgress)
  return {
    key,
    definition: Partitions.describe(space.definition),
    total: Ranges.count(space.all),
    materialized: Ranges.count(materialized),
    failed: Ranges.count(failed),
    inProgress: Ranges.count(inProgress),
    missing: Ranges.count(missing),
    missingRanges: missing,
    missingText: Partitions.format(space, missing),
    failedText: Partitions.format(space, failed)
  }
}

/**
 * The summaries of a project's partitioned assets (those in `keys` when given), at `now`.
 *
 * @since 0.1.0
 */
export const summaries = (
  project: Project<unknown>,
  instance: InstanceShape,
  options?: {
    readonly now?: number | undefined
    readonly keys?: ReadonlySet<string> | undefined
    /** Keys of dynamic definitions by name (`instance.dynamicPartitions.all()`). */
    readonly dynamicKeys?: Readonly<Record<string, ReadonlyArray<string | null>>> | undefined
  }
): Effect.Effect<Array<PartitionSummary>, InstanceError> =>
  Effect.forEach(
    project.graph.nodes.filter((node) => node.partitions !== undefined && (options?.keys?.has(node.key) ?? true)),
    (node) => {
      const space = Partitions.resolve(node.partitions!, {
        now: options?.now ?? Date.now(),
        dynamic: (name) => options?.dynamicKeys?.[name]
      })
      const read = instance.partitionStatus?.(node.key) ?? Effect.succeed(undefined)
      return Effect.map(read, (status) => summarize(node.key, space, status))
    }
  )
