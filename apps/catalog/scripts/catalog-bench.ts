/// <reference lib="dom" />
/**
 * Measures the catalog at scale (default 50,000 assets) in real Chromium and
 * over HTTP, for the figures in the README: the paged asset list under 32
 * concurrent connections, the server's memory, time to first render of the
 * graph (a big graph's is drawn from the overview) and to the full graph
 * (every asset's shape and status read and drawn), frame intervals while panning and zooming, typeahead in the catalog
 * table, opening an asset page, going back to the graph, and a screenshot of
 * one asset's lineage. Prints JSON. The server runs in a child process
 * (scripts/bench-server.ts), started as `strata dev` starts it (a launcher
 * and the serving process): the peak RSS and CPU are the serving process's
 * own; `launcherPeakRssMB` is the launcher's (none when NODE_OPTIONS sets
 * the semi-space size: then one process serves).
 *
 *   node --conditions=@strata/source scripts/catalog-bench.ts [assets] [--parts=api,graph,catalog,nav]
 *
 * Needs the built UI (`pnpm build:ui`) and Chromium.
 */
import { loadavg } from "node:os"
import { fileURLToPath } from "node:url"
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { Worker } from "node:worker_threads"
import { launchChromium, pollPage, startTraceCategories } from "../test/browser.ts"
import { readEvents } from "../test/helpers.ts"
import type {} from "../ui/src/probes.ts"

const size = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? 50_000)
/** Which measurements to take (all by default): `api` (HTTP), `graph`, `catalog` (table), `nav` (asset page and back). */
const parts = new Set((process.argv.find((arg) => arg.startsWith("--parts="))?.slice(8) ?? "api,graph,catalog,nav").split(","))
const round = (value: number) => Math.round(value * 10) / 10
/** The server: a child process (scripts/bench-server.ts), measured through /proc (the process that serves). */
const server = spawn(process.execPath, ["--conditions=@strata/source", fileURLToPath(new URL("bench-server.ts", import.meta.url)), String(size)], {
  stdio: ["ignore", "pipe", "inherit"]
})
const started = await new Promise<{ url: string; edges: number; pid: number }>((resolve, reject) => {
  let out = ""
  server.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString()
    if (out.includes("\n")) resolve(JSON.parse(out.slice(0, out.indexOf("\n"))))
  })
  server.once("exit", (code) => reject(new Error(`the bench server exited (${code})`)))
})
const catalog = {
  url: started.url,
  close: () => new Promise<void>((resolve) => {
    server.once("exit", () => resolve())
    server.kill("SIGTERM")
  })
}
const edges = started.edges
/** A field of the server's /proc status in MB: `VmHWM` is its peak RSS so far (the kernel's own high-water mark). */
const serverMB = (field: "VmHWM" | "VmRSS", pid = started.pid) => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(`${field}:`))
  return Math.round(Number(line?.split(/\s+/)[1] ?? 0) / 1024)
}
/** The server's CPU time so far, ms (utime + stime of /proc/<pid>/stat, in 10 ms ticks). */
const serverCpuMs = () => {
  const fields = readFileSync(`/proc/${started.pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return (Number(fields[11]) + Number(fields[12])) * 10
}
let peakRss = 0
/** The launcher's peak RSS (MB), when a launcher started the serving process. */
let launcherPeakRss: number | null = null
/** The machine's 1-minute load average when each part starts (the machine is shared: figures are upper bounds). */
const loadAt: Record<string, number> = {}
/** The server's peak RSS and RSS (MB) as each part starts: where the memory went. */
const memoryAt: Record<string, { peakRssMB: number; rssMB: number }> = {}
const markLoad = (name: string) => {
  loadAt[name] = Math.round(loadavg()[0]! * 10) / 10
  peakRss = serverMB("VmHWM")
  if (started.pid !== server.pid) launcherPeakRss = serverMB("VmHWM", server.pid!)
  memoryAt[name] = { peakRssMB: peakRss, rssMB: serverMB("VmRSS") }
}
markLoad("start")
const materializeStarted = performance.now()
const launched = await (await fetch(`${catalog.url}/api/runs`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ selection: "key:layer0*" })
})).json() as { runId?: string; message?: string; assetKeys?: Array<string> }
if (launched.runId === undefined) throw new Error(`cannot launch: ${launched.message}`)
await readEvents(`${catalog.url}/api/runs/${launched.runId}/events`)
const materializeMs = performance.now() - materializeStarted
markLoad("materialized")
const cpuAtRunEnd = serverCpuMs()

const timed = async (path: string) => {
  const started = performance.now()
  const body = await (await fetch(catalog.url + path)).text()
  return { ms: Math.round(performance.now() - started), bytes: body.length }
}
/** The median of `times` requests of `path` (ms), and its size. */
const timedMedian = async (path: string, times = 7) => {
  const all: Array<{ ms: number; bytes: number }> = []
  for (let i = 0; i < times; i++) all.push(await timed(path))
  all.sort((a, b) => a.ms - b.ms)
  return all[Math.floor(times / 2)]!
}
const api = !parts.has("api") ? {} : {
  // what every page's "is a run going?" tick asks for every 1-3 s, after the run of 25,000 assets
  runsNewest: await timedMedian("/api/runs?limit=1"),
  runsPage: await timedMedian("/api/runs"),
  assetsFull: await timed("/api/assets"),
  assetPageCold: await timed("/api/assets/page?limit=100"),
  assetPageWarm: await timed("/api/assets/page?limit=100"),
  search: await timed("/api/assets/page?q=asset_4242&limit=50"),
  assetDetail: await timed(`/api/asset?key=${encodeURIComponent("layer10/asset_25000")}`)
}

/** `connections` keep-alive loops in a worker thread for `seconds`; latencies in ms. */
const load = (path: string, connections: number, seconds: number) =>
  new Promise<{ requests: number; perSecond: number; p50: number; p99: number; errors: number; cpuMsPerRequest: number }>((resolve, reject) => {
    const source = `
      const { workerData, parentPort } = require("node:worker_threads")
      const http = require("node:http")
      const agent = new http.Agent({ keepAlive: true, maxSockets: workerData.connections })
      const latencies = []
      let errors = 0
      const end = Date.now() + workerData.seconds * 1000
      const one = () => new Promise((done) => {
        const started = performance.now()
        http.get(workerData.url, { agent }, (response) => {
          response.resume()
          response.on("end", () => {
            if (response.statusCode !== 200) errors++
            latencies.push(performance.now() - started)
            done()
          })
        }).on("error", () => { errors++; done() })
      })
      const loop = async () => { while (Date.now() < end) await one() }
      Promise.all(Array.from({ length: workerData.connections }, loop)).then(() => {
        latencies.sort((a, b) => a - b)
        const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]
        parentPort.postMessage({ requests: latencies.length, perSecond: latencies.length / workerData.seconds, p50: at(0.5), p99: at(0.99), errors })
        agent.destroy()
      })
    `
    const worker = new Worker(source, { eval: true, workerData: { url: catalog.url + path, connections, seconds } })
    // the server's CPU per request (the load generator is in this process, apart)
    const cpu = serverCpuMs()
    worker.once("message", (result: { requests: number }) => {
      resolve({ ...result, cpuMsPerRequest: (serverCpuMs() - cpu) / Math.max(result.requests, 1) } as never)
    })
    worker.once("error", reject)
  })
if (parts.has("api")) markLoad("api")
const throughput = !parts.has("api") ? {} : {
  page: await load("/api/assets/page?limit=50", 32, 5),
  search: await load("/api/assets/page?q=asset_42&limit=50", 32, 5),
  runsNewest: await load("/api/runs?limit=1", 2, 3)
}

const browser = await launchChromium()
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
page.setDefaultTimeout(120_000)
/**
 * The live tick in the browser (api part): its two requests of the runs list,
 * fetched and parsed, ms, 7 times (the page's Schema decode of ids and
 * statuses on top is not counted).
 */
const liveTickMs: Array<number> = []
if (parts.has("api")) {
  await page.goto(`${catalog.url}/api/project`)
  liveTickMs.push(...await page.evaluate(async () => {
    const samples: Array<number> = []
    for (let i = 0; i < 7; i++) {
      const started = performance.now()
      await Promise.all(["/api/runs?status=queued%2Cstarted&limit=1", "/api/runs?limit=1"].map(async (path) => (await fetch(path)).json()))
      samples.push(performance.now() - started)
    }
    return samples
  }))
}
const firstRender: Array<number> = []
/** When every asset's shape and status had been read and drawn (a big graph's first render is drawn from the overview before). */
const fullGraph: Array<number> = []
const firstRenderParts: Array<Record<string, number>> = []
/**
 * The page's main-thread time (ms) from navigation to the first render, from Chromium's
 * `Performance.getMetrics` (read at the first render, after the page's wait): all its tasks, and
 * the script in them; the page's own work, apart from waiting for answers.
 */
const pageCpuDuringVisit: Array<{ taskMs: number; scriptMs: number }> = []
/** The same, from navigation to the full graph. */
const pageCpuToFullGraph: Array<{ taskMs: number; scriptMs: number }> = []
const cdp = await page.context().newCDPSession(page)
await cdp.send("Performance.enable")
const pageCpu = async () => {
  const { metrics } = await cdp.send("Performance.getMetrics")
  const value = (name: string) => (metrics.find((metric) => metric.name === name)?.value ?? 0) * 1000
  return { taskMs: value("TaskDuration"), scriptMs: value("ScriptDuration") }
}
/** The server's CPU time (ms) during each visit of the graph: is it computing while the page loads? */
const serverCpuDuringVisit: Array<number> = []
/** The server's CPU time (ms) from the end of the run to the first visit (the api part, when measured, and the browser's launch). */
let serverCpuBeforeVisit = 0
const groupOpen: Array<Record<string, unknown>> = []
let frames: Record<string, { meanMs: number; p95Ms: number; maxMs: number }> = {}

/** Opens a group from the group list and waits until its assets are drawn; the time in ms and where the layout came from. */
const openGroup = (name: string) =>
  page.evaluate(async (name) => {
    const before = window.__strataGroupLayouts?.length ?? 0
    const started = performance.now()
    document.querySelector<HTMLButtonElement>(`[data-group="${name}"]`)!.click()
    for (;;) {
      await new Promise((resolve) => requestAnimationFrame(resolve))
      if ((window.__strataGroupLayouts?.length ?? 0) > before &&
        document.querySelector(`[data-group="${name}"][aria-pressed="true"]`)?.textContent?.endsWith("…") === false) break
    }
    // the group's assets are drawn in a frame after the one that placed them
    const frames = window.__strataGraph?.frames ?? 0
    while ((window.__strataGraph?.frames ?? 0) <= frames) await new Promise((resolve) => requestAnimationFrame(resolve))
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)))
    const entry = window.__strataGroupLayouts![before]!
    return { group: name, ms: Math.round(performance.now() - started), source: entry.source, layoutMs: Math.round(entry.layoutMs ?? -1) }
  }, name)

if (parts.has("graph")) {
  markLoad("graph")
  // STRATA_BENCH_TRACE=<file>: also <file>.cold.json, a trace of the first (cold) navigation
  const coldTrace = process.env.STRATA_BENCH_TRACE === undefined ? undefined : `${process.env.STRATA_BENCH_TRACE}.cold.json`
  for (let attempt = 0; attempt < 3; attempt++) {
    const cpuBefore = serverCpuMs()
    if (attempt === 0) serverCpuBeforeVisit = cpuBefore - cpuAtRunEnd
    if (attempt === 0 && coldTrace !== undefined) {
      await browser.startTracing(page, {
        path: coldTrace,
        categories: startTraceCategories
      })
    }
    // polled over CDP until the first drawing: Playwright's own script is not injected while the page starts
    await page.goto(`${catalog.url}/?attempt=${attempt}`, { waitUntil: "commit" })
    await pollPage(page, "window.__strataGraph !== undefined")
    if (attempt === 0 && coldTrace !== undefined) {
      await pollPage(page, "window.__strataGraph?.fullGraphMs !== undefined")
      await browser.stopTracing()
    }
    serverCpuDuringVisit.push(serverCpuMs() - cpuBefore)
    // Chromium's metrics start again with each document: these are the visit's
    const visit = await pageCpu()
    pageCpuDuringVisit.push({ taskMs: Math.round(visit.taskMs), scriptMs: Math.round(visit.scriptMs) })
    firstRender.push(await page.evaluate(() => window.__strataGraph!.firstRenderMs))
    // polled over CDP too: the page is still reading the shape and statuses
    await pollPage(page, "window.__strataGraph?.fullGraphMs !== undefined")
    fullGraph.push(await page.evaluate(() => window.__strataGraph!.fullGraphMs!))
    const toFull = await pageCpu()
    pageCpuToFullGraph.push({ taskMs: Math.round(toFull.taskMs), scriptMs: Math.round(toFull.scriptMs) })
    // where the time goes: the answers (end times since navigation start) and the layout
    firstRenderParts.push(await page.evaluate(() => {
      const end = (path: string) =>
        Math.round((performance.getEntriesByType("resource").find((entry) => entry.name.endsWith(path)) as PerformanceResourceTiming | undefined)?.responseEnd ?? -1)
      return {
        scriptsLoadedMs: Math.round(performance.getEntriesByType("navigation")[0] === undefined ? -1 : (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).domContentLoadedEventEnd),
        overviewAnsweredMs: end("/api/graph/overview"),
        graphAnsweredMs: end("/api/graph"),
        statusesAnsweredMs: end("/api/statuses"),
        layoutMs: Math.round(window.__strataGraph!.layoutMs ?? -1)
      }
    }))
    // a group laid out in the worker the first time, read back from IndexedDB after; the frames
    // and the screenshot below are taken with it open
    groupOpen.push(await openGroup("group_2"))
  }
  await page.screenshot({ path: fileURLToPath(new URL("../screenshots/graph-50k-group.png", import.meta.url)) })
  // STRATA_BENCH_TRACE=<file>: a Chromium performance trace of the pan and zoom frames (open it in DevTools)
  const trace = process.env.STRATA_BENCH_TRACE
  if (trace !== undefined) {
    await browser.startTracing(page, {
      path: trace,
      categories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "disabled-by-default-devtools.timeline.frame", "v8.execute", "disabled-by-default-v8.cpu_profiler", "blink.user_timing"]
    })
  }
  frames = await measureFrames()
  if (trace !== undefined) await browser.stopTracing()
}
function measureFrames() {
  return page.evaluate(async () => {
  const element = document.querySelector<HTMLElement>("[data-testid=graph]")!
  const rect = element.getBoundingClientRect()
  const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve))
  const phases: Record<string, Array<number>> = {}
  const run = async (name: string, count: number, dispatch: (i: number) => void) => {
    const list: Array<number> = (phases[name] = [])
    let last = await nextFrame()
    // named spans in a trace (STRATA_BENCH_TRACE): the phase's frames are those between its marks
    performance.mark(`${name}-start`)
    for (let i = 0; i < count; i++) {
      dispatch(i)
      const now = await nextFrame()
      list.push(now - last)
      last = now
    }
    performance.mark(`${name}-end`)
  }
  const cx = rect.left + rect.width / 2
  const cy = rect.top + rect.height / 2
  const wheel = (deltaY: number) => () =>
    element.dispatchEvent(new WheelEvent("wheel", { deltaY, clientX: cx, clientY: cy, bubbles: true, cancelable: true }))
  const pan = (name: string) => {
    element.dispatchEvent(new PointerEvent("pointerdown", { clientX: cx, clientY: cy, bubbles: true, pointerId: 1 }))
    return run(name, 60, (i) =>
      element.dispatchEvent(new PointerEvent("pointermove", { clientX: cx + 6 * (i + 1), clientY: cy + 2 * (i + 1), bubbles: true, pointerId: 1 }))).then(() =>
        element.dispatchEvent(new PointerEvent("pointerup", { clientX: cx, clientY: cy, bubbles: true, pointerId: 1 })))
  }
  await pan("panFitted")
  await run("zoomIn", 30, wheel(-60))
  // let the zoomed drawing sharpen, then pan at that zoom
  await new Promise((resolve) => setTimeout(resolve, 400))
  await pan("panZoomedIn")
  await run("zoomOut", 30, wheel(60))
  const stats = (list: Array<number>) => {
    const sorted = [...list].sort((a, b) => a - b)
    return {
      meanMs: list.reduce((a, b) => a + b, 0) / list.length,
      p95Ms: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!,
      maxMs: sorted[sorted.length - 1]!
    }
  }
  return Object.fromEntries(Object.entries(phases).map(([name, list]) => [name, stats(list)]))
  })
}

/** Navigates in the page as a link does, and waits for `ready`; the time in ms. */
const navigation = (path: string | "back", ready: string) =>
  page.evaluate(async ({ path, ready }) => {
    const started = performance.now()
    if (path === "back") history.back()
    else {
      history.pushState(null, "", path)
      dispatchEvent(new PopStateEvent("popstate"))
    }
    for (;;) {
      await new Promise((resolve) => requestAnimationFrame(resolve))
      if (document.querySelector(ready) !== null) break
    }
    // the frame showing it has been painted
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)))
    return performance.now() - started
  }, { path, ready })

const assetOpen: Array<number> = []
const back: Array<number> = []
if (parts.has("nav")) {
  if (!parts.has("graph")) {
    await page.goto(catalog.url)
    await page.waitForFunction(() => window.__strataGraph !== undefined)
  }
  markLoad("nav")
  for (const key of ["layer10/asset_25000", "layer03/asset_7777", "layer17/asset_43210"]) {
    assetOpen.push(await navigation(`/asset/${key}`, `[data-page="asset"] [data-testid="asset-status"]`))
    back.push(await navigation("back", `main[data-page="graph"]:not([hidden]) canvas`))
  }
}

const typeahead: Array<number> = []
let scroll = { meanMs: -1, p95Ms: -1 }
if (parts.has("catalog")) {
markLoad("catalog")
await page.goto(`${catalog.url}/catalog`)
await page.waitForSelector(`[data-testid="catalog-total"]:has-text("${size.toLocaleString("en")} assets")`)
for (const query of ["a", "as", "asset_4", "asset_42", "asset_424", "layer12 asset_3", "group_3"]) {
  typeahead.push(await page.evaluate(async (query) => {
    const input = document.querySelector<HTMLInputElement>(`input[name="search"]`)!
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")!.set!
    const started = performance.now()
    setter.call(input, query)
    input.dispatchEvent(new Event("input", { bubbles: true }))
    for (;;) {
      await new Promise((resolve) => requestAnimationFrame(resolve))
      if (window.__strataCatalog?.query === query) break
    }
    return performance.now() - started
  }, query))
}
scroll = await page.evaluate(async () => {
  const element = document.querySelector<HTMLElement>(`[data-testid="catalog-scroll"]`)!
  const input = document.querySelector<HTMLInputElement>(`input[name="search"]`)!
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")!.set!
  setter.call(input, "")
  input.dispatchEvent(new Event("input", { bubbles: true }))
  await new Promise((resolve) => setTimeout(resolve, 500))
  const list: Array<number> = []
  let last = await new Promise<number>((resolve) => requestAnimationFrame(resolve))
  for (let i = 0; i < 120; i++) {
    element.scrollTop += 300
    const now = await new Promise<number>((resolve) => requestAnimationFrame(resolve))
    list.push(now - last)
    last = now
  }
  list.sort((a, b) => a - b)
  return { meanMs: list.reduce((a, b) => a + b, 0) / list.length, p95Ms: list[Math.floor(list.length * 0.95)]! }
})
}

let lineageCards = -1
if (parts.has("nav")) {
  await page.goto(`${catalog.url}/asset/layer10/asset_25000?tab=lineage`)
  await page.waitForSelector(`[data-testid="lineage"] .card`)
  await page.screenshot({ path: fileURLToPath(new URL("../screenshots/lineage-50k.png", import.meta.url)) })
  lineageCards = await page.locator(`[data-testid="lineage"] .card`).count()
}
if (parts.has("graph")) {
  await page.goto(catalog.url)
  // the first screen once everything is read (drawn the same from the overview before, without the hint's "Reading…")
  await page.waitForFunction(() => window.__strataGraph?.fullGraphMs !== undefined)
  await page.screenshot({ path: fileURLToPath(new URL("../screenshots/graph-50k.png", import.meta.url)) })
}
markLoad("end")

await browser.close()
await catalog.close()
const median = (list: Array<number>) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!
console.log(JSON.stringify({
  assets: size,
  edges,
  materializedHalfMs: Math.round(materializeMs),
  api,
  liveTickMs: liveTickMs.length === 0 ? {} : { samples: liveTickMs.map(Math.round), median: Math.round(median(liveTickMs)) },
  throughput: Object.fromEntries(Object.entries(throughput).map(([name, value]) => [name, {
    requests: value.requests,
    perSecond: Math.round(value.perSecond),
    p50Ms: round(value.p50),
    p99Ms: round(value.p99),
    errors: value.errors,
    cpuMsPerRequest: Math.round(value.cpuMsPerRequest * 100) / 100
  }])),
  serverPeakRssMB: peakRss,
  launcherPeakRssMB: launcherPeakRss,
  memoryAt,
  firstRenderMs: { samples: firstRender.map(Math.round), median: Math.round(median(firstRender)), parts: firstRenderParts, serverCpuMs: serverCpuDuringVisit, serverCpuBeforeMs: serverCpuBeforeVisit, pageCpu: pageCpuDuringVisit },
  fullGraphMs: fullGraph.length === 0 ? {} : { samples: fullGraph.map(Math.round), median: Math.round(median(fullGraph)), pageCpu: pageCpuToFullGraph },
  groupOpen,
  frames: Object.fromEntries(Object.entries(frames).map(([name, value]) => [name, {
    meanMs: round(value.meanMs), p95Ms: round(value.p95Ms), maxMs: round(value.maxMs)
  }])),
  typeaheadMs: typeahead.length === 0 ? {} : { samples: typeahead.map(Math.round), median: Math.round(median(typeahead)), max: Math.round(Math.max(...typeahead)) },
  catalogScroll: { meanMs: round(scroll.meanMs), p95Ms: round(scroll.p95Ms) },
  assetPageOpenMs: assetOpen.map(Math.round),
  backToGraphMs: back.map(Math.round),
  lineageCards,
  loadAverage: loadAt
}, null, 2))
