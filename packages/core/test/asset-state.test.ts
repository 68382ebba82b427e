import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Asset, AssetState, InMemoryIO, Instance, Materialize, Project } from "../src/index.ts"
import type { AssetRecord, RunRecord } from "../src/Instance.ts"

const a = Asset.make("a", {}, () => Effect.succeed(1))
const b = Asset.make("b", { deps: { a } }, ({ a }) => process.env.STRATA_TEST_FAIL_B === "1" ? Effect.fail(new Error("b broke\nstack")) : Effect.succeed(a + 1))
const c = Asset.make("c", { deps: { b } }, ({ b }) => Effect.succeed(b + 1))
const project = Project.make({ assets: [a, b, c] })

const run = (runId: string, status: RunRecord["status"], assetKeys: Array<string>): RunRecord => ({
  runId,
  status,
  assetKeys,
  selection: "*",
  staleOnly: false,
  tags: {},
  createdAt: 0
} as unknown as RunRecord)

describe("AssetState", () => {
  it("runningSteps: the steps of active runs not yet materialized or failed by them, skipping the runs asked", () => {
    const records = new Map<string, AssetRecord>([
      ["a", { assetKey: "a", materialization: { runId: "r1" } } as unknown as AssetRecord],
      ["b", { assetKey: "b", failure: { runId: "r1", eventId: 1, timestamp: 1, error: { tag: "E", message: "x" } } }]
    ])
    const runs = [run("r1", "started", ["a", "b", "c"]), run("r0", "succeeded", ["a"]), run("r2", "queued", ["a", "c"])]
    expect([...AssetState.runningSteps(records, runs)]).toEqual([["c", "r1"], ["a", "r2"]])
    expect([...AssetState.runningSteps(records, runs, (id) => id === "r1")]).toEqual([["a", "r2"], ["c", "r2"]])
  })

  it.effect("read: failed with the first line of the error and its run, running over failed, else staleness", () =>
    Effect.gen(function*() {
      process.env.STRATA_TEST_FAIL_B = "1"
      const failed = yield* Materialize.materialize(project)
      delete process.env.STRATA_TEST_FAIL_B
      const states = yield* AssetState.read(project)
      expect(states.map((s) => [s.key, s.status])).toEqual([["a", "fresh"], ["b", "failed"], ["c", "missing"]])
      const b = states[1]!
      expect(b.failure).toEqual({ runId: failed.runId, tag: "Error", message: "b broke", timestamp: expect.any(Number) })
      expect(b.staleness).toBe("missing")
      expect(AssetState.describe(b)).toBe(`b broke (run ${failed.runId})`)
      const running = AssetState.combine(
        states.map((s) => ({ key: s.key, kind: s.kind, status: s.staleness, reasons: s.reasons })),
        new Map(),
        new Map([["b", "r9"]])
      )
      expect(running.map((s) => s.status)).toEqual(["fresh", "running", "missing"])
      expect(AssetState.describe(running[1]!)).toBe("in run r9")
      yield* Materialize.materialize(project)
      expect((yield* AssetState.read(project, { selection: "b" })).map((s) => s.status)).toEqual(["fresh"])
    }).pipe(Effect.provide(Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory))))
})
