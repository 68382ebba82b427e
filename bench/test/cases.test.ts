import * as fs from "node:fs"
import * as os from "node:os"
import { describe, expect, it } from "@effect/vitest"
import { AssetGraph, Project } from "@strata/core"
import { runScript } from "../src/runner.ts"
import * as Workload from "../src/workload.ts"

describe("workload", () => {
  it("builds N assets in 10 layers with the documented edges", () => {
    const assets = Workload.make(30)
    expect(assets).toHaveLength(30)
    const a = assets.find((asset) => asset.key === "a_4_2")!
    expect(Object.values(a.deps).map((dep) => dep.key)).toEqual(["a_3_2", "a_3_0"])
    expect(() => Workload.make(25)).toThrow(/multiple of 10/)
  })

  it("derives the downstream cone without the graph, and it matches the graph's", () => {
    for (const n of [10, 30, 1000]) {
      const project = Project.make({ assets: Workload.make(n) })
      const mask = AssetGraph.downstreamClosure(project.graph, [project.graph.index.get("a_0_0")!])
      const fromGraph = new Set<string>(project.graph.nodes.filter((_, i) => mask[i] === 1).map((node) => node.key))
      fromGraph.delete("a_0_0")
      expect(Workload.downstreamCone(n, 0)).toEqual(fromGraph)
    }
    // width 100: layer l reaches l + 1 assets, so 2 + 3 + ... + 10
    expect(Workload.downstreamCone(1000, 0).size).toBe(54)
    // width 3: from layer 2 on, the whole layer
    expect(Workload.downstreamCone(30, 0).size).toBe(2 + 3 * 8)
  })

  it("knows the value of each layer", () => {
    expect(Workload.expectedValue(0)).toBe(1)
    expect(Workload.expectedValue(9)).toBe(512)
    expect(Workload.expectedValue(9, 2)).toBe(24)
  })
})

describe("case scripts (real node processes, sources)", () => {
  it("mem materializes every asset", async () => {
    const figures = await runScript("bench/src/cases/mem.ts", 100, { source: true, timeoutMs: 30_000 })
    expect(figures.materialize_s).toBeTypeOf("number")
    expect(figures.per_asset_ms).toBeCloseTo(((figures.materialize_s as number) * 1000) / 100, 2)
  })

  it("mat reports its system time and what creating a file cost in its folder", async () => {
    const figures = await runScript("bench/src/cases/mat.ts", 100, { source: true, timeoutMs: 30_000 })
    expect(figures.materialize_sys_s).toBeLessThanOrEqual(figures.materialize_cpu_s as number)
    expect(figures.file_create_sys_us).toBeTypeOf("number")
    expect(figures.file_create_wall_us).toBeGreaterThan(0)
  })

  it("files creates files in fresh folders and leaves none behind", async () => {
    const before = new Set(fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith("strata-bench-files-")))
    const figures = await runScript("bench/src/cases/files.ts", 50, { source: false, timeoutMs: 30_000 })
    expect(figures.n).toBe(50)
    for (const name of ["create_cpu_us", "create_sys_us", "create_after_delete_cpu_us", "create_after_delete_sys_us"]) {
      expect(figures[name]).toBeGreaterThanOrEqual(0)
    }
    expect(figures.create_wall_us).toBeGreaterThan(0)
    const left = fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith("strata-bench-files-") && !before.has(name))
    expect(left).toEqual([])
  })

  it("stale (memory) finds nothing stale after a full run and exactly the cone after a root change", async () => {
    const figures = await runScript("bench/src/cases/stale.ts", 100, { source: true, timeoutMs: 30_000, extraArgs: ["memory"] })
    expect(figures.stale_after_full_count).toBe(0)
    expect(figures.stale_after_root_count).toBe(Workload.downstreamCone(100, 0).size)
  })

  it("part counts scattered partitions from ranges and stores one row per range", async () => {
    const figures = await runScript("bench/src/cases/part.ts", 10_000, { source: true, timeoutMs: 60_000 })
    // 100 stretches of 50 materialized, 10 failed: 110 ranges, not 5,010 rows
    expect(figures.status_ranges).toBe(110)
    expect(figures.plan_partitions).toBe(10_000)
    expect(figures.backfill_runs).toBe(5_000)
  })
})
