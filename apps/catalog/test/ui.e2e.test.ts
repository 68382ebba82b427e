/**
 * End-to-end: the built UI in real Chromium against a real catalog server
 * (random port, in-memory instance, the fixture project). No fixed sleeps:
 * every wait is for a selector or a condition.
 */
import { mkdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { InMemoryIO, Instance, IOManager, Materialize } from "@strata/core"
import { Effect, Fiber, Layer } from "effect"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import { launchChromium } from "./browser.ts"
import type { Control } from "./fixture.ts"
import { fixtureOptions, makeFixture } from "./fixture.ts"
import { until } from "./helpers.ts"
import type {} from "../ui/src/probes.ts"

const screenshots = fileURLToPath(new URL("../screenshots/", import.meta.url))

describe("catalog UI in Chromium", () => {
  const control: Control = { failing: false, slowMs: 0, users: 0 }
  let catalog: RunningCatalog
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true })
    ;[catalog, browser] = await Promise.all([startCatalog(fixtureOptions(control)), launchChromium()])
  })
  afterAll(async () => {
    await browser?.close()
    await catalog?.close()
  })
  beforeEach(async () => {
    page?.isClosed() === false && await page.close()
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    page.setDefaultTimeout(30_000)
  })

  const runStatus = (status: string) => page.waitForSelector(`h1 [data-testid="run-status"]:text-is("${status}")`)

  it("opens the graph, opens an asset, materializes it and sees the run succeed and the new metadata", async () => {
    await page.goto(catalog.url)
    const card = await page.waitForSelector(`[data-key="gold_user_metrics"]`)
    expect(await card.getAttribute("data-status")).toBe("missing")
    expect(await page.locator(".card").count()).toBe(8)
    expect(await page.locator(`[data-key="dashboards/growth"]`).getAttribute("class")).toContain("external")

    await card.click()
    await page.waitForURL(/\/asset\/gold_user_metrics$/)
    await page.waitForSelector(`.source >> text=Asset.make("gold_user_metrics"`)
    expect(await page.locator(".source-file").textContent()).toMatch(/test\/fixture\.ts:\d+$/)
    expect(await page.locator(`[data-testid="asset-status"]`).textContent()).toBe("missing")
    expect(await page.locator(".refs", { hasText: "Downstream" }).locator("li", { hasText: "dashboards/growth" }).locator(".external").count())
      .toBe(1)

    await page.click("button:text-is('Materialize with upstream')")
    await page.waitForURL(/\/runs\/[0-9a-f-]+$/)
    await runStatus("succeeded")
    await page.waitForSelector(`[data-step="gold_user_metrics"][data-step-status="succeeded"]`)
    expect(await page.locator(".gantt-row").count()).toBe(5)
    await page.click(`text=Show all events`)
    await page.waitForSelector(`[data-event="run-succeeded"]`)
    // clicking a step's row shows only its events
    await page.click(`[data-step="silver/users"] .gantt-track`)
    await page.waitForSelector(`[data-event="run-succeeded"]`, { state: "detached" })
    const keys = await page.locator(".event .event-key").allTextContents()
    expect(new Set(keys)).toEqual(new Set(["silver/users"]))
    expect(await page.locator(`[data-event="log"]`).textContent()).toContain("cleaning 25 users")
    await page.click(`text=All steps`)
    await page.waitForSelector(`[data-event="run-succeeded"]`)
    // the app scrolls inside its main area: a tall viewport shows the whole page
    await page.setViewportSize({ width: 1440, height: 1300 })
    await page.screenshot({ path: `${screenshots}run.png` })
    await page.setViewportSize({ width: 1440, height: 900 })

    await page.click(`.gantt-label:text-is("gold_user_metrics")`)
    await page.waitForURL(/\/asset\/gold_user_metrics$/)
    await page.waitForSelector(`[data-testid="asset-status"]:text-is("fresh")`)
    expect(await page.locator(`[data-testid="latest-metadata"] [data-metadata="row_count"]`).textContent()).toBe("22")

    // a second materialization of everything upstream changes the row count: the history chart shows both
    await page.click("button:text-is('Materialize with upstream')")
    await runStatus("succeeded")
    await page.click(`.gantt-label:text-is("gold_user_metrics")`)
    await page.waitForSelector(`[data-testid="latest-metadata"] [data-metadata="row_count"]:text-is("45")`)
    await page.waitForSelector(`.chart[data-metric="row_count"] >> text=2 points`)
    expect(await page.locator(`.chart[data-metric="row_count"] circle`).count()).toBe(2)
    await page.setViewportSize({ width: 1440, height: 1500 })
    await page.screenshot({ path: `${screenshots}asset.png` })
  })

  it("shows statuses in the graph, highlights a selection, reports a bad one, and materializes selected assets", async () => {
    await page.goto(catalog.url)
    await page.waitForSelector(`[data-key="gold_user_metrics"][data-status="fresh"]`)
    await page.fill(`input[name="selection"]`, "gold(")
    await page.click("text=Highlight")
    const alert = await page.waitForSelector(`.selection-error`)
    expect(await alert.textContent()).toContain("unexpected '('")
    expect(await alert.textContent()).toContain("    ^")

    await page.fill(`input[name="selection"]`, "group:bronze")
    await page.click("text=Highlight")
    expect(new URL(page.url()).searchParams.get("select")).toBe("group:bronze")
    await page.click("text=Select 2")
    await page.check(`[aria-label="select silver/orders"]`)
    await page.click("text=Materialize selected (3)")
    await runStatus("succeeded")
    const steps = await page.locator(".gantt-row").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-step")))
    expect(steps.sort()).toEqual(["raw_orders", "raw_users", "silver/orders"])

    await page.click(`text=Assets`)
    await page.waitForSelector(`[data-key="silver/users"][data-status="stale"]`)

    // zooming out around an asset keeps it under the cursor; once nodes are canvas blocks,
    // clicking the block still opens the asset
    const box = (await page.locator(`[data-key="gold_user_metrics"]`).boundingBox())!
    const x = box.x + box.width / 2
    const y = box.y + box.height / 2
    await page.mouse.move(x, y)
    // while the wheel turns, cards below the card zoom are hidden at once and unmounted once it rests
    const cardsShown = () =>
      page.evaluate(() => {
        const world = document.querySelector<HTMLElement>(".world")!.style
        // hidden with content-visibility (their layout kept) while the wheel turns below the card zoom
        return world.visibility !== "hidden" && world.contentVisibility !== "hidden" && document.querySelector(".card") !== null
      })
    for (let i = 0; i < 20 && (await cardsShown()); i++) {
      // the frame count is read before the wheel: read after it, the wheel's frame may already be counted and
      // no later frame comes (the test then waited 30 s for one, under load)
      const before = await page.evaluate(() => window.__strataGraph!.frames)
      await page.mouse.wheel(0, 300)
      await page.waitForFunction((frames) => window.__strataGraph!.frames > frames, before)
    }
    await page.waitForFunction(() => document.querySelector(".card") === null)
    await page.mouse.click(x, y)
    await page.waitForURL(/\/asset\/gold_user_metrics$/)
    await page.goBack()
    await page.waitForSelector(`[data-testid="graph"]`)
  })

  it("shows a failing step's error with its stack, then re-executes from failure", async () => {
    control.failing = true
    await page.goto(`${catalog.url}/asset/flaky_scores`)
    await page.click("button:text-is('Materialize')")
    await runStatus("failed")
    const error = await page.waitForSelector(`[data-testid="step-error"]`)
    expect(await error.textContent()).toContain("scoring service unavailable")
    expect(await page.locator(`[data-testid="step-error"] .stack`).textContent()).toContain("fixture.ts")
    const failedUrl = page.url()

    // the graph shows the failure, and what is stale because of new upstream data
    await page.click(`text=Assets`)
    await page.waitForSelector(`[data-key="flaky_scores"][data-status="failed"]`)
    await page.waitForSelector(`[data-key="silver/users"][data-status="stale"]`)
    await page.screenshot({ path: `${screenshots}graph.png` })
    await page.goto(failedUrl)
    await runStatus("failed")

    control.failing = false
    await page.click("button:text-is('Re-execute from failure')")
    await page.waitForURL((url) => url.href !== failedUrl && /\/runs\//.test(url.pathname))
    await runStatus("succeeded")
    expect(await page.locator(`text=re-executes`).count()).toBe(1)
  })

  it("follows a running run live over SSE until it succeeds", async () => {
    control.slowMs = 1_500
    const eventStreams: Array<string> = []
    page.on("response", (response) => {
      if (/\/api\/runs\/[^/]+\/events/.test(response.url())) eventStreams.push(response.headers()["content-type"] ?? "")
    })
    await page.goto(`${catalog.url}/asset/slow_export`)
    await page.click("button:text-is('Materialize')")
    await runStatus("started")
    await page.waitForSelector(`[data-step="slow_export"][data-step-status="running"]`)
    await runStatus("succeeded")
    await page.waitForSelector(`[data-step="slow_export"][data-step-status="succeeded"]`)
    expect(eventStreams).toHaveLength(1)
    expect(eventStreams[0]).toContain("text/event-stream")
    control.slowMs = 0
  })

  it("cancels a running run from its page", async () => {
    control.slowMs = 60_000
    await page.goto(`${catalog.url}/asset/slow_export`)
    await page.click("button:text-is('Materialize')")
    await page.waitForSelector(`[data-step="slow_export"][data-step-status="running"]`)
    await page.click("button:text-is('Cancel')")
    await runStatus("canceled")
    expect(await page.locator(`[data-step="slow_export"]`).getAttribute("data-step-status")).toBe("failed")
    control.slowMs = 0
  })

  it("cancels from its page a run that another process executes", async () => {
    // a second server on an instance shared with an "other process" (a materialize outside the server)
    const instance = Instance.makeMemory()
    const other = await startCatalog({ ...fixtureOptions(control), instance: Layer.succeed(Instance.Instance, instance) })
    try {
      control.slowMs = 60_000
      const io = InMemoryIO.make()
      const fiber = Effect.runFork(
        Materialize.materialize(makeFixture(control), { selection: "*slow_export", runId: "elsewhere" }).pipe(
          Effect.provideService(IOManager.DefaultIO, io),
          Effect.provideService(Instance.Instance, instance)
        )
      )
      await until(async () => (await Effect.runPromise(instance.getRun("elsewhere")))?.status === "started" || undefined, "the run to start")
      await page.goto(`${other.url}/runs/elsewhere`)
      await page.waitForSelector(`[data-step="slow_export"][data-step-status="running"]`)
      await page.click("button:text-is('Cancel')")
      await runStatus("canceled")
      expect(await page.locator(".reason").textContent()).toMatch(/^canceled from the catalog \(pid \d+ on /)
      expect(await page.locator(`[data-step="slow_export"]`).getAttribute("data-step-status")).toBe("failed")
      expect((await Effect.runPromise(Fiber.join(fiber))).status).toBe("canceled")
    } finally {
      control.slowMs = 0
      await other.close()
    }
  })
})
