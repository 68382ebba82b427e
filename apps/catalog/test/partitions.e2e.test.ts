/**
 * A million hourly partitions in real Chromium over a SQLite file: the
 * instance is seeded with status ranges (1,000 materialized stretches, a
 * tenth of them written by an older code version so stale, 100 failed
 * ones, one in progress), then the asset page's bar, counts, hover,
 * Partitions tab (missing and stale ranges paged) and a "materialize these
 * partitions" backfill are checked against what was seeded, computed here
 * independently.
 */
import { mkdirSync } from "node:fs"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Asset, InMemoryIO, Instance, Partitions, Project, Version } from "@strata/core"
import { SqliteInstance } from "@strata/sqlite"
import { Effect } from "effect"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import { launchChromium } from "./browser.ts"
import { call } from "./helpers.ts"
import { testUiDir } from "./paths.ts"

/** Polls a page condition; generous, for a loaded machine (no timing is asserted). */
const poll = <A>(read: () => Promise<A>) => expect.poll(read, { timeout: 30_000, interval: 100 })

const screenshots = fileURLToPath(new URL("../screenshots/", import.meta.url))
const HOUR = 3_600_000
const START = Date.UTC(1900, 0, 1)
const N = 1_000_000
/** The key of hour `i` from 1900-01-01 00:00 UTC, computed here without core. */
const keyAt = (i: number) => new Date(START + i * HOUR).toISOString().slice(0, 16).replace("T", "-")
const hours = Partitions.hourly({ start: "1900-01-01-00:00", end: keyAt(N) })
const big = Asset.make("big_hourly", { partitions: hours }, (_, context) =>
  Effect.succeed(Object.fromEntries(context.partitions.keys.map((key) => [key, 1])) as unknown as number))
const slow = { ms: 0 }
const days = Partitions.daily({ start: "2024-01-01", end: "2024-01-08" })
const daily = Asset.make("slow_daily", { partitions: days }, (_, context) =>
  Effect.gen(function*() {
    if (slow.ms > 0) yield* Effect.sleep(slow.ms)
    return context.partitions.count
  }))
const project = Project.make({ assets: [big, daily] })

const materialized = Array.from({ length: 1_000 }, (_, i): readonly [number, number] => [i * 1_000, i * 1_000 + 500])
/** Every tenth stretch (the 6th, 16th, …) was written by an older code version: stale. */
const isStale = (i: number) => i % 10 === 5
const fresh = materialized.filter((_, i) => !isStale(i))
const stale = materialized.filter((_, i) => isStale(i))
const failed = Array.from({ length: 100 }, (_, i): readonly [number, number] => [i * 10_000 + 600, i * 10_000 + 610])
const inProgress: ReadonlyArray<readonly [number, number]> = [[999_700, 999_800]]

const seed = (path: string) =>
  Effect.gen(function*() {
    const instance = yield* Instance.Instance
    const now = Date.now()
    const partitionSet = (ranges: ReadonlyArray<readonly [number, number]>) => ({ fingerprint: Partitions.fingerprint(hours), ranges })
    yield* instance.createRun({ runId: "seed", selection: "big_hourly", assetKeys: ["big_hourly"], staleOnly: false, tags: {}, createdAt: now })
    yield* instance.appendEvents([
      { type: "asset-materialized", runId: "seed", timestamp: now, assetKey: "big_hourly", partition: "seed", metadata: {}, dataVersion: "v", codeVersion: Version.ofAsset(big), inputVersions: {}, partitionSet: partitionSet(fresh) },
      { type: "asset-materialized", runId: "seed", timestamp: now, assetKey: "big_hourly", partition: "seed-old", metadata: {}, dataVersion: "v", codeVersion: "old", inputVersions: {}, partitionSet: partitionSet(stale) },
      { type: "step-failed", runId: "seed", timestamp: now, assetKey: "big_hourly", attempt: 1, durationMs: 1, error: { tag: "Error", message: "no data" }, willRetry: false, partitionSet: partitionSet(failed) },
      { type: "step-started", runId: "seed", timestamp: now, assetKey: "big_hourly", attempt: 1, partitionSet: partitionSet(inProgress) }
    ])
  }).pipe(Effect.provide(SqliteInstance.layer({ path })))

describe("1,000,000 hourly partitions in Chromium", () => {
  let dir: string
  let catalog: RunningCatalog
  let browser: Browser
  let page: Page
  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true })
    dir = await mkdtemp(join(tmpdir(), "strata-catalog-1m-"))
    const path = join(dir, "instance.db")
    await Effect.runPromise(seed(path))
    ;[catalog, browser] = await Promise.all([
      startCatalog({ load: () => Promise.resolve({ project, layer: InMemoryIO.layer }), instance: SqliteInstance.layer({ path }), uiDir: testUiDir, port: 0 }),
      launchChromium()
    ])
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: "en-US" })
    page.setDefaultTimeout(30_000)
  })
  afterAll(async () => {
    await browser?.close()
    await catalog?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it("the API answers the seeded counts and ranges", async () => {
    const answer = await call(catalog.url, "/api/asset/partitions?key=big_hourly")
    expect(answer.body.counts).toEqual({ total: N, materialized: 450_000, stale: 50_000, failed: 1_000, inProgress: 100, missing: 498_900 })
    // gaps between stretches (1,000), each failed stretch splits one (+100), the run in progress splits the last (+1)
    expect(answer.body.rangeCounts).toEqual({ materialized: 900, stale: 100, failed: 100, inProgress: 1, missing: 1_101 })
    expect(answer.body.staleReasons).toEqual([
      { type: "code-changed", description: `code version changed (old -> ${Version.ofAsset(big)})`, count: 50_000, partitions: expect.any(String) }
    ])
    expect([answer.body.firstKey, answer.body.lastKey]).toEqual([keyAt(0), keyAt(N - 1)])
    expect(answer.body.buckets.keys).toHaveLength(1_000)
  })

  it("the asset page draws the bar from buckets, with counts, colours and hover that match the instance", async () => {
    await page.goto(`${catalog.url}/asset/big_hourly`)
    const counts = page.getByTestId("partition-counts")
    await counts.waitFor()
    const text = await counts.innerText()
    for (const part of ["1,000,000 partitions", "450,000 materialized", "50,000 stale", "1,000 failed", "100 in progress", "498,900 missing"]) {
      expect(text).toContain(part)
    }
    const bar = page.getByTestId("partition-bar").first()
    expect(await bar.getAttribute("data-buckets")).toBe("1000")
    // the top pixel of a bucket: red where a failed stretch is, blue for the run in progress, amber for a stale stretch, green elsewhere
    const topPixel = (bucket: number) =>
      page.evaluate((b) => {
        const canvas = document.querySelector<HTMLCanvasElement>("[data-testid=partition-bar] canvas")!
        const x = Math.floor(((b + 0.5) / 1000) * canvas.width)
        return Array.from(canvas.getContext("2d")!.getImageData(x, 1, 1, 1).data.slice(0, 3))
      }, bucket)
    expect(await topPixel(0)).toEqual([214, 69, 69])
    expect(await topPixel(10)).toEqual([214, 69, 69])
    expect(await topPixel(999)).toEqual([47, 111, 237])
    expect(await topPixel(1)).toEqual([46, 157, 91])
    expect(await topPixel(5)).toEqual([217, 154, 28])
    expect(await topPixel(995)).toEqual([217, 154, 28])
    // nothing is one DOM node per partition
    expect(await page.evaluate(() => document.querySelectorAll("*").length)).toBeLessThan(1_500)
    const box = (await bar.locator("canvas").boundingBox())!
    await page.mouse.move(box.x + box.width * 0.0005, box.y + box.height / 2)
    await poll(() => page.getByTestId("partition-hover").first().innerText()).toBe(
      `1,000 partitions from ${keyAt(0)}: 10 failed, 500 materialized, 490 missing`
    )
    await page.screenshot({ path: join(screenshots, "partitions-1m.png") })
  })

  it("the Partitions tab pages through the missing ranges and launches a backfill of typed partitions", async () => {
    await page.getByRole("tab", { name: /^Partitions/ }).click()
    await page.getByRole("tab", { name: "Missing (1,101 ranges)" }).waitFor()
    await page.getByRole("tab", { name: "Failed (100 ranges)" }).waitFor()
    const firstRow = page.getByTestId("partition-ranges").locator("tbody tr").first()
    await poll(() => firstRow.innerText()).toContain(`${keyAt(500)}\t${keyAt(599)}\t100`)
    expect(await page.getByTestId("range-page").innerText()).toBe("Ranges 1–100 of 1,101")
    await page.getByRole("button", { name: "Next" }).click()
    await poll(() => page.getByTestId("range-page").innerText()).toBe("Ranges 101–200 of 1,101")
    // every tenth gap is split in two by a failed stretch: 11 ranges per 10 gaps, so the 101st range is gap 90's second half
    await poll(() => firstRow.innerText()).toContain(`${keyAt(90_610)}\t${keyAt(90_999)}\t390`)
    await page.screenshot({ path: join(screenshots, "partitions-tab.png") })

    // the stale filter: the old code version's stretches, with why, and the button to rebuild them all
    await page.getByRole("tab", { name: "Stale (100 ranges)" }).click()
    await poll(() => page.getByTestId("range-page").innerText()).toBe("Ranges 1–100 of 100")
    expect(await firstRow.innerText()).toContain(`${keyAt(5_000)}\t${keyAt(5_499)}\t500\tcode version changed (old -> `)
    expect(await page.getByTestId("partition-ranges").locator("tbody tr").count()).toBe(100)
    await page.getByRole("button", { name: "Backfill stale (50,000)" }).waitFor()
    expect(await page.getByTestId("partition-stale-reasons").innerText()).toContain("50,000 stale: code version changed (old -> ")
    await page.screenshot({ path: join(screenshots, "partitions-stale.png") })

    await page.getByLabel("partitions to materialize").fill(`${keyAt(500)}...${keyAt(502)}`)
    await page.getByRole("button", { name: "Materialize these partitions" }).click()
    await page.getByTestId("backfill-page").waitFor()
    await poll(() => page.getByTestId("backfill-status").first().innerText()).toBe("completed")
    await poll(() => page.getByTestId("backfill-segments").innerText()).toContain(`materialized\t${keyAt(500)}\t${keyAt(502)}\t3`)
    expect(await page.getByTestId("partition-counts").innerText()).toContain("3 partitions")
    await page.screenshot({ path: join(screenshots, "backfill.png") })
    const after = await call(catalog.url, "/api/asset/partitions?key=big_hourly")
    expect(after.body.counts.materialized).toBe(450_003)
    await page.getByRole("link", { name: "Backfills" }).first().click()
    await poll(() => page.getByTestId("backfills").innerText()).toContain("3 / 3 materialized")
  })

  it("the backfill page cancels a running backfill (its running run too) and resumes it", async () => {
    slow.ms = 60_000
    const launched = await call(catalog.url, "/api/backfills", {
      method: "POST",
      body: { selection: "slow_daily", partitions: "2024-01-01...2024-01-07", policy: "per-partition" }
    })
    expect(launched.status).toBe(200)
    await page.goto(`${catalog.url}/backfills/${launched.body.backfillId}`)
    await poll(() => page.getByTestId("backfill-segments").innerText()).toContain("in-progress\t2024-01-01\t2024-01-01\t1")
    await page.getByRole("button", { name: "Cancel" }).click()
    await poll(() => page.getByTestId("backfill-status").first().innerText()).toBe("canceled")
    slow.ms = 0
    // the interrupted partition is failed, the six never started are missing
    await poll(() => page.getByTestId("backfill-segments").innerText()).toContain("failed\t2024-01-01\t2024-01-01\t1")
    expect(await page.getByTestId("backfill-segments").innerText()).toContain("missing\t2024-01-02\t2024-01-07\t6")
    expect(await page.getByTestId("backfill-runs").innerText()).toContain("canceled")
    await page.getByRole("button", { name: "Resume" }).click()
    await poll(() => page.getByTestId("backfill-status").first().innerText()).toBe("completed")
    await poll(() => page.getByTestId("backfill-segments").innerText()).toContain("materialized\t2024-01-01\t2024-01-07\t7")
    expect(await page.getByTestId("backfill-runs").locator("tbody tr").count()).toBe(8)
    await page.screenshot({ path: join(screenshots, "backfill-resumed.png"), fullPage: true })
  })
})
