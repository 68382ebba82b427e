import { describe, expect, it } from "vitest"
import { boxClick, boxToExpand } from "../ui/src/GroupBoxes.ts"
import { arrange, boxHeader, groupInput, groupsOfOverview, membersOf } from "../ui/src/groups.ts"
import { layout, nodeHeight, nodeWidth } from "../ui/src/layout.ts"
import type { Layout } from "../ui/src/layout.ts"

// raw -> clean -> report, with a second group reading the first both ways
const shape = {
  keys: ["raw/a", "raw/b", "clean/a", "clean/b", "report/x"],
  group: ["raw", "raw", "clean", "clean", "report"],
  upstream: [[], [], [0], [1, 2], [2, 3, 0]]
}

// the server's overview of it (test/overview.test.ts checks the server's against the full graph)
const overview = {
  groups: [{ name: "raw", assets: 2 }, { name: "clean", assets: 2 }, { name: "report", assets: 1 }],
  edges: [0, 1, 1, 2, 0, 2],
  edgeCounts: [2, 2, 1]
}
const groupsOf = (value: typeof shape) => {
  const groups = groupsOfOverview(overview)
  return { groups, members: membersOf(value, groups)! }
}

describe("the graph by groups", () => {
  it("takes groups, their order and edges from the overview, and each asset's group from the shape", () => {
    const { groups, members } = groupsOf(shape)
    expect(groups.names).toEqual(["raw", "clean", "report"])
    expect(Array.from(groups.edges)).toEqual([0, 1, 1, 2, 0, 2])
    expect(Array.from(members.groupOf)).toEqual([0, 0, 1, 1, 2])
    expect(members.members.map((list) => Array.from(list))).toEqual([[0, 1], [2, 3], [4]])
    // a shape of another generation (another group, other sizes) does not fit the overview
    expect(membersOf({ ...shape, group: ["raw", "raw", "clean", "clean", "gold"] }, groups)).toBeUndefined()
    expect(membersOf({ ...shape, group: ["raw", "raw", "raw", "clean", "report"] }, groups)).toBeUndefined()
  })

  it("lays a group out on its own: only the edges inside it", () => {
    const { members } = groupsOf(shape)
    const input = groupInput(shape, members, 1)
    expect(input.map((node) => [node.key, node.upstream])).toEqual([["clean/a", []], ["clean/b", ["clean/a"]]])
    expect(layout(input).edges.length).toBe(2)
  })

  it("draws collapsed groups as boxes with no asset placed, and places an expanded group's assets inside its box", () => {
    const { groups, members } = groupsOf(shape)
    // before the shape is read: boxes from the overview alone
    const collapsed = arrange(groups, undefined, new Set(), new Map())
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
    const pending = arrange(groups, undefined, new Set([1]), new Map())
    expect(pending.boxes[1]!.pending).toBe(true)
    expect(pending.visible.length).toBe(0)

    const layouts = new Map<number, Layout>([[1, layout(groupInput(shape, members, 1))]])
    const open = arrange(groups, members, new Set([1]), layouts)
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
    const { groups, members } = groupsOf(shape)
    const layouts = new Map<number, Layout>([[1, layout(groupInput(shape, members, 1))]])
    const { boxes } = arrange(groups, members, new Set([1]), layouts)
    const raw = boxes[0]!
    const clean = boxes[1]!
    expect(boxClick(boxes, raw.x + 5, raw.y + raw.h - 5)?.name).toBe("raw")
    expect(boxClick(boxes, clean.x + 5, clean.y + 5)?.name).toBe("clean")
    expect(boxClick(boxes, clean.x + 5, clean.y + clean.h - 5)).toBeUndefined()
    expect(boxToExpand(boxes, raw.x + 5, raw.y + 5, 0.2, 1440)).toBeUndefined()
    expect(boxToExpand(boxes, raw.x + 5, raw.y + 5, 1.5, 1440)?.name).toBe("raw")
  })
})
