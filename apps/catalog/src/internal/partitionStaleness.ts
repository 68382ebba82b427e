/**
 * A partitioned asset's stale partitions and why, for the catalog: core's
 * per-partition staleness (`Staleness.computePartitions`, the rules `strata
 * status` uses) computed over the asset and its ancestors only, from the
 * instance's partition versions and asset records. Everything is range
 * sets: an asset of a million partitions costs what its segments cost.
 */
import { AutomationEvaluation, Staleness } from "@strata/core"
import type { Instance, Partitions } from "@strata/core"
import type { ProjectHost } from "@strata/runtime"
import { Effect } from "effect"

/**
 * The staleness of `key` (undefined for a source or an unpartitioned asset),
 * before it is kept to the materialized partitions (`Staleness.restrictPartitions`).
 */
export const of = (
  generation: ProjectHost.Generation,
  key: string,
  resolution: Partitions.Resolution
): Effect.Effect<Staleness.PartitionStaleness | undefined, Instance.InstanceError> =>
  Effect.gen(function*() {
    const project = generation.project
    const instance = generation.instance
    const only = AutomationEvaluation.ancestors(project, [key])
    const nodes = only.map((i) => project.graph.nodes[i]!)
    const records = yield* instance.assets(nodes.map((node) => node.key))
    const statuses = new Map<string, Staleness.Status>(Staleness.compute(project, records, only).map((s) => [s.key, s.status]))
    const versions = new Map<string, Instance.PartitionVersions | undefined>()
    for (const node of nodes) {
      if (node.partitions === undefined || node.kind === "external") continue
      versions.set(node.key, instance.partitionVersions === undefined ? undefined : yield* instance.partitionVersions(node.key))
    }
    const all = Staleness.computePartitions(project, { versions, records, assetStatus: (k) => statuses.get(k), resolution, only })
    return all.get(key)
  })
