import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { TestClock } from "effect/testing"
import {
  Asset,
  Automation,
  AutomationCondition as C,
  AutomationEvaluation,
  Cron,
  Freshness,
  InMemoryIO,
  Instance,
  Materialize,
  Observe,
  Project,
  SourceAsset
} from "../src/index.ts"

const iso = (ms: number) => new Date(ms).toISOString()

describe("Cron", () => {
  it("is DST-correct: a skipped hour fires at the next valid time, a repeated hour fires once", () => {
    const berlin = Cron.make("30 2 * * *", "Europe/Berlin")
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that day
    expect(Cron.next(berlin, Date.UTC(2026, 2, 28), 3).map(iso)).toEqual([
      "2026-03-28T01:30:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-30T00:30:00.000Z"
    ])
    // 2026-11-01 in New York: 01:00-02:00 happens twice; the 01:30 tick fires once
    const newYork = Cron.make("30 1 * * *", "America/New_York")
    expect(Cron.next(newYork, Date.UTC(2026, 9, 31, 12), 2).map(iso)).toEqual([
      "2026-11-01T05:30:00.000Z",
      "2026-11-02T06:30:00.000Z"
    ])
    expect(Cron.latest(berlin, Date.UTC(2026, 2, 29, 1, 0))).toBe(Date.UTC(2026, 2, 29, 1, 0))
    expect(Cron.latest(berlin, Date.UTC(2026, 2, 29, 0, 59))).toBe(Date.UTC(2026, 2, 28, 1, 30))
    expect(Cron.between(Cron.make("0 * * * *"), Date.UTC(2026, 0, 1, 0), Date.UTC(2026, 0, 1, 3), 2).map(iso)).toEqual([
      "2026-01-01T02:00:00.000Z",
      "2026-01-01T03:00:00.000Z"
    ])
  })

  it("names the schedule and the problem when a cron or time zone does not parse", () => {
    expect(() => Automation.schedule({ name: "nightly", cron: "61 * * *", selection: "*" })).toThrowError(
      /schedule nightly: cron '61 \* \* \*' \(UTC\) does not parse/
    )
    expect(() => Automation.schedule({ name: "nightly", cron: "0 2 * * *", timezone: "Mars/Olympus", selection: "*" })).toThrowError(
      /unknown time zone 'Mars\/Olympus'/
    )
    expect(Cron.parse("0 2 * * *", "UTC")).not.toBeInstanceOf(Cron.InvalidCron)
  })
})

describe("Project automation", () => {
  const a = Asset.make("a", {}, () => Effect.succeed(1))
  const b = Asset.make("b", { deps: { a } }, ({ a }) => Effect.succeed(a + 1))

  it("rejects a condition on an unknown asset or naming one, with suggestions", () => {
    const exit = Effect.runSyncExit(Project.validate({ assets: [a, b], automation: { conditions: { bb: C.eager() } } }))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(() => Project.make({ assets: [a, b], automation: { conditions: { bb: C.eager() } } })).toThrowError(
      "the condition of 'bb' names asset 'bb', which the project does not define; did you mean b?"
    )
    expect(() => Project.make({ assets: [a, b], automation: { conditions: { b: C.eager({ ignore: ["zz"] }) } } })).toThrowError(
      Automation.UnknownAutomationTarget
    )
  })

  it("rejects two schedules with one name", () => {
    const nightly = Automation.schedule({ name: "nightly", cron: "0 2 * * *", selection: "a" })
    expect(() => Project.make({ assets: [a], automation: { schedules: [nightly, nightly] } })).toThrowError(
      /two schedules or sensors are named 'nightly'/
    )
  })

  it("has no automation by default", () => {
    expect(Project.make({ assets: [a] }).automation.conditions.size).toBe(0)
  })
})

// raw (a source whose version the test sets) -> silver (eager) -> gold (eager); lonely (on missing)
let rawVersion = "v1"
let failLonely = true
const raw = SourceAsset.make("raw", { observe: Effect.sync(() => ({ dataVersion: rawVersion })), load: () => Effect.succeed(rawVersion) })
const silver = Asset.make("silver", { deps: { raw } }, ({ raw }) => Effect.succeed(`silver(${raw})`))
const gold = Asset.make("gold", { deps: { silver } }, ({ silver }) => Effect.succeed(`gold(${silver})`))
const lonely = Asset.make("lonely", {}, () => failLonely ? Effect.fail("lonely fails") : Effect.succeed(1))
const project = Project.make({
  assets: [raw, silver, gold, lonely],
  automation: { conditions: { silver: C.eager(), gold: C.eager(), lonely: C.onMissing() } }
})

/** One daemon-like tick: evaluate, store states, launch the requested keys as one run. */
const tick = (now: number) =>
  Effect.gen(function*() {
    const instance = yield* Instance.Instance
    const cursor = yield* instance.lastEventId()
    const previous = Number((yield* instance.automation.cursor("conditions/conditions")) ?? 0)
    const runId = `auto-${cursor}`
    const output = yield* AutomationEvaluation.read(project, { now, previousCursor: previous, cursor, runId })
    yield* instance.automation.acquireLease({ name: "t", holder: "t", now, ttlMs: 1e9 })
    yield* instance.automation.recordTick(
      { tickId: `conditions/${cursor}`, origin: "conditions", name: "conditions", at: now, status: "skipped", runs: [], evaluations: output.evaluations, cursor: String(cursor), assetStates: output.states },
      { lease: "t", holder: "t", now }
    )
    if (output.requested.length > 0) {
      yield* Materialize.materialize(project, { selection: output.requested.join(","), runId, observeSources: false }).pipe(Effect.ignore)
    }
    return output
  })

describe("AutomationEvaluation", () => {
  it.effect("requests a missing asset once, an eager chain as one request, and nothing once it is up to date", () =>
    Effect.gen(function*() {
      rawVersion = "v1"
      failLonely = true
      yield* Observe.sources(project)
      // first tick: silver has new data (raw observed), gold follows in the same request; lonely is missing
      const first = yield* tick(1_000)
      expect([...first.requested].sort()).toEqual(["gold", "lonely", "silver"])
      expect(first.requested.indexOf("silver")).toBeLessThan(first.requested.indexOf("gold"))
      const why = first.evaluations.find((e) => e.assetKey === "gold")!.result
      expect(why.label).toBe("eager")
      expect(why.children![0]).toMatchObject({ label: "any upstream of 1", value: true, matched: ["silver"] })
      // the run materialized silver and gold, lonely failed: nothing more, and lonely is not retried in a loop
      const second = yield* tick(2_000)
      expect(second.requested).toEqual([])
      const lonelyWhy = second.evaluations.find((e) => e.assetKey === "lonely")!.result
      expect(lonelyWhy.children!.map((child) => [child.label, child.value])).toEqual([
        ["missing", true],
        ["in latest time window", true],
        ["not", true],
        ["not", false]
      ])
      // a new raw version: silver and gold again, one request
      rawVersion = "v2"
      yield* Observe.sources(project)
      expect((yield* tick(3_000)).requested).toEqual(["silver", "gold"])
      expect((yield* tick(4_000)).requested).toEqual([])
      // an evaluation of only the affected assets gives the same answer
      rawVersion = "v3"
      yield* Observe.sources(project)
      const affected = AutomationEvaluation.affected(project, ["raw"])
      expect([...affected].sort()).toEqual(["gold", "silver"])
    }).pipe(Effect.provide(Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory))))

  it.effect("eager waits while an upstream is stale and not requested", () =>
    Effect.gen(function*() {
      rawVersion = "w1"
      // gold eager, silver without a condition: a raw change leaves silver stale, so gold waits
      const onlyGold = Project.make({ assets: [raw, silver, gold], automation: { conditions: { gold: C.eager() } } })
      yield* Materialize.materialize(onlyGold)
      rawVersion = "w2"
      yield* Observe.sources(onlyGold)
      const instance = yield* Instance.Instance
      const output = yield* AutomationEvaluation.read(onlyGold, { now: 0, previousCursor: 0, cursor: yield* instance.lastEventId(), runId: "r" })
      expect(output.requested).toEqual([])
      const result = output.evaluations[0]!.result
      expect(result.children!.map((child) => child.value)).toEqual([false, false, true])
      expect(result.children![1]!.children![0]).toMatchObject({ label: "any upstream of 1", value: true, matched: ["silver"] })
    }).pipe(Effect.provide(Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory))))

  it.effect("onCron requests once per tick, after the upstreams updated since the tick (time given, DST zone)", () =>
    Effect.gen(function*() {
      rawVersion = "c1"
      const daily = Project.make({
        assets: [raw, silver],
        automation: { conditions: { silver: C.onCron("0 6 * * *", { timezone: "Europe/Berlin" }) } }
      })
      const instance = yield* Instance.Instance
      const evaluateAt = (now: number, runId: string) =>
        Effect.gen(function*() {
          const cursor = yield* instance.lastEventId()
          const output = yield* AutomationEvaluation.read(daily, { now, previousCursor: 0, cursor, runId })
          yield* instance.automation.acquireLease({ name: "c", holder: "c", now, ttlMs: 1e12 })
          yield* instance.automation.recordTick(
            { tickId: `c/${now}`, origin: "conditions", name: "c", at: now, status: "skipped", runs: [], evaluations: output.evaluations, assetStates: output.states },
            { lease: "c", holder: "c", now }
          )
          return output.requested
        })
      // 2026-03-28 05:00 UTC = 06:00 CET; 2026-03-29 04:00 UTC = 06:00 CEST
      const saturday = Date.UTC(2026, 2, 28, 5, 0)
      const sunday = Date.UTC(2026, 2, 29, 4, 0)
      // the test clock stamps observations: first evaluation, the latest tick counts as handled (no retroactive request)
      yield* TestClock.setTime(saturday + 60_000)
      yield* Observe.sources(daily)
      expect(yield* evaluateAt(saturday + 60_000, "r0")).toEqual([])
      // Sunday's tick passed, but raw was last observed before it: wait
      yield* TestClock.setTime(sunday + 1_000)
      expect(yield* evaluateAt(sunday + 1_000, "r1")).toEqual([])
      // raw updated after the tick: requested, once
      rawVersion = "c2"
      yield* Observe.sources(daily)
      expect(yield* evaluateAt(sunday + 2_000, "r2")).toEqual(["silver"])
      expect(yield* evaluateAt(sunday + 3_000, "r3")).toEqual([])
      expect(yield* evaluateAt(sunday + 86_400_000 - 1, "r4")).toEqual([])
      // Monday's tick: raw has not changed since, so the tick waits for it
      expect(yield* evaluateAt(sunday + 86_400_000 + 1, "r5")).toEqual([])
    }).pipe(Effect.provide(Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory))))
})

describe("AutomationEvaluation without explaining", () => {
  it.effect("tests outcomes like evaluate does, reads only the candidates' ancestors, and explains only changes", () =>
    Effect.gen(function*() {
      rawVersion = "e1"
      failLonely = false
      const instance = yield* Instance.Instance
      yield* Materialize.materialize(project)
      rawVersion = "e2"
      yield* Observe.sources(project)
      const cursor = yield* instance.lastEventId()
      const full = yield* AutomationEvaluation.read(project, { now: 0, previousCursor: 0, cursor, runId: "r" })
      // every condition tested by `holds` has the outcome its explanation shows
      for (const evaluation of full.evaluations) expect(full.outcomes.get(evaluation.assetKey)).toBe(evaluation.result.value)
      expect(full.requested).toEqual(["silver", "gold"])
      expect(full.outcomes.get("lonely")).toBe(false)
      // candidates: the same outcomes for them, from their ancestors' records only
      const some = yield* AutomationEvaluation.read(project, { now: 0, previousCursor: 0, cursor, runId: "r", candidates: new Set(["silver", "gold"]) })
      expect(some.requested).toEqual(["silver", "gold"])
      expect([...some.outcomes.keys()]).toEqual(["silver", "gold"])
      expect(AutomationEvaluation.ancestors(project, ["gold"]).map((i) => project.graph.nodes[i]!.key)).toEqual(["raw", "silver", "gold"])
      // with the previous outcomes: requested ones are explained, an unchanged `false` is not, a changed one is
      const again = yield* AutomationEvaluation.read(project, {
        now: 0,
        previousCursor: 0,
        cursor,
        runId: "r",
        previous: new Map([["silver", true], ["gold", true], ["lonely", true]])
      })
      expect(again.evaluations.map((e) => [e.assetKey, e.requested]).sort()).toEqual([["gold", true], ["lonely", false], ["silver", true]])
      const quiet = yield* AutomationEvaluation.read(project, { now: 0, previousCursor: 0, cursor, runId: "r", previous: new Map([["lonely", false]]) })
      expect(quiet.evaluations.map((e) => e.assetKey)).toEqual(["silver", "gold"])
    }).pipe(Effect.provide(Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory))))
})

describe("freshness as an operand", () => {
  it("freshnessLate reads the asset's policy at the evaluation's time; Freshness.changes tells what changed", () => {
    const report = Asset.make("report", {}, () => Effect.succeed(1))
    const policy = Freshness.policy(report, { maxLag: "1 hour" })
    const reportProject = Project.make({ assets: [report], freshness: [policy], automation: { conditions: { report: C.onLate() } } })
    const materializedAt = Date.UTC(2026, 0, 1)
    const records = new Map([["report", {
      assetKey: "report",
      materialization: { eventId: 1, runId: "r", assetKey: "report", timestamp: materializedAt, metadata: {}, dataVersion: "d", codeVersion: "c", inputVersions: {} }
    }]])
    const at = (now: number) =>
      AutomationEvaluation.evaluate({ project: reportProject, now, previousCursor: 1, cursor: 1, records, statuses: new Map(), states: new Map(), inProgress: new Set(), runId: "r" })
    expect(at(materializedAt + 1_000).requested).toEqual([])
    const late = at(materializedAt + 3_600_001)
    expect(late.requested).toEqual(["report"])
    expect(late.evaluations[0]!.result.children![0]).toEqual({ label: "freshness late (updated within 1h)", value: true })
    const changed = Freshness.changes([policy], records, () => "fresh", materializedAt + 3_600_001)
    expect(changed.changes.map((change) => [change.status.status, change.previous, change.notable])).toEqual([["late", "fresh", true]])
    const quiet = Freshness.changes([policy], records, () => "fresh", materializedAt + 1_000)
    expect(quiet).toEqual({ changes: [], nextCheck: materializedAt + 3_600_001 })
  })
})
