/**
 * The partitions and backfills API over a real SQLite file and a real
 * server: an hourly asset's counts, bar and ranges by state after a backfill
 * that partly failed; the backfill's status per range and its runs; resume,
 * cancel (stopping the running run), and the errors a user may see.
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Asset, InMemoryIO, Partitions, Project } from "@strata/core"
import { PartitionModels } from "@strata/protocol"
import { SqliteInstance } from "@strata/sqlite"
import { Effect, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import { call, until } from "./helpers.ts"

const control = { failOn: new Set<string>(), slowMs: 0 }
const hours = Partitions.hourly({ start: "2024-01-01-00:00", end: "2024-01-02-00:00" })
const events = Asset.make("hourly_events", { partitions: hours }, (_, context) =>
  Effect.gen(function*() {
    if (control.slowMs > 0) yield* Effect.sleep(control.slowMs)
    const bad = context.partitions.keys.find((key) => control.failOn.has(key))
    if (bad !== undefined) return yield* Effect.fail(new Error(`no data for ${bad}`))
    const keys = context.partitions.keys
    return (keys.length === 1 ? 1 : Object.fromEntries(keys.map((key) => [key, 1]))) as number
  }))
const plain = Asset.make("plain", {}, () => Effect.succeed(1))
const project = Project.make({ assets: [events, plain] })

const decodeAsset = Schema.decodeUnknownSync(PartitionModels.AssetPartitions)
const decodeRanges = Schema.decodeUnknownSync(PartitionModels.PartitionRanges)
const decodeDetail = Schema.decodeUnknownSync(PartitionModels.BackfillDetail)
const decodeBackfill = Schema.decodeUnknownSync(PartitionModels.Backfill)

describe("partitions and backfills API (real server, SQLite file)", () => {
  let dir: string
  let catalog: RunningCatalog
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "strata-catalog-partitions-"))
    catalog = await startCatalog({
      load: () => Promise.resolve({ project, layer: InMemoryIO.layer }),
      instance: SqliteInstance.layer({ path: join(dir, "instance.db") }),
      port: 0
    })
  })
  afterAll(async () => {
    await catalog.close()
    await rm(dir, { recursive: true, force: true })
  })

  const detail = async (id: string) => decodeDetail((await call(catalog.url, `/api/backfills/${id}`)).body)
  const ended = (id: string) =>
    until(async () => {
      const d = await detail(id)
      return d.backfill.executing || d.backfill.status === "running" || d.backfill.status === "requested" ? undefined : d
    }, `backfill ${id} to end`, 30_000)

  let first = ""
  it("a backfill whose first run fails: counts, bar, ranges by state, segments and runs match what ran", async () => {
    control.failOn = new Set(["2024-01-01-03:00"])
    const launched = await call(catalog.url, "/api/backfills", {
      method: "POST",
      body: { selection: "hourly_events", partitions: "2024-01-01-00:00...2024-01-01-11:00", policy: "max-per-run=6" }
    })
    expect(launched.status).toBe(200)
    first = decodeBackfill(launched.body).backfillId
    const done = await ended(first)
    expect(done.backfill.status).toBe("failed")
    expect(done.backfill.progress).toEqual({ total: 12, materialized: 6, stale: 0, failed: 6, inProgress: 0, missing: 0 })
    expect(done.segments.map((s) => [s.state, s.first, s.last, s.count])).toEqual([
      ["failed", "2024-01-01-00:00", "2024-01-01-05:00", 6],
      ["materialized", "2024-01-01-06:00", "2024-01-01-11:00", 6]
    ])
    expect(done.runs.map((run) => [run.status, run.partition])).toEqual([
      ["succeeded", "2024-01-01-06:00...2024-01-01-11:00"],
      ["failed", "2024-01-01-00:00...2024-01-01-05:00"]
    ])

    const asset = decodeAsset((await call(catalog.url, "/api/asset/partitions?key=hourly_events&buckets=4")).body)
    expect(asset.counts).toEqual({ total: 24, materialized: 6, stale: 0, failed: 6, inProgress: 0, missing: 12 })
    expect(asset.rangeCounts).toEqual({ materialized: 1, stale: 0, failed: 1, inProgress: 0, missing: 1 })
    expect(asset.staleReasons).toEqual([])
    expect([asset.firstKey, asset.lastKey]).toEqual(["2024-01-01-00:00", "2024-01-01-23:00"])
    expect(asset.buckets.starts).toEqual([0, 6, 12, 18, 24])
    expect(asset.buckets.keys).toEqual(["2024-01-01-00:00", "2024-01-01-06:00", "2024-01-01-12:00", "2024-01-01-18:00"])
    expect(asset.buckets.failed).toEqual([6, 0, 0, 0])
    expect(asset.buckets.materialized).toEqual([0, 6, 0, 0])
    expect(asset.buckets.missing).toEqual([0, 0, 6, 6])

    const missing = decodeRanges((await call(catalog.url, "/api/asset/partitions/ranges?key=hourly_events&state=missing")).body)
    expect(missing.total).toBe(1)
    expect(missing.ranges).toEqual([{ start: 12, end: 24, first: "2024-01-01-12:00", last: "2024-01-01-23:00", count: 12 }])
    const failed = decodeRanges((await call(catalog.url, "/api/asset/partitions/ranges?key=hourly_events&state=failed")).body)
    expect(failed.ranges.map((r) => [r.first, r.last])).toEqual([["2024-01-01-00:00", "2024-01-01-05:00"]])

    const list = Schema.decodeUnknownSync(PartitionModels.BackfillList)((await call(catalog.url, "/api/backfills")).body)
    expect(list.backfills.map((b) => [b.backfillId, b.status, b.runCount])).toEqual([[first, "failed", 2]])
  })

  it("resume runs only what is not materialized, and completes", async () => {
    control.failOn = new Set()
    const resumed = await call(catalog.url, `/api/backfills/${first}/resume`, { method: "POST" })
    expect(resumed.status).toBe(200)
    const done = await ended(first)
    expect(done.backfill.status).toBe("completed")
    expect(done.backfill.progress).toEqual({ total: 12, materialized: 12, stale: 0, failed: 0, inProgress: 0, missing: 0 })
    expect(done.runs).toHaveLength(3)
    expect(done.runs[0]!.partition).toBe("2024-01-01-00:00...2024-01-01-05:00")
    const again = await call(catalog.url, `/api/backfills/${first}/resume`, { method: "POST" })
    expect(again.status).toBe(409)
    expect(again.body.message).toContain("completed")
    expect((await call(catalog.url, `/api/backfills/${first}/cancel`, { method: "POST" })).status).toBe(409)
  })

  it("cancel stops the running run and launches no further one", async () => {
    control.slowMs = 60_000
    const launched = await call(catalog.url, "/api/backfills", {
      method: "POST",
      body: { selection: "hourly_events", partitions: "2024-01-01-12:00...2024-01-01-23:00", policy: "per-partition" }
    })
    const id = decodeBackfill(launched.body).backfillId
    await until(async () => ((await detail(id)).runs[0]?.status === "started" ? true : undefined), "the first run to start")
    const canceled = await call(catalog.url, `/api/backfills/${id}/cancel`, { method: "POST" })
    expect(canceled.status).toBe(200)
    expect(decodeBackfill(canceled.body).cancelRequestedAt).toBeTypeOf("number")
    const done = await ended(id)
    control.slowMs = 0
    expect(done.backfill.status).toBe("canceled")
    expect(done.runs.map((run) => run.status)).toEqual(["canceled"])
    // the partition the canceled run had in progress is failed (interrupted), not left in progress
    expect(done.backfill.progress).toEqual({ total: 12, materialized: 0, stale: 0, failed: 1, inProgress: 0, missing: 11 })
    expect(done.segments[0]).toMatchObject({ state: "failed", first: "2024-01-01-12:00", count: 1 })
  })

  it("errors name the asset, key or backfill", async () => {
    const badKey = await call(catalog.url, "/api/backfills", { method: "POST", body: { selection: "hourly_events", partitions: "2024-13-01-00:00" } })
    expect(badKey.status).toBe(400)
    expect(badKey.body.message).toContain("2024-13-01-00:00")
    const unpartitioned = await call(catalog.url, "/api/backfills", { method: "POST", body: { selection: "plain", partitions: "2024-01-01-00:00" } })
    expect(unpartitioned.status).toBe(400)
    expect(unpartitioned.body.message).toContain("selects no partitioned asset")
    const badPolicy = await call(catalog.url, "/api/backfills", { method: "POST", body: { selection: "hourly_events", partitions: "2024-01-01-00:00", policy: "fast" } })
    expect(badPolicy.status).toBe(400)
    expect(badPolicy.body.message).toContain("unknown policy")
    expect((await call(catalog.url, "/api/backfills", { method: "POST", body: { selection: "nope", partitions: "x" } })).status).toBe(400)
    const notPartitioned = await call(catalog.url, "/api/asset/partitions?key=plain")
    expect(notPartitioned.status).toBe(400)
    expect(notPartitioned.body.message).toBe("asset plain is not partitioned")
    expect((await call(catalog.url, "/api/asset/partitions?key=zz")).status).toBe(404)
    const unknown = await call(catalog.url, "/api/backfills/bf-nope")
    expect(unknown.status).toBe(404)
    expect(unknown.body.message).toContain("bf-nope")
    expect((await call(catalog.url, "/api/asset/partitions/ranges?key=hourly_events&state=outdated")).status).toBe(400)
  })
})

describe("a backfill whose server stopped (real servers, one SQLite file)", () => {
  it("reads as interrupted after the server stops, on the next server, and resumes there", async () => {
    const dir = await mkdtemp(join(tmpdir(), "strata-catalog-interrupted-"))
    const start = () =>
      startCatalog({
        load: () => Promise.resolve({ project, layer: InMemoryIO.layer }),
        instance: SqliteInstance.layer({ path: join(dir, "instance.db") }),
        port: 0
      })
    const detailOn = async (url: string, id: string) => decodeDetail((await call(url, `/api/backfills/${id}`)).body)
    try {
      control.failOn = new Set()
      control.slowMs = 60_000
      const first = await start()
      const launched = await call(first.url, "/api/backfills", {
        method: "POST",
        body: { selection: "hourly_events", partitions: "2024-01-01-00:00...2024-01-01-02:00", policy: "per-partition" }
      })
      const id = decodeBackfill(launched.body).backfillId
      await until(async () => ((await detailOn(first.url, id)).runs[0]?.status === "started" ? true : undefined), "the first run to start")
      expect((await detailOn(first.url, id)).backfill).toMatchObject({ status: "running", executing: true })
      // the server stops while the backfill runs: its record still says running
      await first.close()
      control.slowMs = 0
      const second = await start()
      try {
        const read = await detailOn(second.url, id)
        expect(read.backfill).toMatchObject({ status: "interrupted", executing: false })
        const listed = (await call(second.url, "/api/backfills")).body.backfills as Array<{ backfillId: string; status: string }>
        expect(listed.find((b) => b.backfillId === id)?.status).toBe("interrupted")
        expect((await call(second.url, `/api/backfills/${id}/resume`, { method: "POST" })).status).toBe(200)
        const done = await until(async () => {
          const d = await detailOn(second.url, id)
          return d.backfill.executing || d.backfill.status === "running" ? undefined : d
        }, `backfill ${id} to end`, 30_000)
        expect(done.backfill.status).toBe("completed")
        expect(done.backfill.progress).toMatchObject({ total: 3, materialized: 3 })
      } finally {
        await second.close()
      }
    } finally {
      control.slowMs = 0
      await rm(dir, { recursive: true, force: true })
    }
  }, 120_000)
})

describe("stale partitions (real servers, one SQLite file): a code version change", () => {
  const days = Partitions.daily({ start: "2024-01-01", end: "2024-01-09" })
  const built: Array<string> = []
  const projectAt = (codeVersion: string) => {
    const daily = Asset.make("daily", { partitions: days, codeVersion }, (_, context) => {
      built.push(...context.partitions.keys)
      const keys = context.partitions.keys
      return Effect.succeed((keys.length === 1 ? 1 : Object.fromEntries(keys.map((key) => [key, 1]))) as number)
    })
    const rollup = Asset.make("rollup", { deps: { daily }, partitions: days }, (_, context) => {
      const keys = context.partitions.keys
      return Effect.succeed((keys.length === 1 ? 2 : Object.fromEntries(keys.map((key) => [key, 2]))) as number)
    })
    return Project.make({ assets: [daily, rollup] })
  }
  const start = (dir: string, codeVersion: string) =>
    startCatalog({
      load: () => Promise.resolve({ project: projectAt(codeVersion), layer: InMemoryIO.layer }),
      instance: SqliteInstance.layer({ path: join(dir, "instance.db") }),
      port: 0
    })
  const launch = (url: string, body: Record<string, unknown>) => call(url, "/api/backfills", { method: "POST", body })
  const ended = (url: string, id: string) =>
    until(async () => {
      const d = decodeDetail((await call(url, `/api/backfills/${id}`)).body)
      return d.backfill.executing || d.backfill.status === "running" || d.backfill.status === "requested" ? undefined : d
    }, `backfill ${id} to end`, 30_000)
  const partitionsOf = async (url: string, key: string) => decodeAsset((await call(url, `/api/asset/partitions?key=${key}&buckets=8`)).body)

  it("shows the stale partitions with reasons, bar and ranges, and backfill stale rebuilds exactly those asked for", async () => {
    const dir = await mkdtemp(join(tmpdir(), "strata-catalog-stale-"))
    try {
      const first = await start(dir, "v1")
      try {
        const id = decodeBackfill((await launch(first.url, { selection: "+rollup", partitions: "2024-01-01...2024-01-06", policy: "single-run" })).body).backfillId
        expect((await ended(first.url, id)).backfill.status).toBe("completed")
        expect((await partitionsOf(first.url, "daily")).counts).toMatchObject({ materialized: 6, stale: 0 })
      } finally {
        await first.close()
      }
      const second = await start(dir, "v2")
      try {
        const daily = await partitionsOf(second.url, "daily")
        expect(daily.counts).toEqual({ total: 8, materialized: 0, stale: 6, failed: 0, inProgress: 0, missing: 2 })
        expect(daily.rangeCounts).toMatchObject({ materialized: 0, stale: 1, missing: 1 })
        expect(daily.buckets.stale).toEqual([1, 1, 1, 1, 1, 1, 0, 0])
        expect(daily.buckets.missing).toEqual([0, 0, 0, 0, 0, 0, 1, 1])
        expect(daily.staleReasons).toEqual([
          { type: "code-changed", description: "code version changed (v1 -> v2)", count: 6, partitions: "2024-01-01...2024-01-06" }
        ])
        const rollup = await partitionsOf(second.url, "rollup")
        expect(rollup.counts).toMatchObject({ materialized: 0, stale: 6, missing: 2 })
        expect(rollup.staleReasons.map((r) => [r.type, r.upstream, r.count])).toEqual([["upstream-stale", "daily", 6]])
        const ranges = decodeRanges((await call(second.url, "/api/asset/partitions/ranges?key=rollup&state=stale")).body)
        expect(ranges.ranges).toEqual([
          { start: 0, end: 6, first: "2024-01-01", last: "2024-01-06", count: 6, reasons: ["upstream daily is stale"] }
        ])

        // backfill stale among the first three days: a rebuild of exactly those
        built.length = 0
        const launched = await launch(second.url, { selection: "daily", partitions: "2024-01-01...2024-01-03", policy: "per-partition", stale: true })
        expect(launched.status).toBe(200)
        const backfill = decodeBackfill(launched.body)
        expect([backfill.partitions, backfill.rebuild]).toEqual(["2024-01-01...2024-01-03", true])
        const done = await ended(second.url, backfill.backfillId)
        expect(done.backfill.status).toBe("completed")
        expect(done.backfill.progress).toEqual({ total: 3, materialized: 3, stale: 0, failed: 0, inProgress: 0, missing: 0 })
        expect(built.sort()).toEqual(["2024-01-01", "2024-01-02", "2024-01-03"])
        expect((await partitionsOf(second.url, "daily")).counts).toMatchObject({ materialized: 3, stale: 3, missing: 2 })
        // the rebuilt days gave the same data: rollup's first three days are fresh again
        const after = await partitionsOf(second.url, "rollup")
        expect(after.counts).toMatchObject({ materialized: 3, stale: 3 })
        expect(after.staleReasons.map((r) => r.partitions)).toEqual(["2024-01-04...2024-01-06"])

        const none = await launch(second.url, { selection: "daily", partitions: "2024-01-01...2024-01-03", stale: true })
        expect(none.status).toBe(400)
        expect(none.body.message).toBe("asset daily has no stale partition in 2024-01-01...2024-01-03")
        const notOne = await launch(second.url, { selection: "+rollup", partitions: "2024-01-01", stale: true })
        expect(notOne.status).toBe(400)
        expect(notOne.body.message).toContain("a stale backfill selects one partitioned asset by its key")
      } finally {
        await second.close()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
