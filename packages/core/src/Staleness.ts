/**
 * Staleness: for each asset, `fresh`, `stale` or `missing`, with the reasons.
 *
 * An asset is stale when
 * - its code version changed since its latest materialization,
 * - its dependencies changed (an upstream was added or removed),
 * - an upstream has a newer data version than the one it consumed, or
 * - an upstream is stale or missing (transitively).
 * An asset never materialized is `missing`. A re-materialization that
 * produces the same data version as before does not make anything stale.
 *
 * Sources are `fresh` once observed and `missing` before; external assets
 * are `stale` when something they read is stale or missing, so a user sees
 * which dashboards are affected.
 *
 * {@link compute} is one pass over the graph in topological order, linear
 * in assets + edges, reading only the instance's asset index.
 *
 * Partitioned assets also have a staleness per partition
 * ({@link partitions}, {@link computePartitions}): which partitions are
 * missing, and which are stale because their code version changed, an
 * upstream partition they read got new data after them, or an upstream is
 * stale or missing, each reason with its partitions as ranges.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { AnyNode } from "./Asset.ts"
import * as AssetGraph from "./AssetGraph.ts"
import type { AssetKey } from "./AssetKey.ts"
import type { AssetRecord } from "./Instance.ts"
import { Instance } from "./Instance.ts"
import type { InstanceError, InstanceShape } from "./Instance.ts"
import type * as Partitions from "./Partitions.ts"
import type { Project } from "./Project.ts"
import * as Selection from "./Selection.ts"
import * as Version from "./Version.ts"
import type { PartitionVersions } from "./Instance.ts"
import * as PartitionStaleness from "./partitions/staleness.ts"
import * as DynamicPartitionStore from "./DynamicPartitionStore.ts"
import { readsVersions, readVersions } from "./partitions/readVersions.ts"

export type {
  PartitionReasonRanges,
  PartitionStaleness,
  PartitionStaleReason
} from "./partitions/staleness.ts"
export { describeReason as describePartitionReason, reasonsAt as partitionReasonsAt } from "./partitions/staleness.ts"

/**
 * A reason for staleness.
 *
 * @since 0.1.0
 */
export type StaleReason =
  | { readonly type: "never-materialized" }
  | { readonly type: "never-observed" }
  | { readonly type: "code-changed"; readonly from: string; readonly to: string }
  | { readonly type: "deps-changed"; readonly added: ReadonlyArray<string>; readonly removed: ReadonlyArray<string> }
  | { readonly type: "upstream-updated"; readonly upstream: string; readonly consumed: string; readonly latest: string }
  | { readonly type: "upstream-stale"; readonly upstream: string }
  | { readonly type: "upstream-missing"; readonly upstream: string }

/**
 * The status of one asset.
 *
 * @since 0.1.0
 */
export type Status = "fresh" | "stale" | "missing"

/**
 * Status and reasons of one asset.
 *
 * @since 0.1.0
 */
export interface AssetStatus {
  readonly key: AssetKey
  readonly kind: AnyNode["kind"]
  readonly status: Status
  readonly reasons: ReadonlyArray<StaleReason>
}

/**
 * A reason as a sentence: `upstream silver_users has new data (v7 after v6)`.
 *
 * @since 0.1.0
 */
export const describe = (reason: StaleReason): string => {
  switch (reason.type) {
    case "never-materialized":
      return "never materialized"
    case "never-observed":
      return "never observed"
    case "code-changed":
      return `code version changed (${reason.from} -> ${reason.to})`
    case "deps-changed": {
      const parts: Array<string> = []
      if (reason.added.length > 0) parts.push(`added ${reason.added.join(", ")}`)
      if (reason.removed.length > 0) parts.push(`removed ${reason.removed.join(", ")}`)
      return `dependencies changed (${parts.join("; ")})`
    }
    case "upstream-updated":
      return `upstream ${reason.upstream} has new data (${reason.latest} after ${reason.consumed})`
    case "upstream-stale":
      return `upstream ${reason.upstream} is stale`
    case "upstream-missing":
      return `upstream ${reason.upstream} is missing`
  }
}

/**
 * The current data version of each asset in the index: materializations for
 * computed assets, observations for sources.
 *
 * @since 0.1.0
 */
export const currentVersion = (record: AssetRecord | undefined): string | undefined =>
  record?.materialization?.dataVersion ?? record?.observation?.dataVersion

/**
 * The reasons an asset must be recomputed, looking only at itself and its
 * direct upstreams' current data versions (no transitive staleness). Empty
 * when its latest materialization is up to date. Used by the executor for
 * `staleOnly` runs, where upstreams re-materialized in the same run count.
 *
 * @since 0.1.0
 */
export const localReasons = (
  node: AnyNode,
  upstreamKeys: ReadonlyArray<string>,
  record: AssetRecord | undefined,
  versionOf: (key: string) => string | undefined
): Array<StaleReason> => {
  const materialization = record?.materialization
  if (materialization === undefined) return [{ type: "never-materialized" }]
  const reasons: Array<StaleReason> = []
  const code = Version.ofAsset(node as { spec: AnyNode["spec"]; compute?: Function })
  if (materialization.codeVersion !== code) reasons.push({ type: "code-changed", from: materialization.codeVersion, to: code })
  const consumed = materialization.inputVersions
  let added: Array<string> | undefined
  for (const upstream of upstreamKeys) {
    const before = consumed[upstream]
    if (before === undefined) {
      ;(added ??= []).push(upstream)
      continue
    }
    const latest = versionOf(upstream)
    if (latest !== undefined && latest !== before) {
      reasons.push({ type: "upstream-updated", upstream, consumed: before, latest })
    }
  }
  let removed: Array<string> | undefined
  // a Set for wide fan-ins: includes() per consumed key was quadratic in the upstream count
  const current = upstreamKeys.length > 16 ? new Set(upstreamKeys) : undefined
  for (const key in consumed) {
    if (!(current === undefined ? upstreamKeys.includes(key) : current.has(key))) (removed ??= []).push(key)
  }
  if (added !== undefined || removed !== undefined) {
    reasons.unshift({ type: "deps-changed", added: added ?? [], removed: removed ?? [] })
  }
  return reasons
}

/**
 * Computes the status of every asset of the project from the asset index.
 * Returns statuses in topological order. `only` (node indexes in increasing
 * order, closed under upstream: every upstream of a listed node is listed)
 * computes those nodes alone: `records` then needs only their records.
 *
 * @since 0.1.0
 */
export const compute = (
  project: Project<unknown>,
  records: ReadonlyMap<string, AssetRecord>,
  only?: ReadonlyArray<number>
): ReadonlyArray<AssetStatus> => {
  const graph = project.graph
  const size = graph.nodes.length
  const statuses: Array<AssetStatus> = new Array(size)
  const versionOf = (key: string) => currentVersion(records.get(key))
  const count = only === undefined ? size : only.length
  for (let position = 0; position < count; position++) {
    const i = only === undefined ? position : only[position]!
    const node = graph.nodes[i]!
    const upstream = graph.upstream[i]!
    const record = records.get(node.key)
    let reasons: Array<StaleReason>
    if (node.kind === "source") {
      reasons = record?.observation === undefined && record?.materialization === undefined
        ? [{ type: "never-observed" }]
        : []
      statuses[i] = { key: node.key, kind: node.kind, status: reasons.length > 0 ? "missing" : "fresh", reasons }
      continue
    }
    const upstreamKeys = upstream.map((j) => graph.nodes[j]!.key)
    reasons = node.kind === "external" ? [] : localReasons(node, upstreamKeys, record, versionOf)
    const missing = reasons.length > 0 && reasons[0]!.type === "never-materialized"
    if (!missing) {
      for (const j of upstream) {
        const up = statuses[j]!
        if (up.status === "stale") reasons.push({ type: "upstream-stale", upstream: up.key })
        else if (up.status === "missing") reasons.push({ type: "upstream-missing", upstream: up.key })
      }
    }
    statuses[i] = {
      key: node.key,
      kind: node.kind,
      status: missing ? "missing" : reasons.length > 0 ? "stale" : "fresh",
      reasons
    }
  }
  return only === undefined ? statuses : only.map((i) => statuses[i]!)
}

/**
 * Reads the asset index and computes statuses, optionally only for a selection.
 *
 * @since 0.1.0
 */
export const status = (
  project: Project<unknown>,
  options?: { readonly selection?: string | undefined }
): Effect.Effect<
  ReadonlyArray<AssetStatus>,
  InstanceError | Selection.SelectionParseError | Selection.SelectionResolveError,
  Instance
> =>
  Effect.map(readSelected(project, options), ({ records, selected }) => selected(compute(project, records)))

/**
 * What every status read starts with: the instance, the asset index's
 * records of all the project's assets (staleness needs the upstream ones of
 * a selection too), and a filter keeping what the selection names (all of
 * it without a selection), in the order given.
 *
 * @since 0.1.0
 */
export const readSelected = (
  project: Project<unknown>,
  options?: { readonly selection?: string | undefined }
): Effect.Effect<
  {
    readonly instance: Instance["Service"]
    readonly records: ReadonlyMap<string, AssetRecord>
    readonly selected: <A extends { readonly key: string }>(all: ReadonlyArray<A>) => ReadonlyArray<A>
  },
  InstanceError | Selection.SelectionParseError | Selection.SelectionResolveError,
  Instance
> =>
  Effect.gen(function*() {
    const instance = yield* Instance
    const keep = options?.selection === undefined ? undefined : new Set(yield* Selection.resolve(project, options.selection))
    const records = yield* instance.assets(project.graph.nodes.map((node) => node.key))
    const selected = <A extends { readonly key: string }>(all: ReadonlyArray<A>) =>
      keep === undefined ? all : all.filter((s) => keep.has(s.key))
    return { instance, records, selected }
  })

/**
 * The per-partition staleness of partitioned assets from what the instance
 * holds (pure): see `partitions/staleness.ts` for the rules.
 *
 * @since 0.1.0
 */
export const computePartitions = PartitionStaleness.compute

/**
 * A partitioned asset's staleness kept to its materialized partitions (its
 * latest status), so that a partition whose latest run failed or is going
 * is not also stale: see `partitions/staleness.ts`.
 *
 * @since 0.2.0
 */
export const restrictPartitions = PartitionStaleness.restrict

/**
 * Reads the instance and computes the per-partition staleness of the
 * project's partitioned assets (those of `selection` when given), in
 * topological order. `now` (default: the current time) and `dynamicKeys`
 * resolve the definitions.
 *
 * @since 0.1.0
 */
export const partitions = (
  project: Project<unknown>,
  options?: {
    readonly selection?: string | undefined
    readonly now?: number | undefined
    readonly dynamicKeys?: Readonly<Record<string, ReadonlyArray<string | null>>> | undefined
  }
): Effect.Effect<
  Array<PartitionStaleness.PartitionStaleness>,
  InstanceError | Selection.SelectionParseError | Selection.SelectionResolveError,
  Instance
> =>
  Effect.gen(function*() {
    // partitioned sources too: their observed partitions' versions make downstream partitions stale
    const partitioned = project.graph.nodes.filter(readsVersions)
    if (!partitioned.some((node) => node.kind === "asset")) return []
    const { instance, records, selected } = yield* readSelected(project, options)
    const statuses = new Map<string, Status>(compute(project, records).map((s) => [s.key, s.status]))
    const versions = yield* readVersions(instance, partitioned)
    const now = options?.now ?? Date.now()
    const dynamicKeys = options?.dynamicKeys ?? (yield* DynamicPartitionStore.keysFor(project, instance))
    const all = PartitionStaleness.compute(project, {
      versions,
      records,
      assetStatus: (key) => statuses.get(key),
      resolution: { now, dynamic: (name) => dynamicKeys?.[name] }
    })
    return [...selected([...all.values()])]
  })

/**
 * What the per-partition staleness of some assets reads: the node indexes
 * of those assets and all their ancestors (increasing, so topological), the
 * asset records of those nodes and the partition versions of the
 * partitioned ones (sources included: their observed versions make
 * downstream partitions stale).
 *
 * @since 0.2.0
 */
export interface PartitionInputs {
  readonly only: ReadonlyArray<number>
  readonly records: ReadonlyMap<string, AssetRecord>
  readonly versions: ReadonlyMap<string, PartitionVersions | undefined>
}

/**
 * Reads the {@link PartitionInputs} of `keys` (unknown keys are ignored):
 * one records read and one partition-versions read per partitioned ancestor.
 * Reading the versions is most of what staleness costs; a caller that asks
 * often can keep the inputs until the event log moves (the catalog does).
 *
 * @since 0.2.0
 */
export const readPartitionInputs = (
  project: Project<unknown>,
  instance: InstanceShape,
  keys: Iterable<string>
): Effect.Effect<PartitionInputs, InstanceError> =>
  Effect.gen(function*() {
    const graph = project.graph
    const roots: Array<number> = []
    for (const key of keys) {
      const i = graph.index.get(key)
      if (i !== undefined) roots.push(i)
    }
    const mask = AssetGraph.upstreamClosure(graph, roots)
    const only: Array<number> = []
    for (let i = 0; i < mask.length; i++) if (mask[i] === 1) only.push(i)
    const nodes = only.map((i) => graph.nodes[i]!)
    const records = yield* instance.assets(nodes.map((node) => node.key))
    const versions = yield* readVersions(instance, nodes)
    return { only, records, versions }
  })

/**
 * The per-partition staleness of the assets {@link readPartitionInputs} read
 * (pure): the partitioned assets among `inputs.only`, by key, not yet kept to
 * their materialized partitions ({@link restrictPartitions}).
 *
 * @since 0.2.0
 */
export const partitionsFrom = (
  project: Project<unknown>,
  inputs: PartitionInputs,
  resolution: Partitions.Resolution
): ReadonlyMap<string, PartitionStaleness.PartitionStaleness> => {
  const statuses = new Map<string, Status>(compute(project, inputs.records, inputs.only).map((s) => [s.key, s.status]))
  return PartitionStaleness.compute(project, {
    versions: inputs.versions,
    records: inputs.records,
    assetStatus: (key) => statuses.get(key),
    resolution,
    only: inputs.only
  })
}
