/**
 * The Automation page and an asset's Automation tab in real Chromium, with a
 * real daemon (`@strata/runtime`'s `Daemon`) running beside the catalog on one
 * runtime, as `strata dev` does: a materialization of `a` makes the daemon
 * request `b` (eager), and the page shows the daemon alive, the schedule's
 * next tick, the sensor's skipped tick with its reason, `b`'s evaluation with
 * each operand true or false, and stops and starts the schedule. A run of a
 * pooled asset held at a gate shows as the holder of its pool's slot.
 */
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Asset, Automation, AutomationCondition, InMemoryIO, Instance, Project } from "@strata/core"
import { Models } from "@strata/protocol"
import { Daemon, Runtime } from "@strata/runtime"
import { Effect, Exit, Schema, Scope } from "effect"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { serveCatalog } from "../src/index.ts"
import { launchChromium } from "./browser.ts"
import { call, readEvents, until } from "./helpers.ts"
import { testUiDir } from "./paths.ts"

/** Polls a page condition; generous, for a loaded machine (no timing is asserted). */
const poll = <A>(read: () => Promise<A>) => expect.poll(read, { timeout: 30_000, interval: 100 })

const screenshots = fileURLToPath(new URL("../screenshots/", import.meta.url))
const a = Asset.make("a", {}, () => Effect.succeed(1))
const b = Asset.make("b", { deps: { a } }, ({ a }) => Effect.succeed(a + 1))
// a pooled step that holds its slot until the test opens the gate
let openGate: () => void = () => {}
const gate = new Promise<void>((resolve) => (openGate = resolve))
const pooled = Asset.make("load_orders", { pool: "warehouse" }, () => Effect.promise(() => gate.then(() => 1)))
const project = Project.make({
  assets: [a, b, pooled],
  automation: {
    runQueue: { pools: { warehouse: 1 } },
    conditions: { b: AutomationCondition.eager() },
    schedules: [Automation.schedule({ name: "hourly", cron: "0 * * * *", selection: "a" })],
    sensors: [Automation.sensor({ name: "raw_folder", minimumIntervalMs: 500, evaluate: () => Effect.succeed({ skipReason: "no new files" }) })]
  }
})
const load = () => Promise.resolve({ project, layer: InMemoryIO.layer })

describe("automation in Chromium, with a real daemon", () => {
  const scope = Effect.runSync(Scope.make())
  let url = ""
  let browser: Browser
  let page: Page
  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true })
    const server = await Effect.runPromise(Scope.provide(Effect.gen(function*() {
      const runtime = yield* Runtime.make({ load, instance: Instance.layerMemory })
      yield* Daemon.start(runtime, { fallbackMs: 500 })
      return yield* serveCatalog({ runtime, load, uiDir: testUiDir, port: 0 })
    }), scope))
    url = server.url
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: "en-US" })
    page.setDefaultTimeout(30_000)
    const launched = await call(url, "/api/runs", { method: "POST", body: { selection: "a" } })
    await readEvents(`${url}/api/runs/${launched.body.runId}/events`)
    await until(async () => {
      const why = Schema.decodeUnknownSync(Models.AssetAutomation)((await call(url, "/api/automation/asset?key=b")).body)
      return why.evaluations.some((evaluation) => evaluation.requested) ? true : undefined
    }, "the daemon to request b", 20_000)
  })
  afterAll(async () => {
    openGate()
    await browser?.close()
    await Effect.runPromise(Scope.close(scope, Exit.void))
  })

  it("shows the daemon, schedules, sensors and conditions with their last ticks and why b was requested", async () => {
    await page.goto(`${url}/automation`)
    await poll(() => page.getByTestId("daemon").innerText()).toContain("daemon running")
    const schedules = await page.getByTestId("schedules").innerText()
    expect(schedules).toContain("hourly")
    expect(schedules).toContain("0 * * * *")
    await poll(() => page.getByTestId("sensors").innerText()).toContain("no new files")
    const row = page.getByTestId("condition-row").first()
    expect(await row.innerText()).toContain("eager")
    // the latest evaluation: after b's run the daemon evaluated b again and did not request it
    const latest = row.getByRole("button", { name: /requested/ })
    const requested = !(await latest.innerText()).startsWith("not")
    await latest.click()
    const tree = page.getByTestId("evaluation").first()
    await tree.waitFor()
    const root = tree.locator("[data-value]").first()
    expect(await root.innerText()).toBe(`${requested ? "✓" : "✗"} eager`)
    expect(await root.getAttribute("data-value")).toBe(String(requested))
    // the operands under it, each true or false
    expect(await tree.locator("[data-value]").count()).toBeGreaterThan(3)
    await page.screenshot({ path: join(screenshots, "automation.png"), fullPage: true })
  })

  it("stops and starts a schedule, persisted in the instance", async () => {
    await page.getByTestId("toggle-schedule/hourly").click()
    await poll(async () => {
      const overview = Schema.decodeUnknownSync(Models.AutomationOverview)((await call(url, "/api/automation")).body)
      return overview.targets.find((target) => target.target === "schedule/hourly")?.enabled
    }).toBe(false)
    await poll(() => page.getByTestId("toggle-schedule/hourly").innerText()).toBe("Start")
    await page.getByTestId("toggle-schedule/hourly").click()
    await poll(() => page.getByTestId("toggle-schedule/hourly").innerText()).toBe("Stop")
  })

  it("an asset's Automation tab lists its evaluations with the operands", async () => {
    await page.goto(`${url}/asset/b?tab=automation`)
    const panel = page.getByTestId("asset-automation")
    const requested = panel.getByTestId("evaluation").filter({ has: page.locator(".badge", { hasText: /^requested$/ }) })
    await poll(() => requested.count()).toBeGreaterThan(0)
    expect(await requested.first().locator("[data-value]").first().innerText()).toBe("✓ eager")
    const notRequested = panel.getByTestId("evaluation").filter({ has: page.locator(".badge", { hasText: /^not requested$/ }) })
    if (await notRequested.count() > 0) expect(await notRequested.first().locator("[data-value]").first().innerText()).toBe("✗ eager")
    await page.goto(`${url}/asset/a?tab=automation`)
    await poll(() => page.getByTestId("asset-automation").innerText()).toBe("This asset has no automation condition.")
  })

  it("lists the pools with the step holding a slot and its run", async () => {
    const launched = await call(url, "/api/runs", { method: "POST", body: { selection: "load_orders" } })
    const runId = launched.body.runId as string
    await page.goto(`${url}/automation`)
    const pools = page.getByTestId("pools")
    await poll(() => pools.innerText()).toContain("1 / 1")
    const holder = pools.getByTestId("pool-holder")
    expect(await holder.innerText()).toContain("load_orders")
    expect(await holder.getByRole("link").getAttribute("href")).toContain(runId)
    openGate()
    await readEvents(`${url}/api/runs/${runId}/events`)
    await poll(() => pools.innerText()).toContain("0 / 1")
    expect(await pools.innerText()).toContain("free")
  })
})
