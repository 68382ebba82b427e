/**
 * The catalog server of `catalog-bench.ts`, in a process of its own so that
 * its memory and CPU are measured apart from the benchmark's HTTP load
 * generator, event follower and browser driver: `argv[2]` generated assets
 * (see test/bigProject.ts), an in-memory instance, 8 steps at a time. Prints
 * one JSON line, `{ url, edges }`, once it serves.
 */
import { InMemoryIO, Instance } from "@strata/core"
import { startCatalog } from "../src/index.ts"
import { makeBigProject } from "../test/bigProject.ts"

const { project, edges } = makeBigProject(Number(process.argv[2] ?? 50_000))
const catalog = await startCatalog({
  load: () => Promise.resolve({ project, layer: InMemoryIO.layer }),
  instance: Instance.layerMemory,
  port: 0,
  concurrency: 8
})
process.stdout.write(`${JSON.stringify({ url: catalog.url, edges })}\n`)
process.once("SIGTERM", () => void catalog.close().then(() => process.exit(0)))
