/**
 * What per-partition evaluation reads from the instance, and the per-asset
 * facts built from it lazily (only for the partitioned assets an evaluation
 * touches): the asset's space at the evaluation's instant, its partition
 * versions and staleness (`Staleness.partitions`, computed on ranges), the
 * partitions queued or started runs plan, and the daemon's earlier requests.
 */
import { Effect } from "effect"
import type { AssetState } from "../AutomationCondition.ts"
import * as DynamicPartitionStore from "../DynamicPartitionStore.ts"
import type { AssetRecord, InstanceError, InstanceShape, PartitionVersions, RunRecord } from "../Instance.ts"
import * as Partitions from "../Partitions.ts"
import { mappingOf } from "../partitions/checkProject.ts"
import * as Ranges from "../partitions/Ranges.ts"
import { readVersions } from "../partitions/readVersions.ts"
import * as PartitionStaleness from "../partitions/staleness.ts"
import type { Project } from "../Project.ts"
import type { AssetStatus } from "../Staleness.ts"
import type { PartitionFacts } from "./partitionSets.ts"

/**
 * The instance's partition state for an evaluation.
 *
 * @since 0.1.0
 */
export interface PartitionInput {
  readonly resolution: Partitions.Resolution
  readonly versions: ReadonlyMap<string, PartitionVersions | undefined>
  readonly staleness: ReadonlyMap<string, PartitionStaleness.PartitionStaleness>
  /** Per asset, the partition selections of the queued and started runs that plan it (undefined: the whole asset). */
  readonly runs: ReadonlyMap<string, ReadonlyArray<string | undefined>>
}

/**
 * Reads the partition versions of the partitioned assets and sources among
 * `only` (all when undefined; the same read as `Staleness`), the dynamic
 * keys, and computes the staleness of those nodes only (`only` is closed
 * under ancestors, so nothing they read is left out).
 *
 * @since 0.1.0
 */
export const readPartitionInput = (
  project: Project<unknown>,
  instance: InstanceShape,
  options: {
    readonly only: ReadonlyArray<number> | undefined
    readonly records: ReadonlyMap<string, AssetRecord>
    readonly statuses: ReadonlyMap<string, AssetStatus>
    readonly runs: ReadonlyArray<RunRecord>
    readonly now: number
  }
): Effect.Effect<PartitionInput, InstanceError> =>
  Effect.gen(function*() {
    const graph = project.graph
    const nodes = options.only === undefined ? graph.nodes : options.only.map((i) => graph.nodes[i]!)
    const versions = yield* readVersions(instance, nodes)
    const dynamicKeys = yield* DynamicPartitionStore.keysFor(project, instance)
    const resolution: Partitions.Resolution = { now: options.now, dynamic: (name) => dynamicKeys?.[name] }
    const staleness = PartitionStaleness.compute(project, {
      versions,
      records: options.records,
      assetStatus: (key) => options.statuses.get(key)?.status,
      resolution,
      // only the candidates and their ancestors: nothing else is evaluated
      only: options.only,
      // an upstream source's partitions are read per partition: observed ones carry new data, the others are missing
      sources: true
    })
    const runs = new Map<string, Array<string | undefined>>()
    for (const run of options.runs) {
      for (const key of run.assetKeys) {
        if (!versions.has(key)) continue
        const list = runs.get(key) ?? []
        list.push(run.partition)
        runs.set(key, list)
      }
    }
    return { resolution, versions, staleness, runs }
  })

/** The partitions runs plan, over `space`: a run without a partition (or one that does not parse) plans them all. */
const plannedBy = (space: Partitions.Space, selections: ReadonlyArray<string | undefined> | undefined): Ranges.Ranges => {
  let set: Ranges.Ranges = Ranges.empty
  for (const text of selections ?? []) {
    const parsed = text === undefined ? space.all : Partitions.parseSelection(space, text)
    set = Ranges.union(set, Array.isArray(parsed) ? parsed : space.all)
  }
  return set
}

/**
 * A memoized `(key) => PartitionFacts | undefined` over the partitioned
 * assets and sources of the project (undefined for any other key).
 *
 * @since 0.1.0
 */
export const partitionFactsOf = (
  project: Project<unknown>,
  input: PartitionInput,
  states: ReadonlyMap<string, AssetState>,
  cursor: number
): (key: string) => PartitionFacts | undefined => {
  const graph = project.graph
  const known = new Map<string, PartitionFacts | undefined>()
  return (key) => {
    if (known.has(key)) return known.get(key)
    const i = graph.index.get(key)
    const node = i === undefined ? undefined : graph.nodes[i]
    let facts: PartitionFacts | undefined
    // the partitioned assets and sources (`readVersions`)
    if (node !== undefined && node.partitions !== undefined && input.versions.has(key)) {
      const space = Partitions.resolve(node.partitions, input.resolution)
      const fingerprint = Partitions.fingerprint(node.partitions)
      const versions = input.versions.get(key)
      const state = states.get(key)
      facts = {
        space,
        fingerprint,
        segments: versions !== undefined && versions.fingerprint === fingerprint ? versions.segments : [],
        staleness: input.staleness.get(key),
        inProgress: plannedBy(space, input.runs.get(key)),
        requests: (state?.partitionRequests ?? []).filter((request) => request.fingerprint === fingerprint),
        since: state?.partitionsSince ?? cursor,
        mappingTo: (upstream) => {
          const j = graph.index.get(upstream)
          return j === undefined ? undefined : mappingOf(node, graph.nodes[j]!)
        }
      }
    }
    known.set(key, facts)
    return facts
  }
}
