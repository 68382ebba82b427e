/** The instance conformance suite: event log. */
import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import type { StoredEvent, StrataEvent } from "../../Event.ts"
import type { Metadata } from "../../Metadata.ts"
import type { ConformanceTest } from "./shared.ts"
import { defined, expectInstanceError, freshRunId, materialized, newRun, stepFailed, stepStarted, withoutId } from "./shared.ts"

/** Registers the "event log" tests. */
export const eventLogConformance = (test: ConformanceTest): void => {
  describe("event log", () => {
    appendCases(test)
    cursorCases(test)
    payloadCases(test)
    tailCases(test)
  })
}

/** Appending: order, ids, empty and invalid batches. */
const appendCases = (test: ConformanceTest): void => {
  test("events are stored in order with increasing ids, as given", (instance) =>
    Effect.gen(function*() {
      const runId = freshRunId("order")
      yield* instance.createRun(newRun(runId))
      const batch: Array<StrataEvent> = [
        { type: "run-started", runId, timestamp: 1 },
        stepStarted(runId, "a"),
        {
          type: "log",
          runId,
          timestamp: 2,
          assetKey: "a",
          level: "info",
          message: "hello\nworld"
        },
        materialized(runId, "a"),
        { type: "step-succeeded", runId, timestamp: 3, assetKey: "a", attempt: 1, durationMs: 2 },
        stepFailed(runId, "b", false),
        {
          type: "step-skipped",
          runId,
          timestamp: 4,
          assetKey: "c",
          kind: "upstream-failed",
          reason: "upstream b failed"
        },
        {
          type: "asset-observed",
          runId,
          timestamp: 5,
          assetKey: "src",
          metadata: { etag: "x" },
          dataVersion: "v1"
        },
        { type: "log", runId, timestamp: 6, level: "warn", message: "run-level" },
        { type: "run-failed", runId, timestamp: 7, reason: "1 step failed: b" }
      ]
      yield* instance.appendEvents(batch.slice(0, 4))
      yield* instance.appendEvents(batch.slice(4))
      const stored = yield* instance.runEvents(runId)
      expect(stored.map(withoutId)).toEqual(defined(batch))
      for (let i = 1; i < stored.length; i++) expect(stored[i]!.id).toBeGreaterThan(stored[i - 1]!.id)
      const global = yield* instance.events()
      expect(global.map((event) => event.id)).toEqual(stored.map((event) => event.id))
    }))

  test("ids are never reused, even after the newest events were removed", (instance) =>
    Effect.gen(function*() {
      const runId = freshRunId("reuse")
      yield* instance.createRun(newRun(runId))
      yield* instance.appendEvents([materialized(runId, "tail", { partition: "p" }), materialized(runId, "tail")])
      const before = yield* instance.events()
      const newest = before.at(-1)!.id
      yield* instance.wipeAssets(["tail"])
      expect(yield* instance.events()).toEqual([])
      yield* instance.appendEvents([{ type: "log", runId, timestamp: 1, level: "info", message: "after" }])
      const [next] = yield* instance.events({ after: newest })
      expect(next).toBeDefined()
      expect(next!.id).toBeGreaterThan(newest)
    }))

  test("an empty batch is a no-op", (instance) =>
    Effect.gen(function*() {
      yield* instance.appendEvents([])
      expect(yield* instance.events()).toEqual([])
    }))

  test("a batch naming an unknown run is rejected whole (reason invalid)", (instance) =>
    Effect.gen(function*() {
      const runId = freshRunId("atomic")
      yield* instance.createRun(newRun(runId))
      const exit = yield* Effect.exit(instance.appendEvents([
        { type: "run-started", runId, timestamp: 1 },
        materialized(runId, "a"),
        stepStarted("no-such-run", "a")
      ]))
      expectInstanceError(exit, "invalid")
      expect(yield* instance.runEvents(runId)).toEqual([])
      expect((yield* instance.getRun(runId))!.status).toBe("queued")
      expect((yield* instance.assets()).size).toBe(0)
    }))

}

/** Reading back: cursors, pages and interleaved runs. */
const cursorCases = (test: ConformanceTest): void => {
  test("cursors: after and limit page through a run's events and the global log", (instance) =>
    Effect.gen(function*() {
      const runId = freshRunId("cursor")
      const other = freshRunId("other")
      yield* instance.createRun(newRun(runId))
      yield* instance.createRun(newRun(other))
      const events: Array<StrataEvent> = []
      for (let i = 0; i < 25; i++) {
        events.push({ type: "log", runId: i % 2 === 0 ? runId : other, timestamp: i, level: "info", message: `m${i}` })
      }
      yield* instance.appendEvents(events)
      const mine = yield* instance.runEvents(runId)
      expect(mine.length).toBe(13)
      const pages: Array<StoredEvent> = []
      let cursor: number | undefined
      for (;;) {
        const page = yield* instance.runEvents(runId, { after: cursor, limit: 5 })
        if (page.length === 0) break
        expect(page.length).toBeLessThanOrEqual(5)
        pages.push(...page)
        cursor = page[page.length - 1]!.id
      }
      expect(pages).toEqual(mine)
      expect(yield* instance.runEvents(runId, { after: mine[mine.length - 1]!.id })).toEqual([])
      const all = yield* instance.events()
      expect(all.length).toBe(25)
      const tail = yield* instance.events({ after: all[9]!.id })
      expect(tail).toEqual(all.slice(10))
      expect(yield* instance.events({ after: all[9]!.id, limit: 3 })).toEqual(all.slice(10, 13))
      expect(yield* instance.events({ limit: 0 })).toEqual([])
      expect(yield* instance.runEvents("no-such-run")).toEqual([])
    }))

  test("concurrent runs interleave their batches; each run reads back only its own, in order", (instance) =>
    Effect.gen(function*() {
      const runs = [freshRunId("c1"), freshRunId("c2"), freshRunId("c3")]
      for (const runId of runs) yield* instance.createRun(newRun(runId))
      yield* Effect.forEach(
        runs,
        (runId) =>
          Effect.forEach(
            Array.from({ length: 20 }, (_, batch) => batch),
            (batch) =>
              Effect.andThen(
                Effect.yieldNow,
                instance.appendEvents(Array.from({ length: 10 }, (_, i) => ({
                  type: "log" as const,
                  runId,
                  timestamp: batch * 10 + i,
                  level: "info" as const,
                  message: `${batch}.${i}`
                })))
              ),
            { discard: true }
          ),
        { concurrency: "unbounded", discard: true }
      )
      const all = yield* instance.events()
      expect(all.length).toBe(600)
      expect(new Set(all.map((event) => event.id)).size).toBe(600)
      for (let i = 1; i < all.length; i++) expect(all[i]!.id).toBeGreaterThan(all[i - 1]!.id)
      for (const runId of runs) {
        const mine = yield* instance.runEvents(runId)
        expect(mine.length).toBe(200)
        expect(mine.every((event) => event.runId === runId)).toBe(true)
        expect(mine.map((event) => (event as { timestamp: number }).timestamp)).toEqual(
          Array.from({ length: 200 }, (_, i) => i)
        )
      }
    }))

}

/** Payloads: megabytes of metadata and unicode. */
const payloadCases = (test: ConformanceTest): void => {
  test("large payloads (megabytes of metadata) round-trip exactly", (instance) =>
    Effect.gen(function*() {
      const runId = freshRunId("large")
      yield* instance.createRun(newRun(runId))
      const metadata: Metadata = {
        text: "x".repeat(3 * 1024 * 1024),
        rows: Array.from({ length: 50_000 }, (_, i) => ({ i, name: `row ${i}`, ok: i % 2 === 0, value: i / 7 })),
        nested: { deep: { deeper: [1, "two", null, true, { three: 3 }] } }
      }
      yield* instance.appendEvents([materialized(runId, "big", { metadata })])
      const [event] = yield* instance.runEvents(runId)
      expect((event as { metadata: Metadata }).metadata).toEqual(metadata)
      const record = (yield* instance.assets(["big"])).get("big")!
      expect(record.materialization!.metadata).toEqual(metadata)
    }))

  test("unicode asset keys, partitions and values round-trip", (instance) =>
    Effect.gen(function*() {
      const runId = freshRunId("ünïcødé-🚀")
      const key = "données/été/日本語/🚀"
      const partition = "région=Île-de-France/2024-01-01"
      const metadata: Metadata = {
        "名前": "値 — \"quoted\" 'single' \\ back\\slash",
        emoji: "👩‍👩‍👧 🏳️‍🌈",
        control: "tab\tnewline\nnul\u0000end",
        rtl: "مرحبا",
        surrogate: "𝄞"
      }
      yield* instance.createRun(newRun(runId, { assetKeys: [key], tags: { "équipe": "données" }, selection: key }))
      yield* instance.appendEvents([
        materialized(runId, key, { metadata }),
        materialized(runId, key, { partition, metadata }),
        { type: "log", runId, timestamp: 1, assetKey: key, level: "info", message: "ログ 📝" }
      ])
      const run = (yield* instance.getRun(runId))!
      expect(run.assetKeys).toEqual([key])
      expect(run.tags).toEqual({ "équipe": "données" })
      const record = (yield* instance.assets([key])).get(key)!
      expect(record.materialization!.metadata).toEqual(metadata)
      expect([...(yield* instance.partitions(key)).keys()]).toEqual([partition])
      expect((yield* instance.history(key, { partition })).length).toBe(1)
      const events = yield* instance.runEvents(runId)
      expect((events[2] as { message: string }).message).toBe("ログ 📝")
    }))

}

/** The newest id, tails, and a step delivered twice. */
const tailCases = (test: ConformanceTest): void => {
  test("lastEventId is 0 on an empty log, then the newest id; a tail from it sees only later events", (instance) =>
    Effect.gen(function*() {
      const before = yield* instance.lastEventId()
      expect(before).toBeGreaterThanOrEqual(0)
      const runId = freshRunId("tail")
      yield* instance.createRun(newRun(runId))
      yield* instance.appendEvents([{ type: "run-started", runId, timestamp: 1 }, stepStarted(runId, "a")])
      const all = yield* instance.events({ after: before })
      expect(all.map((event) => event.type)).toEqual(["run-started", "step-started"])
      const last = yield* instance.lastEventId()
      expect(last).toBe(all[1]!.id)
      expect(yield* instance.events({ after: last })).toEqual([])
      yield* instance.appendEvents([materialized(runId, "a")])
      const later = yield* instance.events({ after: last })
      expect(later.map((event) => event.type)).toEqual(["asset-materialized"])
      expect(yield* instance.lastEventId()).toBe(later[0]!.id)
    }))

  test("a step delivered twice records once: the repeated materialization and its step-succeeded are dropped", (instance) =>
    Effect.gen(function*() {
      const runId = freshRunId("twice")
      yield* instance.createRun(newRun(runId))
      const step = (dataVersion: string): Array<StrataEvent> => [
        stepStarted(runId, "a"),
        materialized(runId, "a", { dataVersion }),
        { type: "step-succeeded", runId, timestamp: 2, assetKey: "a", partition: undefined, attempt: 1, durationMs: 1 }
      ]
      yield* instance.appendEvents(step("first"))
      // the same request run again by another worker: same run, asset and partition
      yield* instance.appendEvents(step("second"))
      const events = yield* instance.runEvents(runId)
      expect(events.map((event) => event.type)).toEqual(["step-started", "asset-materialized", "step-succeeded", "step-started"])
      expect((yield* instance.assets(["a"])).get("a")!.materialization!.dataVersion).toBe("first")
      expect((yield* instance.history("a")).map((record) => record.dataVersion)).toEqual(["first"])
    }))
}
