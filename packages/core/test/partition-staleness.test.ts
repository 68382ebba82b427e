import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Asset, AutomationEvaluation, InMemoryIO, Instance, Materialize, Observe, PartitionMapping, Partitions, Project, Staleness } from "../src/index.ts"
import { EventProjection } from "../src/spi.ts"
import { dropsSource } from "./fixtures/drops.ts"

const now = Date.parse("2024-02-01T12:00:00Z")
const daily = Partitions.daily({ start: "2024-01-01" })

// what each day of `events` holds: the test changes a day's count to make new data
const counts = new Map<string, number>()
// the partitions daily_users computed, per step
const computed: Array<ReadonlyArray<string>> = []

// one value per partition: the value itself for one key, an object keyed by partition for a range
const perKey = <A>(keys: ReadonlyArray<string>, f: (key: string) => A): A =>
  (keys.length === 1 ? f(keys[0]!) : Object.fromEntries(keys.map((key) => [key, f(key)]))) as A

interface Row {
  readonly day: string
  readonly users: number
}

const makeProject = (options?: { dailyCode?: string }) => {
  const events = Asset.make("events", { partitions: daily }, (_, context) =>
    Effect.succeed(perKey(context.partitions.keys, (day): Array<Row> => [{ day, users: counts.get(day) ?? 1 }])))
  const dailyUsers = Asset.make(
    "daily_users",
    { deps: { events }, partitions: daily, codeVersion: options?.dailyCode ?? "d1" },
    ({ events }, context) => {
      computed.push(context.partitions.keys)
      return Effect.succeed(perKey(context.partitions.keys, (day) => events.filter((row) => row.day === day).length))
    }
  )
  const weekly = Asset.make("weekly", {
    deps: { daily_users: dailyUsers },
    partitions: Partitions.weekly({ start: "2024-01-01" }),
    partitionMappings: { daily_users: PartitionMapping.timeWindow() }
  }, ({ daily_users }, context) => Effect.succeed(perKey(context.partitions.keys, () => daily_users)))
  return Project.make({ assets: [events, dailyUsers, weekly] })
}

const run = (project: ReturnType<typeof makeProject>, selection: string, partition: string) =>
  Effect.map(Materialize.materialize(project, { selection, partition, now }), (result) => {
    expect(result.failed).toEqual([])
    return result
  })

const byKey = (list: ReadonlyArray<Staleness.PartitionStaleness>) => Object.fromEntries(list.map((s) => [s.key, s]))

const reasons = (s: Staleness.PartitionStaleness) => s.reasons.map((r) => `${r.partitions}: ${r.description}`)

describe("per-partition staleness", () => {
  it.effect("missing partitions, then upstream-updated partitions through identity and time-window mappings", () =>
    Effect.gen(function*() {
      counts.clear()
      const project = makeProject()
      let status = byKey(yield* Staleness.partitions(project, { now }))
      // 31 days of January exist on Feb 1st; nothing materialized yet
      expect(status.events!).toMatchObject({ total: 31, missing: 31, stale: 0, missingText: "2024-01-01...2024-01-31" })
      yield* run(project, "*", "2024-01-01...2024-01-14")
      status = byKey(yield* Staleness.partitions(project, { now }))
      expect(status.daily_users!).toMatchObject({ stale: 0, missing: 17, fresh: 14, missingText: "2024-01-15...2024-01-31" })
      expect(status.weekly!).toMatchObject({ stale: 0, fresh: 2 })

      // new data for Jan 3rd: that day of daily_users and the first week are stale, nothing else
      counts.set("2024-01-03", 5)
      yield* run(project, "events", "2024-01-03")
      status = byKey(yield* Staleness.partitions(project, { now }))
      expect(status.events!.stale).toBe(0)
      expect(status.daily_users!.staleText).toBe("2024-01-03")
      expect(reasons(status.daily_users!)).toEqual(["2024-01-03: upstream events has new data"])
      expect(status.weekly!.staleText).toBe("2024-01-01")
      expect(reasons(status.weekly!)).toEqual(["2024-01-01: upstream daily_users is stale"])

      // rebuilding the stale day alone gives the same count as the 14-day step stored for it: data versions are
      // per partition, so the day keeps its version and the week reading it is fresh again (the cascade stops)
      yield* run(project, "daily_users", "2024-01-03")
      status = byKey(yield* Staleness.partitions(project, { now }))
      expect(status.daily_users!.stale).toBe(0)
      expect(status.weekly!).toMatchObject({ stale: 0, fresh: 2 })
    }).pipe(Effect.provide(Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory))))

  it.effect("a rebuild with the same data stops the cascade; a changed code version names both versions", () =>
    Effect.gen(function*() {
      counts.clear()
      const project = makeProject()
      yield* run(project, "*", "2024-01-01...2024-01-07")
      // the same data again: events' days keep their data, daily_users stays fresh
      yield* run(project, "events", "2024-01-01...2024-01-07")
      expect(byKey(yield* Staleness.partitions(project, { now })).daily_users!.stale).toBe(0)

      const changed = makeProject({ dailyCode: "d2" })
      const status = byKey(yield* Staleness.partitions(changed, { now }))
      expect(reasons(status.daily_users!)).toEqual(["2024-01-01...2024-01-07: code version changed (d1 -> d2)"])
      expect(reasons(status.weekly!)).toEqual(["2024-01-01: upstream daily_users is stale"])
      expect(Staleness.partitionReasonsAt(status.daily_users!, 3)).toEqual([{ type: "code-changed", from: "d1", to: "d2" }])
      expect(Staleness.partitionReasonsAt(status.daily_users!, 20)).toEqual([])
    }).pipe(Effect.provide(Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory))))

  it.effect("kept to the materialized partitions: a day whose latest run failed is not also stale", () =>
    Effect.gen(function*() {
      counts.clear()
      yield* run(makeProject(), "*", "2024-01-01...2024-01-07")
      const changed = makeProject({ dailyCode: "d2" })
      const all = byKey(yield* Staleness.partitions(changed, { now })).daily_users!
      expect(all.stale).toBe(7)
      const space = Partitions.resolve(daily, { now })
      // the 3rd's latest run failed: the status holds the 1st–2nd and 4th–7th as materialized
      const kept = Staleness.restrictPartitions(all, space, [[0, 2], [3, 7]])
      expect(kept).toMatchObject({ stale: 6, staleRanges: [[0, 2], [3, 7]], staleText: "2024-01-01...2024-01-02,2024-01-04...2024-01-07", missing: all.missing })
      expect(kept.fresh).toBe(all.total - 6 - all.missing)
      expect(reasons(kept)).toEqual(["2024-01-01...2024-01-02,2024-01-04...2024-01-07: code version changed (d1 -> d2)"])
      expect(kept.reasons[0]!.count).toBe(6)
      // nothing to take out: the same object
      expect(Staleness.restrictPartitions(all, space, [[0, 31]])).toBe(all)
    }).pipe(Effect.provide(Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory))))

  it.effect("data versions per partition: one day of a multi-day step rebuilt alone, same bytes then new ones", () =>
    Effect.gen(function*() {
      counts.clear()
      const project = makeProject()
      // one step over the whole week for each asset: each day is still recorded with its own data version
      yield* run(project, "*", "2024-01-01...2024-01-07")
      const instance = yield* Instance.Instance
      const versions = (yield* instance.partitionVersions!("events"))!
      expect(new Set(versions.segments.map((s) => s.eventId)).size).toBe(1)
      expect(versions.segments.map((s) => [s.start, s.end])).toEqual(Array.from({ length: 7 }, (_, i) => [i, i + 1]))
      // the same bytes for 2024-01-05, alone: nothing downstream becomes stale
      yield* run(project, "events", "2024-01-05")
      let status = byKey(yield* Staleness.partitions(project, { now }))
      expect([status.daily_users!.stale, status.weekly!.stale]).toEqual([0, 0])
      // other bytes for 2024-01-05: exactly that day downstream, and the week through the day
      counts.set("2024-01-05", 9)
      yield* run(project, "events", "2024-01-05")
      status = byKey(yield* Staleness.partitions(project, { now }))
      expect(reasons(status.daily_users!)).toEqual(["2024-01-05: upstream events has new data"])
      expect(reasons(status.weekly!)).toEqual(["2024-01-01: upstream daily_users is stale"])
    }).pipe(Effect.provide(Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory))))

  it.effect("an observable partitioned source: a changed partition makes exactly the partitions reading it stale", () =>
    Effect.gen(function*() {
      // what the source finds per day; the test rewrites one day's version
      const { versions: drops, source } = dropsSource(daily, 14)
      const ingested = Asset.make("ingested", { after: [source], partitions: daily }, (_, context) =>
        Effect.succeed(perKey(context.partitions.keys, (day) => [{ day, version: drops.get(day) }])))
      const weekly = Asset.make("weekly", {
        deps: { ingested },
        partitions: Partitions.weekly({ start: "2024-01-01" }),
        partitionMappings: { ingested: PartitionMapping.timeWindow() }
      }, ({ ingested }, context) => Effect.succeed(perKey(context.partitions.keys, () => ingested)))
      const project = Project.make({ assets: [source, ingested, weekly] })
      // the run observes the source first (one observation of all its partitions), then builds the 14 days
      yield* run(project, "ingested,weekly", "2024-01-01...2024-01-14")
      let status = byKey(yield* Staleness.partitions(project, { now }))
      expect(Object.keys(status)).toEqual(["ingested", "weekly"])
      expect(status.ingested!).toMatchObject({ stale: 0, fresh: 14 })
      // nothing changed: observing records nothing
      const same = yield* Observe.sources(project, { now })
      expect(same, JSON.stringify(same)).toMatchObject({ changed: [], unchanged: ["drops"] })
      // one day's drop rewritten: the observation finds it, exactly that day and its week are stale
      drops.set("2024-01-10", "v2")
      const observed = yield* Observe.sources(project, { now })
      expect(observed.changed.map((c) => c.key)).toEqual(["drops"])
      status = byKey(yield* Staleness.partitions(project, { now }))
      expect(reasons(status.ingested!)).toEqual(["2024-01-10: upstream drops has new data"])
      expect(reasons(status.weekly!)).toEqual(["2024-01-08: upstream ingested is stale"])
      // a day the source does not report yet is missing for the day reading it
      expect(status.ingested!.missingText).toBe("2024-01-15...2024-01-31")
      const instance = yield* Instance.Instance
      const versions = (yield* instance.partitionVersions!("drops"))!.segments
      expect(versions.map((s) => [s.start, s.end, s.dataVersion])).toEqual([[0, 9, "v1"], [9, 10, "v2"], [10, 14, "v1"]])
      // a key outside the definition is an observation failure naming the source and the key
      drops.set("2023-12-31", "v1")
      const bad = yield* Observe.sources(project, { now })
      expect(bad.failed[0]!.error.message).toContain("source drops: observe reported partition \"2023-12-31\"")
    }).pipe(Effect.provide(Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory))))

  it.effect("stale only: a run rebuilds exactly the stale and missing partitions, then skips the asset", () =>
    Effect.gen(function*() {
      counts.clear()
      const project = makeProject()
      yield* run(project, "events,daily_users", "2024-01-01...2024-01-10")
      counts.set("2024-01-04", 3)
      counts.set("2024-01-06", 3)
      yield* run(project, "events", "2024-01-04")
      yield* run(project, "events", "2024-01-06")
      yield* run(project, "events", "2024-01-11...2024-01-31")
      computed.length = 0
      // no --partition: every partition is considered, the stale ones are chosen
      const result = yield* Materialize.materialize(project, { selection: "daily_users", staleOnly: true, now })
      expect(result.status).toBe("succeeded")
      const keys = computed.flat()
      expect(keys).toEqual(["2024-01-04", "2024-01-06", ...Array.from({ length: 21 }, (_, i) => `2024-01-${String(i + 11).padStart(2, "0")}`)])
      expect(byKey(yield* Staleness.partitions(project, { now })).daily_users!).toMatchObject({ stale: 0, missing: 0 })
      // within a selection, and nothing left: the step is skipped as up to date
      computed.length = 0
      const again = yield* Materialize.materialize(project, { selection: "daily_users", staleOnly: true, partition: "2024-01-01...2024-01-07", now })
      expect(computed).toEqual([])
      expect(again.skipped).toEqual([{ key: "daily_users", kind: "not-stale", reason: "up to date: no partition is stale or missing" }])
    }).pipe(Effect.provide(Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory))))

  it("versions: a later materialization overwrites the parts it covers and keeps changedAt for the same data", () => {
    const change = (ranges: ReadonlyArray<readonly [number, number]>, eventId: number, dataVersion: string) => ({
      assetKey: "a",
      fingerprint: "f",
      ranges,
      eventId,
      runId: `r${eventId}`,
      codeVersion: "c",
      dataVersion,
      inputVersions: {}
    })
    let versions = EventProjection.applyVersions(undefined, change([[0, 10]], 1, "x"))
    versions = EventProjection.applyVersions(versions, change([[3, 5], [8, 12]], 2, "x"))
    versions = EventProjection.applyVersions(versions, change([[4, 9]], 3, "y"))
    const shape = versions.segments.map((s) => [s.start, s.end, s.eventId, s.changedAt])
    expect(shape).toEqual([[0, 3, 1, 1], [3, 4, 2, 1], [4, 9, 3, 3], [9, 10, 2, 1], [10, 12, 2, 2]])
    // a definition with another fingerprint starts afresh
    expect(EventProjection.applyVersions(versions, { ...change([[0, 1]], 4, "z"), fingerprint: "g" }).segments).toHaveLength(1)
    const diff = EventProjection.versionsDiff(versions, EventProjection.applyVersions(versions, change([[11, 12]], 5, "z")))
    expect(diff.remove.map((s) => [s.start, s.end])).toEqual([[10, 12]])
    expect(diff.insert.map((s) => [s.start, s.end])).toEqual([[10, 11], [11, 12]])
  })

  it("versions per partition: a change carrying each partition's version splits segments only where versions differ", () => {
    const change = (ranges: ReadonlyArray<readonly [number, number]>, eventId: number, dataVersions?: ReadonlyArray<readonly [number, number, string]>) => ({
      assetKey: "a",
      fingerprint: "f",
      ranges,
      eventId,
      runId: `r${eventId}`,
      codeVersion: "c",
      dataVersion: `all-${eventId}`,
      inputVersions: {},
      dataVersions
    })
    // index order over [[0, 4], [6, 8]]: 0..3 then 6, 7
    const perPartition = EventProjection.partitionDataVersions([[0, 4], [6, 8]], ["p", "p", "q", "p", "r", "r"])
    expect(perPartition).toEqual([[0, 2, "p"], [2, 3, "q"], [3, 4, "p"], [6, 8, "r"]])
    expect(EventProjection.partitionDataVersions([[0, 4]], ["p"])).toBeUndefined()
    let versions = EventProjection.applyVersions(undefined, change([[0, 4], [6, 8]], 1, perPartition))
    expect(versions.segments.map((s) => [s.start, s.end, s.dataVersion, s.changedAt])).toEqual([
      [0, 2, "p", 1], [2, 3, "q", 1], [3, 4, "p", 1], [6, 8, "r", 1]
    ])
    // 2 and 7 again alone (as one-partition steps report): 2 with its old bytes keeps changedAt, 7 changed
    versions = EventProjection.applyVersions(versions, { ...change([[2, 3]], 2), dataVersion: "q" })
    versions = EventProjection.applyVersions(versions, { ...change([[7, 8]], 3), dataVersion: "s" })
    expect(versions.segments.map((s) => [s.start, s.end, s.dataVersion, s.changedAt])).toEqual([
      [0, 2, "p", 1], [2, 3, "q", 1], [3, 4, "p", 1], [6, 7, "r", 1], [7, 8, "s", 3]
    ])
    // versions given for part of the ranges: the rest has the change's own version
    const partial = EventProjection.applyVersions(undefined, change([[0, 6]], 4, [[2, 3, "x"], [5, 9, "y"]]))
    expect(partial.segments.map((s) => [s.start, s.end, s.dataVersion])).toEqual([[0, 2, "all-4"], [2, 3, "x"], [3, 5, "all-4"], [5, 6, "y"]])
  })

  it("a million daily partitions with 10,000 scattered stretches: stale and missing partitions from ranges", () => {
    const big = Partitions.daily({ start: "1000-01-01" })
    const events = Asset.make("events", { partitions: big, codeVersion: "u1" }, () => Effect.succeed(1))
    const users = Asset.make("users", { deps: { events }, partitions: big, codeVersion: "u1" }, () => Effect.succeed(1))
    const project = Project.make({ assets: [events, users] })
    const at = Date.parse("3800-01-01T00:00:00Z")
    const space = Partitions.resolve(big, { now: at })
    expect(space.size).toBeGreaterThan(1_000_000)
    const fingerprint = Partitions.fingerprint(big)
    // events: 10,000 stretches of 90 days written at event 1, every tenth rewritten with new data at event 3
    let eventsVersions: Instance.PartitionVersions | undefined
    let usersVersions: Instance.PartitionVersions | undefined
    const stretches: Array<readonly [number, number]> = []
    for (let i = 0; i < 10_000; i++) stretches.push([i * 100, i * 100 + 90])
    const base = { fingerprint, runId: "r", codeVersion: "u1", inputVersions: {} }
    eventsVersions = EventProjection.applyVersions(undefined, { ...base, assetKey: "events", ranges: stretches, eventId: 1, dataVersion: "e1" })
    usersVersions = EventProjection.applyVersions(undefined, { ...base, assetKey: "users", ranges: stretches, eventId: 2, dataVersion: "u" })
    eventsVersions = EventProjection.applyVersions(eventsVersions, {
      ...base,
      assetKey: "events",
      ranges: stretches.filter((_, i) => i % 10 === 0),
      eventId: 3,
      dataVersion: "e2"
    })
    const result = Staleness.computePartitions(project, {
      versions: new Map([["events", eventsVersions], ["users", usersVersions]]),
      records: new Map(),
      assetStatus: () => undefined,
      resolution: { now: at }
    })
    const users_ = result.get("users")!
    expect(users_.stale).toBe(1_000 * 90)
    expect(users_.staleRanges).toHaveLength(1_000)
    expect(users_.missing).toBe(space.size - 900_000)
    expect(users_.reasons.map((r) => r.reason)).toEqual([{ type: "upstream-updated", upstream: "events" }])
  })
  it("only some assets (closed under ancestors): the same staleness for them, nothing computed for the others", () => {
    const events = Asset.make("events", { partitions: daily, codeVersion: "e1" }, () => Effect.succeed(1))
    const users = Asset.make("users", { deps: { events }, partitions: daily, codeVersion: "u1" }, () => Effect.succeed(1))
    const other = Asset.make("other", { partitions: daily, codeVersion: "o1" }, () => Effect.succeed(1))
    const project = Project.make({ assets: [events, users, other] })
    const fingerprint = Partitions.fingerprint(daily)
    const base = { fingerprint, runId: "r", codeVersion: "u1", inputVersions: {}, dataVersion: "d" }
    const versions = new Map([
      ["events", EventProjection.applyVersions(undefined, { ...base, codeVersion: "e1", assetKey: "events", ranges: [[0, 10]], eventId: 3 })],
      // users built days 0-4 before events' event 3 (stale), days 5-9 after it; other's code changed
      ["users", EventProjection.applyVersions(
        EventProjection.applyVersions(undefined, { ...base, assetKey: "users", ranges: [[0, 5]], eventId: 2 }),
        { ...base, assetKey: "users", ranges: [[5, 10]], eventId: 4 }
      )],
      ["other", EventProjection.applyVersions(undefined, { ...base, codeVersion: "o0", assetKey: "other", ranges: [[0, 31]], eventId: 1 })]
    ])
    const input = { versions, records: new Map(), assetStatus: () => undefined, resolution: { now } }
    const all = Staleness.computePartitions(project, input)
    const only = Staleness.computePartitions(project, { ...input, only: AutomationEvaluation.ancestors(project, ["users"]) })
    expect([...only.keys()]).toEqual(["events", "users"])
    expect(only.get("events")).toEqual(all.get("events"))
    expect(only.get("users")).toEqual(all.get("users"))
    expect(all.get("users")!.staleText).toBe("2024-01-01...2024-01-05")
    expect(all.get("other")!.stale).toBe(31)
  })
})
