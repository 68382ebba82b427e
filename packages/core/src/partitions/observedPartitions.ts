/**
 * A partitioned source's observation as an event's partitions: the keys it
 * reported, as index ranges over the source's definition (`partitionSet`),
 * and each partition's data version as `[start, end, version]` ranges
 * (touching partitions with the same version share one). A key the
 * definition lacks is a `SourceError` naming the source, the key and why.
 */
import type { AnyNode } from "../Asset.ts"
import type { PartitionDataVersions, PartitionSet } from "../Event.ts"
import * as Partitions from "../Partitions.ts"
import { SourceError } from "../SourceAsset.ts"
import type { PlanResolution } from "./planPartitions.ts"
import { resolutionOf } from "./planPartitions.ts"

/** What an `asset-observed` event of a partitioned source carries. */
export interface ObservedPartitions {
  readonly partitionSet: PartitionSet
  readonly partitionDataVersions: PartitionDataVersions
}

export const observedPartitions = (
  source: AnyNode,
  resolution: PlanResolution,
  versions: Readonly<Record<string, string>> | undefined
): ObservedPartitions | SourceError | undefined => {
  if (source.partitions === undefined || versions === undefined) return undefined
  const space = Partitions.resolve(source.partitions, resolutionOf(resolution))
  const indexed: Array<readonly [number, string]> = []
  for (const key in versions) {
    const index = space.indexOf(key)
    if (typeof index === "string") {
      return new SourceError({
        key: source.key,
        operation: "observe",
        message: `source ${source.key}: observe reported partition ${JSON.stringify(key)}, which ${Partitions.describe(source.partitions)} ` +
          `does not hold: ${index}`,
        isRetryable: false
      })
    }
    indexed.push([index, versions[key]!])
  }
  indexed.sort((a, b) => a[0] - b[0])
  const ranges: Array<[number, number]> = []
  const dataVersions: Array<[number, number, string]> = []
  for (const [index, version] of indexed) {
    const range = ranges[ranges.length - 1]
    if (range !== undefined && range[1] === index) range[1] = index + 1
    else ranges.push([index, index + 1])
    const last = dataVersions[dataVersions.length - 1]
    if (last !== undefined && last[1] === index && last[2] === version) last[1] = index + 1
    else dataVersions.push([index, index + 1, version])
  }
  return {
    partitionSet: { fingerprint: Partitions.fingerprint(source.partitions), ranges },
    partitionDataVersions: dataVersions
  }
}
