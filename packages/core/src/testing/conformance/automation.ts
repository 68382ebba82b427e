/** The instance conformance suite: the automation domain (leases, ticks, evaluations, cursors, switches). */
import { describe, expect } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import type { NewTick } from "../../AutomationStore.ts"
import type { ConformanceTest } from "./shared.ts"
import { freshRunId, newRun, open } from "./shared.ts"

const tick = (tickId: string, overrides?: Partial<NewTick>): NewTick => ({
  tickId,
  origin: "conditions",
  name: "conditions",
  at: 1_000,
  status: "skipped",
  runs: [],
  evaluations: [],
  ...overrides
})

const evaluation = (assetKey: string, requested: boolean) => ({
  assetKey,
  requested,
  result: {
    label: "eager",
    value: requested,
    children: [{ label: "any upstream of 2", value: requested, matched: ["up_1"], unmatched: ["up_2"], children: [{ label: "has new data", value: true }] }]
  }
})

/** Registers the "automation" tests. */
export const automationConformance = (test: ConformanceTest): void => {
  describe("automation", () => {
    tickCases(test)
    stateCases(test)
  })
}

/** The lease, and the ticks it fences. */
const tickCases = (test: ConformanceTest): void => {
  test("a lease has one holder until it expires or is released; the holder renews it", (instance) =>
    Effect.gen(function*() {
      const name = freshRunId("lease")
      const store = instance.automation
      expect(yield* store.lease(name)).toBeUndefined()
      const first = yield* store.acquireLease({ name, holder: "a", now: 1_000, ttlMs: 500 })
      expect(first).toEqual({ acquired: true, lease: { name, holder: "a", acquiredAt: 1_000, expiresAt: 1_500 } })
      const refused = yield* store.acquireLease({ name, holder: "b", now: 1_499, ttlMs: 500 })
      expect(refused).toEqual({ acquired: false, lease: { name, holder: "a", acquiredAt: 1_000, expiresAt: 1_500 } })
      const renewed = yield* store.acquireLease({ name, holder: "a", now: 1_400, ttlMs: 500 })
      expect(renewed.lease).toEqual({ name, holder: "a", acquiredAt: 1_000, expiresAt: 1_900 })
      // expired: another holder takes over
      const taken = yield* store.acquireLease({ name, holder: "b", now: 1_900, ttlMs: 500 })
      expect(taken).toEqual({ acquired: true, lease: { name, holder: "b", acquiredAt: 1_900, expiresAt: 2_400 } })
      // releasing someone else's lease does nothing; the holder's release frees it
      yield* store.releaseLease(name, "a")
      expect((yield* store.lease(name))?.holder).toBe("b")
      yield* store.releaseLease(name, "b")
      expect(yield* store.lease(name)).toBeUndefined()
      expect((yield* store.acquireLease({ name, holder: "c", now: 2_000, ttlMs: 500 })).acquired).toBe(true)
    }))

  test("recordTick is fenced by the lease and by the tick id; a refused tick writes nothing", (instance) =>
    Effect.gen(function*() {
      const lease = freshRunId("fence")
      const store = instance.automation
      const id = freshRunId("tick")
      const withState = tick(id, { cursor: "7", assetStates: [{ assetKey: "fenced_asset", state: { requestedAt: 7 } }] })
      // no lease at all
      expect(yield* store.recordTick(withState, { lease, holder: "a", now: 1_000 })).toBe("lease-lost")
      yield* store.acquireLease({ name: lease, holder: "a", now: 1_000, ttlMs: 500 })
      // someone else, or the holder after expiry
      expect(yield* store.recordTick(withState, { lease, holder: "b", now: 1_100 })).toBe("lease-lost")
      expect(yield* store.recordTick(withState, { lease, holder: "a", now: 1_500 })).toBe("lease-lost")
      expect(yield* store.tick(id)).toBeUndefined()
      expect(yield* store.cursor("conditions/conditions")).toBeUndefined()
      expect((yield* store.assetStates(["fenced_asset"])).size).toBe(0)
      expect(yield* store.recordTick(withState, { lease, holder: "a", now: 1_100 })).toBe("recorded")
      expect(yield* store.recordTick({ ...withState, cursor: "8" }, { lease, holder: "a", now: 1_200 })).toBe("duplicate")
      expect(yield* store.cursor("conditions/conditions")).toBe("7")
      expect(Object.fromEntries(yield* store.assetStates(["fenced_asset", "other"]))).toEqual({ fenced_asset: { requestedAt: 7 } })
    }))

  test("ticks keep their runs and evaluations; listed newest first, filtered and paged; marked launched", (instance) =>
    Effect.gen(function*() {
      const lease = freshRunId("ticks")
      const store = instance.automation
      yield* store.acquireLease({ name: lease, holder: "d", now: 0, ttlMs: 1e12 })
      const fence = { lease, holder: "d", now: 1 }
      const run = { runId: freshRunId("run"), selection: "silver,gold", assetKeys: ["silver", "gold"], tags: { "strata/tick": "x" } }
      const ids = [freshRunId("t1"), freshRunId("t2"), freshRunId("t3")]
      yield* store.recordTick(tick(ids[0]!, { status: "requested", runs: [run], evaluations: [evaluation("silver", true), evaluation("gold", true), evaluation("bronze", false)], at: 10 }), fence)
      yield* store.recordTick(tick(ids[1]!, { origin: "schedule", name: "nightly", scheduledAt: 20, at: 21, status: "skipped", reason: "nothing selected" }), fence)
      yield* store.recordTick(tick(ids[2]!, { origin: "sensor", name: "raw_folder", at: 30, status: "failed", reason: "sensor raw_folder failed: boom", runs: [{ ...run, runKey: "k1", runId: freshRunId("run") }] }), fence)
      const all = (yield* store.ticks({ limit: 1000 })).filter((t) => ids.includes(t.tickId))
      expect(all.map((t) => t.tickId)).toEqual([ids[2], ids[1], ids[0]])
      expect(all[2]).toMatchObject({ origin: "conditions", status: "requested", runs: [run], evaluated: 3, requested: 2, at: 10 })
      expect(all[1]).toMatchObject({ origin: "schedule", name: "nightly", scheduledAt: 20, reason: "nothing selected", evaluated: 0 })
      expect(all[0]!.runs[0]!.runKey).toBe("k1")
      expect((yield* store.ticks({ origin: "schedule", name: "nightly" })).map((t) => t.tickId)).toEqual([ids[1]])
      expect((yield* store.ticks({ before: ids[2], limit: 1 })).map((t) => t.tickId)).toEqual([ids[1]])
      const detail = (yield* store.tick(ids[0]!))!
      expect(detail.evaluations).toEqual([evaluation("silver", true), evaluation("gold", true), evaluation("bronze", false)])
      expect((yield* store.ticks({ status: "requested" })).some((t) => t.tickId === ids[0])).toBe(true)
      yield* store.markLaunched(ids[0]!)
      expect((yield* store.tick(ids[0]!))!.tick.status).toBe("launched")
      expect((yield* store.ticks({ status: "requested" })).some((t) => t.tickId === ids[0])).toBe(false)
      // an asset's evaluations, newest first
      yield* store.recordTick(tick(freshRunId("t4"), { evaluations: [evaluation("silver", false)], at: 40 }), fence)
      const history = yield* store.evaluations("silver", { limit: 5 })
      expect(history.map((e) => [e.requested, e.at])).toEqual([[false, 40], [true, 10]])
      expect(history[1]).toMatchObject({ tickId: ids[0], result: evaluation("silver", true).result })
    }))

}

/** Switches, pruning, watching events and persistence. */
const stateCases = (test: ConformanceTest): void => {
  test("switches persist; pruning keeps the newest ticks of each origin", (instance) =>
    Effect.gen(function*() {
      const store = instance.automation
      const target = `schedule/${freshRunId("s")}`
      yield* store.setEnabled(target, false, 1)
      expect((yield* store.enabled()).get(target)).toBe(false)
      yield* store.setEnabled(target, true, 2)
      expect((yield* store.enabled()).get(target)).toBe(true)
      const lease = freshRunId("prune")
      yield* store.acquireLease({ name: lease, holder: "p", now: 0, ttlMs: 1e12 })
      const name = freshRunId("pruned")
      const ids: Array<string> = []
      for (let i = 0; i < 5; i++) {
        ids.push(`${name}/${i}`)
        yield* store.recordTick(tick(ids[i]!, { origin: "sensor", name, at: 100 + i, evaluations: [evaluation(`${name}_asset`, false)] }), { lease, holder: "p", now: 1 })
      }
      yield* store.pruneTicks({ before: 104, keep: 2 })
      expect((yield* store.ticks({ name })).map((t) => t.tickId)).toEqual([ids[4], ids[3]])
      expect((yield* store.evaluations(`${name}_asset`)).length).toBe(2)
      expect(yield* store.tick(ids[0]!)).toBeUndefined()
    }))

  test("watchEvents calls the listener after an append, until stopped", (instance) =>
    Effect.gen(function*() {
      const called = yield* Deferred.make<void>()
      const stop = yield* instance.automation.watchEvents(() => Deferred.doneUnsafe(called, Effect.void))
      const runId = freshRunId("watched")
      yield* instance.createRun(newRun(runId))
      yield* instance.appendEvents([{ type: "run-started", runId, timestamp: 1 }])
      // an event wait with a generous bound, not a timing assertion
      yield* Deferred.await(called).pipe(Effect.timeout("20 seconds"))
      stop()
    }))

  test("automation state survives a reopen when persistent", (instance, layer) =>
    Effect.gen(function*() {
      const store = instance.automation
      const lease = freshRunId("persist")
      yield* store.acquireLease({ name: lease, holder: "x", now: 0, ttlMs: 1e12 })
      const id = freshRunId("persisted")
      yield* store.recordTick(tick(id, { cursor: "42", name: id, origin: "sensor", evaluations: [evaluation("p_asset", true)], assetStates: [{ assetKey: `${id}_asset`, state: { requestedAt: 3, requestRunId: "r", cronHandled: { "0 * * * *@UTC": 3_600_000 } } }] }), { lease, holder: "x", now: 1 })
      yield* Effect.scoped(Effect.gen(function*() {
        const again = yield* open(layer)
        if (!again.capabilities.persistent) return
        expect((yield* again.automation.lease(lease))?.holder).toBe("x")
        expect(yield* again.automation.cursor(`sensor/${id}`)).toBe("42")
        expect((yield* again.automation.tick(id))?.evaluations).toEqual([evaluation("p_asset", true)])
        expect(Object.fromEntries(yield* again.automation.assetStates([`${id}_asset`]))).toEqual({
          [`${id}_asset`]: { requestedAt: 3, requestRunId: "r", cronHandled: { "0 * * * *@UTC": 3_600_000 } }
        })
      }))
    }))
}
