/**
 * The catalog server of `catalog-bench.ts`, in a process of its own so that
 * its memory and CPU are measured apart from the benchmark's HTTP load
 * generator, event follower and browser driver: `argv[2]` generated assets
 * (see test/bigProject.ts), an in-memory instance, 8 steps at a time, the UI of `ui-dist` (or of
 * `STRATA_BENCH_UI_DIR`). It
 * starts as `strata dev` does (`ServerProcess.relaunched`: a child process
 * with a bounded young generation, unless NODE_OPTIONS chooses the size), so
 * the figures are those of the process a user gets. Prints one JSON line,
 * `{ url, edges, pid }` (`pid`: the process that serves), once it serves.
 */
import { ServerProcess } from "../src/process.ts"

if (!ServerProcess.relaunched()) {
  // loaded only in the process that serves, as `strata dev` loads the CLI
  const { InMemoryIO, Instance } = await import("@strata/core")
  const { startCatalog } = await import("../src/index.ts")
  const { makeBigProject } = await import("../test/bigProject.ts")
  const { project, edges } = makeBigProject(Number(process.argv[2] ?? 50_000))
  const catalog = await startCatalog({
    load: () => Promise.resolve({ project, layer: InMemoryIO.layer }),
    instance: Instance.layerMemory,
    port: 0,
    concurrency: 8,
    // STRATA_BENCH_UI_DIR: another build of the UI (to compare two back to back); `ui-dist` by default
    ...(process.env.STRATA_BENCH_UI_DIR === undefined ? {} : { uiDir: process.env.STRATA_BENCH_UI_DIR })
  })
  process.stdout.write(`${JSON.stringify({ url: catalog.url, edges, pid: process.pid })}\n`)
  process.once("SIGTERM", () => void catalog.close().then(() => process.exit(0)))
}
