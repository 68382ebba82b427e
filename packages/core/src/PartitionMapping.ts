/**
 * Partition mappings: which partitions of an upstream asset a partition of
 * its downstream reads. A mapping is data on an edge
 * (`Asset.make(key, { partitions, deps, partitionMappings: { dep: ... } })`); one
 * is chosen by default when none is given ({@link defaultFor}):
 *
 * - `identity`: the same partitions (the default between equal definitions);
 * - `timeWindow({ startOffset, endOffset })`: the upstream windows overlapping
 *   the downstream window shifted by offsets in downstream partitions (a weekly
 *   asset reads its 7 days; `startOffset: -1, endOffset: -1` reads yesterday's);
 *   the default between two time-window definitions;
 * - `allPartitions`: every upstream partition (the default for an
 *   unpartitioned asset downstream of a partitioned one);
 * - `staticMapping({ upstreamKey: downstreamKey | [downstreamKeys] })`;
 * - `lastPartition`: the upstream's last partition.
 *
 * Upstream sets are computed range by range (time windows) or key by key
 * (static and dynamic lists), never partition by partition over time.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import * as Partitions from "./Partitions.ts"
import type { PartitionsDefinition, Space } from "./Partitions.ts"
import * as Ranges from "./partitions/Ranges.ts"

/**
 * A mapping on an edge.
 *
 * @since 0.1.0
 */
export type PartitionMapping =
  | { readonly _tag: "Identity" }
  | { readonly _tag: "TimeWindow"; readonly startOffset: number; readonly endOffset: number }
  | { readonly _tag: "AllPartitions" }
  | { readonly _tag: "Static"; readonly map: Readonly<Record<string, string | ReadonlyArray<string>>> }
  | { readonly _tag: "LastPartition" }

/** @since 0.1.0 */
export const identity: PartitionMapping = { _tag: "Identity" }

/** @since 0.1.0 */
export const timeWindow = (options?: { readonly startOffset?: number; readonly endOffset?: number }): PartitionMapping => ({
  _tag: "TimeWindow",
  startOffset: options?.startOffset ?? 0,
  endOffset: options?.endOffset ?? 0
})

/** @since 0.1.0 */
export const allPartitions: PartitionMapping = { _tag: "AllPartitions" }

/**
 * Upstream key → the downstream key(s) that read it.
 *
 * @since 0.1.0
 */
export const staticMapping = (map: Readonly<Record<string, string | ReadonlyArray<string>>>): PartitionMapping => ({
  _tag: "Static",
  map
})

/** @since 0.1.0 */
export const lastPartition: PartitionMapping = { _tag: "LastPartition" }

/**
 * A mapping that cannot join the two definitions of an edge.
 *
 * @since 0.1.0
 */
export class PartitionMappingError extends Schema.TaggedError<PartitionMappingError>()(
  "@strata/core/PartitionMappingError",
  { asset: Schema.String, upstream: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `asset ${this.asset} cannot read the partitions of ${this.upstream}: ${this.reason}`
  }
}

/**
 * The mapping used on an edge without one, or why there is none. `undefined`
 * definitions are unpartitioned.
 *
 * @since 0.1.0
 */
export const defaultFor = (
  downstream: PartitionsDefinition | undefined,
  upstream: PartitionsDefinition | undefined
): PartitionMapping | string | undefined => {
  if (upstream === undefined) return undefined
  if (downstream === undefined) return allPartitions
  if (Partitions.equals(downstream, upstream)) return identity
  if (downstream._tag === "TimeWindow" && upstream._tag === "TimeWindow") return timeWindow()
  return `their definitions differ (${Partitions.describe(downstream)}; ${Partitions.describe(upstream)}); ` +
    `give a partitionMappings entry for it (identity, timeWindow, allPartitions, staticMapping, lastPartition)`
}

/**
 * Why a mapping cannot join these definitions, or `undefined` when it can.
 *
 * @since 0.1.0
 */
export const problem = (
  mapping: PartitionMapping,
  downstream: PartitionsDefinition | undefined,
  upstream: PartitionsDefinition | undefined
): string | undefined => {
  if (upstream === undefined) return `${mapping._tag} mapping, but the upstream is not partitioned`
  switch (mapping._tag) {
    case "AllPartitions":
    case "LastPartition":
      return undefined
    case "Identity":
      if (downstream === undefined) return "identity mapping, but the asset is not partitioned"
      if (Partitions.equals(downstream, upstream)) return undefined
      if (downstream._tag === "Static" && upstream._tag === "Static") {
        const up = new Set(upstream.keys)
        const absent = downstream.keys.find((k) => !up.has(k))
        return absent === undefined ? undefined : `identity mapping, but the upstream has no partition ${absent}`
      }
      return `identity mapping between different definitions (${Partitions.describe(downstream)}; ${Partitions.describe(upstream)})`
    case "TimeWindow":
      if (downstream?._tag !== "TimeWindow" || upstream._tag !== "TimeWindow") {
        return "a time-window mapping joins two time-window definitions"
      }
      return Number.isSafeInteger(mapping.startOffset) && Number.isSafeInteger(mapping.endOffset)
        ? undefined
        : `offsets are integers (got ${mapping.startOffset}, ${mapping.endOffset})`
    case "Static": {
      if (downstream?._tag !== "Static" || upstream._tag !== "Static") return "a static mapping joins two static definitions"
      const up = new Set(upstream.keys)
      const down = new Set(downstream.keys)
      for (const [from, to] of Object.entries(mapping.map)) {
        if (!up.has(from)) return `the static mapping names upstream key ${from}, which ${Partitions.describe(upstream)} lacks`
        for (const key of typeof to === "string" ? [to] : to) {
          if (!down.has(key)) return `the static mapping names key ${key}, which the asset's definition lacks`
        }
      }
      return undefined
    }
  }
}

/**
 * The upstream partitions that the downstream partitions `set` read.
 * `downstream` is `undefined` for an unpartitioned asset (its `set` is then
 * ignored).
 *
 * @since 0.1.0
 */
export const upstreamOf = (
  mapping: PartitionMapping,
  downstream: Space | undefined,
  upstream: Space,
  set: Ranges.Ranges
): Ranges.Ranges => {
  switch (mapping._tag) {
    case "AllPartitions":
      return upstream.all
    case "LastPartition":
      return upstream.size === 0 ? Ranges.empty : Ranges.intersection(Ranges.range(upstream.size - 1, upstream.size), upstream.all)
    case "Identity":
      if (downstream === undefined || Partitions.equals(downstream.definition, upstream.definition)) {
        return Ranges.intersection(set, upstream.all)
      }
      return byKeys(downstream, upstream, set, (key) => [key])
    case "TimeWindow":
      return timeWindowUpstream(mapping, downstream!, upstream, set)
    case "Static": {
      const inverse = new Map<string, Array<string>>()
      for (const [from, to] of Object.entries(mapping.map)) {
        for (const key of typeof to === "string" ? [to] : to) {
          let list = inverse.get(key)
          if (list === undefined) inverse.set(key, list = [])
          list.push(from)
        }
      }
      return byKeys(downstream!, upstream, set, (key) => inverse.get(key) ?? [])
    }
  }
}

/** Lists (static or dynamic keys): maps each downstream key. */
const byKeys = (downstream: Space, upstream: Space, set: Ranges.Ranges, map: (key: string) => ReadonlyArray<string>) => {
  const found: Array<number> = []
  for (const i of Ranges.indexes(set)) {
    for (const key of map(downstream.keyAt(i))) {
      const j = upstream.indexOf(key)
      if (typeof j === "number") found.push(j)
    }
  }
  return Ranges.intersection(Ranges.fromIndexes(found), upstream.all)
}

/** One upstream range per downstream range: the windows overlapping [start of first, end of last). */
const timeWindowUpstream = (
  mapping: { readonly startOffset: number; readonly endOffset: number },
  downstream: Space,
  upstream: Space,
  set: Ranges.Ranges
): Ranges.Ranges => {
  const out: Array<Ranges.Range> = []
  for (const [s, e] of set) {
    const from = downstream.window!(s + mapping.startOffset).start
    const to = downstream.window!(e - 1 + mapping.endOffset).end
    if (to <= from) continue
    const first = upstream.indexAt!(from)
    const last = upstream.indexAt!(to - 1)
    out.push([Math.max(0, first), Math.min(upstream.size, last + 1)])
  }
  return Ranges.intersection(Ranges.normalize(out), upstream.all)
}
