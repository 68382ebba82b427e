/**
 * Cold first visits of the graph page, two or more UI builds back to back: the figure behind "first
 * meaningful render" that `catalog-bench.ts` takes only once per run (its first visit is the only cold one).
 *
 *   node --conditions=@strata/source scripts/cold-visits.ts [assets] [--visits=N] <ui dir> [<ui dir>...]
 *
 * One catalog server per UI build (this process, an in-memory instance, the same generated project), and
 * for every visit a new Chromium with an empty profile: no HTTP cache, no compiled code kept. The builds
 * take turns, the first one alternating, so that a change of load reaches them alike. Prints one JSON
 * document: per build, the first render of each visit (ms since navigation start), its median, and when
 * the scripts had loaded (DOMContentLoaded end). `STRATA_BENCH_TRACE=<file>` traces each build's first visit
 * (to `<file>.<build index>.json`), which is then left out of the figures: tracing slows the page.
 */
import { InMemoryIO, Instance } from "@strata/core"
import { loadavg } from "node:os"
import * as path from "node:path"
import { startCatalog } from "../src/index.ts"
import { makeBigProject } from "../test/bigProject.ts"
import { launchChromium, pollPage, startTraceCategories } from "../test/browser.ts"

const size = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 50_000)
const visits = Number(process.argv.find((arg) => arg.startsWith("--visits="))?.slice(9) ?? 7)
const uiDirs = process.argv.slice(2).filter((arg) => !arg.startsWith("--") && !/^\d+$/.test(arg)).map((dir) => path.resolve(dir))
if (uiDirs.length === 0) throw new Error("name at least one built UI folder (e.g. ui-dist)")

const { project } = makeBigProject(size)
const servers = await Promise.all(uiDirs.map((uiDir) =>
  startCatalog({ load: () => Promise.resolve({ project, layer: InMemoryIO.layer }), instance: Instance.layerMemory, port: 0, uiDir })
))
// the overview is computed once per generation: ask for it before the first visit, as a running server has
for (const server of servers) await fetch(`${server.url}/api/graph/overview`).then((response) => response.text())

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/**
 * One visit in a new browser: the first render and when the scripts had loaded, ms since navigation start.
 * With `trace`, a Chromium performance trace of the visit is written there (open it in DevTools).
 */
const coldVisit = async (url: string, trace?: string) => {
  const browser = await launchChromium()
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    if (trace !== undefined) await browser.startTracing(page, { path: trace, categories: startTraceCategories })
    await page.goto(url, { waitUntil: "commit" })
    const firstRenderMs = await pollPage(page, "window.__strataGraph?.firstRenderMs") as number
    if (trace !== undefined) await browser.stopTracing()
    const scriptsLoadedMs = await pollPage(page, "performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd || undefined") as number
    return { firstRenderMs: Math.round(firstRenderMs), scriptsLoadedMs: Math.round(scriptsLoadedMs) }
  } finally {
    await browser.close()
  }
}

const results = uiDirs.map(() => ({ firstRenderMs: [] as Array<number>, scriptsLoadedMs: [] as Array<number> }))
const loads: Array<number> = []
for (let visit = 0; visit < visits; visit++) {
  loads.push(Math.round(loadavg()[0]! * 10) / 10)
  const order = uiDirs.map((_, index) => index)
  if (visit % 2 === 1) order.reverse()
  for (const index of order) {
    // STRATA_BENCH_TRACE=<file>: the first visit of build i is traced to <file>.<i>.json (its time is not counted)
    const trace = visit === 0 && process.env.STRATA_BENCH_TRACE !== undefined ? `${process.env.STRATA_BENCH_TRACE}.${index}.json` : undefined
    const measured = await coldVisit(servers[index]!.url, trace)
    if (trace !== undefined) continue
    results[index]!.firstRenderMs.push(measured.firstRenderMs)
    results[index]!.scriptsLoadedMs.push(measured.scriptsLoadedMs)
    process.stderr.write(`visit ${visit + 1}/${visits} ${path.basename(path.dirname(uiDirs[index]!))}/${path.basename(uiDirs[index]!)}: ${measured.firstRenderMs} ms\n`)
  }
}
await Promise.all(servers.map((server) => server.close()))
process.stdout.write(`${JSON.stringify({
  assets: size,
  visits,
  loadAverages: loads,
  builds: uiDirs.map((uiDir, index) => ({
    uiDir,
    firstRenderMs: { samples: results[index]!.firstRenderMs, median: median(results[index]!.firstRenderMs) },
    scriptsLoadedMs: { samples: results[index]!.scriptsLoadedMs, median: median(results[index]!.scriptsLoadedMs) }
  }))
}, null, 1)}\n`)
