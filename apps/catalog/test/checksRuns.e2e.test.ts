/**
 * In Chromium: the catalog table's checks column and the graph's check badge
 * after a run whose blocking check failed, and the runs page filtered by
 * asset and tag from its form (and from a shared URL), and a run of a long
 * selection listed cut, with its length.
 */
import { Asset, Check, InMemoryIO, Instance, Output, Project } from "@strata/core"
import { Effect, Schema } from "effect"
import { Models } from "@strata/protocol"
import type { Browser } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import { launchChromium } from "./browser.ts"
import { call, readEvents } from "./helpers.ts"
import { testUiDir } from "./paths.ts"

const users = Asset.make("users", {}, () =>
  Effect.succeed(Output.make([{ email: "a@x.org" }, { email: "a@x.org" }], { metadata: { row_count: 2 } })))
const orders = Asset.make("orders", {}, () => Effect.succeed([{ id: 1 }]))
const project = Project.make({ assets: [users, orders], checks: [Check.unique(users, "email"), Check.rowCount(orders, { min: 1 })] })

describe("checks and run filters in Chromium", () => {
  let catalog: RunningCatalog
  let browser: Browser
  beforeAll(async () => {
    ;[catalog, browser] = await Promise.all([
      startCatalog({ load: () => Promise.resolve({ project, layer: InMemoryIO.layer }), instance: Instance.layerMemory, uiDir: testUiDir, port: 0 }),
      launchChromium()
    ])
    for (const [selection, tags] of [["users", { team: "crm" }], ["orders", { team: "shop" }]] as const) {
      const body = (await call(catalog.url, "/api/runs", { method: "POST", body: { selection, tags } })).body
      const { runId } = Schema.decodeUnknownSync(Models.Launched)(body)
      await readEvents(`${catalog.url}/api/runs/${runId}/events`)
    }
  })
  afterAll(async () => {
    await browser?.close()
    await catalog?.close()
  })

  it("shows each asset's checks in the table and on the graph", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    await page.goto(`${catalog.url}/catalog`)
    const row = (key: string) => page.locator(`.catalog-row:has([data-key="${key}"]) [data-testid="checks-cell"]`)
    await expect.poll(() => row("users").textContent(), { timeout: 30_000 }).toBe("✗ 1 failed")
    expect(await row("orders").textContent()).toBe("✓ 1/1")
    expect(await page.locator(`.catalog-head .th`).allTextContents()).toContain("Checks")

    await page.goto(catalog.url)
    const card = page.locator(`.card[data-key="users"] .check-badge`)
    await expect.poll(() => card.getAttribute("data-checks"), { timeout: 30_000 }).toBe("failed")
    expect(await page.locator(`.card[data-key="orders"] .check-badge`).getAttribute("data-checks")).toBe("passed")
    await page.close()
  })

  it("filters runs by asset and tag", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    await page.goto(`${catalog.url}/runs`)
    await page.waitForSelector("tr[data-run]")
    expect(await page.locator("tr[data-run]").count()).toBe(2)
    await page.fill(`[data-testid="run-filters"] input[name="asset"]`, "orders")
    await page.click(`[data-testid="run-filters"] button[type="submit"]`)
    await expect.poll(() => page.locator("tr[data-run]").count(), { timeout: 30_000 }).toBe(1)
    expect(await page.locator("tr[data-run] td.wrap").textContent()).toContain("orders")
    expect(page.url()).toContain("asset=orders")

    // a shared URL opens filtered; a tag that matches nothing says so
    await page.goto(`${catalog.url}/runs?tag=team%3Dcrm`)
    await expect.poll(() => page.locator("tr[data-run]").count(), { timeout: 30_000 }).toBe(1)
    expect(await page.locator("tr[data-run] td.wrap").textContent()).toContain("users")
    await page.fill(`[data-testid="run-filters"] input[name="tag"]`, "team=nobody")
    await page.click(`[data-testid="run-filters"] button[type="submit"]`)
    await page.waitForSelector("text=No run matches these filters.")
    await page.close()
  })

  it("lists a run of a long hand-picked selection cut, with its length and asset count", async () => {
    // "Materialize selected" of picked assets: the selection is their comma-joined keys
    const selection = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? "users" : "orders")).join(", ")
    const { runId } = Schema.decodeUnknownSync(Models.Launched)((await call(catalog.url, "/api/runs", { method: "POST", body: { selection } })).body)
    await readEvents(`${catalog.url}/api/runs/${runId}/events`)
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    await page.goto(`${catalog.url}/runs`)
    const cell = page.locator(`tr[data-run="${runId}"] td.wrap`)
    await expect.poll(() => cell.textContent(), { timeout: 30_000 }).toContain(`(${selection.length} characters)`)
    expect(await cell.textContent()).toContain(`${selection.slice(0, 160)}…`)
    expect(await cell.textContent()).toContain("· 2 assets")
    await page.close()
  })
})
