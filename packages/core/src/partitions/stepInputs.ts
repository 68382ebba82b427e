/**
 * A step's partitions from its request, and what each input reads: the
 * upstream partitions the edge's mapping gives for the step's own (an
 * unpartitioned upstream is read whole; a partitioned upstream read by an
 * unpartitioned asset is read whole, through `allPartitions`).
 */
import type { AnyNode, Any as AnyAsset, AssetContext } from "../Asset.ts"
import type { InputContext } from "../IOManager.ts"
import * as PartitionMapping from "../PartitionMapping.ts"
import * as Partitions from "../Partitions.ts"
import type { Project } from "../Project.ts"
import type { StepRequest } from "../StepRequest.ts"
import { mappingOf } from "./checkProject.ts"
import { resolutionOf } from "./planPartitions.ts"
import * as StepPartitions from "./stepPartitions.ts"

const resolution = (request: StepRequest) =>
  resolutionOf({ now: request.resolvedAt ?? Date.now(), dynamicKeys: request.dynamicKeys })

/** The step's partitions, when its asset is partitioned and the request names them. */
export const partitionsOf = (node: AnyNode, request: StepRequest): StepPartitions.StepPartitions | undefined => {
  const set = request.partitionSet
  if (node.partitions === undefined || set === undefined || set.ranges.length === 0) return undefined
  return StepPartitions.make(Partitions.resolve(node.partitions, resolution(request)), set.ranges)
}

/** The key of one partition, else `first...last`. */
export const partitionText = (partitions: StepPartitions.StepPartitions): string =>
  partitions.count === 1 ? partitions.first : `${partitions.first}...${partitions.last}`

/** The I/O manager's context for loading one input of a step. */
export const inputContext = (
  project: Project<unknown>,
  request: StepRequest,
  asset: AnyAsset,
  dep: AnyNode,
  context: AssetContext
): InputContext => {
  if (dep.partitions === undefined) {
    // an unpartitioned upstream: as before, the run's partition (if any) is passed along (built without a spread:
    // this is on every step's path)
    return {
      key: dep.key,
      downstream: asset.key,
      definitionMetadata: dep.spec.metadata,
      partition: dep.kind === "asset" && asset.partitions !== undefined ? undefined : context.partition
    }
  }
  const base = { key: dep.key, downstream: asset.key, definitionMetadata: dep.spec.metadata }
  const mapping = mappingOf(project.get(asset.key)!, dep)!
  const at = resolution(request)
  const upstream = Partitions.resolve(dep.partitions, at)
  const downstream = asset.partitions === undefined ? undefined : Partitions.resolve(asset.partitions, at)
  const ranges = PartitionMapping.upstreamOf(mapping, downstream, upstream, context.partitions?.ranges ?? [])
  if (ranges.length === 0) return { ...base, partition: undefined }
  const partitions = StepPartitions.make(upstream, ranges)
  return { ...base, partition: partitionText(partitions), partitions }
}
