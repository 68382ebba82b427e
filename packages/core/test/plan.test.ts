import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import type { Event } from "../src/index.ts"
import { Asset, ExecutionPlan, InMemoryIO, Instance, Materialize, Project, SourceAsset, StepRequest } from "../src/index.ts"

// Plans are data: made once, walked by the coordinator, and derived from a past run by one re-execution rule.
describe("execution plans", () => {
  const source = SourceAsset.make("raw", { observe: Effect.succeed({ dataVersion: "v1" }), load: () => Effect.succeed(3) })
  const a = Asset.make("a", { deps: { source } }, ({ source }) => Effect.succeed(source + 1))
  const b = Asset.make("b", { deps: { a } }, ({ a }) => Effect.succeed(a * 2))
  const c = Asset.make("c", { deps: { b } }, ({ b }) => Effect.succeed(b + 1))
  const d = Asset.make("d", { deps: { a } }, ({ a }) => Effect.succeed(a - 1))
  const project = Project.make({ assets: [source, a, b, c, d] })

  const run = (status: "succeeded" | "failed" | "canceled" | "started"): Instance.RunRecord => ({
    runId: "parent",
    selection: "*",
    assetKeys: ["raw", "a", "b", "c", "d"],
    staleOnly: false,
    tags: {},
    createdAt: 0,
    status
  })
  let id = 0
  const event = (e: Event.StrataEvent): Event.StoredEvent => ({ ...e, id: ++id }) as Event.StoredEvent
  const base = { runId: "parent", timestamp: 0, partition: undefined }
  const succeeded = (key: string) => event({ ...base, type: "step-succeeded", assetKey: key, attempt: 1, durationMs: 1 })
  const failed = (key: string) =>
    event({ ...base, type: "step-failed", assetKey: key, attempt: 1, durationMs: 1, error: { tag: "E", message: "boom" }, willRetry: false })
  const skipped = (key: string, kind: Event.SkipKind) => event({ ...base, type: "step-skipped", assetKey: key, kind, reason: kind })

  it("plans the selection in topological order, observing the sources it reads, with step kinds", () => {
    const plan = ExecutionPlan.makeSync(project, { selection: "b+" })
    expect(plan.steps.map((step) => [step.key, step.stepKind])).toEqual([["b", "materialize"], ["c", "materialize"]])
    const all = ExecutionPlan.makeSync(project)
    // the graph's topological order (layer by layer)
    expect(all.steps.map((step) => step.key)).toEqual(["raw", "a", "b", "d", "c"])
    expect(all.steps[0]!.stepKind).toBe("observe")
    expect(all.steps[1]!.upstream).toEqual([0])
    expect(all.steps[1]!.downstream).toEqual([2, 3])
    expect(all.steps[4]!.upstream).toEqual([2])
    expect(ExecutionPlan.makeSync(project, { selection: "a" }).steps.map((step) => step.key)).toEqual(["raw", "a"])
  })

  it.effect("re-executes from failure: the steps that are not done, whatever their kind", () =>
    Effect.gen(function*() {
      // raw observed, a materialized, b failed, c skipped (upstream failed), d skipped as up to date
      const events = [succeeded("raw"), succeeded("a"), failed("b"), skipped("c", "upstream-failed"), skipped("d", "not-stale")]
      const plan = yield* ExecutionPlan.fromRun(project, run("failed"), events, "failure")
      // b and c re-run; raw (observed: a succeeded observation step is done) and d (not stale) are done. The
      // sources b reads are observed again only when b reads them directly (it does not)
      expect(plan.steps.map((step) => step.key)).toEqual(["b", "c"])
      expect(plan).toMatchObject({ selection: "*", parentRunId: "parent", staleOnly: false })
      const everything = yield* ExecutionPlan.fromRun(project, run("failed"), events, "all")
      expect(everything.steps.map((step) => step.key)).toEqual(["raw", "a", "b", "d", "c"])
    }))

  it.effect("a canceled run re-executes what was running and what never started; a failed observation re-observes", () =>
    Effect.gen(function*() {
      const canceled = [failed("raw"), skipped("a", "canceled"), skipped("b", "canceled")]
      const plan = yield* ExecutionPlan.fromRun(project, run("canceled"), canceled, "failure")
      expect(plan.steps.map((step) => [step.key, step.stepKind])).toEqual([
        ["raw", "observe"],
        ["a", "materialize"],
        ["b", "materialize"],
        ["d", "materialize"],
        ["c", "materialize"]
      ])
    }))

  it.effect("refuses runs that are unknown, still going, or have nothing left, naming the run", () =>
    Effect.gen(function*() {
      const unknown = yield* Effect.exit(ExecutionPlan.fromRun(project, undefined, [], "failure", "nope"))
      expect(unknown).toEqual(Exit.fail(new ExecutionPlan.ReexecutionError({ runId: "nope", message: "run nope does not exist; list runs with 'strata runs'" })))
      const going = yield* Effect.flip(ExecutionPlan.fromRun(project, run("started"), [], "failure"))
      expect(going.message).toBe("run parent is still started; wait for it to finish or cancel it")
      const done = yield* Effect.flip(
        ExecutionPlan.fromRun(project, run("succeeded"), ["raw", "a", "b", "c", "d"].map(succeeded), "failure")
      )
      expect(done.message).toBe("run parent has no failed or skipped step to re-execute")
    }))

  it.effect("Materialize re-executes through the same rule, and records the parent", () =>
    Effect.gen(function*() {
      let fail = true
      const flaky = Asset.make("flaky", { deps: { a } }, ({ a }) => fail ? Effect.fail(new Error("down")) : Effect.succeed(a))
      const after = Asset.make("after", { deps: { flaky } }, ({ flaky }) => Effect.succeed(flaky))
      const withFlaky = Project.make({ assets: [source, a, flaky, after] })
      const first = yield* Materialize.materialize(withFlaky)
      expect(first.status).toBe("failed")
      fail = false
      const again = yield* Materialize.materialize(withFlaky, { reexecute: { runId: first.runId } })
      expect(again.status).toBe("succeeded")
      // raw and a succeeded in the first run: only flaky and after run (raw is observed again: flaky reads a, not raw)
      expect(again.materialized).toEqual(["flaky", "after"])
      const instance = yield* Instance.Instance
      expect((yield* instance.getRun(again.runId))?.parentRunId).toBe(first.runId)
    }).pipe(Effect.provide(InMemoryIO.layer), Effect.provide(Instance.layerMemory)))

  it("step requests round-trip through JSON with their Schema; a bad field is named", () => {
    const request: StepRequest.StepRequest = {
      runId: "r",
      assetKey: "gold/metrics",
      stepKind: "materialize",
      partitions: ["2024-01-01"],
      attempt: 2,
      inputVersions: { "silver/users": "abc" }
    }
    expect(StepRequest.fromJson(StepRequest.toJson(request))).toEqual(request)
    expect(() => StepRequest.fromJson(JSON.stringify({ ...request, attempt: "2" }))).toThrow(/attempt/)
    expect(() => StepRequest.fromJson(JSON.stringify({ ...request, stepKind: "delete" }))).toThrow(/stepKind/)
  })
})

describe("interrupting a run", () => {
  it.effect("at any point records it canceled, never leaves it queued or started", () =>
    Effect.gen(function*() {
      const never = Asset.make("never", {}, () => Effect.never)
      const project = Project.make({ assets: [never] })
      const instance = yield* Instance.Instance
      const recorded: Array<string> = []
      for (const yields of [0, 1, 2, 5, 20, 100]) {
        const runId = `interrupted-${yields}`
        const fiber = yield* Effect.forkChild(Materialize.materialize(project, { runId }))
        for (let i = 0; i < yields; i++) yield* Effect.yieldNow
        yield* Fiber.interrupt(fiber)
        const run = yield* instance.getRun(runId)
        // interrupted before the run was recorded: nothing at all; after: canceled
        if (run !== undefined) recorded.push(`${yields}: ${run.status}`)
      }
      expect(recorded.length, "some runs were interrupted after they were recorded").toBeGreaterThan(0)
      expect(recorded.filter((entry) => !entry.endsWith(": canceled"))).toEqual([])
    }).pipe(Effect.provide(InMemoryIO.layer), Effect.provide(Instance.layerMemory)))
})
