/** The instance conformance suite: the backfill domain (records, runs, statuses, cancel requests, persistence). */
import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import type { NewBackfill } from "../../BackfillStore.ts"
import type { ConformanceTest } from "./shared.ts"
import { freshRunId, open } from "./shared.ts"

const backfill = (backfillId: string, createdAt: number): NewBackfill => ({
  backfillId,
  selection: "+daily_active_users",
  partitions: "2024-01-01...2024-01-07",
  policy: "max-per-run=3",
  assetKeys: ["raw_events", "daily_active_users"],
  createdAt
})

/** Registers the "backfills" tests. */
export const backfillsConformance = (test: ConformanceTest): void => {
  describe("backfills", () => {
    test("a backfill is recorded requested, runs are appended once, and it is listed newest first", (instance) =>
      Effect.gen(function*() {
        const store = instance.backfills
        const first = freshRunId("bf")
        const second = freshRunId("bf")
        const created = yield* store.create(backfill(first, 1_000))
        expect(created).toEqual({ ...backfill(first, 1_000), status: "requested", updatedAt: 1_000, runIds: [] })
        const duplicate = yield* Effect.flip(store.create(backfill(first, 1_001)))
        expect(duplicate.reason).toBe("invalid")
        yield* store.create(backfill(second, 2_000))
        const running = yield* store.addRun(first, "run-a", 1_100)
        expect(running.status).toBe("running")
        expect(running.runIds).toEqual(["run-a"])
        yield* store.addRun(first, "run-b", 1_200)
        yield* store.addRun(first, "run-a", 1_300)
        const read = yield* store.get(first)
        expect(read?.runIds).toEqual(["run-a", "run-b"])
        expect(read?.updatedAt).toBe(1_200)
        const listed = (yield* store.list()).map((record) => record.backfillId)
        expect(listed.indexOf(second)).toBeLessThan(listed.indexOf(first))
        expect((yield* store.list({ limit: 1 })).length).toBe(1)
        expect(yield* store.get("no-such-backfill")).toBeUndefined()
        const missing = yield* Effect.flip(store.addRun("no-such-backfill", "run-x", 1))
        expect(missing.reason).toBe("not-found")
      }))

    test("a finished backfill changes status only on resume; cancel requests are kept until a resume", (instance) =>
      Effect.gen(function*() {
        const store = instance.backfills
        const id = freshRunId("bf")
        yield* store.create(backfill(id, 1_000))
        expect(yield* store.requestCancel("no-such-backfill", 1_050)).toBeUndefined()
        const asked = yield* store.requestCancel(id, 1_100)
        expect(asked?.cancelRequestedAt).toBe(1_100)
        expect((yield* store.requestCancel(id, 1_200))?.cancelRequestedAt).toBe(1_100)
        const canceled = yield* store.setStatus(id, { status: "canceled", at: 1_300, reason: "canceled by user" })
        expect(canceled).toMatchObject({ status: "canceled", reason: "canceled by user", updatedAt: 1_300, cancelRequestedAt: 1_100 })
        // finished: a plain update and a cancel request change nothing
        expect((yield* store.setStatus(id, { status: "running", at: 1_400 })).status).toBe("canceled")
        expect((yield* store.requestCancel(id, 1_450))?.cancelRequestedAt).toBe(1_100)
        const resumed = yield* store.setStatus(id, { status: "running", at: 1_500, resume: true })
        expect(resumed.status).toBe("running")
        expect(resumed.cancelRequestedAt).toBeUndefined()
        expect(resumed.reason).toBeUndefined()
        const done = yield* store.setStatus(id, { status: "completed", at: 1_600 })
        expect(yield* store.get(id)).toEqual(done)
        expect(done.status).toBe("completed")
      }))

    test("a rebuild backfill keeps its flag through updates; others have none", (instance) =>
      Effect.gen(function*() {
        const store = instance.backfills
        const id = freshRunId("bf")
        const created = yield* store.create({ ...backfill(id, 1_000), rebuild: true })
        expect(created.rebuild).toBe(true)
        yield* store.addRun(id, "run-a", 1_100)
        const ended = yield* store.setStatus(id, { status: "completed", at: 1_200 })
        expect(ended).toMatchObject({ rebuild: true, status: "completed", runIds: ["run-a"] })
        expect((yield* store.list()).find((record) => record.backfillId === id)?.rebuild).toBe(true)
        const plain = freshRunId("bf")
        expect("rebuild" in (yield* store.create(backfill(plain, 1_300)))).toBe(false)
      }))

    test("backfills survive reopening a persistent instance", (instance, layer) =>
      Effect.gen(function*() {
        if (!instance.capabilities.persistent) return
        const id = freshRunId("bf")
        yield* instance.backfills.create(backfill(id, 5_000))
        yield* instance.backfills.addRun(id, "run-1", 5_100)
        const reopened = yield* Effect.scoped(Effect.flatMap(open(layer), (again) => again.backfills.get(id)))
        expect(reopened).toMatchObject({ backfillId: id, status: "running", runIds: ["run-1"], assetKeys: ["raw_events", "daily_active_users"] })
      }))
  })
}
