/**
 * The catalog UI over the real example: `strata dev` (a real CLI process, the
 * SQLite instance, Parquet via @strata/arrow) in a temporary copy of the
 * example, driven by real Chromium. Open the graph, open gold_user_metrics,
 * materialize it with its upstream, follow the run live, read the new
 * metadata; then change the raw file and see the open graph turn stale by
 * itself (strata dev watches the source's file) and why; then, with
 * `--no-watch`, observe it with the Observe button and from another process.
 * Every wait is for a selector or a condition.
 */
import type { ChildProcess } from "node:child_process"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
// the catalog's own e2e tests launch Chromium the same way
import { launchChromium } from "../../../apps/catalog/test/browser.ts"

const example = path.resolve(import.meta.dirname, "..")
const cliSource = path.join(example, "node_modules", "@strata", "cli", "src", "bin.ts")
const catalogDir = path.resolve(example, "..", "..", "apps", "catalog")
const uiDist = path.join(catalogDir, "ui-dist")
const screenshots = path.join(catalogDir, "screenshots")

const newest = (dir: string): number =>
  fs.readdirSync(dir, { withFileTypes: true }).reduce((time, entry) => {
    const file = path.join(dir, entry.name)
    return Math.max(time, entry.isDirectory() ? newest(file) : fs.statSync(file).mtimeMs)
  }, 0)

// `strata dev` serves the catalog's built UI: a missing or out-of-date build would test the wrong thing
const checkUiBuilt = () => {
  const index = path.join(uiDist, "index.html")
  const build = "run 'pnpm exec turbo run build --filter @strata/catalog' first"
  if (!fs.existsSync(index)) throw new Error(`the catalog UI is not built (${index} is missing): ${build}`)
  if (fs.statSync(index).mtimeMs < newest(path.join(catalogDir, "ui", "src"))) {
    throw new Error(`the catalog UI in ${uiDist} is older than its sources: ${build}`)
  }
}

const node = (args: ReadonlyArray<string>, cwd: string) =>
  spawn(process.execPath, ["--conditions=@strata/source", ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: "1", STRATA_ENV: "" },
    stdio: ["ignore", "pipe", "pipe"]
  })

const runScript = (args: ReadonlyArray<string>, cwd: string) =>
  new Promise<string>((resolve, reject) => {
    const child = node(args, cwd)
    let output = ""
    child.stdout!.on("data", (chunk) => (output += chunk))
    child.stderr!.on("data", (chunk) => (output += chunk))
    child.on("error", reject)
    child.on("close", (code) => code === 0 ? resolve(output) : reject(new Error(`node ${args.join(" ")} exited ${code}: ${output}`)))
  })

/**
 * Starts `strata dev --port 0` and resolves with its URL once it serves. Without the daemon: this test
 * shows staleness turning up in the open graph, which the lakehouse's eager conditions would otherwise
 * resolve at once (test/automation.test.ts covers that).
 */
const startDev = (cwd: string, flags: ReadonlyArray<string> = []) =>
  new Promise<{ child: ChildProcess; url: string }>((resolve, reject) => {
    const child = node([cliSource, "dev", "--port", "0", "--no-daemon", ...flags], cwd)
    let output = ""
    const onData = (chunk: Buffer) => {
      output += chunk
      const match = /Strata catalog on (http:\/\/\S+)/.exec(output)
      if (match !== null) resolve({ child, url: match[1]! })
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", onData)
    child.on("error", reject)
    child.on("close", (code) => reject(new Error(`strata dev exited ${code} before serving: ${output}`)))
  })

const stop = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode)
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000)
    child.once("close", (code) => {
      clearTimeout(timer)
      resolve(code)
    })
    child.kill("SIGINT")
  })

describe("the lakehouse example in the catalog UI", () => {
  let dir: string
  let dev: { child: ChildProcess; url: string }
  let browser: Browser
  let page: Page
  const pageErrors: Array<string> = []

  beforeAll(async () => {
    checkUiBuilt()
    fs.mkdirSync(screenshots, { recursive: true })
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-ui-"))
    for (const entry of ["strata.config.ts", "package.json", "src", "scripts"]) {
      fs.cpSync(path.join(example, entry), path.join(dir, entry), { recursive: true })
    }
    fs.symlinkSync(path.join(example, "node_modules"), path.join(dir, "node_modules"), "dir")
    expect(await runScript(["scripts/generate.ts", "--if-missing"], dir)).toContain("wrote 100000 users (seed 1)")
    ;[dev, browser] = await Promise.all([startDev(dir), launchChromium()])
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    page.setDefaultTimeout(20_000)
    page.on("pageerror", (error) => pageErrors.push(error.message))
  })
  afterAll(async () => {
    await browser?.close()
    if (dev !== undefined) await stop(dev.child)
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true })
  })

  const runStatus = (status: string) => page.waitForSelector(`h1 [data-testid="run-status"]:text-is("${status}")`)
  const graphStatuses = () =>
    page.locator(".card").evaluateAll((cards) =>
      Object.fromEntries(cards.map((card) => [card.getAttribute("data-key"), card.getAttribute("data-status")]))
    )
  const goldFile = () => JSON.parse(fs.readFileSync(path.join(dir, ".strata", "storage", "gold_user_metrics.json"), "utf8"))
  const goldRows = () => goldFile().byCountry.reduce((n: number, c: { users: number }) => n + c.users, 0) as number

  it("graph, asset, materialize with upstream, the run live, the new metadata", async () => {
    const eventStreams: Array<string> = []
    /** The run's status in the run page's first answer: a run already ended there has nothing to follow. */
    let firstRunStatus: Promise<string> | undefined
    page.on("response", (response) => {
      if (/\/api\/runs\/[^/]+\/events/.test(response.url())) eventStreams.push(response.headers()["content-type"] ?? "")
      else if (firstRunStatus === undefined && /\/api\/runs\/[0-9a-f-]+$/.test(new URL(response.url()).pathname)) {
        firstRunStatus = response.json().then((body: { run: { status: string } }) => body.run.status)
      }
    })

    await page.goto(dev.url)
    await page.waitForSelector(`[data-key="gold_user_metrics"]`)
    expect(await graphStatuses()).toEqual({
      raw_users: "missing",
      silver_users: "missing",
      gold_user_metrics: "missing",
      "dashboards/growth": "stale"
    })
    expect(await page.locator(`[data-key="dashboards/growth"]`).getAttribute("class")).toContain("external")

    await page.click(`[data-key="gold_user_metrics"]`)
    await page.waitForURL(/\/asset\/gold_user_metrics$/)
    await page.waitForSelector(`.source >> text=Asset.make(`)
    const assetsFile = path.join(dir, "src", "assets.ts")
    const line = fs.readFileSync(assetsFile, "utf8").split("\n").findIndex((l) => l.startsWith("export const goldUserMetrics")) + 1
    expect(line).toBeGreaterThan(0)
    expect(await page.locator(".source-file").textContent()).toBe(`${fs.realpathSync(assetsFile)}:${line}`)
    expect(await page.locator(".description").textContent()).toBe("Signups per day, the active ratio and users by country.")
    expect(await page.locator(".facts").innerText()).toContain("team:growth")
    // the I/O manager key and the implementation the local environment provides for it
    expect(await page.locator(".facts").innerText()).toContain("@strata/core/DefaultIO")
    expect(await page.locator(".facts .io-name").textContent()).toBe("filesystem")
    expect(await page.locator(`[data-testid="asset-status"]`).textContent()).toBe("missing")

    await page.click("button:text-is('Materialize with upstream')")
    await page.waitForURL(/\/runs\/[0-9a-f-]+$/)
    const runUrl = page.url()
    await runStatus("succeeded")
    // followed live: the same page, updated over server-sent events (unless the run had already ended when the
    // page first asked for it, when the run is quicker than the page: then there was nothing to follow)
    expect(page.url()).toBe(runUrl)
    if (!["succeeded", "failed", "canceled"].includes(await firstRunStatus!)) {
      // polled: Playwright reports the stream's response in an event of its own, which may come after the page's
      await expect.poll(() => eventStreams.length).toBeGreaterThanOrEqual(1)
      expect(eventStreams[0]).toContain("text/event-stream")
    }
    const steps = await page.locator(".gantt-row").evaluateAll((rows) =>
      rows.map((row) => `${row.getAttribute("data-step")}:${row.getAttribute("data-step-status")}`)
    )
    expect(steps).toEqual(["raw_users:succeeded", "silver_users:succeeded", "gold_user_metrics:succeeded"])
    expect(await page.locator(`[data-event="log"]`).first().textContent()).toMatch(/kept \d+ of 100000 rows/)
    await page.setViewportSize({ width: 1440, height: 700 })
    await page.screenshot({ path: path.join(screenshots, "lakehouse-run.png") })
    await page.setViewportSize({ width: 1440, height: 900 })

    await page.click(`.gantt-label:text-is("gold_user_metrics")`)
    await page.waitForURL(/\/asset\/gold_user_metrics$/)
    await page.waitForSelector(`[data-testid="asset-status"]:text-is("fresh")`)
    const rows = goldRows()
    expect(rows).toBeGreaterThan(90_000)
    const metadata = page.locator(`[data-testid="latest-metadata"]`)
    expect(await metadata.locator(`[data-metadata="row_count"]`).textContent()).toBe(String(rows))
    expect(await metadata.locator(`[data-metadata="countries"]`).textContent()).toBe(String(goldFile().byCountry.length))
    expect(await page.locator(`.chart[data-metric="row_count"] figcaption .muted`).textContent())
      .toBe(`latest ${rows.toLocaleString("en")} · 1 point`)
    expect(await page.locator(`.chart[data-metric="row_count"] circle`).count()).toBe(1)
  })

  it("after the raw file changes, the open graph turns silver and gold stale by itself, with the reason", async () => {
    const before = goldRows()
    await page.goto(dev.url)
    await page.waitForSelector(`[data-key="silver_users"][data-status="fresh"]`)
    const changedAt = Date.now()
    expect(await runScript(["scripts/generate.ts", "--append", "1000", "--seed", "2"], dir))
      .toContain("appended 1000 users (ids 100001..101000)")
    // no click: strata dev watches data/raw_users.csv, observes raw_users and the page refreshes on the new run
    await page.waitForSelector(`[data-key="silver_users"][data-status="stale"]`, { timeout: 10_000 })
    console.log(`lakehouse e2e: graph stale ${Date.now() - changedAt} ms after the append started`)
    expect(await graphStatuses()).toEqual({
      raw_users: "fresh",
      silver_users: "stale",
      gold_user_metrics: "stale",
      "dashboards/growth": "stale"
    })
    await page.screenshot({ path: path.join(screenshots, "lakehouse-graph.png") })

    await page.click(`[data-key="silver_users"]`)
    await page.waitForURL(/\/asset\/silver_users$/)
    await page.waitForSelector(`[data-testid="asset-status"]:text-is("stale")`)
    expect(await page.locator(`[data-testid="stale-reasons"]`).innerText()).toMatch(/upstream raw_users has new data/)
    await page.goto(`${dev.url}/asset/gold_user_metrics`)
    await page.waitForSelector(`[data-testid="asset-status"]:text-is("stale")`)
    expect(await page.locator(`[data-testid="stale-reasons"]`).innerText()).toMatch(/upstream silver_users is stale/)

    // rebuilt from the UI: the new row count, and a second point in the history
    await page.click("button:text-is('Materialize with upstream')")
    await page.waitForURL(/\/runs\/[0-9a-f-]+$/)
    await runStatus("succeeded")
    await page.click(`.gantt-label:text-is("gold_user_metrics")`)
    await page.waitForSelector(`[data-testid="asset-status"]:text-is("fresh")`)
    const after = goldRows()
    expect(after).toBeGreaterThan(before)
    await page.waitForSelector(`[data-testid="latest-metadata"] [data-metadata="row_count"]:text-is("${after}")`)
    await page.waitForSelector(`.chart[data-metric="row_count"] >> text=2 points`)
    expect(await page.locator(`.chart[data-metric="row_count"] circle`).count()).toBe(2)
    await page.setViewportSize({ width: 1440, height: 1500 })
    await page.screenshot({ path: path.join(screenshots, "lakehouse-asset.png") })
    expect(pageErrors).toEqual([])
  })

  it("with --no-watch, a changed file shows once observed: by the Observe button, or by `strata status` in another process", async () => {
    expect(await stop(dev.child)).toBe(130)
    dev = await startDev(dir, ["--no-watch"])
    await page.setViewportSize({ width: 1440, height: 900 })
    await page.goto(dev.url)
    await page.waitForSelector(`[data-key="silver_users"][data-status="fresh"]`)
    expect(await runScript(["scripts/generate.ts", "--append", "500", "--seed", "3"], dir)).toContain("appended 500 users")
    // not watched: nothing changes by itself (the watch reacts within a second when on)
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    expect((await graphStatuses()).silver_users).toBe("fresh")
    // the source's Observe button
    // clicked as soon as the graph shows it: a redraw the graph scheduled must not outlive the page
    await page.click(`[data-key="raw_users"]`)
    await page.waitForURL(/\/asset\/raw_users$/)
    await page.click("button:text-is('Observe')")
    await page.waitForURL(/\/runs\/[0-9a-f-]+$/)
    await runStatus("succeeded")
    await page.click(`text=Assets`)
    await page.waitForSelector(`[data-key="silver_users"][data-status="stale"]`)

    // rebuilt by another process; then `strata status` observes the next change: the open graph follows both
    await runScript([cliSource, "materialize"], dir)
    await page.waitForSelector(`[data-key="silver_users"][data-status="fresh"]`, { timeout: 10_000 })
    expect(await runScript(["scripts/generate.ts", "--append", "250", "--seed", "4"], dir)).toContain("appended 250 users")
    // the CLI observes raw_users, records it in the shared SQLite instance, and exits within milliseconds
    expect(await runScript([cliSource, "status"], dir)).toContain("observed raw_users: new data")
    await page.waitForSelector(`[data-key="silver_users"][data-status="stale"]`, { timeout: 10_000 })
    expect(await graphStatuses()).toEqual({
      raw_users: "fresh",
      silver_users: "stale",
      gold_user_metrics: "stale",
      "dashboards/growth": "stale"
    })
    expect(pageErrors).toEqual([])
  })

  it("a corrupt raw drop: silver's blocking check fails and stops gold, shown on the asset pages and the run page", async () => {
    expect(await runScript(["scripts/corrupt.ts", "--percent", "70"], dir)).toMatch(/corrupted the emails of \d+ of/)
    // materialize exits 1 (a blocking check failed): run it directly and read its JSON
    const materialize = node([cliSource, "materialize", "--json"], dir)
    let stdout = ""
    materialize.stdout!.on("data", (chunk) => (stdout += chunk))
    expect(await new Promise((resolve) => materialize.on("close", resolve))).toBe(1)
    const result = JSON.parse(stdout)
    expect(result.skipped.map((s: { key: string; reason: string }) => `${s.key}: ${s.reason}`)).toEqual([
      "gold_user_metrics: blocking check row_count_not_dropping of silver_users failed"
    ])
    await page.goto(`${dev.url}/asset/silver_users`)
    await page.click("[role=tab]:text-is('Checks')")
    await page.waitForSelector(`[data-testid="check-row_count_not_dropping"] >> text=failed`)
    await page.waitForSelector(`[data-testid="check-row_count_not_dropping"] >> text=more than 50%`)
    await page.waitForSelector(`[data-testid="check-email_unique"] >> text=passed`)
    await page.screenshot({ path: path.join(screenshots, "lakehouse-checks.png") })
    // gold was not rebuilt from the corrupt silver
    await page.goto(`${dev.url}/asset/gold_user_metrics`)
    await page.waitForSelector(`[data-testid="asset-status"]:text-is("stale")`)
    await page.goto(`${dev.url}/runs/${result.runId}`)
    await runStatus("failed")
    await page.click("button:text-is('Show all events')")
    await page.waitForSelector(`[data-event="step-skipped"] >> text=blocking check row_count_not_dropping of silver_users failed`)
    await page.waitForSelector(`[data-event="check-evaluated"] >> text=FAILED (blocking)`)
    await page.screenshot({ path: path.join(screenshots, "lakehouse-checks-run.png") })
    expect(pageErrors).toEqual([])
  })

  it("stops on Ctrl-C with the conventional code 130", async () => {
    expect(await stop(dev.child)).toBe(130)
  })
})
