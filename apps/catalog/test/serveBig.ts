/**
 * Serves a generated project of `argv[2]` assets (see bigProject.ts) on a
 * free port, in a process of its own, and prints its URL: for tests that must
 * outlive a server whose event loop is blocked.
 */
import { Instance } from "@strata/core"
import { startCatalog } from "../src/index.ts"
import { makeBigProject } from "./bigProject.ts"

const { project } = makeBigProject(Number(process.argv[2] ?? 50_000))
const catalog = await startCatalog({ load: () => Promise.resolve({ project }), instance: Instance.layerMemory, port: 0 })
process.stdout.write(`${catalog.url}\n`)
