/** The instance conformance suite: orphaned runs. */
import { hostname } from "node:os"
import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import type { ConformanceTest } from "./shared.ts"
import { deadPid, freshRunId, materialized, newRun, stepStarted } from "./shared.ts"

/** Registers the "orphaned runs" tests. */
export const orphanedRunsConformance = (test: ConformanceTest): void => {
  describe("orphaned runs", () => {
    deadProcessCases(test)
    heartbeatCases(test)
  })
}

/** Runs whose process on this host is dead: failed at once, or canceled when a cancel was asked for. */
const deadProcessCases = (test: ConformanceTest): void => {
  test("a run whose process on this host is dead is failed at once, with a reason naming the pid", (instance) =>
    Effect.gen(function*() {
      const host = hostname()
      const pid = deadPid()
      const orphan = freshRunId("orphan")
      const alive = freshRunId("alive")
      const done = freshRunId("done")
      const now = Date.now()
      yield* instance.createRun(newRun(orphan, { host, pid, createdAt: now }))
      yield* instance.createRun(newRun(alive, { host, pid: process.pid, createdAt: now }))
      yield* instance.createRun(newRun(done, { host, pid, createdAt: now }))
      yield* instance.appendEvents([
        { type: "run-started", runId: orphan, timestamp: now },
        stepStarted(orphan, "finished"),
        materialized(orphan, "finished"),
        { type: "step-succeeded", runId: orphan, timestamp: now, assetKey: "finished", attempt: 1, durationMs: 1 },
        stepStarted(orphan, "in-flight", 2),
        stepStarted(orphan, "in-flight-partition", 1, "p1"),
        { type: "run-started", runId: alive, timestamp: now },
        { type: "run-started", runId: done, timestamp: now },
        { type: "run-succeeded", runId: done, timestamp: now }
      ])
      const reaped = yield* instance.reapOrphanedRuns({ now: now + 1000, heartbeatTimeoutMs: 60_000, host })
      expect(reaped.map((run) => run.runId)).toEqual([orphan])
      expect(reaped[0]!.status).toBe("failed")
      const run = (yield* instance.getRun(orphan))!
      expect(run.status).toBe("failed")
      expect(run.reason).toContain(String(pid))
      const events = yield* instance.runEvents(orphan)
      expect(events[events.length - 1]).toMatchObject({ type: "run-failed", runId: orphan })
      // the steps it left running are closed as failed, before the run, with the same reason
      const closing = events.slice(-3, -1)
      expect(closing.map((event) => [event.type, (event as { assetKey?: string }).assetKey]).sort()).toEqual([
        ["step-failed", "in-flight"],
        ["step-failed", "in-flight-partition"]
      ])
      const inFlight = closing.find((event) => (event as { assetKey?: string }).assetKey === "in-flight")!
      expect(inFlight).toMatchObject({ attempt: 2, willRetry: false, error: { tag: "@strata/core/OrphanedRun" } })
      expect((inFlight as { error: { message: string } }).error.message).toBe(run.reason)
      expect(events.filter((event) => event.type === "step-failed").length).toBe(2)
      const index = yield* instance.assets(["in-flight", "finished"])
      expect(index.get("in-flight")!.failure!.error.tag).toBe("@strata/core/OrphanedRun")
      expect(index.get("finished")!.failure).toBeUndefined()
      expect((yield* instance.getRun(alive))!.status).toBe("started")
      expect((yield* instance.getRun(done))!.status).toBe("succeeded")
      expect(yield* instance.reapOrphanedRuns({ now: now + 2000, heartbeatTimeoutMs: 60_000, host })).toEqual([])
    }))

  test("an orphaned run somebody asked to cancel ends canceled, saying who asked and why it could not stop itself", (instance) =>
    Effect.gen(function*() {
      const host = hostname()
      const orphan = freshRunId("cancel-orphan")
      const now = Date.now()
      yield* instance.createRun(newRun(orphan, { host, pid: deadPid(), createdAt: now }))
      yield* instance.appendEvents([
        { type: "run-started", runId: orphan, timestamp: now },
        stepStarted(orphan, "stuck")
      ])
      yield* instance.requestCancel(orphan, { at: now + 10, reason: "canceled from the CLI (pid 42 on laptop)" })
      const reaped = yield* instance.reapOrphanedRuns({ now: now + 1000, heartbeatTimeoutMs: 60_000, host })
      expect(reaped.map((run) => [run.runId, run.status])).toEqual([[orphan, "canceled"]])
      const run = (yield* instance.getRun(orphan))!
      expect(run.status).toBe("canceled")
      expect(run.reason).toContain("canceled from the CLI (pid 42 on laptop)")
      expect(run.reason).toContain("exited before the run finished")
      const events = yield* instance.runEvents(orphan)
      expect(events.map((event) => event.type).slice(-2)).toEqual(["step-failed", "run-canceled"])
    }))
}

/** Runs whose heartbeat stopped, wherever they run. */
const heartbeatCases = (test: ConformanceTest): void => {
  test("a run without a heartbeat for longer than the timeout is failed, wherever it runs", (instance) =>
    Effect.gen(function*() {
      const silent = freshRunId("silent")
      const beating = freshRunId("beating")
      const queued = freshRunId("queued")
      yield* instance.createRun(newRun(silent, { host: "elsewhere", pid: 1, createdAt: 1000 }))
      yield* instance.createRun(newRun(beating, { host: "elsewhere", pid: 1, createdAt: 1000 }))
      yield* instance.createRun(newRun(queued, { createdAt: 1000 }))
      yield* instance.appendEvents([
        { type: "run-started", runId: silent, timestamp: 1000 },
        { type: "run-started", runId: beating, timestamp: 1000 }
      ])
      yield* instance.heartbeat(beating, 95_000)
      const reaped = yield* instance.reapOrphanedRuns({ now: 100_000, heartbeatTimeoutMs: 30_000, host: "here" })
      expect(reaped.map((run) => run.runId).sort()).toEqual([queued, silent].sort())
      const run = (yield* instance.getRun(silent))!
      expect(run.status).toBe("failed")
      expect(run.reason).toMatch(/heartbeat/)
      expect((yield* instance.getRun(beating))!.status).toBe("started")
    }))
}
