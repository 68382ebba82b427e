/**
 * The graph at scale, per group: which assets belong to which group, the
 * edges between groups (counted), and where each group's box goes. A big
 * graph is first drawn as one box per group from the server's overview
 * (before the graph's shape is even read: no node layout), and a
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

/**
 * The groups of a big graph as its boxes show them, from the server's
 * overview (`GET /api/graph/overview`, see `groupsOfOverview`): known before
 * the graph's shape is.
 */
export interface Groups {
  /** Group names, in the order their boxes are placed (by the mean depth of their assets). */
  readonly names: ReadonlyArray<string>
  /** The number of assets of each group. */
  readonly sizes: ReadonlyArray<number>
  /** Pairs of group indexes (upstream group, downstream group), each pair once, with `edgeCounts`. */
  readonly edges: Int32Array
  readonly edgeCounts: Int32Array
}

/** Which group each asset of the shape is in: known once the shape is there (`membersOf`). */
export interface Members {
  /** The group index of each asset. */
  readonly groupOf: Int32Array
  /** The asset indexes of each group, in topological order. */
  readonly members: ReadonlyArray<Int32Array>
}

/** Assets in topological order with upstream indexes (the shape of `GET /api/graph`). */
export interface Shape {
  readonly keys: ReadonlyArray<string>
  readonly group: ReadonlyArray<string>
  readonly upstream: ReadonlyArray<ReadonlyArray<number>>
}

/** The groups of an overview: its order, sizes and edges between groups. */
export const groupsOfOverview = (overview: {
  readonly groups: ReadonlyArray<{ readonly name: string; readonly assets: number }>
  readonly edges: ReadonlyArray<number>
  readonly edgeCounts: ReadonlyArray<number>
}): Groups => ({
  names: overview.groups.map((group) => group.name),
  sizes: overview.groups.map((group) => group.assets),
  edges: Int32Array.from(overview.edges),
  edgeCounts: Int32Array.from(overview.edgeCounts)
})

/**
 * The members of each of `groups` in `shape`; `undefined` when they do not
 * fit (an asset of a group the overview does not name, or other sizes: the
 * two are of different generations).
 */
export const membersOf = (shape: Shape, groups: Groups): Members | undefined => {
  const size = shape.keys.length
  const byName = new Map<string, number>()
  groups.names.forEach((name, g) => byName.set(name, g))
  const groupOf = new Int32Array(size)
  const counts = new Int32Array(groups.names.length)
  for (let i = 0; i < size; i++) {
    const g = byName.get(shape.group[i]!)
    if (g === undefined) return undefined
    groupOf[i] = g
    counts[g]!++
  }
  if (groups.sizes.some((count, g) => counts[g] !== count)) return undefined
  const members = Array.from(counts, (count) => new Int32Array(count))
  const filled = new Int32Array(groups.names.length)
  for (let i = 0; i < size; i++) members[groupOf[i]!]![filled[groupOf[i]!]!++] = i
  return { groupOf, members }
}

/** What the worker lays out for one group: its assets with upstreams inside the group only. */
export const groupInput = (shape: Shape, members: Members, group: number): Array<LayoutInput> =>
  Array.from(members.members[group]!, (i) => ({
    key: shape.keys[i]!,
    group: "",
    upstream: shape.upstream[i]!.filter((j) => members.groupOf[j] === group).map((j) => shape.keys[j]!)
  }))

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

/** `members` may be left out while no group has a layout (before the shape is there). */
export const arrange = (
  groups: Groups,
  members: Members | undefined,
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
        count: groups.sizes[g]!,
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
  return { boxes, ...place(members, boxes, layouts), boxEdges: groups.edges }
}

/** The assets of expanded, laid-out groups, moved into their boxes. */
const place = (members: Members | undefined, boxes: ReadonlyArray<Box>, layouts: ReadonlyMap<number, Layout>) => {
  let total = 0
  for (const box of boxes) if (box.expanded && !box.pending && members !== undefined) total += members.members[box.group]!.length
  const visible = new Int32Array(total)
  const x = new Float64Array(total)
  const y = new Float64Array(total)
  const layer = new Int32Array(total)
  const edgeParts: Array<Int32Array> = []
  const offsets: Array<number> = []
  let n = 0
  for (const box of boxes) {
    const layout = box.expanded ? layouts.get(box.group) : undefined
    if (layout === undefined || members === undefined) continue
    const own = members.members[box.group]!
    const dx = box.x + (box.w - layout.width) / 2
    const dy = box.y + boxHeader
    for (let m = 0; m < own.length; m++) {
      visible[n + m] = own[m]!
      x[n + m] = layout.x[m]! + dx
      y[n + m] = layout.y[m]! + dy
      layer[n + m] = layout.layer[m]!
    }
    edgeParts.push(layout.edges)
    offsets.push(n)
    n += own.length
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
