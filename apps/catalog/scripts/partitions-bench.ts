/**
 * Measures the partition views at scale: an hourly asset of N partitions
 * (default 1,000,000) with S materialized stretches (default 10,000), every
 * other one written by an older code version (so stale: S/2 stale ranges),
 * and S/10 failed ones, seeded into a SQLite file as status ranges and
 * partition versions. Times (medians of 15 requests, over HTTP, one at a
 * time) the asset's partitions (counts, a 1,000-bucket bar and the stale
 * reasons), a page of its missing ranges, a page of its stale ranges (with
 * their reasons), and a backfill's page over the whole range, with the
 * first of each 15 apart (the first asset request reads the partition
 * versions; later ones reuse them while no event is recorded), and the
 * asset's partitions right after a run of another asset (the versions read
 * again, the code warm); with
 * Chromium (`--browser`), navigation to the asset page until its counts are
 * shown. Prints JSON.
 *
 *   node --conditions=@strata/source scripts/partitions-bench.ts [N] [S] [--browser]
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Asset, InMemoryIO, Instance, Partitions, Project, Version } from "@strata/core"
import { SqliteInstance } from "@strata/sqlite"
import { Effect } from "effect"
import { startCatalog } from "../src/index.ts"
import { launchChromium } from "../test/browser.ts"
import { testUiDir } from "../test/paths.ts"

const numbers = process.argv.filter((arg) => /^\d+$/.test(arg)).map(Number)
const size = numbers[0] ?? 1_000_000
const stretches = numbers[1] ?? 10_000
const keyAt = (i: number) => new Date(Date.UTC(1900, 0, 1) + i * 3_600_000).toISOString().slice(0, 16).replace("T", "-")
const hours = Partitions.hourly({ start: "1900-01-01-00:00", end: keyAt(size) })
const big = Asset.make("big_hourly", { partitions: hours }, () => Effect.succeed(1))
/** Materialized between requests so that the event log moves (`asset_partitions_after_event`). */
const tick = Asset.make("tick", {}, () => Effect.succeed(1))
const project = Project.make({ assets: [big, tick] })
const step = Math.floor(size / stretches)

const seed = (path: string) =>
  Effect.gen(function*() {
    const instance = yield* Instance.Instance
    const set = (ranges: ReadonlyArray<readonly [number, number]>) => ({ fingerprint: Partitions.fingerprint(hours), ranges })
    const done = Array.from({ length: stretches }, (_, i): readonly [number, number] => [i * step, i * step + Math.floor(step / 2)])
    const failed = Array.from({ length: Math.floor(stretches / 10) }, (_, i): readonly [number, number] => [i * step * 10 + Math.floor(step * 0.75), i * step * 10 + Math.floor(step * 0.75) + 1])
    const now = Date.now()
    yield* instance.createRun({ runId: "seed", selection: "big_hourly", assetKeys: ["big_hourly"], staleOnly: false, tags: {}, createdAt: now })
    yield* instance.appendEvents([
      { type: "asset-materialized", runId: "seed", timestamp: now, assetKey: "big_hourly", partition: "seed", metadata: {}, dataVersion: "v", codeVersion: Version.ofAsset(big), inputVersions: {}, partitionSet: set(done.filter((_, i) => i % 2 === 0)) },
      { type: "asset-materialized", runId: "seed", timestamp: now, assetKey: "big_hourly", partition: "seed-old", metadata: {}, dataVersion: "v", codeVersion: "old", inputVersions: {}, partitionSet: set(done.filter((_, i) => i % 2 === 1)) },
      { type: "step-failed", runId: "seed", timestamp: now, assetKey: "big_hourly", attempt: 1, durationMs: 1, error: { tag: "Error", message: "x" }, willRetry: false, partitionSet: set(failed) }
    ])
    yield* instance.backfills.create({ backfillId: "bf-all", selection: "big_hourly", partitions: `${keyAt(0)}...${keyAt(size - 1)}`, policy: "single-run", assetKeys: ["big_hourly"], createdAt: now })
  }).pipe(Effect.provide(SqliteInstance.layer({ path })))

const median = async (url: string) => {
  const times: Array<number> = []
  let bytes = 0
  for (let i = 0; i < 15; i++) {
    const start = performance.now()
    const response = await fetch(url)
    bytes = (await response.arrayBuffer()).byteLength
    if (!response.ok) throw new Error(`${url}: ${response.status}`)
    times.push(performance.now() - start)
  }
  // the first request reads what later ones may reuse (the catalog keeps the last asset's staleness inputs)
  const first = Math.round(times[0]! * 10) / 10
  times.sort((a, b) => a - b)
  return { median_ms: Math.round(times[7]! * 10) / 10, first_ms: first, bytes }
}

/** The asset's partitions right after an event was recorded (a run of `tick`): the staleness inputs are read again. */
const afterEvent = async (url: string) => {
  const times: Array<number> = []
  for (let i = 0; i < 7; i++) {
    const launched = await (await fetch(`${url}/api/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ selection: "tick" }) })).json() as { runId: string }
    for (;;) {
      const run = await (await fetch(`${url}/api/runs/${launched.runId}`)).json() as { run: { status: string } }
      if (run.run.status === "succeeded") break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const start = performance.now()
    const response = await fetch(`${url}/api/asset/partitions?key=big_hourly`)
    await response.arrayBuffer()
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return { median_ms: Math.round(times[3]! * 10) / 10 }
}

const dir = await mkdtemp(join(tmpdir(), "strata-partitions-bench-"))
try {
  const path = join(dir, "instance.db")
  await Effect.runPromise(seed(path))
  const catalog = await startCatalog({ load: () => Promise.resolve({ project, layer: InMemoryIO.layer }), instance: SqliteInstance.layer({ path }), uiDir: testUiDir, port: 0 })
  const result: Record<string, unknown> = { partitions: size, materialized_stretches: stretches }
  result["asset_partitions"] = await median(`${catalog.url}/api/asset/partitions?key=big_hourly`)
  result["missing_ranges_page"] = await median(`${catalog.url}/api/asset/partitions/ranges?key=big_hourly&state=missing&offset=5000&limit=100`)
  result["stale_ranges_page"] = await median(`${catalog.url}/api/asset/partitions/ranges?key=big_hourly&state=stale&offset=2500&limit=100`)
  result["backfill_page"] = await median(`${catalog.url}/api/backfills/bf-all`)
  result["asset_partitions_after_event"] = await afterEvent(catalog.url)
  if (process.argv.includes("--browser")) {
    const browser = await launchChromium()
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const times: Array<number> = []
    for (let i = 0; i < 5; i++) {
      const start = performance.now()
      await page.goto(`${catalog.url}/asset/big_hourly`)
      await page.getByTestId("partition-counts").waitFor()
      times.push(performance.now() - start)
    }
    times.sort((a, b) => a - b)
    result["asset_page_counts_shown_ms"] = Math.round(times[2]!)
    result["dom_nodes"] = await page.evaluate(() => document.querySelectorAll("*").length)
    await browser.close()
  }
  await catalog.close()
  console.log(JSON.stringify(result, null, 2))
} finally {
  await rm(dir, { recursive: true, force: true })
}
