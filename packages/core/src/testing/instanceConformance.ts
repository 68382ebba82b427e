/**
 * The instance conformance suite: one set of tests that every
 * implementation of {@link Instance} runs (memory, SQLite, Postgres), so that
 * they agree on the contract. Differences between backends are expressed by
 * `Capabilities` flags and checked, never skipped silently:
 * `persistent` decides what reopening must show; `multiProcess` needs other
 * processes opening the same storage, which only a backend's own tests know
 * how to start (see @strata/sqlite's and @strata/postgres's multiprocess tests).
 */
import { spawnSync } from "node:child_process"
import { hostname } from "node:os"
import { describe, expect, it } from "@effect/vitest"
import type { Scope } from "effect"
import { Context, Deferred, Effect, Exit, Fiber, Layer } from "effect"
import * as Asset from "../Asset.ts"
import type { StoredEvent, StrataEvent } from "../Event.ts"
import * as InMemoryIO from "../InMemoryIO.ts"
import type { InstanceShape, NewRun } from "../Instance.ts"
import { CancelRequestError, Instance, InstanceError } from "../Instance.ts"
import * as Materialize from "../Materialize.ts"
import type { Metadata } from "../Metadata.ts"
import * as Project from "../Project.ts"

/**
 * Options of {@link instanceConformance}.
 *
 * @since 0.1.0
 */
export interface InstanceConformanceOptions {
  /** Per-test timeout in milliseconds (default 30 000). */
  readonly timeout?: number | undefined
}

/**
 * Opens an instance from a layer in the current scope; closing the scope
 * closes the instance.
 */
const open = (layer: Layer.Layer<Instance, unknown>): Effect.Effect<InstanceShape, unknown, Scope.Scope> =>
  Effect.map(Layer.build(layer), (context) => Context.get(context, Instance))

let runCounter = 0
const freshRunId = (label: string) => `${label}-${++runCounter}-${Math.random().toString(36).slice(2, 8)}`

const newRun = (runId: string, overrides?: Partial<NewRun>): NewRun => ({
  runId,
  selection: "*",
  assetKeys: ["a", "b"],
  staleOnly: false,
  tags: {},
  createdAt: Date.now(),
  ...overrides
})

const materialized = (
  runId: string,
  assetKey: string,
  options?: { partition?: string; metadata?: Metadata; dataVersion?: string; timestamp?: number }
): StrataEvent => ({
  type: "asset-materialized",
  runId,
  timestamp: options?.timestamp ?? Date.now(),
  assetKey,
  partition: options?.partition,
  metadata: options?.metadata ?? { row_count: 1 },
  dataVersion: options?.dataVersion ?? `${runId}:${assetKey}:${options?.partition ?? ""}`,
  codeVersion: "code-1",
  inputVersions: {}
})

const stepStarted = (runId: string, assetKey: string, attempt = 1, partition?: string): StrataEvent => ({
  type: "step-started",
  runId,
  timestamp: Date.now(),
  assetKey,
  partition,
  attempt
})

const stepFailed = (runId: string, assetKey: string, willRetry: boolean): StrataEvent => ({
  type: "step-failed",
  runId,
  timestamp: Date.now(),
  assetKey,
  attempt: 1,
  durationMs: 5,
  error: { tag: "Boom", message: `${assetKey} exploded`, retryable: willRetry },
  willRetry
})

/** Drops `undefined` fields, which JSON-backed stores cannot keep apart from missing ones. */
const defined = <A>(value: A): A => JSON.parse(JSON.stringify(value)) as A

const withoutId = ({ id: _id, ...event }: StoredEvent) => event

/** A pid that belonged to a process which has exited (so it is, almost surely, free). */
const deadPid = (): number => {
  const child = spawnSync(process.execPath, ["-e", ""])
  return child.pid!
}

const expectInstanceError = <A>(
  exit: Exit.Exit<A, InstanceError>,
  reason: InstanceError["reason"]
) => {
  expect(Exit.isFailure(exit)).toBe(true)
  if (Exit.isFailure(exit)) {
    const error = exit.cause.reasons.find((r) => r._tag === "Fail")
    expect(error).toBeDefined()
    const failure = (error as { error: unknown }).error
    expect(failure).toBeInstanceOf(InstanceError)
    expect((failure as InstanceError).reason).toBe(reason)
  }
}

const expectCancelRefused = <A>(
  exit: Exit.Exit<A, InstanceError | CancelRequestError>,
  reason: CancelRequestError["reason"]
): CancelRequestError => {
  expect(Exit.isFailure(exit)).toBe(true)
  const error = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
  const failure = (error as { error: unknown } | undefined)?.error
  expect(failure).toBeInstanceOf(CancelRequestError)
  expect((failure as CancelRequestError).reason).toBe(reason)
  return failure as CancelRequestError
}

/**
 * Registers the instance conformance suite with vitest.
 *
 * `make` is called once per test and must return a layer over fresh, empty
 * storage. For implementations whose `capabilities.persistent` is true,
 * building that same layer again must reopen the same storage (the suite
 * closes the first instance, builds the layer again and expects everything
 * to be there).
 *
 * @example
 * ```ts
 * // test/instance-memory.test.ts
 * import { Instance } from "@strata/core"
 * import { instanceConformance } from "@strata/core/testing"
 *
 * instanceConformance("memory", () => Instance.layerMemory)
 * ```
 *
 * @since 0.1.0
 */
export const instanceConformance = (
  name: string,
  make: () => Layer.Layer<Instance, unknown>,
  options?: InstanceConformanceOptions
): void => {
  const timeout = options?.timeout ?? 30_000
  const test = (
    title: string,
    body: (instance: InstanceShape, layer: Layer.Layer<Instance, unknown>) => Effect.Effect<void, unknown, Scope.Scope>
  ) =>
    it.live(title, () =>
      Effect.gen(function*() {
        const layer = make()
        yield* Effect.scoped(Effect.flatMap(open(layer), (instance) => body(instance, layer)))
      }), timeout)

  describe(`Instance conformance: ${name}`, () => {
    test("describes itself and declares its capabilities", (instance) =>
      Effect.sync(() => {
        expect(instance.describe.length).toBeGreaterThan(0)
        expect(typeof instance.capabilities.persistent).toBe("boolean")
        expect(typeof instance.capabilities.multiProcess).toBe("boolean")
      }))

    describe("runs", () => {
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
    })

    describe("cancel requests", () => {
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
    })

    describe("event log", () => {
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
    })

    describe("asset index", () => {
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
    })

    describe("retention", () => {
      test("prune endedBefore deletes old finished runs and their events, keeping every latest materialization and observation", (instance) =>
        Effect.gen(function*() {
          const old = freshRunId("old")
          const oldRunning = freshRunId("old-running")
          const recent = freshRunId("recent")
          yield* instance.createRun(newRun(old, { createdAt: 100 }))
          yield* instance.createRun(newRun(oldRunning, { createdAt: 100, host: hostname(), pid: process.pid }))
          yield* instance.createRun(newRun(recent, { createdAt: 5000 }))
          yield* instance.appendEvents([
            { type: "run-started", runId: old, timestamp: 100 },
            materialized(old, "kept-latest", { dataVersion: "only" }),
            materialized(old, "replaced", { dataVersion: "old" }),
            { type: "asset-observed", runId: old, timestamp: 150, assetKey: "src", metadata: {}, dataVersion: "obs" },
            { type: "log", runId: old, timestamp: 150, level: "info", message: "gone" },
            { type: "run-succeeded", runId: old, timestamp: 200 },
            { type: "run-started", runId: oldRunning, timestamp: 100 },
            { type: "run-started", runId: recent, timestamp: 5000 },
            materialized(recent, "replaced", { dataVersion: "new" }),
            { type: "run-succeeded", runId: recent, timestamp: 6000 }
          ])
          const before = (yield* instance.events()).length
          const result = yield* instance.prune({ endedBefore: 1000 })
          expect(result.runs).toBe(1)
          // run-started, replaced, log, run-succeeded of the old run; kept-latest and the observation stay
          expect(result.events).toBe(4)
          expect((yield* instance.events()).length).toBe(before - 4)
          expect(yield* instance.getRun(old)).toBeUndefined()
          expect((yield* instance.getRun(oldRunning))!.status).toBe("started")
          expect((yield* instance.getRun(recent))!.status).toBe("succeeded")
          const index = yield* instance.assets()
          expect(index.get("kept-latest")!.materialization!.dataVersion).toBe("only")
          expect(index.get("replaced")!.materialization!.dataVersion).toBe("new")
          expect(index.get("src")!.observation!.dataVersion).toBe("obs")
          expect((yield* instance.history("kept-latest")).map((r) => r.dataVersion)).toEqual(["only"])
          expect((yield* instance.history("replaced")).map((r) => r.dataVersion)).toEqual(["new"])
          expect((yield* instance.listRuns()).map((r) => r.runId).sort()).toEqual([oldRunning, recent].sort())
        }))

      test("prune keepMaterializationsPerAsset trims history per asset and partition, never the latest", (instance) =>
        Effect.gen(function*() {
          for (let i = 0; i < 5; i++) {
            const runId = freshRunId(`keep${i}`)
            yield* instance.createRun(newRun(runId))
            yield* instance.appendEvents([
              materialized(runId, "k", { dataVersion: `k${i}` }),
              materialized(runId, "k", { partition: "p", dataVersion: `p${i}` }),
              ...(i < 2 ? [materialized(runId, "short", { dataVersion: `s${i}` })] : [])
            ])
          }
          const result = yield* instance.prune({ keepMaterializationsPerAsset: 2 })
          expect(result.runs).toBe(0)
          expect(result.events).toBe(6)
          expect((yield* instance.history("k")).map((r) => r.dataVersion)).toEqual(["p4", "k4", "p3", "k3"])
          expect((yield* instance.history("short")).map((r) => r.dataVersion)).toEqual(["s1", "s0"])
          expect((yield* instance.assets(["k"])).get("k")!.materialization!.dataVersion).toBe("k4")
          expect((yield* instance.partitions("k")).get("p")!.dataVersion).toBe("p4")
          const again = yield* instance.prune({ keepMaterializationsPerAsset: 1 })
          expect(again.events).toBe(3)
          expect((yield* instance.history("k")).map((r) => r.dataVersion)).toEqual(["p4", "k4"])
          expect((yield* instance.prune({ keepMaterializationsPerAsset: 0 })).events).toBe(0)
        }))

      test("wipeAssets forgets history and index entries of the given assets only", (instance) =>
        Effect.gen(function*() {
          const runId = freshRunId("wipe")
          yield* instance.createRun(newRun(runId))
          yield* instance.appendEvents([
            materialized(runId, "gone"),
            materialized(runId, "gone", { partition: "p" }),
            materialized(runId, "stays"),
            { type: "asset-observed", runId, timestamp: 1, assetKey: "gone-src", metadata: {}, dataVersion: "v" },
            { type: "log", runId, timestamp: 1, level: "info", message: "kept" }
          ])
          yield* instance.wipeAssets(["gone", "gone-src"])
          const index = yield* instance.assets()
          expect([...index.keys()]).toEqual(["stays"])
          expect((yield* instance.partitions("gone")).size).toBe(0)
          expect(yield* instance.history("gone")).toEqual([])
          expect((yield* instance.history("stays")).length).toBe(1)
          const events = yield* instance.runEvents(runId)
          expect(events.map((event) => event.type)).toEqual(["asset-materialized", "log"])
          yield* instance.wipeAssets([])
          expect((yield* instance.assets()).size).toBe(1)
        }))
    })

    describe("orphaned runs", () => {
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
    })

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
            { type: "run-failed", runId, timestamp: now + 10, reason: "1 step failed: b" },
            { type: "run-started", runId: running, timestamp: now + 1 }
          ])
          yield* instance.requestCancel(running, { at: now + 2, reason: "asked before the reopen" })
          const events = yield* instance.events()
          const assets = yield* instance.assets()
          const runs = yield* instance.listRuns()
          const history = yield* instance.history("a")
          const partitions = yield* instance.partitions("a")
          const last = events.at(-1)!.id
          yield* Effect.scoped(Effect.gen(function*() {
            const again = yield* open(layer)
            expect(again.capabilities).toEqual(instance.capabilities)
            if (!again.capabilities.persistent) {
              expect(yield* again.events()).toEqual([])
              expect((yield* again.assets()).size).toBe(0)
              expect(yield* again.listRuns()).toEqual([])
              return
            }
            expect(yield* again.events()).toEqual(events)
            expect(yield* again.assets()).toEqual(assets)
            expect(yield* again.listRuns()).toEqual(runs)
            expect(yield* again.history("a")).toEqual(history)
            expect(yield* again.partitions("a")).toEqual(partitions)
            // the live run of this process is not mistaken for an orphan
            expect((yield* again.getRun(running))!.status).toBe("started")
            expect(defined(yield* again.cancelRequest(running))).toEqual({ at: now + 2, reason: "asked before the reopen" })
            // ids keep growing after a reopen
            yield* again.appendEvents([{ type: "log", runId, timestamp: now, level: "info", message: "later" }])
            expect((yield* again.events({ after: last })).map((event) => event.id)[0]).toBeGreaterThan(last)
          }))
        }))
    })
  })
}

