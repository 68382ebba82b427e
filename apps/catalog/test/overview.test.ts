/**
 * `GET /api/graph/overview` against the full graph it sums up: its groups
 * (order, sizes, assets by status, failing checks) and the edges between
 * them are what `GET /api/graph` and `GET /api/statuses` (and the check
 * summary) of the same generation give, before and after a run.
 */
import { Asset, Check, InMemoryIO, Instance, Output, Project } from "@strata/core"
import { CheckModels, Models } from "@strata/protocol"
import { Effect, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import { makeBigProject } from "./bigProject.ts"
import { call, readEvents } from "./helpers.ts"
import { testUiDir } from "./paths.ts"

const decode = <S extends Schema.Top>(schema: S, value: unknown): S["Type"] =>
  Schema.decodeUnknownSync(schema as any)(value) as S["Type"]

/** The overview computed here from the full answers: groups by the mean depth of their assets, then name. */
const expectedOverview = (
  structure: Models.GraphStructure,
  statuses: Models.StatusSnapshot,
  checks: CheckModels.CheckSummary
) => {
  const depth: Array<number> = []
  const groups = new Map<string, { assets: number; depthSum: number; counts: Record<string, number>; failingChecks: number }>()
  const failing = new Set(checks.assets.filter((asset) => asset.failed > 0).map((asset) => asset.key))
  structure.keys.forEach((key, i) => {
    depth[i] = Math.max(0, ...Models.upstreamOf(structure, i).map((j) => depth[j]! + 1))
    const group = groups.get(structure.group[i]!) ??
      groups.set(structure.group[i]!, { assets: 0, depthSum: 0, counts: {}, failingChecks: 0 }).get(structure.group[i]!)!
    group.assets++
    group.depthSum += depth[i]!
    group.counts[statuses.status[i]!] = (group.counts[statuses.status[i]!] ?? 0) + 1
    if (failing.has(key)) group.failingChecks++
  })
  const order = [...groups.entries()].sort(([a, x], [b, y]) => x.depthSum / x.assets - y.depthSum / y.assets || (a < b ? -1 : 1))
  const edges = new Map<string, number>()
  structure.keys.forEach((_, i) => {
    for (const j of Models.upstreamOf(structure, i)) {
      if (structure.group[j] === structure.group[i]) continue
      const pair = `${structure.group[j]} > ${structure.group[i]}`
      edges.set(pair, (edges.get(pair) ?? 0) + 1)
    }
  })
  return {
    groups: order.map(([name, group]) => ({ name, assets: group.assets, counts: group.counts, failingChecks: group.failingChecks })),
    edges: Object.fromEntries(edges)
  }
}

/** The overview's edges as `upstream group > downstream group` → count. */
const edgesByName = (overview: Models.GraphOverview) => {
  const result: Record<string, number> = {}
  for (let e = 0; e < overview.edges.length; e += 2) {
    result[`${overview.groups[overview.edges[e]!]!.name} > ${overview.groups[overview.edges[e + 1]!]!.name}`] = overview.edgeCounts[e / 2]!
  }
  return result
}

/** The overview and the full answers, checked against each other; the overview is returned. */
const compare = async (url: string) => {
  const overview = decode(Models.GraphOverview, (await call(url, "/api/graph/overview")).body)
  const graph = await fetch(`${url}/api/graph`)
  const structure = decode(Models.GraphStructure, await graph.json())
  const statuses = decode(Models.StatusSnapshot, (await call(url, "/api/statuses")).body)
  const checks = decode(CheckModels.CheckSummary, (await call(url, "/api/checks/summary")).body)
  expect(overview.generation).toBe(structure.generation)
  expect(statuses.generation).toBe(structure.generation)
  // the hash names the same shape as the ETag of /api/graph
  expect(graph.headers.get("etag")).toBe(`"strata-graph-${structure.generation}-${overview.hash}"`)
  expect(overview.assets).toBe(structure.keys.length)
  const expected = expectedOverview(structure, statuses, checks)
  expect(overview.groups).toEqual(expected.groups)
  expect(edgesByName(overview)).toEqual(expected.edges)
  // each pair of groups once
  expect(Object.keys(edgesByName(overview))).toHaveLength(overview.edgeCounts.length)
  return overview
}

const runToEnd = async (url: string, selection: string) => {
  const launched = decode(Models.Launched, (await call(url, "/api/runs", { method: "POST", body: { selection } })).body)
  await readEvents(`${url}/api/runs/${launched.runId}/events`)
}

describe("GET /api/graph/overview", () => {
  let big: RunningCatalog
  let small: RunningCatalog
  beforeAll(async () => {
    const { project } = makeBigProject(3_000)
    // raw/users (a failing blocking check) -> clean/users -> gold/report, and raw/events -> gold/report
    const users = Asset.make("raw/users", { group: "raw" }, () => Effect.succeed(Output.make([{ id: 1 }, { id: 1 }])))
    const events = Asset.make("raw/events", { group: "raw" }, () => Effect.succeed(1))
    const clean = Asset.make("clean/users", { deps: { users }, group: "clean" }, () => Effect.succeed(1))
    const report = Asset.make("gold/report", { deps: { clean, events }, group: "gold" }, () => Effect.succeed(1))
    const checked = Project.make({ assets: [users, events, clean, report], checks: [Check.unique(users, "id")] })
    ;[big, small] = await Promise.all([
      startCatalog({ load: () => Promise.resolve({ project, layer: InMemoryIO.layer }), instance: Instance.layerMemory, uiDir: testUiDir, port: 0 }),
      startCatalog({ load: () => Promise.resolve({ project: checked, layer: InMemoryIO.layer }), instance: Instance.layerMemory, uiDir: testUiDir, port: 0 })
    ])
  })
  afterAll(async () => {
    await big?.close()
    await small?.close()
  })

  it("sums up 3,000 assets by group as the full graph and statuses give them, before and after a run", async () => {
    const before = await compare(big.url)
    expect(before.groups.map((group) => group.name)).toEqual(["group_0", "group_1", "group_2", "group_3", "group_4"])
    expect(before.groups.every((group) => group.counts["missing"] === 600)).toBe(true)
    await runToEnd(big.url, "key:layer0*")
    const after = await compare(big.url)
    // layers 00-09 materialized: half of each group fresh
    expect(after.groups.map((group) => group.counts)).toEqual(before.groups.map(() => ({ fresh: 300, missing: 300 })))
    expect(after.hash).toBe(before.hash)
    // a few KB where the shape is ~100 bytes an asset
    expect(JSON.stringify(after).length).toBeLessThan(2_000)
  })

  it("orders groups by depth, counts edges between them once per pair and counts failing checks", async () => {
    await runToEnd(small.url, "*")
    const overview = await compare(small.url)
    expect(overview.groups).toEqual([
      { name: "raw", assets: 2, counts: { "check-failed": 1, fresh: 1 }, failingChecks: 1 },
      { name: "clean", assets: 1, counts: { missing: 1 }, failingChecks: 0 },
      { name: "gold", assets: 1, counts: { missing: 1 }, failingChecks: 0 }
    ])
    expect(edgesByName(overview)).toEqual({ "raw > clean": 1, "clean > gold": 1, "raw > gold": 1 })
  })
})
