/**
 * The graph with 10,000 assets in real Chromium: it opens as one box per
 * group with no asset laid out (the benchmark, scripts/catalog-bench.ts,
 * measures the time), drawn from the overview alone (the shape and statuses
 * are read after), from answers the page's HTML asked for, a group opened from the list is laid out in the worker
 * and, after a reload, read back from IndexedDB; a highlighted asset opens its
 * group and is brought into view, its card hides while the view is dragged and
 * comes back when it rests, and clicking it opens its page.
 */
import { InMemoryIO, Instance } from "@strata/core"
import type { Browser } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import { makeBigProject } from "./bigProject.ts"
import { testUiDir } from "./paths.ts"
import { launchChromium } from "./browser.ts"
import type {} from "../ui/src/probes.ts"

/** Refs an asset page lists before "Show all" (`refsShown` in ui/src/AssetPage.tsx). */
const refsShown = 100

describe("a 10,000-asset graph in Chromium", () => {
  let catalog: RunningCatalog
  let browser: Browser
  beforeAll(async () => {
    const { project } = makeBigProject(10_000)
    ;[catalog, browser] = await Promise.all([
      startCatalog({ load: () => Promise.resolve({ project, layer: InMemoryIO.layer }), instance: Instance.layerMemory, uiDir: testUiDir, port: 0 }),
      launchChromium()
    ])
  })
  afterAll(async () => {
    await browser?.close()
    await catalog?.close()
  })

  it("draws the first screen from the overview alone; a group opened at once is laid out when the shape is read", async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    page.setDefaultTimeout(20_000)
    // the shape and statuses held back until released: whatever is drawn before comes from the overview
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    await page.route(/\/api\/(graph|statuses)$/, async (route) => {
      await held
      await route.continue()
    })
    await page.goto(catalog.url)
    await page.waitForFunction(() => window.__strataGraph !== undefined)
    expect(await page.evaluate(() => window.__strataGraph!)).toMatchObject({ boxes: 5, nodes: 0 })
    expect(await page.evaluate(() => window.__strataGraph!.fullGraphMs)).toBeUndefined()
    expect(await page.locator(`[data-testid="groups"] button`).allTextContents()).toEqual([
      "▸ group_0 (2,000)", "▸ group_1 (2,000)", "▸ group_2 (2,000)", "▸ group_3 (2,000)", "▸ group_4 (2,000)"
    ])
    expect(await page.locator(".legend .badge").allTextContents()).toEqual([
      "fresh 0", "stale 0", "missing 10000", "failed 0", "check-failed 0", "running 0"
    ])
    await expect.poll(() => page.locator(`[data-testid="graph-loading"]`).textContent()).toBe("Reading 10,000 assets… · ")
    const fromOverview = await page.locator(`[data-testid="graph"]`).screenshot()

    // opened before the shape is there: shown as laying out, and not laid out yet
    await page.click(`[data-group="group_3"]`)
    await page.waitForSelector(`[data-group="group_3"][aria-pressed="true"]:has-text("…")`)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await page.evaluate(() => window.__strataGroupLayouts)).toBeUndefined()
    expect(await page.locator(`[data-group="group_3"]`).textContent()).toBe("▾ group_3 (2,000) …")

    release()
    await page.waitForSelector(`[data-group="group_3"][aria-pressed="true"]:not(:has-text("…"))`)
    expect(await page.evaluate(() => window.__strataGroupLayouts!.map((entry) => entry.group))).toEqual(["group_3"])
    expect(await page.evaluate(() => window.__strataGraph!.fullGraphMs)).toBeGreaterThan(await page.evaluate(() => window.__strataGraph!.firstRenderMs))
    expect(await page.locator(`[data-testid="graph-loading"]`).count()).toBe(0)
    // an asset of the opened group, found and opened
    await page.fill(`input[name="selection"]`, "layer03/asset_1700")
    await page.click("text=Highlight")
    await page.locator(`[data-key="layer03/asset_1700"]`).click()
    await page.waitForURL(/\/asset\/layer03\/asset_1700$/)

    // the same first screen drawn from the shape and statuses (the overview's and the full graph's drawings are one)
    const again = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    await again.goto(catalog.url)
    await again.waitForFunction(() => window.__strataGraph?.fullGraphMs !== undefined)
    await again.waitForFunction(() => document.querySelector(`[data-testid="graph-loading"]`) === null)
    expect((await again.locator(`[data-testid="graph"]`).screenshot()).equals(fromOverview)).toBe(true)
    await again.close()
    await page.close()
  })

  it("renders, finds an asset by selection and opens it", async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    page.setDefaultTimeout(20_000)
    const order: Array<string> = []
    page.on("request", (request) => order.push(`request ${new URL(request.url()).pathname}`))
    page.on("requestfinished", (request) => order.push(`finished ${new URL(request.url()).pathname}`))
    await page.goto(catalog.url)
    await page.waitForFunction(() => window.__strataGraph !== undefined)
    // the first screen's answers are asked for by the page's HTML while its script loads, the overview first;
    // a big graph's shape and statuses by the page once that screen is drawn; each once
    const script = order.find((entry) => /^finished \/static\/index-.*\.js$/.test(entry))
    expect(script).toBeDefined()
    expect(order.find((entry) => entry.startsWith("request /api/"))).toBe("request /api/graph/overview")
    for (const path of ["/api/graph/overview", "/api/project"]) {
      expect(order.indexOf(`request ${path}`)).toBeLessThan(order.indexOf(script!))
    }
    await page.waitForFunction(() => window.__strataGraph?.fullGraphMs !== undefined)
    for (const path of ["/api/graph/overview", "/api/graph", "/api/statuses", "/api/project"]) {
      expect(order.filter((entry) => entry === `request ${path}`)).toHaveLength(1)
    }
    expect(order.indexOf("request /api/graph")).toBeGreaterThan(order.indexOf(script!))
    const stats = await page.evaluate(() => window.__strataGraph!)
    // five groups of 2,000: five boxes, no asset laid out on the main thread
    expect(stats.boxes).toBe(5)
    expect(stats.nodes).toBe(0)
    expect(stats.layoutMs).toBe(0)
    expect(stats.firstRenderMs).toBeGreaterThan(0)
    expect(await page.locator(`[data-testid="groups"] button`).allTextContents()).toEqual([
      "▸ group_0 (2,000)", "▸ group_1 (2,000)", "▸ group_2 (2,000)", "▸ group_3 (2,000)", "▸ group_4 (2,000)"
    ])

    // a group opened from the list: laid out in the worker, then kept for the next visit
    await page.click(`[data-group="group_2"]`)
    await page.waitForSelector(`[data-group="group_2"][aria-pressed="true"]:not(:has-text("…"))`)
    expect(await page.evaluate(() => window.__strataGroupLayouts!.map((entry) => [entry.group, entry.source]))).toEqual([["group_2", "worker"]])
    await page.reload()
    await page.waitForFunction(() => window.__strataGraph !== undefined)
    await page.click(`[data-group="group_2"]`)
    await page.waitForFunction(() => (window.__strataGroupLayouts?.length ?? 0) > 0)
    expect(await page.evaluate(() => window.__strataGroupLayouts!.map((entry) => [entry.group, entry.source]))).toEqual([["group_2", "cache"]])
    // zoomed to the opened group: 2,000 assets are canvas blocks, not DOM cards. The view is fitted to the group
    // in a frame after its layout is read back, so this waits for that frame (a CI run at load 37 counted 130
    // cards of the view before it)
    await page.waitForFunction(() => document.querySelectorAll(".card").length === 0)

    await page.fill(`input[name="selection"]`, "layer13/asset_6789")
    await page.click("text=Highlight")
    await page.waitForSelector(`[data-key="layer13/asset_6789"]`)
    expect(await page.locator(".card").count()).toBeLessThan(700)

    // hundreds of cards are mounted around the highlighted one: while the view is dragged they are drawn on the
    // canvas and the DOM cards are hidden; once it rests they are back and clickable
    await page.waitForFunction(() =>
      document.querySelectorAll(".card").length >= 150 &&
      getComputedStyle(document.querySelector(".world")!).contentVisibility !== "hidden"
    )
    const box = (await page.locator(`[data-testid="graph"]`).boundingBox())!
    await page.mouse.move(box.x + box.width / 2 - 300, box.y + box.height / 2)
    const card = page.locator(`[data-key="layer13/asset_6789"]`)
    // polled: when the whole shape arrives after the highlight, the cards of the same view are mounted again a
    // frame later (seen: none for one check, then the same 247, the view unchanged)
    await expect.poll(() => card.isVisible(), { timeout: 20_000 }).toBe(true)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width / 2 - 200, box.y + box.height / 2 + 40, { steps: 5 })
    await expect.poll(() => card.isVisible(), { timeout: 20_000 }).toBe(false)
    // back to where it started (600 cards or more in view and none would be mounted)
    await page.mouse.move(box.x + box.width / 2 - 300, box.y + box.height / 2, { steps: 5 })
    await page.mouse.up()
    await expect.poll(() => card.isVisible(), { timeout: 20_000 }).toBe(true)
    // a locator, not the element handle: the card is re-rendered (a group's layout or statuses arriving) and a
    // handle taken before that is detached ("Element is not attached to the DOM", seen once in a full run)
    await page.locator(`[data-key="layer13/asset_6789"]`).click()
    await page.waitForURL(/\/asset\/layer13\/asset_6789$/)
    await page.waitForSelector(`h1:has-text("layer13/asset_6789")`)
    expect(await page.locator(".refs", { hasText: "Upstream" }).locator("li").count()).toBeGreaterThan(0)

    // an early-layer asset affects thousands: the first 100 are listed, the rest on demand
    await page.goto(`${catalog.url}/asset/layer01/asset_600`)
    const affected = page.locator(".refs", { hasText: "Affected if it fails" })
    await affected.locator("li").first().waitFor()
    const total = Number((await affected.locator("h3 .muted").textContent())!.replace(/[(),]/g, ""))
    expect(total).toBeGreaterThan(refsShown)
    expect(await affected.locator("li").count()).toBe(refsShown)
    await affected.locator("button", { hasText: "Show all" }).click()
    await page.waitForFunction((n) =>
      [...document.querySelectorAll(".refs")].find((section) => section.textContent!.includes("Affected if it fails"))!
        .querySelectorAll("li").length === n, total)
  })
})
