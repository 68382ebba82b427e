import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import {
  Asset,
  AutomationCondition as C,
  AutomationEvaluation,
  InMemoryIO,
  Instance,
  Materialize,
  Observe,
  PartitionMapping,
  Partitions,
  Project,
  Staleness
} from "../src/index.ts"
import { dropsSource } from "./fixtures/drops.ts"

const daily = Partitions.daily({ start: "2024-01-01" })
// Thursday 2024-02-01 12:00 UTC: the 31 days of January are complete
const now = Date.parse("2024-02-01T12:00:00Z")

// what each day of `events` holds: a changed count is new data
const counts = new Map<string, number>()

const perKey = <A>(keys: ReadonlyArray<string>, f: (key: string) => A): A =>
  (keys.length === 1 ? f(keys[0]!) : Object.fromEntries(keys.map((key) => [key, f(key)]))) as A

const events = Asset.make("events", { partitions: daily }, (_, context) =>
  Effect.succeed(perKey(context.partitions.keys, (day) => counts.get(day) ?? 1)))
const dailyUsers = Asset.make("daily_users", { deps: { events }, partitions: daily }, ({ events }, context) =>
  Effect.succeed(perKey(context.partitions.keys, () => events)))
const weekly = Asset.make("weekly", {
  deps: { daily_users: dailyUsers },
  partitions: Partitions.weekly({ start: "2024-01-01" }),
  partitionMappings: { daily_users: PartitionMapping.timeWindow() }
}, ({ daily_users }, context) => Effect.succeed(perKey(context.partitions.keys, () => daily_users)))
const report = Asset.make("report", { deps: { events }, partitions: daily }, ({ events }, context) =>
  Effect.succeed(perKey(context.partitions.keys, () => events)))

const project = Project.make({
  assets: [events, dailyUsers, weekly, report],
  automation: {
    conditions: { daily_users: C.eager(), weekly: C.eager(), report: C.onMissing({ lookback: 2 }) }
  }
})

const layer = Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory)

/** One evaluation at `at`, recorded like the daemon does (states), from the previous cursor. */
const evaluator = <R>(p: Project.Project<R>) => {
  let previous = 0
  let ticks = 0
  return (at: number) =>
    Effect.gen(function*() {
      const instance = yield* Instance.Instance
      const cursor = yield* instance.lastEventId()
      const output = yield* AutomationEvaluation.read(p, { now: at, previousCursor: previous, cursor, runId: `auto-${++ticks}` })
      yield* instance.automation.acquireLease({ name: "t", holder: "t", now: at, ttlMs: 1e12 })
      yield* instance.automation.recordTick(
        { tickId: `t/${ticks}`, origin: "conditions", name: "t", at, status: "skipped", runs: [], evaluations: output.evaluations, assetStates: output.states },
        { lease: "t", holder: "t", now: at }
      )
      previous = cursor
      return output
    })
}

const materialize = <R>(p: Project.Project<R>, selection: string, partition: string, observeSources = false) =>
  Effect.map(Materialize.materialize(p, { selection, partition, now, observeSources }), (result) => {
    expect(result.failed).toEqual([])
  })

const partitionsOf = (output: AutomationEvaluation.Output) =>
  Object.fromEntries([...output.partitions].map(([key, requested]) => [key, requested.selection]))

describe("per-partition automation", () => {
  it.effect("eager requests exactly the partitions whose upstream partitions got new data, through the mappings", () =>
    Effect.gen(function*() {
      counts.clear()
      yield* materialize(project, "events,daily_users,weekly", "2024-01-01...2024-01-28")
      yield* materialize(project, "events,daily_users,report", "2024-01-29...2024-01-31")
      const tick = evaluator(project)
      // the first evaluation: nothing is new to the assets yet, and report misses nothing in its window
      const first = yield* tick(now)
      expect(first.requested).toEqual([])

      // two days of events get new data
      counts.set("2024-01-05", 7)
      counts.set("2024-01-20", 9)
      yield* materialize(project, "events", "2024-01-05")
      yield* materialize(project, "events", "2024-01-20")
      const second = yield* tick(now)
      expect(second.requested).toEqual(["daily_users", "weekly"])
      // daily_users: the two days; weekly: the two weeks that read them (newly requested, through the time window)
      expect(partitionsOf(second)).toEqual({ daily_users: "2024-01-05,2024-01-20", weekly: "2024-01-01,2024-01-15" })
      const why = second.evaluations.find((e) => e.assetKey === "daily_users")!.result
      expect(why).toMatchObject({ label: "eager", value: true, partitions: { count: 2, total: 31, text: "2024-01-05,2024-01-20" } })
      expect(why.children![0]).toMatchObject({ label: "any upstream of 1", matched: ["events"], partitions: { count: 2 } })
      // two groups of partitions: one run each
      expect(AutomationEvaluation.requestRuns(second)).toEqual([
        { assetKeys: ["daily_users"], partition: "2024-01-05,2024-01-20" },
        { assetKeys: ["weekly"], partition: "2024-01-01,2024-01-15" }
      ])
      expect(AutomationEvaluation.requestRuns(second, { _tag: "per-partition" }).map((run) => run.partition)).toEqual([
        "2024-01-05",
        "2024-01-20",
        "2024-01-01",
        "2024-01-15"
      ])

      // scattered partitions: a run's selection names at most 1,000 ranges
      const scattered = Partitions.Ranges.normalize(Array.from({ length: 2_500 }, (_, i): Partitions.Ranges.Range => [i * 2, i * 2 + 1]))
      const space = Partitions.resolve(Partitions.daily({ start: "2000-01-01" }), { now })
      const many = AutomationEvaluation.requestRuns({
        ...second,
        requested: ["daily_users"],
        partitions: new Map([["daily_users", { space, fingerprint: "f", ranges: scattered, selection: Partitions.selection(space, scattered) }]])
      })
      expect(many.map((run) => run.partition!.split(",").length)).toEqual([1_000, 1_000, 500])
      // requested and not yet materialized: not asked again
      expect((yield* tick(now)).requested).toEqual([])
      yield* materialize(project, "daily_users", "2024-01-05,2024-01-20")
      // weekly now reads new daily data, but its request covers it
      yield* materialize(project, "weekly", "2024-01-01,2024-01-15")
      expect((yield* tick(now)).requested).toEqual([])

      // a rebuild with the same data is not new data (the 5th was materialized alone: its data version is its own)
      yield* materialize(project, "events", "2024-01-05")
      expect((yield* tick(now)).requested).toEqual([])
    }).pipe(Effect.provide(layer)))

  it.effect("eager asks for changed and newly arrived upstream partitions, not for data older than automation", () =>
    Effect.gen(function*() {
      counts.clear()
      const only = Project.make({ assets: [events, dailyUsers], automation: { conditions: { daily_users: C.eager() } } })
      yield* materialize(only, "*", "2024-01-01...2024-01-10")
      // events the daemon never saw change: not new to daily_users when automation starts
      yield* materialize(only, "events", "2024-01-11...2024-01-15")
      const tick = evaluator(only)
      expect((yield* tick(now)).requested).toEqual([])
      // new events for the 3rd, and first events for the 20th (daily_users never had it)
      counts.set("2024-01-03", 5)
      yield* materialize(only, "events", "2024-01-03")
      yield* materialize(only, "events", "2024-01-20")
      const output = yield* tick(now)
      expect(partitionsOf(output)).toEqual({ daily_users: "2024-01-03,2024-01-20" })
      expect(AutomationEvaluation.requestRuns(output)).toEqual([{ assetKeys: ["daily_users"], partition: "2024-01-03,2024-01-20" }])
    }).pipe(Effect.provide(layer)))

  it.effect("onMissing asks for the missing partitions of the latest window only, once", () =>
    Effect.gen(function*() {
      counts.clear()
      const only = Project.make({ assets: [events, report], automation: { conditions: { report: C.onMissing({ lookback: 3 }) } } })
      const tick = evaluator(only)
      // 31 days missing; the window is the last three
      const first = yield* tick(now)
      expect(partitionsOf(first)).toEqual({ report: "2024-01-29...2024-01-31" })
      const why = first.evaluations[0]!.result
      expect(why.children!.map((child) => [child.label, child.partitions?.count])).toEqual([
        ["missing", 31],
        ["in latest time window (3 partitions)", 3],
        ["not", 31],
        ["not", 31]
      ])
      // requested: not again until materialized
      expect((yield* tick(now)).requested).toEqual([])
      yield* materialize(only, "*", "2024-01-29...2024-01-31")
      expect((yield* tick(now)).requested).toEqual([])
      // a day later, February 1st is complete and missing
      const next = yield* tick(now + 86_400_000)
      expect(partitionsOf(next)).toEqual({ report: "2024-02-01" })
    }).pipe(Effect.provide(layer)))

  it.effect("onCron asks for the latest complete partition once per tick, after the upstreams updated since (test clock)", () =>
    Effect.gen(function*() {
      counts.clear()
      const feed = Asset.make("feed", { deps: { events }, partitions: daily }, ({ events }, context) =>
        Effect.succeed(perKey(context.partitions.keys, () => events)))
      const cron = Project.make({ assets: [events, feed], automation: { conditions: { feed: C.onCron("0 6 * * *") } } })
      const tick = evaluator(cron)
      const feb2 = Date.parse("2024-02-02T06:00:00Z")
      yield* TestClock.setTime(now)
      yield* materialize(cron, "events", "2024-01-31")
      expect((yield* tick(now)).requested).toEqual([])
      // the tick of Feb 2nd 06:00 passed; events has not been updated since
      yield* TestClock.setTime(feb2 + 60_000)
      expect((yield* tick(feb2 + 60_000)).requested).toEqual([])
      // events updated after the tick: feed is asked for Feb 1st, the latest complete day, once
      yield* Materialize.materialize(cron, { selection: "events", partition: "2024-02-01", now: feb2 + 60_000, observeSources: false })
      const output = yield* tick(feb2 + 120_000)
      expect(partitionsOf(output)).toEqual({ feed: "2024-02-01" })
      expect((yield* tick(feb2 + 180_000)).requested).toEqual([])
    }).pipe(Effect.provide(layer)))

  it.effect("an observable partitioned source: automation requests exactly the partitions strata status reports stale", () =>
    Effect.gen(function*() {
      // what the source finds per day; the test rewrites one day's version
      const { versions: drops, source } = dropsSource(daily, 14)
      const ingested = Asset.make("ingested", { after: [source], partitions: daily }, (_, context) =>
        Effect.succeed(perKey(context.partitions.keys, (day) => drops.get(day) ?? "none")))
      const weeklyDrops = Asset.make("weekly_drops", {
        deps: { ingested },
        partitions: Partitions.weekly({ start: "2024-01-01" }),
        partitionMappings: { ingested: PartitionMapping.timeWindow() }
      }, ({ ingested }, context) => Effect.succeed(perKey(context.partitions.keys, () => ingested)))
      // reads the subject's own per-partition staleness
      const audit = Asset.make("audit", { after: [source], partitions: daily }, (_, context) =>
        Effect.succeed(perKey(context.partitions.keys, (day) => day)))
      const sourced = Project.make({
        assets: [source, ingested, weeklyDrops, audit],
        automation: { conditions: { ingested: C.eager(), weekly_drops: C.eager(), audit: C.and(C.stale, C.not(C.inProgress), C.not(C.requestedSinceUpdated)) } }
      })
      const staleText = Effect.map(
        Staleness.partitions(sourced, { now }),
        (all) => Object.fromEntries(all.filter((s) => s.stale > 0).map((s) => [s.key, s.staleText]))
      )
      // the run observes the source first, then builds the 14 days it reports
      yield* materialize(sourced, "ingested,weekly_drops,audit", "2024-01-01...2024-01-14", true)
      const tick = evaluator(sourced)
      expect(yield* staleText).toEqual({})
      expect((yield* tick(now)).requested).toEqual([])

      // one day's drop rewritten: the observation finds it
      drops.set("2024-01-10", "v2")
      expect((yield* Observe.sources(sourced, { now })).changed.map((c) => c.key)).toEqual(["drops"])
      expect(yield* staleText).toEqual({ ingested: "2024-01-10", weekly_drops: "2024-01-08", audit: "2024-01-10" })
      const changed = yield* tick(now)
      // that day, and the week reading it (newly requested, through the time window); audit: its stale day
      expect(partitionsOf(changed)).toEqual({ ingested: "2024-01-10", weekly_drops: "2024-01-08", audit: "2024-01-10" })
      const why = changed.evaluations.find((e) => e.assetKey === "ingested")!.result
      expect(why.children![0]).toMatchObject({ label: "any upstream of 1", matched: ["drops"], partitions: { count: 1, text: "2024-01-10" } })
      expect((yield* tick(now)).requested).toEqual([])
      yield* materialize(sourced, "ingested,weekly_drops,audit", "2024-01-10")
      yield* materialize(sourced, "weekly_drops", "2024-01-08")
      expect(yield* staleText).toEqual({})
      expect((yield* tick(now)).requested).toEqual([])

      // a day the source reports for the first time: new data for the day reading it; the week waits for its other days
      drops.set("2024-01-15", "v1")
      expect((yield* Observe.sources(sourced, { now })).changed.map((c) => c.key)).toEqual(["drops"])
      expect(partitionsOf(yield* tick(now))).toEqual({ ingested: "2024-01-15" })
    }).pipe(Effect.provide(layer)))
})
