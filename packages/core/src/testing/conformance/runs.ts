/** The instance conformance suite: runs. */
import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import { summarize, summarySelectionLength } from "../../Instance.ts"
import type { ConformanceTest } from "./shared.ts"
import { defined, expectInstanceError, freshRunId, newRun } from "./shared.ts"

/** Registers the "runs" tests. */
export const runsConformance = (test: ConformanceTest): void => {
  describe("runs", () => {
    statusCases(test)
    listCases(test)
    summaryCases(test)
  })
}

/** Creating runs and moving their status. */
const statusCases = (test: ConformanceTest): void => {
  test("createRun records a queued run with every field", (instance) =>
    Effect.gen(function*() {
      const run = newRun(freshRunId("create"), {
        selection: "+gold/daily",
        assetKeys: ["bronze/raw", "silver/clean", "gold/daily"],
        partition: "2024-01-01",
        staleOnly: true,
        parentRunId: "parent-1",
        tags: { team: "data", "strata/schedule": "nightly" },
        createdAt: 1_700_000_000_000,
        host: "host-a",
        pid: 4242
      })
      const created = yield* instance.createRun(run)
      expect(created.status).toBe("queued")
      const stored = yield* instance.getRun(run.runId)
      expect(defined(stored)).toEqual(defined({ ...run, status: "queued" }))
      expect(yield* instance.getRun("no-such-run")).toBeUndefined()
    }))

  test("createRun fails with reason invalid when the id exists", (instance) =>
    Effect.gen(function*() {
      const run = newRun(freshRunId("dup"))
      yield* instance.createRun(run)
      expectInstanceError(yield* Effect.exit(instance.createRun(run)), "invalid")
    }))

  test("run events move the status: queued → started → succeeded", (instance) =>
    Effect.gen(function*() {
      const runId = freshRunId("life")
      yield* instance.createRun(newRun(runId, { createdAt: 1000 }))
      yield* instance.appendEvents([{ type: "run-started", runId, timestamp: 2000 }])
      const started = (yield* instance.getRun(runId))!
      expect(started.status).toBe("started")
      expect(started.startedAt).toBe(2000)
      expect(started.heartbeatAt).toBe(2000)
      yield* instance.appendEvents([{ type: "run-succeeded", runId, timestamp: 3000 }])
      const done = (yield* instance.getRun(runId))!
      expect(done.status).toBe("succeeded")
      expect(done.endedAt).toBe(3000)
      expect(done.reason).toBeUndefined()
    }))

  test("failed and canceled runs keep their reason; a terminal status is final", (instance) =>
    Effect.gen(function*() {
      const failed = freshRunId("failed")
      const canceled = freshRunId("canceled")
      yield* instance.createRun(newRun(failed))
      yield* instance.createRun(newRun(canceled))
      yield* instance.appendEvents([
        { type: "run-started", runId: failed, timestamp: 1 },
        { type: "run-started", runId: canceled, timestamp: 1 },
        { type: "run-failed", runId: failed, timestamp: 2, reason: "2 steps failed: a, b" },
        { type: "run-canceled", runId: canceled, timestamp: 3, reason: "the run was canceled" }
      ])
      yield* instance.appendEvents([
        { type: "run-succeeded", runId: failed, timestamp: 4 },
        { type: "run-started", runId: canceled, timestamp: 5 }
      ])
      const f = (yield* instance.getRun(failed))!
      expect([f.status, f.reason, f.endedAt]).toEqual(["failed", "2 steps failed: a, b", 2])
      const c = (yield* instance.getRun(canceled))!
      expect([c.status, c.reason, c.endedAt]).toEqual(["canceled", "the run was canceled", 3])
    }))

}

/** Times, heartbeats and listings. */
const listCases = (test: ConformanceTest): void => {
  test("times with fractions of a millisecond round-trip", (instance) =>
    Effect.gen(function*() {
      const runId = freshRunId("fraction")
      yield* instance.createRun(newRun(runId, { createdAt: 1_700_000_000_000.25 }))
      yield* instance.appendEvents([{ type: "run-started", runId, timestamp: 1_700_000_000_001.5 }])
      yield* instance.heartbeat(runId, 1_700_000_000_002.75)
      const run = (yield* instance.getRun(runId))!
      expect([run.createdAt, run.startedAt, run.heartbeatAt]).toEqual([
        1_700_000_000_000.25,
        1_700_000_000_001.5,
        1_700_000_000_002.75
      ])
      const [event] = yield* instance.runEvents(runId)
      expect(event!.timestamp).toBe(1_700_000_000_001.5)
    }))

  test("heartbeat updates heartbeatAt", (instance) =>
    Effect.gen(function*() {
      const runId = freshRunId("beat")
      yield* instance.createRun(newRun(runId))
      yield* instance.appendEvents([{ type: "run-started", runId, timestamp: 10 }])
      yield* instance.heartbeat(runId, 12_345)
      expect((yield* instance.getRun(runId))!.heartbeatAt).toBe(12_345)
    }))

  test("listRuns: newest first, status filters, limit and before cursor", (instance) =>
    Effect.gen(function*() {
      const ids: Array<string> = []
      for (let i = 0; i < 7; i++) {
        const runId = freshRunId(`list${i}`)
        ids.push(runId)
        yield* instance.createRun(newRun(runId, { createdAt: 1000 + i }))
        if (i % 3 === 1) yield* instance.appendEvents([{ type: "run-started", runId, timestamp: 1 }])
        if (i % 3 === 2) {
          yield* instance.appendEvents([{ type: "run-started", runId, timestamp: 1 }, {
            type: "run-failed",
            runId,
            timestamp: 2,
            reason: "x"
          }])
        }
      }
      const all = yield* instance.listRuns()
      expect(all.map((r) => r.runId)).toEqual([...ids].reverse())
      const failed = yield* instance.listRuns({ status: "failed" })
      expect(failed.map((r) => r.runId)).toEqual([ids[5], ids[2]])
      const active = yield* instance.listRuns({ status: ["queued", "started"] })
      expect(active.map((r) => r.runId)).toEqual([ids[6], ids[4], ids[3], ids[1], ids[0]])
      const page1 = yield* instance.listRuns({ limit: 3 })
      expect(page1.map((r) => r.runId)).toEqual([ids[6], ids[5], ids[4]])
      const page2 = yield* instance.listRuns({ limit: 3, before: page1[2]!.runId })
      expect(page2.map((r) => r.runId)).toEqual([ids[3], ids[2], ids[1]])
      const page3 = yield* instance.listRuns({ limit: 3, before: page2[2]!.runId })
      expect(page3.map((r) => r.runId)).toEqual([ids[0]])
      const queuedPage = yield* instance.listRuns({ status: "queued", limit: 1, before: ids[3] })
      expect(queuedPage.map((r) => r.runId)).toEqual([ids[0]])
    }))

  test("listRuns returns at most 50 runs by default", (instance) =>
    Effect.gen(function*() {
      for (let i = 0; i < 55; i++) yield* instance.createRun(newRun(freshRunId(`many${i}`)))
      expect((yield* instance.listRuns()).length).toBe(50)
      expect((yield* instance.listRuns({ limit: 100 })).length).toBe(55)
    }))

  test("listRuns orders by creation in this instance, not by the createdAt the runs carry", (instance) =>
    Effect.gen(function*() {
      // the run coordinator's write order relies on this: two processes with skewed clocks still agree
      const first = freshRunId("created-first")
      const second = freshRunId("created-second")
      yield* instance.createRun(newRun(first, { createdAt: 2_000_000_000_000 }))
      yield* instance.createRun(newRun(second, { createdAt: 1_000 }))
      const listed = (yield* instance.listRuns({ limit: 1000 })).map((run) => run.runId)
      expect(listed.indexOf(second)).toBeLessThan(listed.indexOf(first))
    }))
}

/** Run summaries: the list's runs without their keys. */
const summaryCases = (test: ConformanceTest): void => {
  test("listRunSummaries: the runs listRuns returns, with the keys' count instead of the keys", (instance) =>
    Effect.gen(function*() {
      const big = freshRunId("summary-big")
      const picked = Array.from({ length: 3_000 }, (_, i) => `layer${i % 7}/asset_${i}`)
      yield* instance.createRun(newRun(big, {
        selection: "*",
        assetKeys: picked,
        partition: "2024-01-01",
        parentRunId: "parent-1",
        tags: { team: "data" },
        host: "host-a",
        pid: 4242
      }))
      // a hand-picked selection is the comma-joined key list: cut, with its length (in characters: é is one)
      const joined = `é${picked.join(", ")}`
      const long = freshRunId("summary-long")
      yield* instance.createRun(newRun(long, { selection: joined, assetKeys: picked.slice(0, 12) }))
      yield* instance.appendEvents([{ type: "run-started", runId: long, timestamp: 5 }])
      yield* instance.requestCancel(long, { at: 7, reason: "enough" })
      const records = yield* instance.listRuns({ limit: 2 })
      const summaries = yield* instance.listRunSummaries({ limit: 2 })
      expect(summaries).toEqual(records.map(summarize))
      const first = summaries[0]!
      const second = summaries[1]!
      expect(first).toMatchObject({ runId: long, status: "started", assetCount: 12, selectionLength: joined.length, cancelReason: "enough" })
      expect(Array.from(first.selection)).toHaveLength(summarySelectionLength)
      expect(joined.startsWith(first.selection)).toBe(true)
      expect(second).toMatchObject({ runId: big, selection: "*", selectionLength: 1, assetCount: 3_000, partition: "2024-01-01" })
      expect(second).not.toHaveProperty("assetKeys")
      // the same filters and cursor as listRuns
      expect((yield* instance.listRunSummaries({ status: "queued", limit: 1 })).map((run) => run.runId)).toEqual([big])
      expect((yield* instance.listRunSummaries({ limit: 1, before: long })).map((run) => run.runId)).toEqual([big])
    }))
}
