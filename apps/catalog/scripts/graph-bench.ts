/// <reference lib="dom" />
/**
 * Measures the asset graph with 10,000 assets in Chromium: the API's answer
 * time and size, time to first render (navigation start to the first drawn
 * frame with every node laid out), and the cost of frames while zooming and
 * panning. Prints JSON.
 *
 *   node --conditions=@strata/source scripts/graph-bench.ts [assets] [--screenshot]
 *
 * Needs the built UI (`pnpm build:ui`) and Debian's Chromium.
 */
import { fileURLToPath } from "node:url"
import { InMemoryIO, Instance } from "@strata/core"
import { startCatalog } from "../src/index.ts"
import { makeBigProject } from "../test/bigProject.ts"
import { launchChromium } from "../test/browser.ts"
import { readEvents } from "../test/helpers.ts"
import type {} from "../ui/src/probes.ts"

const size = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? 10_000)
const { project, edges } = makeBigProject(size)

const catalog = await startCatalog({
  load: () => Promise.resolve({ project, layer: InMemoryIO.layer }),
  instance: Instance.layerMemory,
  port: 0,
  concurrency: 8
})
// materialize half of the graph, so statuses and times are a realistic mix
const launched = await (await fetch(`${catalog.url}/api/runs`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ selection: "key:layer0*" })
})).json() as { runId?: string; message?: string }
if (launched.runId === undefined) throw new Error(`cannot launch: ${launched.message}`)
await readEvents(`${catalog.url}/api/runs/${launched.runId}/events`)

let started = performance.now()
const response = await fetch(`${catalog.url}/api/assets`)
const body = await response.text()
const apiMs = performance.now() - started

const browser = await launchChromium()
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
const samples: Array<number> = []
for (let attempt = 0; attempt < 3; attempt++) {
  await page.goto(`${catalog.url}/?attempt=${attempt}`)
  await page.waitForFunction(() => window.__strataGraph !== undefined, undefined, { timeout: 60_000 })
  samples.push(await page.evaluate(() => window.__strataGraph!.firstRenderMs))
}

// zoom in and out around the centre, then pan: one wheel or move event per animation frame
const interaction = await page.evaluate(async () => {
  const element = document.querySelector<HTMLElement>("[data-testid=graph]")!
  const rect = element.getBoundingClientRect()
  const frameTimes: Array<number> = []
  const drawTimes: Array<number> = []
  const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve))
  let last = await nextFrame()
  const step = async (dispatch: () => void) => {
    dispatch()
    const now = await nextFrame()
    frameTimes.push(now - last)
    drawTimes.push(window.__strataGraph!.lastFrameMs)
    last = now
  }
  const wheel = (deltaY: number) => () =>
    element.dispatchEvent(
      new WheelEvent("wheel", { deltaY, clientX: rect.left + rect.width / 2, clientY: rect.top + rect.height / 2, bubbles: true, cancelable: true })
    )
  const phases: Record<string, number> = {}
  const phase = async (name: string, run: () => Promise<void>) => {
    const from = frameTimes.length
    await run()
    const slice = frameTimes.slice(from)
    phases[name] = slice.reduce((a, b) => a + b, 0) / slice.length
  }
  await phase("zoomInMs", async () => { for (let i = 0; i < 40; i++) await step(wheel(-60)) })
  await phase("zoomOutMs", async () => { for (let i = 0; i < 40; i++) await step(wheel(60)) })
  let x = rect.left + rect.width / 2
  const y = rect.top + rect.height / 2
  const pan = async () => {
    element.dispatchEvent(new PointerEvent("pointerdown", { clientX: x, clientY: y, bubbles: true, pointerId: 1 }))
    for (let i = 0; i < 30; i++) {
      x += 8
      await step(() => element.dispatchEvent(new PointerEvent("pointermove", { clientX: x, clientY: y, bubbles: true, pointerId: 1 })))
    }
    element.dispatchEvent(new PointerEvent("pointerup", { clientX: x, clientY: y, bubbles: true, pointerId: 1 }))
  }
  await phase("panZoomedOutMs", pan)
  for (let i = 0; i < 40; i++) await step(wheel(-60))
  // cards are mounted at most every 80 ms while the view moves; wait for them
  for (let i = 0; i < 60 && document.querySelectorAll(".card").length === 0; i++) await nextFrame()
  last = await nextFrame()
  const cardsWhenZoomedIn = document.querySelectorAll(".card").length
  await phase("panWithCardsMs", pan)
  const sorted = (list: Array<number>) => [...list].sort((a, b) => a - b)
  const percentile = (list: Array<number>, p: number) => sorted(list)[Math.min(list.length - 1, Math.floor(list.length * p))]!
  const mean = (list: Array<number>) => list.reduce((a, b) => a + b, 0) / list.length
  return {
    frames: frameTimes.length,
    frameIntervalMeanMs: mean(frameTimes),
    frameIntervalP95Ms: percentile(frameTimes, 0.95),
    drawMeanMs: mean(drawTimes),
    drawP95Ms: percentile(drawTimes, 0.95),
    cardsWhenZoomedIn,
    ...phases
  }
})

if (process.argv.includes("--screenshot")) {
  await page.goto(catalog.url)
  await page.waitForFunction(() => window.__strataGraph !== undefined)
  await page.screenshot({ path: fileURLToPath(new URL("../screenshots/graph-10k.png", import.meta.url)) })
}
await browser.close()
await catalog.close()

const median = [...samples].sort((a, b) => a - b)[1]!
console.log(JSON.stringify(
  {
    assets: size,
    edges,
    apiAssetsMs: Math.round(apiMs),
    apiAssetsBytes: body.length,
    timeToFirstRenderMs: { samples: samples.map(Math.round), coldMs: Math.round(samples[0]!), median: Math.round(median) },
    interaction: Object.fromEntries(
      Object.entries(interaction).map(([key, value]) => [key, Math.round(value * 10) / 10])
    )
  },
  null,
  2
))
