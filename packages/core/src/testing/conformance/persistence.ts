/** The instance conformance suite: persistence. */
import { hostname } from "node:os"
import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import type { ConformanceTest } from "./shared.ts"
import { defined, freshRunId, materialized, newRun, open, stepFailed } from "./shared.ts"

/** Registers the "persistence" tests. */
export const persistenceConformance = (test: ConformanceTest): void => {
  describe("persistence", () => {
    test("reopening the same storage: everything is there when persistent, nothing when not", (instance, layer) =>
      Effect.gen(function*() {
        const runId = freshRunId("persist")
        const running = freshRunId("persist-running")
        const now = Date.now()
        yield* instance.createRun(newRun(runId, { createdAt: now, tags: { k: "v" } }))
        yield* instance.createRun(newRun(running, { createdAt: now + 1, host: hostname(), pid: process.pid }))
        yield* instance.appendEvents([
          { type: "run-started", runId, timestamp: now },
          materialized(runId, "a", { partition: "p1", dataVersion: "pa" }),
          materialized(runId, "a", { dataVersion: "a1" }),
          { type: "asset-observed", runId, timestamp: now, assetKey: "src", metadata: { n: 1 }, dataVersion: "o1" },
          stepFailed(runId, "b", false),
          { type: "check-evaluated", runId, timestamp: now, assetKey: "a", check: "unique", passed: false, severity: "error", message: "2 duplicates", metadata: { n: 2 } },
          { type: "run-failed", runId, timestamp: now + 10, reason: "1 step failed: b" },
          { type: "run-started", runId: running, timestamp: now + 1 }
        ])
        yield* instance.requestCancel(running, { at: now + 2, reason: "asked before the reopen" })
        const events = yield* instance.events()
        const assets = yield* instance.assets()
        const runs = yield* instance.listRuns()
        const history = yield* instance.history("a")
        const partitions = yield* instance.partitions("a")
        const checks = yield* instance.latestChecks()
        expect(checks.get("a")!.length).toBe(1)
        const last = events.at(-1)!.id
        yield* Effect.scoped(Effect.gen(function*() {
          const again = yield* open(layer)
          expect(again.capabilities).toEqual(instance.capabilities)
          if (!again.capabilities.persistent) {
            expect(yield* again.events()).toEqual([])
            expect((yield* again.assets()).size).toBe(0)
            expect((yield* again.latestChecks()).size).toBe(0)
            expect(yield* again.listRuns()).toEqual([])
            return
          }
          expect(yield* again.events()).toEqual(events)
          expect(yield* again.assets()).toEqual(assets)
          expect(yield* again.listRuns()).toEqual(runs)
          expect(yield* again.history("a")).toEqual(history)
          expect(yield* again.partitions("a")).toEqual(partitions)
          expect(defined([...(yield* again.latestChecks())])).toEqual(defined([...checks]))
          // the live run of this process is not mistaken for an orphan
          expect((yield* again.getRun(running))!.status).toBe("started")
          expect(defined(yield* again.cancelRequest(running))).toEqual({ at: now + 2, reason: "asked before the reopen" })
          // ids keep growing after a reopen
          yield* again.appendEvents([{ type: "log", runId, timestamp: now, level: "info", message: "later" }])
          expect((yield* again.events({ after: last })).map((event) => event.id)[0]).toBeGreaterThan(last)
        }))
      }))
  })
}
