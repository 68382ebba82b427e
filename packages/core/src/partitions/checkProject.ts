/**
 * Project validation of partitions: every partitioned asset's definition, and
 * every edge between partitioned assets has a mapping (given or default) that
 * joins the two definitions. Runs in `Project.make`.
 */
import type { AnyNode } from "../Asset.ts"
import * as PartitionMapping from "../PartitionMapping.ts"
import * as Partitions from "../Partitions.ts"

export const checkPartitions = (
  nodes: ReadonlyArray<AnyNode>,
  byKey: (key: string) => AnyNode | undefined
): Partitions.PartitionDefinitionError | PartitionMapping.PartitionMappingError | undefined => {
  // indexed loops: `Project.make` runs them once over every node and dependency, in unoptimized code
  // (`for...of` would allocate an iterator result per element)
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!
    if (node.partitions !== undefined) {
      try {
        Partitions.validate(node.partitions, node.key)
      } catch (error) {
        if (error instanceof Partitions.PartitionDefinitionError) return error
        throw error
      }
    }
    const deps = node.spec.deps
    for (let k = 0; k < deps.length; k++) {
      const upstreamKey = deps[k]!
      const upstream = byKey(upstreamKey)
      if (upstream === undefined) continue
      const given = node.partitionMappings?.[upstreamKey]
      const reason = given === undefined
        ? defaultProblem(node, upstream)
        : PartitionMapping.problem(given, node.partitions, upstream.partitions)
      if (reason !== undefined) {
        return new PartitionMapping.PartitionMappingError({ asset: node.key, upstream: upstreamKey, reason })
      }
    }
  }
  return undefined
}

const defaultProblem = (node: AnyNode, upstream: AnyNode): string | undefined => {
  const mapping = PartitionMapping.defaultFor(node.partitions, upstream.partitions)
  return typeof mapping === "string" ? mapping : undefined
}

/** The mapping an edge uses (given, else the default), `undefined` when the upstream is unpartitioned. */
export const mappingOf = (node: AnyNode, upstream: AnyNode): PartitionMapping.PartitionMapping | undefined => {
  const given = node.partitionMappings?.[upstream.key]
  if (given !== undefined) return given
  const mapping = PartitionMapping.defaultFor(node.partitions, upstream.partitions)
  return typeof mapping === "string" ? undefined : mapping
}
