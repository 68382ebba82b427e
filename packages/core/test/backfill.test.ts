import { spawnSync } from "node:child_process"
import { hostname } from "node:os"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer } from "effect"
import { Asset, Backfill, InMemoryIO, Instance, Materialize, PartitionStates, Partitions, Project } from "../src/index.ts"

const now = Date.parse("2024-02-01T12:00:00Z")
const daily = Partitions.daily({ start: "2024-01-01" })

// every partition each asset computed, in order: the test reads it back
const computed: Array<string> = []

const events = Asset.make("events", { partitions: daily }, (_, context) => {
  for (const key of context.partitions.keys) computed.push(`events ${key}`)
  const rows = context.partitions.keys.map((day) => ({ day }))
  return Effect.succeed(rows.length === 1 ? rows : Object.fromEntries(rows.map((row) => [row.day, [row]])) as unknown as Array<{ day: string }>)
})
const users = Asset.make("users", { deps: { events }, partitions: daily }, ({ events }, context) => {
  for (const key of context.partitions.keys) computed.push(`users ${key}`)
  const counts = context.partitions.keys.map((day) => events.filter((row) => row.day === day).length)
  return Effect.succeed(counts.length === 1 ? counts : Object.fromEntries(context.partitions.keys.map((day, i) => [day, counts[i]])) as unknown as Array<number>)
})
const project = Project.make({ assets: [events, users] })
const setup = () => Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory)

const planOf = (policy: string) =>
  Effect.flatMap(Effect.service(Instance.Instance), (instance) =>
    Backfill.plan(project, instance, { selection: "+users", partitions: "2024-01-01...2024-01-07", policy: Backfill.parsePolicy(policy) as Backfill.Policy, now }))

describe("backfills", () => {
  it.effect("plans only the partitions not materialized for every selected asset, cut by the policy", () =>
    Effect.gen(function*() {
      expect((yield* Materialize.materialize(project, { selection: "+users", partition: "2024-01-03", now })).status).toBe("succeeded")
      // events alone on the 4th: the 4th is not done for the selection
      expect((yield* Materialize.materialize(project, { selection: "events", partition: "2024-01-04", now })).status).toBe("succeeded")
      const perPartition = yield* planOf("per-partition")
      expect(perPartition.referenceKeys).toEqual(["events", "users"])
      expect(Backfill.progressOf(perPartition)).toEqual({ total: 7, materialized: 1, failed: 0, missing: 6 })
      expect(perPartition.runs.map((run) => run.selection)).toEqual(["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05", "2024-01-06", "2024-01-07"])
      const four = yield* planOf("max-per-run=4")
      expect(four.runs.map((run) => run.selection)).toEqual(["2024-01-01...2024-01-02,2024-01-04...2024-01-05", "2024-01-06...2024-01-07"])
      const single = yield* planOf("single-run")
      expect(single.runs.map((run) => run.selection)).toEqual(["2024-01-01...2024-01-02,2024-01-04...2024-01-07"])
    }).pipe(Effect.provide(setup())))

  it.effect("a rebuild backfill runs materialized partitions again, each once, and resumes only those not rebuilt", () =>
    Effect.gen(function*() {
      expect((yield* Materialize.materialize(project, { selection: "+users", partition: "2024-01-01...2024-01-04", now })).status).toBe("succeeded")
      computed.length = 0
      const plain = yield* Backfill.create(project, { selection: "users", partitions: "2024-01-02...2024-01-03", policy: "per-partition", now })
      expect(plain.rebuild).toBeUndefined()
      expect((yield* Backfill.run(project, plain.backfillId, { now: () => now })).runs).toEqual([])
      const record = yield* Backfill.create(project, { selection: "users", partitions: "2024-01-02...2024-01-03", policy: "per-partition", now, rebuild: true })
      expect(record.rebuild).toBe(true)
      const instance = yield* Instance.Instance
      expect(Backfill.progressOf(yield* Backfill.assess(project, instance, { ...Backfill.requestOf(record), now }))).toEqual({
        total: 2,
        materialized: 0,
        failed: 0,
        missing: 2
      })
      const outcome = yield* Backfill.run(project, record.backfillId, { now: () => now })
      expect(outcome.record.status).toBe("completed")
      expect(outcome.progress).toEqual({ total: 2, materialized: 2, failed: 0, missing: 0 })
      expect(computed).toEqual(["users 2024-01-02", "users 2024-01-03"])
      // rebuilt: running it again launches nothing
      expect((yield* Backfill.run(project, record.backfillId, { now: () => now })).runs).toEqual([])
      expect(computed).toHaveLength(2)
    }).pipe(Effect.provide(setup())))

  it.effect("scattered partitions: runs are cut so that each one's selection fits in a partition key, and all complete", () =>
    Effect.gen(function*() {
      computed.length = 0
      expect((yield* Materialize.materialize(project, { selection: "events", partition: "2024-01-01...2024-01-31", now })).status).toBe("succeeded")
      // every other day of January: 16 one-day ranges, 175 characters as a selection
      const days = Array.from({ length: 16 }, (_, i) => `2024-01-${String(2 * i + 1).padStart(2, "0")}`)
      const partitions = days.join(",")
      expect(partitions.length).toBeGreaterThan(128)
      const instance = yield* Instance.Instance
      const planned = yield* Backfill.plan(project, instance, { selection: "users", partitions, policy: { _tag: "single-run" }, now })
      // eleven keys and ten commas make 120 characters; a twelfth would make 131
      expect(planned.runs.map((run) => run.selection)).toEqual([days.slice(0, 11).join(","), days.slice(11).join(",")])
      const record = yield* Backfill.create(project, { selection: "users", partitions, policy: "single-run", now, rebuild: true })
      const outcome = yield* Backfill.run(project, record.backfillId, { now: () => now })
      expect(outcome.record.status).toBe("completed")
      expect(outcome.runs).toHaveLength(2)
      expect(outcome.progress).toEqual({ total: 16, materialized: 16, failed: 0, missing: 0 })
      expect(computed.filter((entry) => entry.startsWith("users")).sort()).toEqual(days.map((day) => `users ${day}`))
    }).pipe(Effect.provide(setup())))

  it.effect("counts the materialized partitions that are stale now as stale, for a plain backfill and a rebuild one", () =>
    Effect.gen(function*() {
      // what each day of `source` holds: changing it gives that day new data
      const values = new Map<string, number>()
      const source = Asset.make("source", { partitions: daily }, (_, context) =>
        Effect.succeed(Object.fromEntries(context.partitions.keys.map((day) => [day, [values.get(day) ?? 1]])) as unknown as Array<number>))
      const derived = Asset.make("derived", { deps: { source }, partitions: daily }, ({ source }, context) =>
        Effect.succeed(Object.fromEntries(context.partitions.keys.map((day) => [day, source])) as unknown as Array<number>))
      const chain = Project.make({ assets: [source, derived] })
      const instance = yield* Instance.Instance
      const countsOf = (record: Parameters<typeof Backfill.requestOf>[0]) =>
        Effect.map(Backfill.assess(chain, instance, { ...Backfill.requestOf(record), now }), (assessed) => PartitionStates.counts(assessed.states))
      expect((yield* Materialize.materialize(chain, { selection: "*", partition: "2024-01-01...2024-01-05", now })).status).toBe("succeeded")
      const plain = yield* Backfill.create(chain, { selection: "*", partitions: "2024-01-01...2024-01-07", policy: "per-partition", now })
      expect(yield* countsOf(plain)).toEqual({ total: 7, materialized: 5, stale: 0, failed: 0, inProgress: 0, missing: 2 })

      // new data for the 2nd and 3rd of source: those days of derived are stale, and so for the backfill
      values.set("2024-01-02", 7).set("2024-01-03", 7)
      expect((yield* Materialize.materialize(chain, { selection: "source", partition: "2024-01-02...2024-01-03", now })).status).toBe("succeeded")
      expect(yield* countsOf(plain)).toEqual({ total: 7, materialized: 3, stale: 2, failed: 0, inProgress: 0, missing: 2 })
      // progress and the plan count stale partitions as done: a plain backfill runs only the missing ones
      expect(yield* Backfill.progress(chain, instance, plain, now)).toEqual({ total: 7, materialized: 5, failed: 0, missing: 2 })
      const outcome = yield* Backfill.run(chain, plain.backfillId, { now: () => now })
      expect(outcome.runs.map((run) => run.selection)).toEqual(["2024-01-06", "2024-01-07"])
      expect(yield* countsOf(outcome.record)).toEqual({ total: 7, materialized: 5, stale: 2, failed: 0, inProgress: 0, missing: 0 })

      // a rebuild of the 1st and 2nd: before it runs both are to rebuild; after, the 2nd is fresh again
      const rebuild = yield* Backfill.create(chain, { selection: "derived", partitions: "2024-01-01...2024-01-02", policy: "single-run", now, rebuild: true })
      expect(yield* countsOf(rebuild)).toEqual({ total: 2, materialized: 0, stale: 2, failed: 0, inProgress: 0, missing: 0 })
      const rebuilt = (yield* Backfill.run(chain, rebuild.backfillId, { now: () => now })).record
      expect(yield* countsOf(rebuilt)).toEqual({ total: 2, materialized: 2, stale: 0, failed: 0, inProgress: 0, missing: 0 })
      // the 1st gets new data after it was rebuilt: stale now, though the backfill wrote it
      values.set("2024-01-01", 9)
      expect((yield* Materialize.materialize(chain, { selection: "source", partition: "2024-01-01", now })).status).toBe("succeeded")
      expect(yield* countsOf(rebuilt)).toEqual({ total: 2, materialized: 1, stale: 1, failed: 0, inProgress: 0, missing: 0 })
      // the plain backfill now sees the 1st and 3rd stale (the 2nd was rebuilt)
      expect(yield* countsOf(outcome.record)).toEqual({ total: 7, materialized: 5, stale: 2, failed: 0, inProgress: 0, missing: 0 })
      const staleDays = (yield* Backfill.assess(chain, instance, { ...Backfill.requestOf(outcome.record), now })).states.stale
      expect(staleDays).toEqual([[0, 1], [2, 3]])
      // without staleness (what the run loop asks after each run) nothing is read as stale
      const quick = yield* Backfill.assess(chain, instance, { ...Backfill.requestOf(outcome.record), now, staleness: false })
      expect(PartitionStates.counts(quick.states)).toMatchObject({ materialized: 7, stale: 0 })
    }).pipe(Effect.provide(setup())))

  it("reads policies and refuses bad ones", () => {
    expect(Backfill.parsePolicy("max-per-run=30")).toEqual({ _tag: "max-per-run", size: 30 })
    expect(Backfill.parsePolicy("single-run")).toEqual({ _tag: "single-run" })
    for (const bad of ["max-per-run=0", "max-per-run=2000000", "max-per-run=x", "daily", ""]) {
      expect(Backfill.parsePolicy(bad)).toBeInstanceOf(Backfill.BackfillError)
    }
  })

  it.effect("runs a recorded backfill run by run, each partition computed once, and completes it", () =>
    Effect.gen(function*() {
      computed.length = 0
      const record = yield* Backfill.create(project, { selection: "+users", partitions: "2024-01-01...2024-01-05", policy: "max-per-run=2", now })
      expect(record.status).toBe("requested")
      expect(record.assetKeys).toEqual(["events", "users"])
      const reports: Array<string> = []
      const outcome = yield* Backfill.run(project, record.backfillId, {
        now: () => now,
        onReport: (report) => reports.push(report._tag === "run-ended" ? `ended ${report.progress.materialized}/${report.progress.total}` : report._tag)
      })
      expect(outcome.record.status).toBe("completed")
      expect(outcome.progress).toEqual({ total: 5, materialized: 5, failed: 0, missing: 0 })
      expect(outcome.runs.map((run) => [run.selection, run.status])).toEqual([
        ["2024-01-01...2024-01-02", "succeeded"],
        ["2024-01-03...2024-01-04", "succeeded"],
        ["2024-01-05", "succeeded"]
      ])
      expect(outcome.record.runIds).toEqual(outcome.runs.map((run) => run.runId))
      expect(reports).toEqual(["planned", "run-started", "ended 2/5", "run-started", "ended 4/5", "run-started", "ended 5/5"])
      expect(computed.filter((entry) => entry.startsWith("users")).sort()).toEqual(
        ["01", "02", "03", "04", "05"].map((day) => `users 2024-01-${day}`)
      )
      // a second run of the same backfill launches nothing
      const again = yield* Backfill.run(project, record.backfillId, { now: () => now })
      expect(again.runs).toEqual([])
      expect(again.record.status).toBe("completed")
    }).pipe(Effect.provide(setup())))

  it.effect("a cancel request stops it after the current run; resuming runs only what is missing", () =>
    Effect.gen(function*() {
      computed.length = 0
      const instance = yield* Instance.Instance
      const record = yield* Backfill.create(project, { selection: "+users", partitions: "2024-01-01...2024-01-06", policy: "per-partition", now })
      const first = yield* Backfill.run(project, record.backfillId, {
        now: () => now,
        onReport: (report) => {
          if (report._tag === "run-started" && report.index === 1) Effect.runSync(instance.backfills.requestCancel(record.backfillId, now))
        }
      })
      expect(first.record.status).toBe("canceled")
      expect(first.runs.map((run) => run.selection)).toEqual(["2024-01-01", "2024-01-02"])
      expect(first.progress).toEqual({ total: 6, materialized: 2, failed: 0, missing: 4 })
      const resumed = yield* Backfill.run(project, record.backfillId, { now: () => now })
      expect(resumed.record.status).toBe("completed")
      expect(resumed.runs.map((run) => run.selection)).toEqual(["2024-01-03", "2024-01-04", "2024-01-05", "2024-01-06"])
      expect(resumed.record.runIds).toHaveLength(6)
      expect(computed.filter((entry) => entry.startsWith("events")).length).toBe(6)
    }).pipe(Effect.provide(setup())))

  it.effect("plans over a million hourly partitions with scattered materializations from their ranges", () =>
    Effect.gen(function*() {
      const hours = Partitions.hourly({ start: "1900-01-01-00:00" })
      const big = Asset.make("big", { partitions: hours }, () => Effect.succeed([]))
      const bigProject = Project.make({ assets: [big] })
      const instance = yield* Instance.Instance
      const space = Partitions.resolve(hours, { now })
      expect(space.size).toBeGreaterThan(1_000_000)
      // 1,000 materialized stretches of 500 hours, every 1,000 hours
      const ranges = Array.from({ length: 1_000 }, (_, i): readonly [number, number] => [i * 1_000, i * 1_000 + 500])
      yield* instance.createRun({ runId: "seed", selection: "big", assetKeys: ["big"], staleOnly: false, tags: {}, createdAt: now })
      yield* instance.appendEvents([{
        type: "asset-materialized", runId: "seed", timestamp: now, assetKey: "big", partition: "seed", metadata: {},
        dataVersion: "v", codeVersion: "c", inputVersions: {}, partitionSet: { fingerprint: Partitions.fingerprint(hours), ranges }
      }])
      const request = { selection: "big", partitions: `${space.keyAt(0)}...${space.keyAt(999_999)}`, now }
      const planned = yield* Backfill.plan(bigProject, instance, { ...request, policy: { _tag: "max-per-run", size: 100_000 } })
      expect(Backfill.progressOf(planned)).toEqual({ total: 1_000_000, materialized: 500_000, failed: 0, missing: 500_000 })
      expect(planned.missing).toHaveLength(1_000)
      // 100,000 partitions are 200 ranges; a run's selection names at most three (35 characters each) within a
      // partition key's 128: 67 runs per 100,000
      expect(planned.runs).toHaveLength(5 * 67)
      expect(Math.max(...planned.runs.map((run) => Partitions.Ranges.count(run.ranges)))).toBe(1_500)
      const union = (runs: typeof planned.runs) => Partitions.Ranges.normalize(runs.flatMap((run) => run.ranges))
      expect(union(planned.runs)).toEqual(planned.missing)
      // each run's selection names exactly its ranges, and fits in a partition key
      for (const run of planned.runs) {
        expect(Partitions.parseSelection(space, run.selection)).toEqual(run.ranges)
        expect(run.selection.length).toBeLessThanOrEqual(128)
      }
      const single = yield* Backfill.plan(bigProject, instance, { ...request, policy: { _tag: "single-run" } })
      expect(single.runs).toHaveLength(334)
      expect(union(single.runs)).toEqual(planned.missing)
      // contiguous partitions stay one run
      const contiguous = yield* Backfill.plan(bigProject, instance, { ...request, partitions: `${space.keyAt(500)}...${space.keyAt(999)}`, policy: { _tag: "single-run" } })
      expect(contiguous.runs.map((run) => run.selection)).toEqual([`${space.keyAt(500)}...${space.keyAt(999)}`])
    }).pipe(Effect.provide(setup())))

  it.effect("a selection without partitioned assets, or an unknown backfill, is a BackfillError", () =>
    Effect.gen(function*() {
      const plain = Project.make({ assets: [Asset.make("plain", {}, () => Effect.succeed(1))] })
      const error = yield* Effect.flip(Backfill.create(plain, { selection: "plain", partitions: "2024-01-01", policy: "single-run", now }))
      expect(error._tag).toBe("@strata/core/BackfillError")
      const unknown = yield* Effect.flip(Backfill.run(project, "bf-nope"))
      expect(unknown.message).toContain("bf-nope does not exist")
    }).pipe(Effect.provide(setup())))

  it.effect("a running backfill whose executor is gone reads as interrupted, and resumes; a second executor is refused", () =>
    Effect.gen(function*() {
      const instance = yield* Instance.Instance
      const started = yield* Deferred.make<void>()
      let hang = true
      const slow = Asset.make("slow", { partitions: daily }, () =>
        hang ? Effect.andThen(Deferred.succeed(started, undefined), Effect.never) : Effect.succeed([1]))
      const slowProject = Project.make({ assets: [slow] })
      const record = yield* Backfill.create(slowProject, { selection: "slow", partitions: "2024-01-01...2024-01-02", policy: "per-partition", now })
      const fiber = yield* Effect.forkChild(Backfill.run(slowProject, record.backfillId, { now: () => now }))
      yield* Deferred.await(started)
      const running = (yield* instance.backfills.get(record.backfillId))!
      expect(yield* Backfill.statusOf(instance, running, now)).toBe("running")
      // another process (or a second click) cannot run it at the same time
      const second = yield* Effect.flip(Backfill.run(slowProject, record.backfillId, { now: () => now }))
      expect(second.message).toContain(`backfill ${record.backfillId} is being run by another process (${hostname()}:${process.pid}:`)
      // the executor stops (the server's scope closes): the record still says running, the read says interrupted
      yield* Fiber.interrupt(fiber)
      const left = (yield* instance.backfills.get(record.backfillId))!
      expect(left.status).toBe("running")
      expect(yield* Backfill.statusOf(instance, left, now)).toBe("interrupted")
      hang = false
      const resumed = yield* Backfill.run(slowProject, record.backfillId, { now: () => now })
      expect(resumed.record.status).toBe("completed")
      expect(yield* Backfill.statusOf(instance, resumed.record, now)).toBe("completed")
    }).pipe(Effect.provide(setup())))

  it.effect("an executor is gone when its lease expired, or at once when its process on this host no longer exists", () =>
    Effect.gen(function*() {
      const instance = yield* Instance.Instance
      const record = yield* Backfill.create(project, { selection: "+users", partitions: "2024-01-01", policy: "per-partition", now })
      const running = yield* instance.backfills.setStatus(record.backfillId, { status: "running", at: now })
      // no lease at all (a server of an earlier version, or one that never took it): interrupted
      expect(yield* Backfill.statusOf(instance, running, now)).toBe("interrupted")
      // a process on another host: running until its lease expires (30 s without renewal)
      yield* instance.automation.acquireLease({ name: `backfill/${record.backfillId}`, holder: "elsewhere:4242:abcd", now, ttlMs: 30_000 })
      expect(yield* Backfill.statusOf(instance, running, now + 29_000)).toBe("running")
      expect(yield* Backfill.statusOf(instance, running, now + 30_000)).toBe("interrupted")
      // a process of this host that exited (SIGKILL): interrupted before its lease expires
      const dead = spawnSync(process.execPath, ["-e", ""]).pid
      yield* instance.automation.releaseLease(`backfill/${record.backfillId}`, "elsewhere:4242:abcd")
      yield* instance.automation.acquireLease({ name: `backfill/${record.backfillId}`, holder: `${hostname()}:${dead}:abcd`, now, ttlMs: 30_000 })
      expect(yield* Backfill.statusOf(instance, running, now + 1)).toBe("interrupted")
      // and its lease is taken over by a resume
      const resumed = yield* Backfill.run(project, record.backfillId, { now: () => now + 1 })
      expect(resumed.record.status).toBe("completed")
    }).pipe(Effect.provide(setup())))

  it.effect("a partitioned step interrupted by a cancel leaves its partitions failed, not in progress", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const hanging = Asset.make("hanging", { partitions: daily }, () => Effect.andThen(Deferred.succeed(started, undefined), Effect.never))
      const hangingProject = Project.make({ assets: [hanging] })
      const instance = yield* Instance.Instance
      const fiber = yield* Effect.forkChild(Materialize.materialize(hangingProject, { selection: "hanging", partition: "2024-01-01...2024-01-03", now }))
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      const status = yield* instance.partitionStatus!("hanging")
      expect(status?.inProgress).toEqual([])
      expect(status?.failed).toEqual([[0, 3]])
    }).pipe(Effect.provide(setup())))
})
