/**
 * Layered lineage layout, computed here rather than with a general layout
 * engine so that 10,000 assets lay out in milliseconds: longest-path layering
 * (sources pulled next to their first consumer), then barycenter ordering
 * sweeps within layers. Linear in nodes + edges per sweep.
 */

/** Names the layout's rules: layouts kept (in IndexedDB) by an older version are laid out again. */
export const layoutVersion = "2"

export const nodeWidth = 220
export const nodeHeight = 64
const columnGap = 90
const rowGap = 22
const subColumnGap = 24

export interface Layout {
  readonly x: Float64Array
  readonly y: Float64Array
  readonly layer: Int32Array
  /** Edges as pairs of node indexes (upstream, downstream). */
  readonly edges: Int32Array
  readonly width: number
  readonly height: number
}

export interface LayoutInput {
  readonly key: string
  readonly group: string
  readonly upstream: ReadonlyArray<string>
}

/** Lays out `nodes`, which must be in topological order (every node after its upstreams). */
export const layout = (nodes: ReadonlyArray<LayoutInput>): Layout => {
  const size = nodes.length
  const index = new Map<string, number>()
  for (let i = 0; i < size; i++) index.set(nodes[i]!.key, i)
  const up: Array<Array<number>> = new Array(size)
  const down: Array<Array<number>> = Array.from({ length: size }, () => [])
  let edgeCount = 0
  for (let i = 0; i < size; i++) {
    const list: Array<number> = []
    for (const key of nodes[i]!.upstream) {
      const j = index.get(key)
      if (j !== undefined) {
        list.push(j)
        down[j]!.push(i)
        edgeCount++
      }
    }
    up[i] = list
  }
  const layer = new Int32Array(size)
  for (let i = 0; i < size; i++) {
    let value = 0
    for (const j of up[i]!) if (layer[j]! + 1 > value) value = layer[j]! + 1
    layer[i] = value
  }
  // a root sits just left of its nearest consumer instead of in the first column
  for (let i = size - 1; i >= 0; i--) {
    if (up[i]!.length > 0 || down[i]!.length === 0) continue
    let nearest = Number.POSITIVE_INFINITY
    for (const j of down[i]!) if (layer[j]! < nearest) nearest = layer[j]!
    layer[i] = nearest - 1
  }
  let layers = 0
  for (let i = 0; i < size; i++) if (layer[i]! + 1 > layers) layers = layer[i]! + 1
  const members: Array<Array<number>> = Array.from({ length: layers }, () => [])
  for (let i = 0; i < size; i++) members[layer[i]!]!.push(i)
  // start from groups kept together, then sweep with barycenters
  for (const list of members) {
    list.sort((a, b) => nodes[a]!.group < nodes[b]!.group ? -1 : nodes[a]!.group > nodes[b]!.group ? 1 : a - b)
  }
  const position = new Float64Array(size)
  const place = () => {
    for (const list of members) for (let p = 0; p < list.length; p++) position[list[p]!] = p
  }
  place()
  const barycenter = new Float64Array(size)
  const sweep = (from: number, to: number, step: number, neighbours: Array<Array<number>>) => {
    for (let l = from; l !== to; l += step) {
      const list = members[l]!
      for (const i of list) {
        const near = neighbours[i]!
        if (near.length === 0) {
          barycenter[i] = position[i]!
          continue
        }
        let sum = 0
        for (const j of near) sum += position[j]!
        barycenter[i] = sum / near.length
      }
      list.sort((a, b) => barycenter[a]! - barycenter[b]! || a - b)
      for (let p = 0; p < list.length; p++) position[list[p]!] = p
    }
  }
  for (let iteration = 0; iteration < 2; iteration++) {
    sweep(1, layers, 1, up)
    sweep(layers - 2, -1, -1, down)
  }
  const { x, y, width, height } = positions(members, up, down, size)
  const edges = new Int32Array(edgeCount * 2)
  let e = 0
  for (let i = 0; i < size; i++) {
    for (const j of up[i]!) {
      edges[e++] = j
      edges[e++] = i
    }
  }
  return {
    x,
    y,
    layer,
    edges,
    width,
    height
  }
}

/**
 * Positions of the ordered layers. A layer taller than `maxRows` wraps into
 * several sub-columns, keeping a screen-like aspect ratio for huge graphs
 * (10,000 assets in 20 layers).
 */
const positions = (
  members: ReadonlyArray<ReadonlyArray<number>>,
  up: ReadonlyArray<ReadonlyArray<number>>,
  down: ReadonlyArray<ReadonlyArray<number>>,
  size: number
) => {
  const maxRows = Math.max(30, Math.ceil(1.5 * Math.sqrt(size)))
  let tallest = 0
  for (const list of members) tallest = Math.max(tallest, Math.min(list.length, maxRows))
  const x = new Float64Array(size)
  const y = new Float64Array(size)
  const rowHeight = nodeHeight + rowGap
  let left = 0
  for (let list of members) {
    const columns = Math.max(1, Math.ceil(list.length / maxRows))
    // a wrapped layer puts its assets with no edge at all in the first sub-columns and the connected ones last,
    // next to the following layer: a source is not kept across hundreds of unrelated roots from its consumers
    if (columns > 1) {
      const lone = (i: number) => up[i]!.length === 0 && down[i]!.length === 0
      list = [...list.filter(lone), ...list.filter((i) => !lone(i))]
    }
    const rows = Math.ceil(list.length / columns)
    const offset = ((tallest - rows) * rowHeight) / 2
    for (let p = 0; p < list.length; p++) {
      const i = list[p]!
      x[i] = left + Math.floor(p / rows) * (nodeWidth + subColumnGap)
      y[i] = offset + (p % rows) * rowHeight
    }
    left += columns * (nodeWidth + subColumnGap) - subColumnGap + columnGap
  }
  return { x, y, width: Math.max(left - columnGap, 0), height: Math.max(tallest * rowHeight - rowGap, 0) }
}
