/**
 * The graph at scale, per group: which assets belong to which group, the
 * edges between groups (counted), and where each group's box goes. A big
 * graph is first drawn as one box per group (instant: no node layout), and a
 * group expanded by a click or by zooming into it is laid out on its own (in
 * a worker, see `layoutWorker.ts`) and drawn inside its box. Pure functions
 * over arrays, so that the unit tests run them without a browser.
 */
import type { Layout, LayoutInput } from "./layout.ts"
import { nodeHeight, nodeWidth } from "./layout.ts"

/** From this many assets the graph opens with its groups collapsed. */
export const collapseFrom = 2_000

export const boxWidth = 280
export const boxHeight = 120
/** Room above an expanded group's nodes for its title. */
export const boxHeader = 56
const boxPadding = 30
const boxGapX = 160
const boxGapY = 60

/** The groups of a graph, computed once per shape. */
export interface Groups {
  /** Group names, in the order their boxes are placed (by the mean depth of their assets). */
  readonly names: ReadonlyArray<string>
  /** The group index of each asset. */
  readonly groupOf: Int32Array
  /** The asset indexes of each group, in topological order. */
  readonly members: ReadonlyArray<Int32Array>
  /** Pairs of group indexes (upstream group, downstream group), each pair once, with `edgeCounts`. */
  readonly edges: Int32Array
  readonly edgeCounts: Int32Array
}

/** Assets in topological order with upstream indexes (the shape of `GET /api/graph`). */
export interface Shape {
  readonly keys: ReadonlyArray<string>
  readonly group: ReadonlyArray<string>
  readonly upstream: ReadonlyArray<ReadonlyArray<number>>
}

export const groupsOf = (shape: Shape): Groups => {
  const size = shape.keys.length
  const depth = new Int32Array(size)
  const byName = new Map<string, number>()
  const found: Array<{ name: string; depthSum: number; count: number }> = []
  const raw = new Int32Array(size)
  for (let i = 0; i < size; i++) {
    let d = 0
    for (const j of shape.upstream[i]!) if (depth[j]! + 1 > d) d = depth[j]! + 1
    depth[i] = d
    const name = shape.group[i]!
    let g = byName.get(name)
    if (g === undefined) {
      g = found.length
      byName.set(name, g)
      found.push({ name, depthSum: 0, count: 0 })
    }
    found[g]!.depthSum += d
    found[g]!.count++
    raw[i] = g
  }
  // boxes left to right by how deep their assets sit on average (groups may depend on each other both ways)
  const order = found.map((_, g) => g).sort((a, b) =>
    found[a]!.depthSum / found[a]!.count - found[b]!.depthSum / found[b]!.count || (found[a]!.name < found[b]!.name ? -1 : 1)
  )
  const rank = new Int32Array(found.length)
  order.forEach((g, r) => (rank[g] = r))
  const groupOf = new Int32Array(size)
  const counts = new Int32Array(found.length)
  for (let i = 0; i < size; i++) {
    groupOf[i] = rank[raw[i]!]!
    counts[groupOf[i]!]!++
  }
  const members = Array.from(counts, (count) => new Int32Array(count))
  const filled = new Int32Array(found.length)
  for (let i = 0; i < size; i++) members[groupOf[i]!]![filled[groupOf[i]!]!++] = i
  const pairs = new Map<number, number>()
  const groupCount = found.length
  for (let i = 0; i < size; i++) {
    for (const j of shape.upstream[i]!) {
      if (groupOf[j] === groupOf[i]) continue
      const pair = groupOf[j]! * groupCount + groupOf[i]!
      pairs.set(pair, (pairs.get(pair) ?? 0) + 1)
    }
  }
  const edges = new Int32Array(pairs.size * 2)
  const edgeCounts = new Int32Array(pairs.size)
  let e = 0
  for (const [pair, count] of pairs) {
    edges[e * 2] = Math.floor(pair / groupCount)
    edges[e * 2 + 1] = pair % groupCount
    edgeCounts[e++] = count
  }
  return { names: order.map((g) => found[g]!.name), groupOf, members, edges, edgeCounts }
}

/** What the worker lays out for one group: its assets with upstreams inside the group only. */
export const groupInput = (shape: Shape, groups: Groups, group: number): Array<LayoutInput> => {
  const members = groups.members[group]!
  return Array.from(members, (i) => ({
    key: shape.keys[i]!,
    group: "",
    upstream: shape.upstream[i]!.filter((j) => groups.groupOf[j] === group).map((j) => shape.keys[j]!)
  }))
}

/** A group's box in world coordinates. */
export interface Box {
  readonly group: number
  readonly name: string
  readonly count: number
  readonly x: number
  readonly y: number
  readonly w: number
  readonly h: number
  /** Laid out and drawn with its assets inside. */
  readonly expanded: boolean
  /** Expanded but its layout is not there yet. */
  readonly pending: boolean
}

/**
 * The boxes of every group and, for the expanded ones whose layout is known,
 * their assets placed inside: a `Layout` over the visible assets only
 * (`visible[n]` is the asset index of the n-th laid-out node).
 */
export interface Arrangement {
  readonly boxes: ReadonlyArray<Box>
  readonly visible: Int32Array
  readonly geometry: Layout
  /**
   * Pairs of box indexes, one per pair of groups with edges between them (`Groups.edges`: boxes
   * are in group order); edges across groups are drawn box to box, counted, never asset to asset.
   */
  readonly boxEdges: Int32Array
}

export const arrange = (
  groups: Groups,
  expanded: ReadonlySet<number>,
  layouts: ReadonlyMap<number, Layout>
): Arrangement => {
  const count = groups.names.length
  const perColumn = Math.max(1, Math.floor(Math.sqrt(count / 3)))
  const sizes = groups.names.map((_, g) => {
    const layout = expanded.has(g) ? layouts.get(g) : undefined
    return layout === undefined
      ? { w: boxWidth, h: boxHeight }
      : { w: Math.max(boxWidth, layout.width + 2 * boxPadding), h: layout.height + boxHeader + boxPadding }
  })
  const boxes: Array<Box> = []
  let left = 0
  for (let start = 0; start < count; start += perColumn) {
    const column = sizes.slice(start, start + perColumn)
    const width = Math.max(...column.map((size) => size.w))
    let top = 0
    column.forEach((size, offset) => {
      const g = start + offset
      boxes.push({
        group: g,
        name: groups.names[g]!,
        count: groups.members[g]!.length,
        x: left,
        y: top,
        w: size.w,
        h: size.h,
        expanded: expanded.has(g),
        pending: expanded.has(g) && !layouts.has(g)
      })
      top += size.h + boxGapY
    })
    left += width + boxGapX
  }
  return { boxes, ...place(groups, boxes, layouts), boxEdges: groups.edges }
}

/** The assets of expanded, laid-out groups, moved into their boxes. */
const place = (groups: Groups, boxes: ReadonlyArray<Box>, layouts: ReadonlyMap<number, Layout>) => {
  let total = 0
  for (const box of boxes) if (box.expanded && !box.pending) total += groups.members[box.group]!.length
  const visible = new Int32Array(total)
  const x = new Float64Array(total)
  const y = new Float64Array(total)
  const layer = new Int32Array(total)
  const edgeParts: Array<Int32Array> = []
  const offsets: Array<number> = []
  let n = 0
  for (const box of boxes) {
    const layout = box.expanded ? layouts.get(box.group) : undefined
    if (layout === undefined) continue
    const members = groups.members[box.group]!
    const dx = box.x + (box.w - layout.width) / 2
    const dy = box.y + boxHeader
    for (let m = 0; m < members.length; m++) {
      visible[n + m] = members[m]!
      x[n + m] = layout.x[m]! + dx
      y[n + m] = layout.y[m]! + dy
      layer[n + m] = layout.layer[m]!
    }
    edgeParts.push(layout.edges)
    offsets.push(n)
    n += members.length
  }
  let edgeLength = 0
  for (const part of edgeParts) edgeLength += part.length
  const edges = new Int32Array(edgeLength)
  let e = 0
  edgeParts.forEach((part, p) => {
    for (let i = 0; i < part.length; i++) edges[e++] = part[i]! + offsets[p]!
  })
  let width = 0
  let height = 0
  for (const box of boxes) {
    width = Math.max(width, box.x + box.w)
    height = Math.max(height, box.y + box.h)
  }
  return { visible, geometry: { x, y, layer, edges, width, height } }
}

/** The box under a world point, if any. */
export const boxAt = (boxes: ReadonlyArray<Box>, wx: number, wy: number): Box | undefined =>
  boxes.find((box) => wx >= box.x && wx <= box.x + box.w && wy >= box.y && wy <= box.y + box.h)

export { nodeHeight, nodeWidth }
