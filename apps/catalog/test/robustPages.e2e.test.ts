/**
 * Pages that never break, in real Chromium at 1280×800: a 229-character key,
 * 500 metadata entries with a nested column schema, a run of 10,000 log
 * lines; and the catalog table's typeahead and an asset's Lineage tab.
 */
import { mkdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Asset, InMemoryIO, Instance, Output, Project } from "@strata/core"
import { Effect } from "effect"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import { launchChromium } from "./browser.ts"
import { call, readEvents } from "./helpers.ts"
import { testUiDir } from "./paths.ts"

const screenshots = fileURLToPath(new URL("../screenshots/", import.meta.url))
const longKey = `warehouse/${"very_long_segment_name_".repeat(10)}`.slice(0, 229)
const viewport = { width: 1280, height: 800 }

const makeProject = () => {
  const raw = Asset.make("raw_events", { group: "bronze", owners: ["team:ingest"], description: "Clickstream as received" }, () =>
    Effect.succeed(Output.make([1, 2, 3], { metadata: { row_count: 3 } })))
  const long = Asset.make(longKey, { deps: { raw }, group: "silver" }, ({ raw }) =>
    Effect.succeed(Output.make(raw, {
      metadata: { row_count: raw.length, note: "x".repeat(600), path: `s3://bucket/${"deep/".repeat(80)}file.parquet` }
    })))
  let run = 0
  const wide = Asset.make("silver_users", { deps: { raw }, group: "silver", owners: ["ana@example.com"] }, () =>
    Effect.sync(() => {
      run++
      const metadata: Record<string, unknown> = {
        row_count: 1000 + run,
        columns: [
          { name: "id", type: "int64", nullable: false, null_rate: 0, min: 1, max: 1000, distinct: 1000 },
          { name: "email", type: "string", nullable: true, null_rate: 0.05 * run, distinct: 950 },
          { name: "address", type: { struct: { street: "string", city: "string" } }, nullable: true, null_rate: 0.2 }
        ],
        profile: { owner: { team: "growth", contacts: ["a@x.io", "b@x.io"] }, sla: { hours: 6 } }
      }
      for (let i = 0; i < 500; i++) metadata[`metric_${String(i).padStart(3, "0")}`] = i * run
      return Output.make([], { metadata: metadata as never })
    }))
  const gold = Asset.make("gold_user_metrics", { deps: { wide }, group: "gold" }, () => Effect.succeed(Output.make(1)))
  const chatty = Asset.make("chatty_export", { deps: { gold }, group: "gold" }, () =>
    Effect.gen(function*() {
      for (let i = 0; i < 10_000; i++) {
        yield* i % 1000 === 0 ? Effect.logWarning(`checkpoint ${i} ${"w".repeat(300)}`) : Effect.logInfo(`exported row ${i}`)
      }
      return Output.make(1)
    }))
  // 300 independent steps: the run page's timeline is then virtualized
  const fan = Array.from({ length: 300 }, (_, i) =>
    Asset.make(`fan/step_${String(i).padStart(3, "0")}`, { group: "fan" }, () => Effect.succeed(Output.make(i))))
  return Project.make({ assets: [raw, long, wide, gold, chatty, ...fan] })
}

const fitsWidth = (page: Page) =>
  page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }))

describe("robust pages in Chromium", () => {
  let catalog: RunningCatalog
  let browser: Browser
  let page: Page
  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true })
    const project = makeProject()
    ;[catalog, browser] = await Promise.all([
      startCatalog({ load: () => Promise.resolve({ project, layer: InMemoryIO.layer }), instance: Instance.layerMemory, uiDir: testUiDir, port: 0 }),
      launchChromium()
    ])
    // materialize everything twice, so metadata has a history
    for (let i = 0; i < 2; i++) {
      const launched = await call(catalog.url, "/api/runs", { method: "POST", body: { selection: "*" } })
      expect(launched.status).toBe(200)
      await readEvents(`${catalog.url}/api/runs/${launched.body.runId}/events`)
    }
  })
  afterAll(async () => {
    await browser?.close()
    await catalog?.close()
  })
  beforeEach(async () => {
    page?.isClosed() === false && await page.close()
    page = await browser.newPage({ viewport })
    page.setDefaultTimeout(30_000)
  })

  it("a 229-character key wraps and keeps its buttons on screen", async () => {
    expect(longKey).toHaveLength(229)
    await page.goto(`${catalog.url}/asset/${longKey}`)
    await page.waitForSelector(`[data-testid="latest-materialization"]`)
    const { scroll, width } = await fitsWidth(page)
    expect(scroll).toBeLessThanOrEqual(width)
    const button = await page.locator("button", { hasText: "Materialize with upstream" }).boundingBox()
    expect(button).not.toBeNull()
    expect(button!.x + button!.width).toBeLessThanOrEqual(viewport.width)
  })

  it("500 metadata entries: a column table, a JSON tree, two charts by default, the rest on demand", async () => {
    await page.goto(`${catalog.url}/asset/silver_users`)
    await page.waitForSelector(`[data-testid="column-table"]`)
    const { scroll, width } = await fitsWidth(page)
    expect(scroll).toBeLessThanOrEqual(width)
    // the schema as a table: one row per column with its null rate
    const rows = page.locator(`[data-testid="latest-metadata"] [data-testid="column-table"] tbody tr`)
    expect(await rows.count()).toBe(3)
    expect(await rows.nth(1).textContent()).toContain("10.0%")
    // nested metadata as a tree
    expect(await page.locator(`[data-metadata="profile"] details.json-tree`).count()).toBeGreaterThan(0)
    // 40 entries shown until asked
    expect(await page.locator(`[data-testid="latest-metadata"] > tbody > tr`).count()).toBe(40)
    // row count first, not 500 charts
    const charts = page.locator(".chart")
    expect(await charts.count()).toBe(2)
    expect(await charts.first().getAttribute("data-metric")).toBe("row_count")
    const height = await page.evaluate(() => document.querySelector("main:not([hidden])")!.scrollHeight)
    expect(height).toBeLessThan(8000)
    // pick a per-column null rate series
    await page.click("text=Charted: 2 of")
    await page.fill(`.series-picker input[placeholder="Filter series"]`, "null rate · email")
    await page.check(`.series-picker label:has-text("null rate · email") input`)
    await page.waitForSelector(`.chart[data-metric="null rate · email"]`)
    await page.screenshot({ path: `${screenshots}asset-wide-metadata.png`, fullPage: false })
  })

  it("a run with 10,000 log lines stays within the width and filters by text and level", async () => {
    const runs = await call(catalog.url, "/api/runs?limit=1")
    const runId = runs.body.runs[0].runId as string
    await page.goto(`${catalog.url}/runs/${runId}`)
    await page.waitForSelector(`h1 [data-testid="run-status"]:text-is("succeeded")`)
    await page.waitForSelector(`text=exported row 9999`)
    const { scroll, width } = await fitsWidth(page)
    expect(scroll).toBeLessThanOrEqual(width)
    // a line is mounted only when near the view: far fewer than 10,000 elements
    expect(await page.locator(".event").count()).toBeLessThan(400)
    // each event is one line: no cell (a "step-succeeded" type, a long key) wraps onto the next event's
    await page.click(`button:has-text("Show all events")`)
    await page.locator(".log-view .events").evaluate((element) => element.scrollTo({ top: 0 }))
    await page.waitForSelector(`.event[data-event="run-started"]`)
    const overflowing = await page.locator(".event > span").evaluateAll((cells) =>
      cells.filter((cell) => cell.getBoundingClientRect().height > cell.parentElement!.getBoundingClientRect().height)
        .map((cell) => cell.textContent))
    expect(overflowing).toEqual([])
    await page.fill(`input[name="log-filter"]`, "checkpoint 5000")
    await page.waitForSelector(`.event:has-text("checkpoint 5000")`)
    expect(await page.locator(".event").count()).toBe(1)
    await page.fill(`input[name="log-filter"]`, "")
    await page.selectOption(`select[name="log-level"]`, "warn")
    await page.waitForFunction(() => document.querySelectorAll(".event").length === 10)
    // 305 steps: the timeline mounts the rows near its view only, and scrolling reaches the last
    expect(await page.locator(".gantt-row").count()).toBeLessThan(100)
    await page.locator(".gantt-scroll").evaluate((element) => element.scrollTo({ top: element.scrollHeight }))
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLElement>(".gantt-row")].some((row) => row.style.top === `${304 * 26}px`))
  })

  it("the catalog table finds an asset as one types and opens it with Enter", async () => {
    await page.goto(`${catalog.url}/catalog`)
    await page.waitForSelector(`[data-testid="catalog-total"]:has-text("305 assets")`)
    await page.fill(`input[name="search"]`, "clickstream")
    await page.waitForSelector(`[data-testid="catalog-total"]:has-text("1 assets")`)
    expect(await page.locator(`.catalog-row [data-key="raw_events"]`).count()).toBe(1)
    await page.fill(`input[name="search"]`, "owner:ana@example.com")
    await page.waitForSelector(`.catalog-row [data-key="silver_users"]`)
    await page.press(`input[name="search"]`, "Enter")
    await page.waitForURL(/\/asset\/silver_users$/)
  })

  it("the Lineage tab lays out the asset's lineage on its own, with a depth control", async () => {
    await page.goto(`${catalog.url}/asset/gold_user_metrics?tab=lineage`)
    const lineage = page.locator(`[data-testid="lineage"]`)
    // 2 levels up and 1 down: raw_events, silver_users, gold_user_metrics, chatty_export (not the long key)
    await lineage.locator(`.card[data-key="chatty_export"]`).waitFor()
    expect(await lineage.locator(".card").count()).toBe(4)
    await lineage.locator("select").first().selectOption("1")
    await page.waitForFunction(() => document.querySelectorAll(`[data-testid="lineage"] .card`).length === 3)
    await page.screenshot({ path: `${screenshots}lineage.png` })
    await lineage.locator(`.card[data-key="silver_users"] .card-key`).click()
    await page.waitForURL(/\/asset\/silver_users/)
  })

  // Once intermittent (2 of 3 full catalog runs): the highlight's own view was below the zoom that mounts cards,
  // because the first layer's 300 unrelated roots wrapped into 11 sub-columns between raw_events and its
  // consumers; the test passed only when it saw the cards of the previous view before they were replaced. Every
  // asset of the lineage is now awaited as a card inside the view, which the previous view never had.
  it("the graph kept mounted behind an asset page takes the lineage link's selection when shown again", async () => {
    // 305 assets fitted are canvas blocks: a selection brings one into view as a card
    await page.goto(`${catalog.url}/?select=gold_user_metrics`)
    await page.waitForSelector(`main[data-page="graph"] .card[data-key="gold_user_metrics"]`)
    await page.click(`main[data-page="graph"] .card[data-key="gold_user_metrics"] .card-key`)
    await page.waitForURL(/\/asset\/gold_user_metrics$/)
    // the graph is still in the page, hidden
    expect(await page.locator(`main[data-page="graph"][hidden]`).count()).toBe(1)
    await page.click("text=Lineage")
    await page.click("text=highlight in the full graph")
    await page.waitForURL(/\?select=/)
    expect(await page.inputValue(`main[data-page="graph"] input[name="selection"]`)).toBe("2+gold_user_metrics+1")
    // the view moves to the new highlight: its four assets are cards, not dimmed, inside the graph's view
    const lineage = ["raw_events", "silver_users", "gold_user_metrics", "chatty_export"]
    for (const key of lineage) await page.waitForSelector(`main[data-page="graph"] .card[data-key="${key}"]:not(.dim)`)
    const view = (await page.locator(`main[data-page="graph"] [data-testid="graph"]`).boundingBox())!
    for (const key of lineage) {
      const card = (await page.locator(`main[data-page="graph"] .card[data-key="${key}"]`).boundingBox())!
      expect(card.x).toBeGreaterThanOrEqual(view.x)
      expect(card.y).toBeGreaterThanOrEqual(view.y)
      expect(card.x + card.width).toBeLessThanOrEqual(view.x + view.width)
      expect(card.y + card.height).toBeLessThanOrEqual(view.y + view.height)
    }
  })
})
