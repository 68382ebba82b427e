/** The instance conformance suite: asset index. */
import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import type { StrataEvent } from "../../Event.ts"
import type { ConformanceTest } from "./shared.ts"
import { freshRunId, materialized, newRun, stepFailed } from "./shared.ts"

/** Registers the "asset index" tests. */
export const assetIndexConformance = (test: ConformanceTest): void => {
  describe("asset index", () => {
    latestCases(test)
    failureCases(test)
    historyCases(test)
  })
}

/** The latest materialization, per asset and per partition, and the latest observation. */
const latestCases = (test: ConformanceTest): void => {
  test("an asset-materialized event repeated for the same run, asset and partition is ignored", (instance) =>
    Effect.gen(function*() {
      const r1 = freshRunId("dedupe1")
      const r2 = freshRunId("dedupe2")
      yield* instance.createRun(newRun(r1))
      yield* instance.createRun(newRun(r2))
      yield* instance.appendEvents([materialized(r1, "a", { dataVersion: "first" })])
      yield* instance.appendEvents([
        materialized(r1, "a", { dataVersion: "second" }),
        materialized(r1, "a", { partition: "p1" }),
        materialized(r1, "a", { partition: "p1" })
      ])
      yield* instance.appendEvents([materialized(r2, "a", { dataVersion: "third" })])
      const events = yield* instance.runEvents(r1)
      expect(events.filter((event) => event.type === "asset-materialized").length).toBe(2)
      const history = yield* instance.history("a")
      expect(history.map((record) => record.dataVersion)).toEqual(["third", `${r1}:a:p1`, "first"])
      expect((yield* instance.assets(["a"])).get("a")!.materialization!.dataVersion).toBe("third")
    }))

  test("latest materialization per asset: a newer one replaces the older", (instance) =>
    Effect.gen(function*() {
      const r1 = freshRunId("latest1")
      const r2 = freshRunId("latest2")
      yield* instance.createRun(newRun(r1))
      yield* instance.createRun(newRun(r2))
      yield* instance.appendEvents([
        materialized(r1, "a", { dataVersion: "a1", timestamp: 100 }),
        materialized(r1, "b", { dataVersion: "b1", timestamp: 100 })
      ])
      yield* instance.appendEvents([materialized(r2, "a", { dataVersion: "a2", timestamp: 200 })])
      const index = yield* instance.assets()
      expect([...index.keys()].sort()).toEqual(["a", "b"])
      const a = index.get("a")!.materialization!
      expect(a).toMatchObject({ runId: r2, assetKey: "a", dataVersion: "a2", timestamp: 200, codeVersion: "code-1" })
      expect(a.partition).toBeUndefined()
      expect(a.inputVersions).toEqual({})
      const stored = (yield* instance.runEvents(r2))[0]!
      expect(a.eventId).toBe(stored.id)
      expect(index.get("b")!.materialization!.dataVersion).toBe("b1")
      const some = yield* instance.assets(["b", "unknown"])
      expect([...some.keys()]).toEqual(["b"])
      expect((yield* instance.assets([])).size).toBe(0)
    }))

  test("partitions: the latest materialization of each partition", (instance) =>
    Effect.gen(function*() {
      const r1 = freshRunId("part1")
      const r2 = freshRunId("part2")
      yield* instance.createRun(newRun(r1))
      yield* instance.createRun(newRun(r2))
      yield* instance.appendEvents([
        materialized(r1, "daily", { partition: "2024-01-01", dataVersion: "d1-1" }),
        materialized(r1, "daily", { partition: "2024-01-02", dataVersion: "d2-1" })
      ])
      yield* instance.appendEvents([materialized(r2, "daily", { partition: "2024-01-01", dataVersion: "d1-2" })])
      const partitions = yield* instance.partitions("daily")
      expect([...partitions.keys()].sort()).toEqual(["2024-01-01", "2024-01-02"])
      expect(partitions.get("2024-01-01")!.dataVersion).toBe("d1-2")
      expect(partitions.get("2024-01-01")!.partition).toBe("2024-01-01")
      expect(partitions.get("2024-01-02")!.dataVersion).toBe("d2-1")
      expect((yield* instance.partitions("unknown")).size).toBe(0)
      // the unpartitioned index is about unpartitioned materializations only
      expect((yield* instance.assets(["daily"])).get("daily")?.materialization).toBeUndefined()
    }))

  test("latest observation of a source asset", (instance) =>
    Effect.gen(function*() {
      const runId = freshRunId("observe")
      yield* instance.createRun(newRun(runId))
      yield* instance.appendEvents([
        { type: "asset-observed", runId, timestamp: 1, assetKey: "src", metadata: { etag: "1" }, dataVersion: "v1" }
      ])
      yield* instance.appendEvents([
        { type: "asset-observed", runId, timestamp: 2, assetKey: "src", metadata: { etag: "2" }, dataVersion: "v2" }
      ])
      const record = (yield* instance.assets(["src"])).get("src")!
      expect(record.materialization).toBeUndefined()
      expect(record.observation).toMatchObject({ runId, assetKey: "src", dataVersion: "v2", timestamp: 2, metadata: { etag: "2" } })
    }))

}

/** The latest failure, of assets and of sources. */
const failureCases = (test: ConformanceTest): void => {
  test("latest failure: set by a final step failure, not by one that will retry, cleared by a later materialization", (instance) =>
    Effect.gen(function*() {
      const r1 = freshRunId("fail1")
      const r2 = freshRunId("fail2")
      yield* instance.createRun(newRun(r1))
      yield* instance.createRun(newRun(r2))
      yield* instance.appendEvents([materialized(r1, "a"), stepFailed(r1, "b", true)])
      let index = yield* instance.assets()
      expect(index.get("a")!.failure).toBeUndefined()
      expect(index.get("b")?.failure).toBeUndefined()
      yield* instance.appendEvents([stepFailed(r2, "a", false), stepFailed(r2, "b", false)])
      index = yield* instance.assets()
      const failure = index.get("a")!.failure!
      expect(failure.runId).toBe(r2)
      expect(failure.error).toMatchObject({ tag: "Boom", message: "a exploded", retryable: false })
      expect(index.get("a")!.materialization!.runId).toBe(r1)
      expect(index.get("b")!.failure!.error.message).toBe("b exploded")
      expect(index.get("b")!.materialization).toBeUndefined()
      yield* instance.appendEvents([materialized(r2, "a")])
      index = yield* instance.assets()
      expect(index.get("a")!.failure).toBeUndefined()
      expect(index.get("a")!.materialization!.runId).toBe(r2)
    }))

  test("latest failure of a source: cleared by a later successful observation (a source is never materialized)", (instance) =>
    Effect.gen(function*() {
      const r1 = freshRunId("srcok")
      const r2 = freshRunId("srcfail")
      const r3 = freshRunId("srcback")
      for (const runId of [r1, r2, r3]) yield* instance.createRun(newRun(runId))
      const observed = (runId: string, dataVersion: string): StrataEvent => ({
        type: "asset-observed",
        runId,
        timestamp: Date.now(),
        assetKey: "src",
        metadata: {},
        dataVersion
      })
      yield* instance.appendEvents([observed(r1, "v1")])
      yield* instance.appendEvents([stepFailed(r2, "src", false)])
      let record = (yield* instance.assets(["src"])).get("src")!
      expect(record.failure!.runId).toBe(r2)
      expect(record.observation!.dataVersion).toBe("v1")
      yield* instance.appendEvents([observed(r3, "v2")])
      record = (yield* instance.assets(["src"])).get("src")!
      expect(record.failure).toBeUndefined()
      expect(record.observation!.dataVersion).toBe("v2")
    }))

}

/** History and the paged listings of assets and partitions. */
const historyCases = (test: ConformanceTest): void => {
  test("history: newest first, by partition, with limit and a before cursor", (instance) =>
    Effect.gen(function*() {
      const runIds: Array<string> = []
      for (let i = 0; i < 6; i++) {
        const runId = freshRunId(`hist${i}`)
        runIds.push(runId)
        yield* instance.createRun(newRun(runId))
        yield* instance.appendEvents([
          materialized(runId, "h", { partition: i % 2 === 0 ? "even" : "odd", dataVersion: `v${i}` }),
          materialized(runId, "other", { dataVersion: `o${i}` })
        ])
      }
      const all = yield* instance.history("h")
      expect(all.map((record) => record.dataVersion)).toEqual(["v5", "v4", "v3", "v2", "v1", "v0"])
      for (let i = 1; i < all.length; i++) expect(all[i]!.eventId).toBeLessThan(all[i - 1]!.eventId)
      expect((yield* instance.history("h", { partition: "even" })).map((r) => r.dataVersion)).toEqual(["v4", "v2", "v0"])
      const first = yield* instance.history("h", { limit: 2 })
      expect(first.map((r) => r.dataVersion)).toEqual(["v5", "v4"])
      const second = yield* instance.history("h", { limit: 2, before: first[1]!.eventId })
      expect(second.map((r) => r.dataVersion)).toEqual(["v3", "v2"])
      const odd = yield* instance.history("h", { partition: "odd", before: all[0]!.eventId })
      expect(odd.map((r) => r.dataVersion)).toEqual(["v3", "v1"])
      expect(yield* instance.history("unknown")).toEqual([])
    }))

  test("history returns at most 100 records by default", (instance) =>
    Effect.gen(function*() {
      const events: Array<StrataEvent> = []
      for (let i = 0; i < 105; i++) {
        const runId = freshRunId(`deep${i}`)
        yield* instance.createRun(newRun(runId))
        events.push(materialized(runId, "deep"))
      }
      yield* instance.appendEvents(events)
      expect((yield* instance.history("deep")).length).toBe(100)
      expect((yield* instance.history("deep", { limit: 200 })).length).toBe(105)
    }))

  test("assetPage and assetCount: every known asset in key order, a page at a time", (instance) =>
    Effect.gen(function*() {
      const runId = freshRunId("pages")
      yield* instance.createRun(newRun(runId))
      const keys = ["b/x", "a", "c", "b", "ä", "a/b"]
      yield* instance.appendEvents(keys.map((key) => materialized(runId, key)))
      expect(yield* instance.assetCount()).toBe(keys.length)
      const seen: Array<string> = []
      let after: string | undefined
      for (let pages = 0; pages < 10; pages++) {
        const page = yield* instance.assetPage({ after, limit: 4 })
        expect(page.records.length).toBeLessThanOrEqual(4)
        seen.push(...page.records.map((record) => record.assetKey))
        if (page.next === undefined) break
        after = page.next
      }
      // key order is the order of the keys' UTF-8 bytes (code points), in every backend
      expect(seen).toEqual(["a", "a/b", "b", "b/x", "c", "ä"])
      const first = yield* instance.assetPage({ limit: 2 })
      expect(first.records.map((record) => record.materialization?.dataVersion)).toEqual([`${runId}:a:`, `${runId}:a/b:`])
      expect((yield* instance.assetPage({ after: "ä" })).records).toEqual([])
    }))

  test("partitionPage and partitionCount: an asset's latest partitions in key order, counted", (instance) =>
    Effect.gen(function*() {
      const runId = freshRunId("partition-pages")
      yield* instance.createRun(newRun(runId))
      const days = Array.from({ length: 25 }, (_, i) => `2024-01-${String(25 - i).padStart(2, "0")}`)
      yield* instance.appendEvents(days.map((day) => materialized(runId, "daily", { partition: day })))
      yield* instance.appendEvents([materialized(runId, "other", { partition: "2024-01-01" })])
      expect(yield* instance.partitionCount("daily")).toBe(25)
      expect(yield* instance.partitionCount("unknown")).toBe(0)
      const first = yield* instance.partitionPage("daily", { limit: 10 })
      expect(first.records.map((record) => record.partition)).toEqual([...days].sort().slice(0, 10))
      expect(first.next).toBe("2024-01-10")
      const rest = yield* instance.partitionPage("daily", { after: first.next, limit: 100 })
      expect(rest.records.map((record) => record.partition)).toEqual([...days].sort().slice(10))
      expect(rest.next).toBeUndefined()
    }))
}
