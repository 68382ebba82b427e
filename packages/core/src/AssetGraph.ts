/**
 * The dependency graph derived from a project's assets: indexes, upstream and
 * downstream edges, a topological order. Built once per project in time
 * linear in assets + edges; every walk here is linear too.
 *
 * Nodes are numbered `0..size-1` in topological order (upstream first), so a
 * plan or a staleness pass walks arrays instead of maps.
 *
 * @since 0.1.0
 */
import type { AnyNode } from "./Asset.ts"
import type { AssetKey } from "./AssetKey.ts"

/**
 * The graph.
 *
 * @since 0.1.0
 */
export interface AssetGraph {
  /** Nodes in topological order: every node comes after its upstreams. */
  readonly nodes: ReadonlyArray<AnyNode>
  /** Index of a key in `nodes`. */
  readonly index: ReadonlyMap<string, number>
  /** Upstream node indexes (data deps then `after` deps, without repeats) per node. */
  readonly upstream: ReadonlyArray<ReadonlyArray<number>>
  /** Downstream node indexes per node. */
  readonly downstream: ReadonlyArray<ReadonlyArray<number>>
}

/**
 * A cycle found while sorting: the keys along it, first key repeated last.
 */
export interface Cycle {
  readonly _tag: "Cycle"
  readonly path: ReadonlyArray<AssetKey>
}

/**
 * Builds the graph of `nodes`, whose upstream keys must all be among them.
 * Returns the cycle when there is one.
 *
 * @since 0.1.0
 */
export const make = (nodes: ReadonlyArray<AnyNode>): AssetGraph | Cycle => {
  const position = new Map<string, number>()
  for (let i = 0; i < nodes.length; i++) position.set(nodes[i]!.key, i)
  return makeIndexed(nodes, position)
}

/**
 * Like {@link make}, for a caller that already holds the position of every
 * key in `nodes` (`Project.make` does): the keys are not hashed again, and
 * when `nodes` is already in topological order that map becomes the graph's
 * `index` as is.
 *
 * @since 0.1.0
 */
export const makeIndexed = (nodes: ReadonlyArray<AnyNode>, position: ReadonlyMap<string, number>): AssetGraph | Cycle => {
  const { downCount, indegree, up } = upstreamLists(nodes, position)
  const down = downstreamLists(up, downCount)
  const { identity, order, sortedCount } = topologicalOrder(down, indegree)
  if (sortedCount < nodes.length) return { _tag: "Cycle", path: findCycle(nodes, up, indegree) }
  // input already upstream-first (the usual case): nothing to renumber
  if (identity) return { nodes: nodes.slice(), index: position, upstream: up, downstream: down }
  return renumbered(nodes, order, up, down)
}

/**
 * Each node's upstream list in input numbering (data deps then `after` deps,
 * without repeats), its indegree, and how many downstreams each node has.
 */
const upstreamLists = (nodes: ReadonlyArray<AnyNode>, position: ReadonlyMap<string, number>) => {
  const size = nodes.length
  const up: Array<Array<number>> = new Array(size)
  const indegree = new Int32Array(size)
  const downCount = new Int32Array(size)
  // last node that listed each upstream, to drop repeats in linear time
  const listedBy = new Int32Array(size).fill(-1)
  for (let i = 0; i < size; i++) {
    const spec = nodes[i]!.spec
    // sized up front: a pushed-to `[]` reserves room for 16 entries
    let list: Array<number> = new Array(spec.deps.length + spec.after.length)
    let count = 0
    const deps = spec.deps
    for (let k = 0; k < deps.length; k++) {
      const j = position.get(deps[k]!)!
      if (listedBy[j] !== i) {
        listedBy[j] = i
        list[count++] = j
      }
    }
    const after = spec.after
    for (let k = 0; k < after.length; k++) {
      const j = position.get(after[k]!)!
      if (listedBy[j] !== i) {
        listedBy[j] = i
        list[count++] = j
      }
    }
    if (count < list.length) list = list.slice(0, count)
    up[i] = list
    indegree[i] = list.length
    for (let k = 0; k < list.length; k++) downCount[list[k]!]!++
  }
  return { up, indegree, downCount }
}

/** The downstream lists, each allocated at its final length. */
const downstreamLists = (up: ReadonlyArray<ReadonlyArray<number>>, downCount: Int32Array): Array<Array<number>> => {
  const size = up.length
  const down: Array<Array<number>> = new Array(size)
  for (let i = 0; i < size; i++) down[i] = new Array(downCount[i]!)
  const filled = new Int32Array(size)
  for (let i = 0; i < size; i++) {
    const list = up[i]!
    for (let k = 0; k < list.length; k++) {
      const j = list[k]!
      down[j]![filled[j]!++] = i
    }
  }
  return down
}

/**
 * Kahn's algorithm, stable: ready nodes are taken in input order. Consumes
 * `indegree`: what is left above 0 lies on or downstream of a cycle.
 * `identity` when the input order already was topological.
 */
const topologicalOrder = (down: ReadonlyArray<ReadonlyArray<number>>, indegree: Int32Array) => {
  const size = down.length
  const order = new Int32Array(size)
  let sortedCount = 0
  const queue = new Int32Array(size)
  let head = 0
  let tail = 0
  for (let i = 0; i < size; i++) if (indegree[i] === 0) queue[tail++] = i
  let identity = true
  while (head < tail) {
    const i = queue[head++]!
    if (i !== sortedCount) identity = false
    order[sortedCount++] = i
    const list = down[i]!
    for (let k = 0; k < list.length; k++) {
      const j = list[k]!
      if (--indegree[j]! === 0) queue[tail++] = j
    }
  }
  return { order, sortedCount, identity }
}

/** The graph renumbered in topological order. */
const renumbered = (
  nodes: ReadonlyArray<AnyNode>,
  order: Int32Array,
  up: ReadonlyArray<ReadonlyArray<number>>,
  down: ReadonlyArray<ReadonlyArray<number>>
): AssetGraph => {
  const size = nodes.length
  const rank = new Int32Array(size)
  for (let r = 0; r < size; r++) rank[order[r]!] = r
  const sorted: Array<AnyNode> = new Array(size)
  const index = new Map<string, number>()
  const upstream: Array<ReadonlyArray<number>> = new Array(size)
  const downstream: Array<ReadonlyArray<number>> = new Array(size)
  for (let r = 0; r < size; r++) {
    const i = order[r]!
    const node = nodes[i]!
    sorted[r] = node
    index.set(node.key, r)
    upstream[r] = up[i]!.map((j) => rank[j]!)
    downstream[r] = down[i]!.map((j) => rank[j]!)
  }
  return { nodes: sorted, index, upstream, downstream }
}

const findCycle = (
  nodes: ReadonlyArray<AnyNode>,
  up: ReadonlyArray<ReadonlyArray<number>>,
  indegree: Int32Array
): ReadonlyArray<AssetKey> => {
  // every node left with indegree > 0 lies on or downstream of a cycle; walk
  // upstream through such nodes until one repeats
  const start = indegree.findIndex((d) => d > 0)
  const seenAt = new Map<number, number>()
  const path: Array<number> = []
  let current = start
  while (!seenAt.has(current)) {
    seenAt.set(current, path.length)
    path.push(current)
    current = up[current]!.find((j) => indegree[j]! > 0)!
  }
  const cycle = path.slice(seenAt.get(current)!).reverse()
  cycle.push(cycle[0]!)
  return cycle.map((i) => nodes[i]!.key)
}

/**
 * Marks `roots` and every node upstream of them, up to `depth` edges away
 * (unbounded by default). Returns a mask over node indexes.
 *
 * @since 0.1.0
 */
export const upstreamClosure = (
  graph: AssetGraph,
  roots: Iterable<number>,
  depth = Number.POSITIVE_INFINITY
): Uint8Array => walk(graph.upstream, graph.nodes.length, roots, depth)

/**
 * Marks `roots` and every node downstream of them, up to `depth` edges away.
 *
 * @since 0.1.0
 */
export const downstreamClosure = (
  graph: AssetGraph,
  roots: Iterable<number>,
  depth = Number.POSITIVE_INFINITY
): Uint8Array => walk(graph.downstream, graph.nodes.length, roots, depth)

const walk = (
  edges: ReadonlyArray<ReadonlyArray<number>>,
  size: number,
  roots: Iterable<number>,
  depth: number
): Uint8Array => {
  const mask = new Uint8Array(size)
  let frontier: Array<number> = []
  for (const root of roots) {
    if (mask[root] === 0) {
      mask[root] = 1
      frontier.push(root)
    }
  }
  for (let level = 0; level < depth && frontier.length > 0; level++) {
    const next: Array<number> = []
    for (const i of frontier) {
      for (const j of edges[i]!) {
        if (mask[j] === 0) {
          mask[j] = 1
          next.push(j)
        }
      }
    }
    frontier = next
  }
  return mask
}

/**
 * The keys upstream of `key` (direct only).
 *
 * @since 0.1.0
 */
export const upstreamKeys = (graph: AssetGraph, key: string): ReadonlyArray<AssetKey> => {
  const i = graph.index.get(key)
  return i === undefined ? [] : graph.upstream[i]!.map((j) => graph.nodes[j]!.key)
}

/**
 * The keys downstream of `key` (direct only).
 *
 * @since 0.1.0
 */
export const downstreamKeys = (graph: AssetGraph, key: string): ReadonlyArray<AssetKey> => {
  const i = graph.index.get(key)
  return i === undefined ? [] : graph.downstream[i]!.map((j) => graph.nodes[j]!.key)
}

// what only changes when the project is loaded, computed once per graph: each node's upstream keys
const upstreamKeysCache = new WeakMap<AssetGraph, ReadonlyArray<ReadonlyArray<string>>>()

/**
 * Each node's upstream keys (data deps then `after` deps), by node index,
 * computed once per graph (every step of a run reads its asset's).
 *
 * @since 0.1.0
 */
export const upstreamKeysOf = (graph: AssetGraph): ReadonlyArray<ReadonlyArray<string>> => {
  let keys = upstreamKeysCache.get(graph)
  if (keys === undefined) {
    const nodes = graph.nodes
    const upstream = graph.upstream
    const built: Array<ReadonlyArray<string>> = new Array(nodes.length)
    for (let i = 0; i < nodes.length; i++) {
      const spec = nodes[i]!.spec
      const ups = upstream[i]!
      // without `after` and repeated deps, the upstream keys are the spec's `deps`, in order: no copy
      if (spec.after.length === 0 && spec.deps.length === ups.length) built[i] = spec.deps
      else built[i] = ups.map((j) => nodes[j]!.key)
    }
    keys = built
    upstreamKeysCache.set(graph, keys)
  }
  return keys
}

// the node kinds a graph holds, found once per graph
const kindsCache = new WeakMap<AssetGraph, ReadonlySet<AnyNode["kind"]>>()

/**
 * Whether some node of the graph is of this kind, computed once per graph
 * (a plan skips its pass over the nodes for sources or external assets when
 * the project has none).
 *
 * @since 0.1.0
 */
export const hasKind = (graph: AssetGraph, kind: AnyNode["kind"]): boolean => {
  let kinds = kindsCache.get(graph)
  if (kinds === undefined) {
    const found = new Set<AnyNode["kind"]>()
    graph.nodes.forEach((node) => found.add(node.kind))
    kindsCache.set(graph, kinds = found)
  }
  return kinds.has(kind)
}
