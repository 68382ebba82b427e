/** The instance conformance suite: cancel requests. */
import { describe, expect } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import * as Asset from "../../Asset.ts"
import * as InMemoryIO from "../../InMemoryIO.ts"
import { Instance } from "../../Instance.ts"
import * as Materialize from "../../Materialize.ts"
import * as Project from "../../Project.ts"
import type { ConformanceTest } from "./shared.ts"
import { defined, expectCancelRefused, freshRunId, materialized, newRun } from "./shared.ts"

/** Registers the "cancel requests" tests. */
export const cancelRequestsConformance = (test: ConformanceTest): void => {
  describe("cancel requests", () => {
    requestCases(test)
    executorCases(test)
  })
}

/** Recording, repeating and refusing requests. */
const requestCases = (test: ConformanceTest): void => {
  test("requestCancel records who asked on a started run; the status stays until the executor acts", (instance) =>
    Effect.gen(function*() {
      const runId = freshRunId("cancel")
      const other = freshRunId("cancel-other")
      yield* instance.createRun(newRun(runId, { host: "host-a", pid: 4242 }))
      yield* instance.createRun(newRun(other))
      yield* instance.appendEvents([
        { type: "run-started", runId, timestamp: 10 },
        { type: "run-started", runId: other, timestamp: 10 }
      ])
      expect(yield* instance.cancelRequest(runId)).toBeUndefined()
      const requested = yield* instance.requestCancel(runId, { at: 1_700_000_000_000.5, reason: "canceled from the catalog (pid 7)" })
      expect([requested.runId, requested.status, requested.cancelRequestedAt, requested.cancelReason]).toEqual([
        runId,
        "started",
        1_700_000_000_000.5,
        "canceled from the catalog (pid 7)"
      ])
      const stored = (yield* instance.getRun(runId))!
      expect(defined(stored)).toEqual(defined(requested))
      expect(stored.status).toBe("started")
      expect(defined(yield* instance.cancelRequest(runId))).toEqual({ at: 1_700_000_000_000.5, reason: "canceled from the catalog (pid 7)" })
      // only that run
      expect(yield* instance.cancelRequest(other)).toBeUndefined()
      expect((yield* instance.getRun(other))!.cancelRequestedAt).toBeUndefined()
      const listed = (yield* instance.listRuns({ status: "started" })).find((run) => run.runId === runId)!
      expect(listed.cancelRequestedAt).toBe(1_700_000_000_000.5)
    }))

  test("the first request is kept; repeating it changes nothing; a queued run may be canceled too", (instance) =>
    Effect.gen(function*() {
      const runId = freshRunId("cancel-twice")
      yield* instance.createRun(newRun(runId))
      const first = yield* instance.requestCancel(runId, { at: 100 })
      expect(first.status).toBe("queued")
      expect(first.cancelRequestedAt).toBe(100)
      expect(first.cancelReason).toBeUndefined()
      const again = yield* instance.requestCancel(runId, { at: 200, reason: "second" })
      expect([again.cancelRequestedAt, again.cancelReason]).toEqual([100, undefined])
      expect(defined(yield* instance.cancelRequest(runId))).toEqual({ at: 100 })
    }))

  test("an unknown run and a finished run are refused with CancelRequestError", (instance) =>
    Effect.gen(function*() {
      const missing = expectCancelRefused(yield* Effect.exit(instance.requestCancel("no-such-run", { at: 1 })), "not-found")
      expect(missing.runId).toBe("no-such-run")
      expect(missing.message).toContain("does not exist")
      expect(yield* instance.cancelRequest("no-such-run")).toBeUndefined()
      const done = freshRunId("cancel-done")
      yield* instance.createRun(newRun(done))
      yield* instance.appendEvents([
        { type: "run-started", runId: done, timestamp: 1 },
        { type: "run-succeeded", runId: done, timestamp: 2 }
      ])
      const finished = expectCancelRefused(yield* Effect.exit(instance.requestCancel(done, { at: 3 })), "finished")
      expect(finished.status).toBe("succeeded")
      expect(finished.message).toContain("already succeeded")
      const run = (yield* instance.getRun(done))!
      expect([run.status, run.cancelRequestedAt]).toEqual(["succeeded", undefined])
    }))

  test("a canceled run keeps its request; asking again is refused as finished", (instance) =>
    Effect.gen(function*() {
      const runId = freshRunId("cancel-ended")
      yield* instance.createRun(newRun(runId))
      yield* instance.appendEvents([{ type: "run-started", runId, timestamp: 1 }])
      yield* instance.requestCancel(runId, { at: 2, reason: "from the cli" })
      yield* instance.appendEvents([{ type: "run-canceled", runId, timestamp: 3, reason: "from the cli" }])
      const run = (yield* instance.getRun(runId))!
      expect([run.status, run.reason, run.cancelRequestedAt, run.cancelReason]).toEqual(["canceled", "from the cli", 2, "from the cli"])
      expectCancelRefused(yield* Effect.exit(instance.requestCancel(runId, { at: 4 })), "finished")
    }))

}

/** The executor acting on a request. */
const executorCases = (test: ConformanceTest): void => {
  test("materialize sees a request recorded through the instance and ends the run canceled", (instance) =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const fast = Asset.make("fast", {}, () => Effect.succeed(1))
      const slow = Asset.make("slow", { deps: { fast } }, () => Deferred.succeed(started, undefined).pipe(Effect.andThen(Effect.never)))
      const after = Asset.make("after", { deps: { slow } }, () => Effect.succeed(2))
      const runId = freshRunId("cancel-materialize")
      const fiber = yield* Effect.forkChild(
        Materialize.materialize(Project.make({ assets: [fast, slow, after] }), { runId }).pipe(
          Effect.provide(InMemoryIO.layer),
          Effect.provideService(Instance, instance)
        )
      )
      yield* Deferred.await(started)
      const asked = Date.now()
      yield* instance.requestCancel(runId, { at: asked, reason: "canceled by the conformance suite" })
      const result = yield* Fiber.join(fiber)
      expect(Date.now() - asked).toBeLessThan(5_000)
      expect(result.status).toBe("canceled")
      expect(result.materialized).toEqual(["fast"])
      expect(result.failed.map((f) => [f.key, f.error.tag])).toEqual([["slow", "Interrupted"]])
      expect(result.skipped.map((s) => [s.key, s.kind])).toEqual([["after", "canceled"]])
      const run = (yield* instance.getRun(runId))!
      expect([run.status, run.reason]).toEqual(["canceled", "canceled by the conformance suite"])
      const events = yield* instance.runEvents(runId)
      expect(events.at(-1)).toMatchObject({ type: "run-canceled", reason: "canceled by the conformance suite" })
      expect(events.find((e) => e.type === "step-failed")).toMatchObject({ assetKey: "slow", error: { tag: "Interrupted" } })
      expect(events.find((e) => e.type === "step-skipped")).toMatchObject({ assetKey: "after", kind: "canceled" })
    }))
}
