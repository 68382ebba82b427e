/**
 * The graph summed up by group (`GET /api/graph/overview`): what a big
 * graph's first screen draws (one box per group with its size, its assets by
 * status and its failing checks; the edges between groups; the status
 * totals), a few KB where the shape and the statuses are megabytes. The
 * groups (their order, sizes and edges) are computed once per generation; the
 * counts once per statuses snapshot, as JSON bytes.
 */
import type { AssetGraph } from "@strata/core"
import type { Models } from "@strata/protocol"
import type { ProjectHost } from "@strata/runtime"
import { Effect } from "effect"
import * as Assets from "./assets.ts"
import * as Statuses from "./statuses.ts"

/** The groups of a generation's graph: their box order, each asset's group, and the edges between groups. */
export interface Groups {
  readonly generation: number
  /** Group names in box order: by the mean depth of their assets, then by name. */
  readonly names: ReadonlyArray<string>
  /** The group (index into `names`) of each asset. */
  readonly groupOf: Int32Array
  readonly sizes: Int32Array
  /** Pairs of group indexes (upstream group, downstream group), each pair once, with `edgeCounts`. */
  readonly edges: ReadonlyArray<number>
  readonly edgeCounts: ReadonlyArray<number>
}

/** Each asset's depth (longest upstream path) and group in order of appearance; `graph.nodes` is topological. */
const rawGroups = (graph: AssetGraph.AssetGraph) => {
  const size = graph.nodes.length
  const depth = new Int32Array(size)
  const byName = new Map<string, number>()
  const found: Array<{ name: string; depthSum: number; count: number }> = []
  const raw = new Int32Array(size)
  for (let i = 0; i < size; i++) {
    let d = 0
    for (const j of graph.upstream[i]!) if (depth[j]! + 1 > d) d = depth[j]! + 1
    depth[i] = d
    const name = graph.nodes[i]!.spec.group
    let g = byName.get(name)
    if (g === undefined) {
      byName.set(name, g = found.length)
      found.push({ name, depthSum: 0, count: 0 })
    }
    found[g]!.depthSum += d
    found[g]!.count++
    raw[i] = g
  }
  return { found, raw }
}

/** The groups of `graph`: boxes left to right by how deep their assets sit on average (groups may depend on each other both ways). */
export const groupsOf = (graph: AssetGraph.AssetGraph, generation: number): Groups => {
  const { found, raw } = rawGroups(graph)
  const order = found.map((_, g) => g).sort((a, b) =>
    found[a]!.depthSum / found[a]!.count - found[b]!.depthSum / found[b]!.count || (found[a]!.name < found[b]!.name ? -1 : 1)
  )
  const rank = new Int32Array(found.length)
  order.forEach((g, r) => (rank[g] = r))
  const size = graph.nodes.length
  const groupOf = new Int32Array(size)
  const sizes = new Int32Array(found.length)
  for (let i = 0; i < size; i++) sizes[groupOf[i] = rank[raw[i]!]!]!++
  const pairs = new Map<number, number>()
  const count = found.length
  for (let i = 0; i < size; i++) {
    for (const j of graph.upstream[i]!) {
      if (groupOf[j] === groupOf[i]) continue
      const pair = groupOf[j]! * count + groupOf[i]!
      pairs.set(pair, (pairs.get(pair) ?? 0) + 1)
    }
  }
  const edges: Array<number> = []
  const edgeCounts: Array<number> = []
  for (const [pair, edgeCount] of pairs) {
    edges.push(Math.floor(pair / count), pair % count)
    edgeCounts.push(edgeCount)
  }
  return { generation, names: order.map((g) => found[g]!.name), groupOf, sizes, edges, edgeCounts }
}

const groupsAt = (cache: Statuses.Cache, g: ProjectHost.Generation): Groups =>
  cache.groups?.generation === g.number ? cache.groups : (cache.groups = groupsOf(g.project.graph, g.number))

/** The overview of `g` at its statuses `snapshot`. */
const overview = Effect.fn("Catalog.graphOverview")(function*(
  cache: Statuses.Cache,
  g: ProjectHost.Generation,
  snapshot: Statuses.Snapshot
) {
  const groups = groupsAt(cache, g)
  const { status } = Statuses.compactOf(snapshot)
  const counts = groups.names.map(() => ({} as Record<string, number>))
  for (let i = 0; i < status.length; i++) {
    const own = counts[groups.groupOf[i]!]!
    own[status[i]!] = (own[status[i]!] ?? 0) + 1
  }
  const failing = new Int32Array(groups.names.length)
  for (const asset of (yield* Assets.summary(g)).assets) {
    const i = g.project.graph.index.get(asset.key)
    if (asset.failed > 0 && i !== undefined) failing[groups.groupOf[i]!]!++
  }
  const value: Models.GraphOverview = {
    generation: g.number,
    hash: Statuses.structure(cache, g).hash,
    assets: status.length,
    groups: groups.names.map((name, at) => ({ name, assets: groups.sizes[at]!, counts: counts[at]!, failingChecks: failing[at]! })),
    edges: groups.edges,
    edgeCounts: groups.edgeCounts
  }
  return value
})

/** `GET /api/graph/overview` as JSON bytes, once per statuses snapshot. */
export const body = Effect.fn("Catalog.graphOverviewBody")(function*(cache: Statuses.Cache, g: ProjectHost.Generation) {
  const snapshot = yield* Statuses.current(cache, g)
  if (snapshot.overview !== undefined) return snapshot.overview
  const value = yield* overview(cache, g, snapshot)
  return snapshot.overview ??= new TextEncoder().encode(JSON.stringify(value))
})
