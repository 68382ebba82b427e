/**
 * The instance conformance suite: partition status as ranges. A backend
 * without `partitionStatus` (SQLite and Postgres until they keep it) runs
 * these cases as `todo`, so the suite says what remains.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { StrataEvent } from "../../Event.ts"
import type { InstanceShape } from "../../Instance.ts"
import type { ConformanceTest } from "./shared.ts"
import { freshRunId, materialized, newRun } from "./shared.ts"

const set = (ranges: ReadonlyArray<readonly [number, number]>, fingerprint = "days-1") => ({ fingerprint, ranges })

const started = (runId: string, assetKey: string, ranges: ReadonlyArray<readonly [number, number]>): StrataEvent => ({
  type: "step-started",
  runId,
  timestamp: Date.now(),
  assetKey,
  partitionSet: set(ranges),
  attempt: 1
})

const failed = (runId: string, assetKey: string, ranges: ReadonlyArray<readonly [number, number]>, willRetry: boolean): StrataEvent => ({
  type: "step-failed",
  runId,
  timestamp: Date.now(),
  assetKey,
  partitionSet: set(ranges),
  attempt: 1,
  durationMs: 1,
  error: { tag: "Boom", message: "boom" },
  willRetry
})

const done = (
  runId: string,
  assetKey: string,
  ranges: ReadonlyArray<readonly [number, number]>,
  fingerprint?: string,
  dataVersion?: string
): StrataEvent => ({
  ...materialized(runId, assetKey, { partition: `${ranges[0]![0]}`, ...(dataVersion === undefined ? {} : { dataVersion }) }),
  partitionSet: set(ranges, fingerprint)
} as StrataEvent)

const statusOf = (instance: InstanceShape, key: string) => instance.partitionStatus!(key)

/** Registers the "partition status" tests. */
export const partitionStatusConformance = (test: ConformanceTest, supported: boolean): void => {
  describe("partition status", () => {
    if (!supported) {
      it.todo("keeps materialized / failed / in-progress partitions as ranges (this backend has no partitionStatus yet)")
      return
    }
    statusCases(test)
    versionCases(test)
    observedVersionCases(test)
  })
}

/** Materialized, failed and in-progress partitions as ranges. */
const statusCases = (test: ConformanceTest): void => {
  test("started, materialized and failed partitions move between sets as ranges", (instance) =>
    Effect.gen(function*() {
      const r1 = freshRunId("ps1")
      yield* instance.createRun(newRun(r1))
      expect(yield* statusOf(instance, "days")).toBeUndefined()
      yield* instance.appendEvents([started(r1, "days", [[0, 1_000_000]])])
      yield* instance.appendEvents([done(r1, "days", [[0, 400_000]]), done(r1, "days", [[400_001, 999_000]])])
      yield* instance.appendEvents([failed(r1, "days", [[400_000, 400_001]], true)])
      let status = (yield* statusOf(instance, "days"))!
      // a failure that will be retried changes nothing
      expect(status.inProgress).toEqual([[400_000, 400_001], [999_000, 1_000_000]])
      yield* instance.appendEvents([failed(r1, "days", [[400_000, 400_001]], false)])
      status = (yield* statusOf(instance, "days"))!
      expect(status).toEqual({
        assetKey: "days",
        fingerprint: "days-1",
        materialized: [[0, 400_000], [400_001, 999_000]],
        failed: [[400_000, 400_001]],
        inProgress: [[999_000, 1_000_000]]
      })
      // the partitioned materialization is also the asset's latest
      expect((yield* instance.assets(["days"])).get("days")!.materialization?.runId).toBe(r1)
    }))

  test("a materialization recorded under another definition starts the status afresh; wiping forgets it", (instance) =>
    Effect.gen(function*() {
      const r1 = freshRunId("ps2")
      yield* instance.createRun(newRun(r1))
      yield* instance.appendEvents([done(r1, "days", [[0, 10]])])
      yield* instance.appendEvents([done(r1, "days", [[5, 6]], "days-2")])
      expect((yield* statusOf(instance, "days"))!.materialized).toEqual([[5, 6]])
      yield* instance.wipeAssets(["days"])
      expect(yield* statusOf(instance, "days")).toBeUndefined()
    }))

}

/** Each partition's latest materialization as version segments. */
const versionCases = (test: ConformanceTest): void => {
  test("partition versions: each partition's latest materialization as segments; same data keeps changedAt", (instance) =>
    Effect.gen(function*() {
      const [r1, r2, r3] = [freshRunId("pv1"), freshRunId("pv2"), freshRunId("pv3")]
      for (const r of [r1, r2, r3]) yield* instance.createRun(newRun(r))
      const versionsOf = () => instance.partitionVersions!("days")
      expect(yield* versionsOf()).toBeUndefined()
      yield* instance.appendEvents([done(r1, "days", [[0, 1_000_000]], undefined, "a")])
      const first = (yield* versionsOf())!.segments[0]!
      yield* instance.appendEvents([done(r2, "days", [[10, 20], [500_000, 500_001]], undefined, "a")])
      yield* instance.appendEvents([done(r3, "days", [[15, 30]], undefined, "b")])
      const versions = (yield* versionsOf())!
      expect(versions.fingerprint).toBe("days-1")
      const shape = versions.segments.map((s) => [s.start, s.end, s.runId, s.dataVersion, s.changedAt === first.eventId])
      expect(shape).toEqual([
        [0, 10, r1, "a", true],
        [10, 15, r2, "a", true],
        [15, 30, r3, "b", false],
        [30, 500_000, r1, "a", true],
        [500_000, 500_001, r2, "a", true],
        [500_001, 1_000_000, r1, "a", true]
      ])
      expect(versions.segments[2]!.codeVersion).toBe("code-1")
      expect(versions.segments[2]!.inputVersions).toEqual({})
      // another definition starts afresh; wiping forgets
      yield* instance.appendEvents([done(r3, "days", [[0, 2]], "days-2", "c")])
      expect((yield* versionsOf())!.segments.map((s) => [s.start, s.end])).toEqual([[0, 2]])
      yield* instance.wipeAssets(["days"])
      expect(yield* versionsOf()).toBeUndefined()
    }))

  test("partition versions per partition: a multi-partition materialization keeps each partition's data version", (instance) =>
    Effect.gen(function*() {
      const [r1, r2, r3] = [freshRunId("pd1"), freshRunId("pd2"), freshRunId("pd3")]
      for (const r of [r1, r2, r3]) yield* instance.createRun(newRun(r))
      const versionsOf = () => instance.partitionVersions!("days")
      // one step over 0..1,000: the same bytes for most days, other bytes for 3 and 500..502
      const perPartition: ReadonlyArray<readonly [number, number, string]> = [[0, 3, "d"], [3, 4, "e"], [4, 500, "d"], [500, 502, "f"], [502, 1_000, "d"]]
      yield* instance.appendEvents([{ ...done(r1, "days", [[0, 1_000]], undefined, "all"), partitionDataVersions: perPartition } as StrataEvent])
      const first = (yield* versionsOf())!.segments
      expect(first.map((s) => [s.start, s.end, s.dataVersion])).toEqual(perPartition)
      const eventId = first[0]!.eventId
      // day 3 rebuilt alone with its bytes: its data did not change; day 501 rebuilt with new bytes
      yield* instance.appendEvents([done(r2, "days", [[3, 4]], undefined, "e")])
      yield* instance.appendEvents([done(r3, "days", [[501, 502]], undefined, "g")])
      const shape = (yield* versionsOf())!.segments.map((s) => [s.start, s.end, s.runId, s.dataVersion, s.changedAt === eventId])
      expect(shape).toEqual([
        [0, 3, r1, "d", true],
        [3, 4, r2, "e", true],
        [4, 500, r1, "d", true],
        [500, 501, r1, "f", true],
        [501, 502, r3, "g", false],
        [502, 1_000, r1, "d", true]
      ])
    }))

}

/** A partitioned source's observations as version segments. */
const observedVersionCases = (test: ConformanceTest): void => {
  test("partition versions of a partitioned source: an observation records each partition's version", (instance) =>
    Effect.gen(function*() {
      const [r1, r2] = [freshRunId("po1"), freshRunId("po2")]
      for (const r of [r1, r2]) yield* instance.createRun(newRun(r))
      const observed = (runId: string, dataVersion: string, versions: ReadonlyArray<readonly [number, number, string]>): StrataEvent => ({
        type: "asset-observed",
        runId,
        timestamp: Date.now(),
        assetKey: "drops",
        metadata: {},
        dataVersion,
        partitionSet: set([[0, 10]]),
        partitionDataVersions: versions
      })
      yield* instance.appendEvents([observed(r1, "all-1", [[0, 10, "a"]])])
      const eventId = (yield* instance.partitionVersions!("drops"))!.segments[0]!.eventId
      // the next observation finds partition 4 changed: only it gets a new changedAt
      yield* instance.appendEvents([observed(r2, "all-2", [[0, 4, "a"], [4, 5, "b"], [5, 10, "a"]])])
      const shape = (yield* instance.partitionVersions!("drops"))!.segments.map((s) => [s.start, s.end, s.dataVersion, s.changedAt === eventId])
      expect(shape).toEqual([[0, 4, "a", true], [4, 5, "b", false], [5, 10, "a", true]])
      // the source's own record is its latest observation
      expect((yield* instance.assets(["drops"])).get("drops")!.observation?.dataVersion).toBe("all-2")
    }))
}
