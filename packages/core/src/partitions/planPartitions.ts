/**
 * The partitions of each step of a plan: the run's partition selection,
 * parsed against each partitioned asset's own definition at the plan's
 * instant. A partitioned asset in a plan without a selection, or a key its
 * definition lacks, is an {@link InvalidPartitionKey} naming the asset.
 */
import type { AnyNode } from "../Asset.ts"
import type { PlanStep } from "../ExecutionPlan.ts"
import * as PartitionMapping from "../PartitionMapping.ts"
import * as Partitions from "../Partitions.ts"
import type { Project } from "../Project.ts"
import type { Ranges } from "./Ranges.ts"

export interface PlanResolution {
  readonly now: number
  readonly dynamicKeys?: Readonly<Record<string, ReadonlyArray<string | null>>> | undefined
}

/** The resolution of a plan (or a step request) as `Partitions.resolve` takes it. */
export const resolutionOf = (resolution: PlanResolution): Partitions.Resolution => ({
  now: resolution.now,
  dynamic: (name) => resolution.dynamicKeys?.[name]
})

/** The space of a node's definition at the resolution, if it is partitioned. */
export const spaceOf = (node: AnyNode, resolution: PlanResolution): Partitions.Space | undefined =>
  node.partitions === undefined ? undefined : Partitions.resolve(node.partitions, resolutionOf(resolution))

/**
 * Sets `partitions` on the plan's partitioned steps (in place: the steps are
 * being built); returns whether there was any. Throws InvalidPartitionKey.
 */
export const stepPartitions = (
  project: Project<unknown>,
  steps: ReadonlyArray<{ readonly key: string; partitions?: Ranges | undefined }>,
  selection: string | undefined,
  resolution: PlanResolution,
  // a stale-only plan without a selection takes every partition; the stale ones are chosen from the instance later
  staleOnly = false
): boolean => {
  if (!project.partitioned) return false
  let any = false
  // the first step whose definition took the selection: time windows that do not take it (a weekly asset
  // in a run of days) get the windows overlapping it
  let reference: { space: Partitions.Space; ranges: Ranges } | undefined
  for (const step of steps) {
    const node = project.get(step.key)!
    // a partitioned source is observed whole: its observation reports the partitions it finds
    if (node.kind === "source") {
      // its step resolves the definition at the plan's instant
      if (node.partitions !== undefined) any = true
      continue
    }
    const space = spaceOf(node, resolution)
    if (space === undefined) continue
    any = true
    if (selection === undefined && staleOnly) {
      step.partitions = space.all
      continue
    }
    if (selection === undefined) {
      throw new Partitions.InvalidPartitionKey({
        asset: step.key,
        key: "",
        reason: "the asset is partitioned and no partition was chosen (--partition KEY or --partitions A...B)",
        expected: Partitions.describe(space.definition)
      })
    }
    let ranges = Partitions.parseSelection(space, selection, { asset: step.key, resolution: resolutionOf(resolution) })
    if (ranges instanceof Partitions.InvalidPartitionKey) {
      if (reference?.space.window === undefined || space.window === undefined) throw ranges
      ranges = PartitionMapping.upstreamOf(PartitionMapping.timeWindow(), reference.space, space, reference.ranges)
    } else reference ??= { space, ranges }
    if (ranges.length === 0) {
      throw new Partitions.InvalidPartitionKey({
        asset: step.key,
        key: selection,
        reason: "it names no partition that exists",
        expected: Partitions.describe(space.definition)
      })
    }
    step.partitions = ranges
  }
  return any
}
