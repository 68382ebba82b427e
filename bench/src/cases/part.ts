/**
 * `part:N`: an asset with N daily partitions (and one with N hourly ones) and
 * scattered materializations: N/100 materialized stretches of 50 partitions
 * and N/1000 failed partitions, recorded through the SQLite instance (one
 * batch, as a backfill's steps would leave them). Measures the status read
 * and the missing-range computation (`Partitions.summarize`), a plan over
 * 100,000 partitions (`ExecutionPlan.makeSync` with `A...B`) and the
 * per-partition cut of what it misses (`Ranges.chunks`), and checks that the
 * instance stores one row per range, not per partition. Then per-partition
 * staleness: `daily_users` (identity on `daily`) written over the same
 * stretches, every tenth stretch of `daily` rewritten with new data after it:
 * the partition versions read from SQLite and `Staleness.computePartitions`.
 *
 * `node part.ts <N>`
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Asset, Event, ExecutionPlan, Instance, Partitions, Project, Staleness } from "@strata/core"
import { SqliteInstance } from "@strata/sqlite"
import { Effect, ManagedRuntime } from "effect"
import { argumentN, CheckFailed, expectEqual, main, peakRssMb, since } from "../script.ts"

const HOUR = 3_600_000

/** Materialized: [100k, 100k + 50) for every k; failed: 1000k + 75. */
const scattered = (n: number) => {
  const materialized: Array<readonly [number, number]> = []
  for (let s = 0; s + 50 <= n; s += 100) materialized.push([s, s + 50])
  const failed: Array<readonly [number, number]> = []
  for (let i = 75; i < n; i += 1000) failed.push([i, i + 1])
  return { materialized, failed }
}

const record = (runId: string, assetKey: string, fingerprint: string, n: number): Array<Event.StrataEvent> => {
  const { failed, materialized } = scattered(n)
  const at = Date.now()
  return [
    {
      type: "asset-materialized",
      runId,
      timestamp: at,
      assetKey,
      partition: "bench",
      partitionSet: { fingerprint, ranges: materialized },
      metadata: {},
      dataVersion: "v1",
      codeVersion: "c1",
      inputVersions: {}
    },
    {
      type: "step-failed",
      runId,
      timestamp: at,
      assetKey,
      partitionSet: { fingerprint, ranges: failed },
      attempt: 1,
      durationMs: 0,
      error: { tag: "Bench", message: "scattered failure" },
      willRetry: false
    }
  ]
}

/** Per-partition staleness over the scattered stretches (see the module doc). */
const staleness = async (
  runtime: ManagedRuntime.ManagedRuntime<Instance.Instance, unknown>,
  days: Partitions.PartitionsDefinition,
  now: number,
  materialized: ReadonlyArray<readonly [number, number]>
) => {
  const daily = Asset.make("daily", { partitions: days, codeVersion: "c1" }, () => Effect.succeed(1))
  const users = Asset.make("daily_users", { deps: { daily }, partitions: days, codeVersion: "c1" }, () => Effect.succeed(1))
  const project = Project.make({ assets: [daily, users] })
  const fingerprint = Partitions.fingerprint(days)
  const rewritten = materialized.filter((_, i) => i % 10 === 0)
  const event = (assetKey: string, ranges: ReadonlyArray<readonly [number, number]>, dataVersion: string): Event.StrataEvent => ({
    type: "asset-materialized",
    runId: "bench",
    timestamp: Date.now(),
    assetKey,
    partition: `${assetKey}-${dataVersion}`,
    partitionSet: { fingerprint, ranges },
    metadata: {},
    dataVersion,
    codeVersion: "c1",
    inputVersions: {}
  })
  const read = await runtime.runPromise(Effect.gen(function*() {
    const instance = yield* Instance.Instance
    yield* instance.appendEvents([event("daily_users", materialized, "u1")])
    yield* instance.appendEvents([event("daily", rewritten, "v2")])
    const start = performance.now()
    const versions = new Map([["daily", yield* instance.partitionVersions!("daily")], ["daily_users", yield* instance.partitionVersions!("daily_users")]])
    return { versions, seconds: since(start) }
  }))
  const cpu = process.cpuUsage()
  const start = performance.now()
  const result = Staleness.computePartitions(project, {
    versions: read.versions,
    records: new Map(),
    assetStatus: () => undefined,
    resolution: { now }
  })
  const stale_compute_s = since(start)
  const used = process.cpuUsage(cpu)
  const usersStale = result.get("daily_users")!
  expectEqual("stale partitions", usersStale.stale, rewritten.length * 50)
  return {
    versions_read_s: read.seconds,
    stale_compute_s,
    stale_compute_cpu_s: Number(((used.user + used.system) / 1e6).toFixed(6)),
    stale_partitions: usersStale.stale,
    version_segments: read.versions.get("daily")!.segments.length + read.versions.get("daily_users")!.segments.length
  }
}

main(async () => {
  const n = argumentN()
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-bench-part-"))
  const runtime = ManagedRuntime.make(SqliteInstance.layer({ path: path.join(folder, "strata.db") }))
  try {
    const days = Partitions.daily({ start: "2000-01-01" })
    const hours = Partitions.hourly({ start: "2000-01-01-00:00" })
    const dayStart = Date.UTC(2000, 0, 1)
    // the instant at which exactly N partitions of each exist
    const dayNow = Partitions.resolve(days, { now: dayStart }).window!(n).start + 1
    const hourNow = dayStart + n * HOUR + 1
    const dailySpace = Partitions.resolve(days, { now: dayNow })
    const hourlySpace = Partitions.resolve(hours, { now: hourNow })
    expectEqual("daily partitions", dailySpace.size, n)
    expectEqual("hourly partitions", hourlySpace.size, n)
    const daily = Asset.make("daily", { partitions: days }, () => Effect.succeed(1))
    const hourly = Asset.make("hourly", { partitions: hours }, () => Effect.succeed(1))
    const project = Project.make({ assets: [daily, hourly] })

    let start = performance.now()
    await runtime.runPromise(Effect.gen(function*() {
      const instance = yield* Instance.Instance
      yield* instance.createRun({ runId: "bench", selection: "*", assetKeys: ["daily", "hourly"], staleOnly: false, tags: {}, createdAt: 0 })
      yield* instance.appendEvents(record("bench", "daily", Partitions.fingerprint(days), n))
      yield* instance.appendEvents(record("bench", "hourly", Partitions.fingerprint(hours), n))
    }))
    const record_s = since(start)

    const { failed, materialized } = scattered(n)
    const expectedMaterialized = materialized.length * 50
    const figures: Record<string, number> = {}
    for (const [key, space] of [["daily", dailySpace], ["hourly", hourlySpace]] as const) {
      start = performance.now()
      const status = await runtime.runPromise(Effect.flatMap(Effect.service(Instance.Instance), (instance) => instance.partitionStatus!(key)))
      figures[`${key}_status_read_s`] = since(start)
      start = performance.now()
      const cpu = process.cpuUsage()
      const summary = Partitions.summarize(key, space, status)
      figures[`${key}_summarize_s`] = since(start)
      const used = process.cpuUsage(cpu)
      // CPU time: on a loaded machine the wall time measures the queue for a core
      figures[`${key}_summarize_cpu_s`] = Number(((used.user + used.system) / 1e6).toFixed(6))
      expectEqual(`${key} materialized`, summary.materialized, expectedMaterialized)
      expectEqual(`${key} failed`, summary.failed, failed.length)
      expectEqual(`${key} missing`, summary.missing, n - expectedMaterialized - failed.length)
      figures[`${key}_missing_ranges`] = summary.missingRanges.length
    }

    // a plan over 100,000 days, and the per-partition runs a backfill of what is missing there would make
    const span = Math.min(n, 100_000)
    start = performance.now()
    const plan = ExecutionPlan.makeSync(project, {
      selection: "daily",
      partition: `${dailySpace.keyAt(0)}...${dailySpace.keyAt(span - 1)}`,
      now: dayNow
    })
    const toDo = Partitions.Ranges.difference(plan.steps[0]!.partitions!, materialized)
    const runs = Partitions.Ranges.chunks(toDo, 1)
    const plan_100k_s = since(start)
    expectEqual("plan partitions", Partitions.Ranges.count(plan.steps[0]!.partitions!), span)
    if (runs.length !== span - Partitions.Ranges.count(Partitions.Ranges.intersection(materialized, [[0, span]]))) {
      throw new CheckFailed(`per-partition runs: ${runs.length}`)
    }

    // storage grows with the ranges: one row per range
    const rows = await runtime.runPromise(Effect.gen(function*() {
      const instance = yield* Instance.Instance
      const status = (yield* instance.partitionStatus!("daily"))!
      return status.materialized.length + status.failed.length + status.inProgress.length
    }))
    expectEqual("status ranges", rows, materialized.length + failed.length)
    const stale = await staleness(runtime, days, dayNow, materialized)
    return {
      n,
      record_s,
      ...stale,
      ...figures,
      plan_partitions: span,
      plan_100k_s,
      backfill_runs: runs.length,
      status_ranges: rows,
      peak_rss_mb: peakRssMb()
    }
  } finally {
    await runtime.dispose()
    fs.rmSync(folder, { recursive: true, force: true })
  }
})
