import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import {
  Asset,
  ExecutionPlan,
  InMemoryIO,
  Instance,
  IOManager,
  Materialize,
  PartitionMapping,
  Partitions,
  Project,
  StepRequest
} from "../src/index.ts"

const now = Date.parse("2024-02-01T12:00:00Z")
const daily = Partitions.daily({ start: "2024-01-01", timezone: "Europe/Berlin" })

interface Row {
  readonly day: string
  readonly users: number
}

// what the compute functions saw, per run: the test reads it back
const seen: Array<{ asset: string; partition: string | undefined; keys: ReadonlyArray<string>; window?: Partitions.Window | undefined }> = []

const events = Asset.make("events", { partitions: daily }, (_, context) => {
  seen.push({ asset: "events", partition: context.partition, keys: context.partitions.keys, window: context.partitions.window })
  const rows = context.partitions.keys.map((day): Row => ({ day, users: Number(day.slice(-2)) }))
  // one partition: its rows; a range: one entry per day
  return Effect.succeed(
    rows.length === 1 ? rows : Object.fromEntries(rows.map((row) => [row.day, [row]])) as unknown as Array<Row>
  )
})

const weekly = Asset.make("weekly", {
  deps: { events },
  partitions: Partitions.weekly({ start: "2024-01-01", timezone: "Europe/Berlin" })
}, ({ events }, context) => {
  seen.push({ asset: "weekly", partition: context.partition, keys: context.partitions.keys })
  return Effect.succeed(events.map((row) => row.day))
})

const yesterday = Asset.make("yesterday", {
  deps: { events },
  partitions: daily,
  partitionMappings: { events: PartitionMapping.timeWindow({ startOffset: -1, endOffset: -1 }) }
}, ({ events }) => Effect.succeed(events.map((row) => row.day)))

const total = Asset.make("total", { deps: { events } }, ({ events }) =>
  Effect.succeed(Object.keys(events as unknown as Record<string, unknown>).length))

const project = Project.make({ assets: [events, weekly, yesterday, total] })

const setup = Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory)

describe("materializing partitions", () => {
  it.effect("per-partition runs, then a weekly partition reads its 7 days as one value", () =>
    Effect.gen(function*() {
      seen.length = 0
      for (let day = 1; day <= 7; day++) {
        const partition = `2024-01-0${day}`
        const run = yield* Materialize.materialize(project, { selection: "events", partition, now })
        expect(run.status).toBe("succeeded")
      }
      expect(seen.map((s) => s.partition)).toEqual(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-06", "2024-01-07"])
      // the typed context: the window of a Berlin day
      expect(seen[0]!.window).toEqual({ start: Date.parse("2023-12-31T23:00:00Z"), end: Date.parse("2024-01-01T23:00:00Z") })
      const week = yield* Materialize.materialize(project, { selection: "weekly", partition: "2024-01-01", now })
      expect(week.status).toBe("succeeded")
      expect(seen.at(-1)).toEqual({ asset: "weekly", partition: "2024-01-01", keys: ["2024-01-01"] })
      const io = (yield* IOManager.DefaultIO) as InMemoryIO.InMemoryIO
      expect(io.get("weekly", "2024-01-01")).toEqual(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-06", "2024-01-07"])
      // yesterday's partition through offsets
      yield* Materialize.materialize(project, { selection: "yesterday", partition: "2024-01-05", now })
      expect(io.get("yesterday", "2024-01-05")).toEqual(["2024-01-04"])
      // an unpartitioned asset reads every partition that exists (31 days by now): 24 were never stored
      const all = yield* Materialize.materialize(project, { selection: "total", now })
      expect(all.status).toBe("failed")
      expect(all.failed[0]!.key).toBe("total")
    }).pipe(Effect.provide(setup)))

  it.effect("a single run over a range: one step, per-partition storage, events carry the ranges", () =>
    Effect.gen(function*() {
      seen.length = 0
      const run = yield* Materialize.materialize(project, { selection: "events", partition: "2024-01-08...2024-01-14", now })
      expect(run.status).toBe("succeeded")
      expect(seen).toHaveLength(1)
      expect(seen[0]!.partition).toBe("2024-01-08...2024-01-14")
      expect(seen[0]!.keys).toHaveLength(7)
      const io = (yield* IOManager.DefaultIO) as InMemoryIO.InMemoryIO
      expect(io.get("events", "2024-01-10")).toEqual([{ day: "2024-01-10", users: 10 }])
      const instance = yield* Instance.Instance
      const recorded = (yield* instance.runEvents(run.runId)).find((e) => e.type === "asset-materialized")!
      expect(recorded.partition).toBe("2024-01-08...2024-01-14")
      expect(recorded.partitionSet).toEqual({ fingerprint: Partitions.fingerprint(daily), ranges: [[7, 14]] })
      const week = yield* Materialize.materialize(project, { selection: "weekly", partition: "2024-01-08", now })
      expect(week.status).toBe("succeeded")
      expect(io.get("weekly", "2024-01-08")).toHaveLength(7)
    }).pipe(Effect.provide(setup)))

  it.effect("a partitioned asset without partitions, or with a key it lacks, is refused naming the asset", () =>
    Effect.gen(function*() {
      const none = yield* Effect.flip(Materialize.materialize(project, { selection: "events", now }))
      expect(none).toBeInstanceOf(Partitions.InvalidPartitionKey)
      expect(none.message).toMatch(/of asset events is invalid: the asset is partitioned and no partition was chosen/)
      const bad = yield* Effect.flip(Materialize.materialize(project, { selection: "events", partition: "2024-02-30", now }))
      expect(bad.message).toMatch(/"2024-02-30" of asset events is invalid: day 30 does not exist in 2024-02/)
      const future = yield* Effect.flip(Materialize.materialize(project, { selection: "weekly", partition: "2024-01-29", now }))
      expect(future.message).toMatch(/weekly.*after the last partition 2024-01-22 that exists now/)
    }).pipe(Effect.provide(setup)))

  it("a plan's step requests carry the partition ranges through JSON", () => {
    const plan = ExecutionPlan.makeSync(project, { selection: "events+", partition: "2024-01-01...2024-01-14", now })
    expect(plan.steps.map((s) => [s.key, s.partitions])).toEqual([
      ["events", [[0, 14]]],
      ["weekly", [[0, 2]]],
      ["yesterday", [[0, 14]]],
      ["total", undefined]
    ])
    const request: StepRequest.StepRequest = {
      runId: "r",
      assetKey: "weekly",
      stepKind: "materialize",
      partitions: [],
      attempt: 1,
      inputVersions: {},
      partitionSet: { fingerprint: "f", ranges: [[0, 2]] },
      resolvedAt: now,
      dynamicKeys: { customers: ["acme", null] }
    }
    expect(StepRequest.fromJson(StepRequest.toJson(request))).toEqual(request)
  })
})
