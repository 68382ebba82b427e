import { describe, expect, it } from "vitest"
import { boxClick, boxToExpand } from "../ui/src/GroupBoxes.ts"
import { arrange, boxHeader, groupInput, groupsOf } from "../ui/src/groups.ts"
import { layout, nodeHeight, nodeWidth } from "../ui/src/layout.ts"
import type { Layout } from "../ui/src/layout.ts"

// raw -> clean -> report, with a second group reading the first both ways
const shape = {
  keys: ["raw/a", "raw/b", "clean/a", "clean/b", "report/x"],
  group: ["raw", "raw", "clean", "clean", "report"],
  upstream: [[], [], [0], [1, 2], [2, 3, 0]]
}

describe("the graph by groups", () => {
  it("orders groups by depth, lists members in topological order and counts edges between groups once per pair", () => {
    const groups = groupsOf(shape)
    expect(groups.names).toEqual(["raw", "clean", "report"])
    expect(groups.members.map((list) => Array.from(list))).toEqual([[0, 1], [2, 3], [4]])
    const pairs = new Map<string, number>()
    for (let e = 0; e < groups.edges.length; e += 2) {
      pairs.set(`${groups.names[groups.edges[e]!]}>${groups.names[groups.edges[e + 1]!]}`, groups.edgeCounts[e / 2]!)
    }
    expect(Object.fromEntries(pairs)).toEqual({ "raw>clean": 2, "clean>report": 2, "raw>report": 1 })
  })

  it("lays a group out on its own: only the edges inside it", () => {
    const groups = groupsOf(shape)
    const input = groupInput(shape, groups, 1)
    expect(input.map((node) => [node.key, node.upstream])).toEqual([["clean/a", []], ["clean/b", ["clean/a"]]])
    expect(layout(input).edges.length).toBe(2)
  })

  it("draws collapsed groups as boxes with no asset placed, and places an expanded group's assets inside its box", () => {
    const groups = groupsOf(shape)
    const collapsed = arrange(groups, new Set(), new Map())
    expect(collapsed.boxes.map((box) => [box.name, box.count, box.expanded])).toEqual([
      ["raw", 2, false],
      ["clean", 2, false],
      ["report", 1, false]
    ])
    expect(collapsed.visible.length).toBe(0)
    expect(collapsed.geometry.edges.length).toBe(0)
    // boxes do not overlap
    for (const a of collapsed.boxes) {
      for (const b of collapsed.boxes) {
        if (a === b) continue
        expect(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y).toBe(true)
      }
    }
    // expanded but its layout not there yet: a pending box, still no asset
    const pending = arrange(groups, new Set([1]), new Map())
    expect(pending.boxes[1]!.pending).toBe(true)
    expect(pending.visible.length).toBe(0)

    const layouts = new Map<number, Layout>([[1, layout(groupInput(shape, groups, 1))]])
    const open = arrange(groups, new Set([1]), layouts)
    const box = open.boxes[1]!
    expect(box.expanded && !box.pending).toBe(true)
    expect(Array.from(open.visible)).toEqual([2, 3])
    for (let n = 0; n < open.visible.length; n++) {
      expect(open.geometry.x[n]!).toBeGreaterThanOrEqual(box.x)
      expect(open.geometry.x[n]! + nodeWidth).toBeLessThanOrEqual(box.x + box.w)
      expect(open.geometry.y[n]!).toBeGreaterThanOrEqual(box.y + boxHeader)
      expect(open.geometry.y[n]! + nodeHeight).toBeLessThanOrEqual(box.y + box.h)
    }
    // the edge clean/a -> clean/b, in indexes of the visible assets
    expect(Array.from(open.geometry.edges)).toEqual([0, 1])
    // the boxes after it moved right of the wider box
    expect(open.boxes[2]!.x).toBeGreaterThanOrEqual(box.x + box.w)
  })

  it("a click opens a collapsed box anywhere and closes an expanded one only on its title; zooming in opens a box", () => {
    const groups = groupsOf(shape)
    const layouts = new Map<number, Layout>([[1, layout(groupInput(shape, groups, 1))]])
    const { boxes } = arrange(groups, new Set([1]), layouts)
    const raw = boxes[0]!
    const clean = boxes[1]!
    expect(boxClick(boxes, raw.x + 5, raw.y + raw.h - 5)?.name).toBe("raw")
    expect(boxClick(boxes, clean.x + 5, clean.y + 5)?.name).toBe("clean")
    expect(boxClick(boxes, clean.x + 5, clean.y + clean.h - 5)).toBeUndefined()
    expect(boxToExpand(boxes, raw.x + 5, raw.y + 5, 0.2, 1440)).toBeUndefined()
    expect(boxToExpand(boxes, raw.x + 5, raw.y + 5, 1.5, 1440)?.name).toBe("raw")
  })
})
