/** The instance conformance suite: the check store (`latestChecks`, `checkHistory`), retention and wiping of check results. */
import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import type { StrataEvent } from "../../Event.ts"
import type { ConformanceTest } from "./shared.ts"
import { defined, freshRunId, newRun } from "./shared.ts"

export const evaluated = (
  runId: string,
  assetKey: string,
  check: string,
  passed: boolean,
  options?: { partition?: string; severity?: "warn" | "error"; timestamp?: number; dataVersion?: string }
): StrataEvent => ({
  type: "check-evaluated",
  runId,
  timestamp: options?.timestamp ?? Date.now(),
  assetKey,
  partition: options?.partition,
  check,
  passed,
  severity: options?.severity ?? "error",
  message: passed ? undefined : `${check} failed`,
  metadata: { duplicate_count: passed ? 0 : 3, examples: ["a@x.org"] },
  dataVersion: options?.dataVersion
})

/** Registers the "check store" tests. */
export const checksConformance = (test: ConformanceTest): void => {
  describe("check store", () => {
    latestCases(test)
    historyCases(test)
  })
}

/** The latest result of each check. */
const latestCases = (test: ConformanceTest): void => {
  test("the latest result of each check per asset and partition, ordered by check then partition, with every field", (instance) =>
    Effect.gen(function*() {
      const first = freshRunId("checks-1")
      const second = freshRunId("checks-2")
      yield* instance.createRun(newRun(first))
      yield* instance.createRun(newRun(second))
      yield* instance.appendEvents([
        evaluated(first, "users", "unique", false, { dataVersion: "v1" }),
        evaluated(first, "users", "not_null", true),
        evaluated(first, "users", "unique", true, { partition: "2024-01-02" }),
        evaluated(first, "orders", "row_count", false, { severity: "warn" })
      ])
      yield* instance.appendEvents([
        evaluated(second, "users", "unique", true, { dataVersion: "v2" }),
        {
          type: "check-evaluated",
          runId: second,
          timestamp: 7,
          assetKey: "users",
          check: "broken",
          passed: false,
          severity: "error",
          message: "could not evaluate",
          metadata: {},
          error: { tag: "Boom", message: "the warehouse is down" }
        }
      ])
      const latest = yield* instance.latestChecks()
      expect([...latest.keys()].sort()).toEqual(["orders", "users"])
      const users = latest.get("users")!
      expect(users.map((r) => [r.check, r.partition ?? "", r.passed, r.runId])).toEqual([
        ["broken", "", false, second],
        ["not_null", "", true, first],
        ["unique", "", true, second],
        ["unique", "2024-01-02", true, first]
      ])
      const broken = users[0]!
      expect(defined(broken)).toEqual({
        eventId: broken.eventId,
        runId: second,
        assetKey: "users",
        check: "broken",
        timestamp: 7,
        passed: false,
        severity: "error",
        message: "could not evaluate",
        metadata: {},
        error: { tag: "Boom", message: "the warehouse is down" }
      })
      expect(users[2]!.dataVersion).toBe("v2")
      expect(users[2]!.metadata).toEqual({ duplicate_count: 0, examples: ["a@x.org"] })
      expect(latest.get("orders")!.map((r) => [r.check, r.severity, r.message])).toEqual([["row_count", "warn", "row_count failed"]])
      const some = yield* instance.latestChecks(["orders", "unknown"])
      expect([...some.keys()]).toEqual(["orders"])
      // the events are in the log like any other
      const events = yield* instance.runEvents(second)
      expect(events.filter((e) => e.type === "check-evaluated").length).toBe(2)
    }))

}

/** History, pruning and wiping. */
const historyCases = (test: ConformanceTest): void => {
  test("history is newest first, filtered by check and partition, paged by event id", (instance) =>
    Effect.gen(function*() {
      const runs: Array<string> = []
      for (let i = 0; i < 4; i++) {
        const runId = freshRunId(`history-${i}`)
        runs.push(runId)
        yield* instance.createRun(newRun(runId))
        yield* instance.appendEvents([
          evaluated(runId, "t", "unique", i % 2 === 0),
          evaluated(runId, "t", "not_null", true),
          evaluated(runId, "t", "unique", true, { partition: "p" })
        ])
      }
      const unique = yield* instance.checkHistory("t", { check: "unique" })
      expect(unique.map((r) => [r.runId, r.partition ?? "", r.passed])).toEqual([
        [runs[3], "p", true],
        [runs[3], "", false],
        [runs[2], "p", true],
        [runs[2], "", true],
        [runs[1], "p", true],
        [runs[1], "", false],
        [runs[0], "p", true],
        [runs[0], "", true]
      ])
      const all = yield* instance.checkHistory("t")
      expect(all.length).toBe(12)
      for (let i = 1; i < all.length; i++) expect(all[i]!.eventId).toBeLessThan(all[i - 1]!.eventId)
      const partition = yield* instance.checkHistory("t", { check: "unique", partition: "p", limit: 2 })
      expect(partition.map((r) => r.runId)).toEqual([runs[3], runs[2]])
      const next = yield* instance.checkHistory("t", { check: "unique", partition: "p", before: partition[1]!.eventId })
      expect(next.map((r) => r.runId)).toEqual([runs[1], runs[0]])
      expect(yield* instance.checkHistory("nothing")).toEqual([])
    }))

  test("prune keeps every latest check result; wiping an asset forgets its results", (instance) =>
    Effect.gen(function*() {
      const old = freshRunId("checks-old")
      const recent = freshRunId("checks-recent")
      yield* instance.createRun(newRun(old, { createdAt: 100 }))
      yield* instance.createRun(newRun(recent, { createdAt: 5000 }))
      yield* instance.appendEvents([
        { type: "run-started", runId: old, timestamp: 100 },
        evaluated(old, "a", "only_old", false),
        evaluated(old, "a", "replaced", false),
        { type: "run-succeeded", runId: old, timestamp: 200 },
        { type: "run-started", runId: recent, timestamp: 5000 },
        evaluated(recent, "a", "replaced", true),
        evaluated(recent, "b", "kept", true),
        { type: "run-succeeded", runId: recent, timestamp: 6000 }
      ])
      const result = yield* instance.prune({ endedBefore: 1000 })
      expect(result.runs).toBe(1)
      // run-started, the replaced result and run-succeeded of the old run; its latest only_old result stays
      expect(result.events).toBe(3)
      const latest = (yield* instance.latestChecks(["a"])).get("a")!
      expect(latest.map((r) => [r.check, r.runId])).toEqual([["only_old", old], ["replaced", recent]])
      expect((yield* instance.checkHistory("a", { check: "replaced" })).map((r) => r.runId)).toEqual([recent])
      yield* instance.wipeAssets(["a"])
      expect((yield* instance.latestChecks()).has("a")).toBe(false)
      expect(yield* instance.checkHistory("a")).toEqual([])
      expect((yield* instance.latestChecks()).get("b")!.length).toBe(1)
      expect((yield* instance.events()).some((e) => e.type === "check-evaluated" && e.assetKey === "a")).toBe(false)
    }))
}
