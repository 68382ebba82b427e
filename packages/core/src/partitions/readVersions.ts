/**
 * The one read of partition versions that per-partition staleness starts
 * from, shared by `Staleness` (`strata status`, the catalog, backfills) and
 * automation, so both see the same inputs: the versions of the partitioned
 * assets and of the partitioned sources (their observed partitions' versions
 * make downstream partitions stale), never of external assets.
 */
import { Effect } from "effect"
import type { AnyNode } from "../Asset.ts"
import type { InstanceError, InstanceShape, PartitionVersions } from "../Instance.ts"

/**
 * Whether staleness reads the partition versions of `node`.
 *
 * @since 0.2.0
 */
export const readsVersions = (node: AnyNode): boolean => node.partitions !== undefined && node.kind !== "external"

/**
 * The partition versions of those of `nodes` that {@link readsVersions} (undefined when the instance keeps none).
 *
 * @since 0.2.0
 */
export const readVersions = (
  instance: InstanceShape,
  nodes: Iterable<AnyNode>
): Effect.Effect<Map<string, PartitionVersions | undefined>, InstanceError> =>
  Effect.gen(function*() {
    const versions = new Map<string, PartitionVersions | undefined>()
    for (const node of nodes) {
      if (!readsVersions(node)) continue
      versions.set(node.key, instance.partitionVersions === undefined ? undefined : yield* instance.partitionVersions(node.key))
    }
    return versions
  })
