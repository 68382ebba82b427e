/** The instance conformance suite: retention. */
import { hostname } from "node:os"
import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import type { ConformanceTest } from "./shared.ts"
import { freshRunId, materialized, newRun } from "./shared.ts"

/** Registers the "retention" tests. */
export const retentionConformance = (test: ConformanceTest): void => {
  describe("retention", () => {
    pruneCases(test)
    wipeCases(test)
  })
}

/** Pruning old runs and old materializations, never the latest. */
const pruneCases = (test: ConformanceTest): void => {
  test("prune endedBefore deletes old finished runs and their events, keeping every latest materialization and observation", (instance) =>
    Effect.gen(function*() {
      const old = freshRunId("old")
      const oldRunning = freshRunId("old-running")
      const recent = freshRunId("recent")
      yield* instance.createRun(newRun(old, { createdAt: 100 }))
      yield* instance.createRun(newRun(oldRunning, { createdAt: 100, host: hostname(), pid: process.pid }))
      yield* instance.createRun(newRun(recent, { createdAt: 5000 }))
      yield* instance.appendEvents([
        { type: "run-started", runId: old, timestamp: 100 },
        materialized(old, "kept-latest", { dataVersion: "only" }),
        materialized(old, "replaced", { dataVersion: "old" }),
        { type: "asset-observed", runId: old, timestamp: 150, assetKey: "src", metadata: {}, dataVersion: "obs" },
        { type: "log", runId: old, timestamp: 150, level: "info", message: "gone" },
        { type: "run-succeeded", runId: old, timestamp: 200 },
        { type: "run-started", runId: oldRunning, timestamp: 100 },
        { type: "run-started", runId: recent, timestamp: 5000 },
        materialized(recent, "replaced", { dataVersion: "new" }),
        { type: "run-succeeded", runId: recent, timestamp: 6000 }
      ])
      const before = (yield* instance.events()).length
      const result = yield* instance.prune({ endedBefore: 1000 })
      expect(result.runs).toBe(1)
      // run-started, replaced, log, run-succeeded of the old run; kept-latest and the observation stay
      expect(result.events).toBe(4)
      expect((yield* instance.events()).length).toBe(before - 4)
      expect(yield* instance.getRun(old)).toBeUndefined()
      expect((yield* instance.getRun(oldRunning))!.status).toBe("started")
      expect((yield* instance.getRun(recent))!.status).toBe("succeeded")
      const index = yield* instance.assets()
      expect(index.get("kept-latest")!.materialization!.dataVersion).toBe("only")
      expect(index.get("replaced")!.materialization!.dataVersion).toBe("new")
      expect(index.get("src")!.observation!.dataVersion).toBe("obs")
      expect((yield* instance.history("kept-latest")).map((r) => r.dataVersion)).toEqual(["only"])
      expect((yield* instance.history("replaced")).map((r) => r.dataVersion)).toEqual(["new"])
      expect((yield* instance.listRuns()).map((r) => r.runId).sort()).toEqual([oldRunning, recent].sort())
    }))

  test("prune keepMaterializationsPerAsset trims history per asset and partition, never the latest", (instance) =>
    Effect.gen(function*() {
      for (let i = 0; i < 5; i++) {
        const runId = freshRunId(`keep${i}`)
        yield* instance.createRun(newRun(runId))
        yield* instance.appendEvents([
          materialized(runId, "k", { dataVersion: `k${i}` }),
          materialized(runId, "k", { partition: "p", dataVersion: `p${i}` }),
          ...(i < 2 ? [materialized(runId, "short", { dataVersion: `s${i}` })] : [])
        ])
      }
      const result = yield* instance.prune({ keepMaterializationsPerAsset: 2 })
      expect(result.runs).toBe(0)
      expect(result.events).toBe(6)
      expect((yield* instance.history("k")).map((r) => r.dataVersion)).toEqual(["p4", "k4", "p3", "k3"])
      expect((yield* instance.history("short")).map((r) => r.dataVersion)).toEqual(["s1", "s0"])
      expect((yield* instance.assets(["k"])).get("k")!.materialization!.dataVersion).toBe("k4")
      expect((yield* instance.partitions("k")).get("p")!.dataVersion).toBe("p4")
      const again = yield* instance.prune({ keepMaterializationsPerAsset: 1 })
      expect(again.events).toBe(3)
      expect((yield* instance.history("k")).map((r) => r.dataVersion)).toEqual(["p4", "k4"])
      expect((yield* instance.prune({ keepMaterializationsPerAsset: 0 })).events).toBe(0)
    }))
}

/** Wiping the history of some assets. */
const wipeCases = (test: ConformanceTest): void => {
  test("wipeAssets forgets history and index entries of the given assets only", (instance) =>
    Effect.gen(function*() {
      const runId = freshRunId("wipe")
      yield* instance.createRun(newRun(runId))
      yield* instance.appendEvents([
        materialized(runId, "gone"),
        materialized(runId, "gone", { partition: "p" }),
        materialized(runId, "stays"),
        { type: "asset-observed", runId, timestamp: 1, assetKey: "gone-src", metadata: {}, dataVersion: "v" },
        { type: "log", runId, timestamp: 1, level: "info", message: "kept" }
      ])
      yield* instance.wipeAssets(["gone", "gone-src"])
      const index = yield* instance.assets()
      expect([...index.keys()]).toEqual(["stays"])
      expect((yield* instance.partitions("gone")).size).toBe(0)
      expect(yield* instance.history("gone")).toEqual([])
      expect((yield* instance.history("stays")).length).toBe(1)
      const events = yield* instance.runEvents(runId)
      expect(events.map((event) => event.type)).toEqual(["asset-materialized", "log"])
      yield* instance.wipeAssets([])
      expect((yield* instance.assets()).size).toBe(1)
    }))
}
