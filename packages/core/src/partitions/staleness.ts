/**
 * Per-partition staleness: which partitions of each partitioned asset are
 * missing or stale, and why, computed from range segments (the instance's
 * partition versions), never partition by partition.
 *
 * A materialized partition is stale when
 * - the code version of the materialization that wrote it is not the asset's
 *   current one (`code-changed`);
 * - an upstream partition it reads (through the edge's mapping) had its data
 *   change after it was written (`upstream-updated`): the upstream segment's
 *   `changedAt` is newer than its own event; a rebuild that gave the same
 *   data version does not count;
 * - an unpartitioned upstream has a data version other than the one it read
 *   (`upstream-updated`);
 * - an upstream partition it reads is stale or missing (`upstream-stale`,
 *   `upstream-missing`), transitively; for an unpartitioned upstream, the
 *   upstream's own status.
 * A partition never materialized (or recorded under another definition) is
 * missing. A partitioned source's partitions are its observed versions
 * (`changedAt` moves only for partitions whose version changed); a partition
 * it never reported is missing for the partitions reading it. Assets are visited in topological order; each step is linear in
 * segments and ranges. Mappings other than identity find the downstream
 * partitions that read a set by bisection over ranges (logarithmic per piece).
 */
import type { AnyNode } from "../Asset.ts"
import type { AssetRecord, PartitionVersion, PartitionVersions } from "../Instance.ts"
import * as PartitionMapping from "../PartitionMapping.ts"
import * as Partitions from "../Partitions.ts"
import type { Project } from "../Project.ts"
import * as Version from "../Version.ts"
import { mappingOf } from "./checkProject.ts"
import * as Ranges from "./Ranges.ts"

/**
 * Why partitions are stale.
 *
 * @since 0.1.0
 */
export type PartitionStaleReason =
  | { readonly type: "code-changed"; readonly from: string; readonly to: string }
  | { readonly type: "upstream-updated"; readonly upstream: string }
  | { readonly type: "upstream-stale"; readonly upstream: string }
  | { readonly type: "upstream-missing"; readonly upstream: string }

/**
 * A reason and the partitions it holds for.
 *
 * @since 0.1.0
 */
export interface PartitionReasonRanges {
  readonly reason: PartitionStaleReason
  readonly ranges: Ranges.Ranges
  readonly count: number
  /** The partitions as a selection (`2024-01-01...2024-01-07`), at most 20 ranges. */
  readonly partitions: string
  /** The reason as a sentence. */
  readonly description: string
}

/**
 * Where the partitions of one asset stand, for staleness.
 *
 * @since 0.1.0
 */
export interface PartitionStaleness {
  readonly key: string
  readonly definition: string
  readonly total: number
  readonly fresh: number
  readonly stale: number
  readonly missing: number
  readonly staleRanges: Ranges.Ranges
  readonly missingRanges: Ranges.Ranges
  readonly staleText: string
  readonly missingText: string
  readonly reasons: ReadonlyArray<PartitionReasonRanges>
}

/**
 * A reason as a sentence.
 *
 * @since 0.1.0
 */
export const describeReason = (reason: PartitionStaleReason): string => {
  switch (reason.type) {
    case "code-changed":
      return `code version changed (${reason.from} -> ${reason.to})`
    case "upstream-updated":
      return `upstream ${reason.upstream} has new data`
    case "upstream-stale":
      return `upstream ${reason.upstream} is stale`
    case "upstream-missing":
      return `upstream ${reason.upstream} is missing`
  }
}

/**
 * What the computation reads: the instance's partition versions of
 * partitioned assets, its records of unpartitioned ones and their
 * asset-level status.
 *
 * @since 0.1.0
 */
export interface StalenessInput {
  readonly versions: ReadonlyMap<string, PartitionVersions | undefined>
  readonly records: ReadonlyMap<string, AssetRecord>
  /** The asset-level status of unpartitioned assets (`Staleness.compute`). */
  readonly assetStatus: (key: string) => "fresh" | "stale" | "missing" | undefined
  readonly resolution: Partitions.Resolution
  /**
   * The node indexes to compute, in topological order and closed under
   * ancestors (`AutomationEvaluation.ancestors`); all nodes when undefined.
   */
  readonly only?: ReadonlyArray<number> | undefined
  /**
   * Whether the result also holds the partitioned sources: never stale, their
   * partitions never observed missing (automation reads an upstream source's
   * partitions like an asset's); `strata status` lists assets only.
   */
  readonly sources?: boolean | undefined
}

interface Computed {
  readonly space: Partitions.Space
  readonly segments: ReadonlyArray<PartitionVersion>
  readonly stale: Ranges.Ranges
  readonly missing: Ranges.Ranges
}

/** Whether any range of `a` meets `b` (binary search in `b` for each range of `a`). */
const overlaps = (a: Ranges.Ranges, b: Ranges.Ranges): boolean => {
  for (const [s, e] of a) {
    let lo = 0
    let hi = b.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (b[mid]![1] <= s) lo = mid + 1
      else hi = mid
    }
    if (lo < b.length && b[lo]![0] < e) return true
  }
  return false
}

/** The segments meeting `[s, e)`, in order. */
const segmentsIn = (segments: ReadonlyArray<PartitionVersion>, s: number, e: number): Array<PartitionVersion> => {
  let lo = 0
  let hi = segments.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (segments[mid]!.end <= s) lo = mid + 1
    else hi = mid
  }
  const out: Array<PartitionVersion> = []
  for (let i = lo; i < segments.length && segments[i]!.start < e; i++) out.push(segments[i]!)
  return out
}

const isIdentity = (mapping: PartitionMapping.PartitionMapping, down: Partitions.Space, up: Partitions.Space) =>
  mapping._tag === "Identity" && Partitions.equals(down.definition, up.definition)

/**
 * The partitions of `domain` whose upstream partitions (through `mapping`)
 * meet `set`: an intersection for identity, else bisection of each range.
 */
export const readers = (
  mapping: PartitionMapping.PartitionMapping,
  down: Partitions.Space,
  up: Partitions.Space,
  domain: Ranges.Ranges,
  set: Ranges.Ranges
): Ranges.Ranges => {
  if (set.length === 0 || domain.length === 0) return Ranges.empty
  if (isIdentity(mapping, down, up)) return Ranges.intersection(domain, set)
  const out: Array<Ranges.Range> = []
  const visit = (s: number, e: number): void => {
    if (!overlaps(PartitionMapping.upstreamOf(mapping, down, up, [[s, e]]), set)) return
    if (e - s === 1) {
      out.push([s, e])
      return
    }
    const mid = s + Math.floor((e - s) / 2)
    visit(s, mid)
    visit(mid, e)
  }
  for (const [s, e] of domain) visit(s, e)
  return Ranges.normalize(out)
}

/** Collects ranges by reason (keyed by its JSON). */
class ReasonBook {
  readonly entries = new Map<string, { reason: PartitionStaleReason; ranges: Array<Ranges.Range> }>()
  add(reason: PartitionStaleReason, ranges: Ranges.Ranges): void {
    if (ranges.length === 0) return
    const key = JSON.stringify(reason)
    let entry = this.entries.get(key)
    if (entry === undefined) this.entries.set(key, entry = { reason, ranges: [] })
    entry.ranges.push(...ranges)
  }
}

/** The `upstream-updated` partitions of the asset for one partitioned upstream. */
const updatedBy = (
  mapping: PartitionMapping.PartitionMapping,
  space: Partitions.Space,
  segments: ReadonlyArray<PartitionVersion>,
  upstream: Computed
): Ranges.Ranges => {
  const out: Array<Ranges.Range> = []
  const identity = isIdentity(mapping, space, upstream.space)
  for (const segment of segments) {
    const own: Ranges.Ranges = [[segment.start, segment.end]]
    const read = identity ? own : PartitionMapping.upstreamOf(mapping, space, upstream.space, own)
    const changed: Array<Ranges.Range> = []
    for (const [s, e] of read) {
      for (const u of segmentsIn(upstream.segments, s, e)) {
        if (u.changedAt > segment.eventId) changed.push([Math.max(u.start, s), Math.min(u.end, e)])
      }
    }
    if (changed.length > 0) out.push(...readers(mapping, space, upstream.space, own, Ranges.normalize(changed)))
  }
  return Ranges.normalize(out)
}

/** The reasons of one partitioned asset's materialized partitions. */
const reasonsOf = (
  project: Project<unknown>,
  node: AnyNode,
  space: Partitions.Space,
  segments: ReadonlyArray<PartitionVersion>,
  materialized: Ranges.Ranges,
  computed: ReadonlyMap<string, Computed>,
  input: StalenessInput
): ReasonBook => {
  const book = new ReasonBook()
  const code = Version.ofAsset(node as { spec: AnyNode["spec"]; compute?: Function })
  for (const segment of segments) {
    if (segment.codeVersion !== code) book.add({ type: "code-changed", from: segment.codeVersion, to: code }, [[segment.start, segment.end]])
  }
  const graph = project.graph
  for (const j of graph.upstream[graph.index.get(node.key)!]!) {
    const dep = graph.nodes[j]!
    const upstream = computed.get(dep.key)
    const mapping = upstream === undefined ? undefined : mappingOf(node, dep)
    if (upstream !== undefined && mapping !== undefined) {
      book.add({ type: "upstream-updated", upstream: dep.key }, updatedBy(mapping, space, segments, upstream))
      book.add({ type: "upstream-stale", upstream: dep.key }, readers(mapping, space, upstream.space, materialized, upstream.stale))
      book.add({ type: "upstream-missing", upstream: dep.key }, readers(mapping, space, upstream.space, materialized, upstream.missing))
      continue
    }
    const record = input.records.get(dep.key)
    const latest = record?.materialization?.dataVersion ?? record?.observation?.dataVersion
    const updated = segments.filter((s) => latest !== undefined && s.inputVersions[dep.key] !== undefined && s.inputVersions[dep.key] !== latest)
    book.add({ type: "upstream-updated", upstream: dep.key }, updated.map((s): Ranges.Range => [s.start, s.end]))
    const status = input.assetStatus(dep.key)
    if (status === "stale") book.add({ type: "upstream-stale", upstream: dep.key }, materialized)
    else if (status === "missing") book.add({ type: "upstream-missing", upstream: dep.key }, materialized)
  }
  return book
}

/**
 * The staleness of every partitioned asset of the project (of those among
 * `input.only` when given; and of the partitioned sources with
 * `input.sources`), by key, in topological order.
 *
 * @since 0.1.0
 */
export const compute = (project: Project<unknown>, input: StalenessInput): Map<string, PartitionStaleness> => {
  const computed = new Map<string, Computed>()
  const result = new Map<string, PartitionStaleness>()
  const nodes = input.only === undefined ? project.graph.nodes : input.only.map((i) => project.graph.nodes[i]!)
  for (const node of nodes) {
    if (node.partitions === undefined || (node.kind !== "asset" && node.kind !== "source")) continue
    const space = Partitions.resolve(node.partitions, input.resolution)
    const versions = input.versions.get(node.key)
    const current = versions !== undefined && versions.fingerprint === Partitions.fingerprint(node.partitions) ? versions.segments : []
    const materialized = Ranges.intersection(Ranges.normalize(current.map((s): Ranges.Range => [s.start, s.end])), space.all)
    const missing = Ranges.difference(space.all, materialized)
    if (node.kind === "source") {
      // a partitioned source: its observed partitions' versions (never stale; a partition never observed is missing)
      computed.set(node.key, { space, segments: current, stale: Ranges.empty, missing })
      if (input.sources === true) result.set(node.key, summary(node, space, Ranges.empty, missing, []))
      continue
    }
    const book = reasonsOf(project, node, space, current, materialized, computed, input)
    const reasons: Array<PartitionReasonRanges> = []
    let stale: Ranges.Ranges = Ranges.empty
    for (const { reason, ranges } of book.entries.values()) {
      const within = Ranges.intersection(Ranges.normalize(ranges), materialized)
      if (within.length === 0) continue
      stale = Ranges.union(stale, within)
      reasons.push({
        reason,
        ranges: within,
        count: Ranges.count(within),
        partitions: Partitions.format(space, within),
        description: describeReason(reason)
      })
    }
    computed.set(node.key, { space, segments: current, stale, missing })
    result.set(node.key, summary(node, space, stale, missing, reasons))
  }
  return result
}

const summary = (
  node: AnyNode,
  space: Partitions.Space,
  stale: Ranges.Ranges,
  missing: Ranges.Ranges,
  reasons: ReadonlyArray<PartitionReasonRanges>
): PartitionStaleness => {
  const total = Ranges.count(space.all)
  const staleCount = Ranges.count(stale)
  const missingCount = Ranges.count(missing)
  return {
    key: node.key,
    definition: Partitions.describe(node.partitions!),
    total,
    fresh: total - staleCount - missingCount,
    stale: staleCount,
    missing: missingCount,
    staleRanges: stale,
    missingRanges: missing,
    staleText: Partitions.format(space, stale),
    missingText: Partitions.format(space, missing),
    reasons
  }
}

/**
 * The reasons one partition (by index) is stale; empty when it is fresh or missing.
 *
 * @since 0.1.0
 */
export const reasonsAt = (staleness: PartitionStaleness, index: number): Array<PartitionStaleReason> =>
  staleness.reasons.filter((r) => Ranges.has(r.ranges, index)).map((r) => r.reason)

/**
 * The staleness kept to `materialized` (the partitions whose latest status is
 * materialized, `instance.partitionStatus`): a partition whose latest run
 * failed or is still going counts as failed or in progress, not stale, so
 * the five states (materialized, stale, failed, in progress, missing) are
 * disjoint. What `strata status` and the catalog count. Linear in ranges.
 *
 * @since 0.2.0
 */
export const restrict = (staleness: PartitionStaleness, space: Partitions.Space, materialized: Ranges.Ranges): PartitionStaleness => {
  const stale = Ranges.intersection(staleness.staleRanges, materialized)
  if (Ranges.count(stale) === staleness.stale) return staleness
  const reasons: Array<PartitionReasonRanges> = []
  for (const entry of staleness.reasons) {
    const ranges = Ranges.intersection(entry.ranges, stale)
    if (ranges.length > 0) reasons.push({ ...entry, ranges, count: Ranges.count(ranges), partitions: Partitions.format(space, ranges) })
  }
  const count = Ranges.count(stale)
  return {
    ...staleness,
    fresh: staleness.total - count - staleness.missing,
    stale: count,
    staleRanges: stale,
    staleText: Partitions.format(space, stale),
    reasons
  }
}
