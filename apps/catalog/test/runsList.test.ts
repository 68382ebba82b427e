/**
 * `GET /api/runs` after big runs, on the memory and SQLite instances: each
 * listed run is a summary of a few hundred bytes (its selection, cut when it
 * is a long hand-picked list, and the count of its assets, never the keys),
 * filtering by asset still reads the keys on the server, and the run page
 * still has every key.
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { InMemoryIO, Instance } from "@strata/core"
import { Models } from "@strata/protocol"
import { SqliteInstance } from "@strata/sqlite"
import { Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import { makeBigProject } from "./bigProject.ts"
import { call, until } from "./helpers.ts"

const size = 5_000
const { project } = makeBigProject(size)
const keys = project.specs().map((spec) => spec.key)
/** A "Materialize selected" of 2,000 picked assets: the selection is their comma-joined keys. */
const picked = keys.filter((_, i) => i % 2 === 0).slice(0, 2_000)
const pickedSelection = picked.join(", ")
const decodeList = Schema.decodeUnknownSync(Models.RunList)
const decodeDetail = Schema.decodeUnknownSync(Models.RunDetail)

const backends = [
  ["memory", () => Instance.layerMemory],
  ["SQLite", (dir: string) => SqliteInstance.layer({ path: join(dir, "instance.db") })]
] as const

describe.each(backends)("GET /api/runs after big runs (%s instance)", (_, instance) => {
  let dir: string
  let catalog: RunningCatalog
  const runIds: Record<"all" | "picked", string> = { all: "", picked: "" }

  const run = async (selection: string) => {
    const launched = Schema.decodeUnknownSync(Models.Launched)(
      (await call(catalog.url, "/api/runs", { method: "POST", body: { selection } })).body
    )
    // polls the (small) list, not the run page with its thousands of events
    await until(async () => {
      const listed = decodeList((await call(catalog.url, "/api/runs?limit=1")).body).runs[0]
      return listed?.runId === launched.runId && Models.isTerminal(listed.status) ? listed : undefined
    }, `run ${launched.runId} to end`, 60_000)
    return launched.runId
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "strata-runs-list-"))
    catalog = await startCatalog({ load: () => Promise.resolve({ project, layer: InMemoryIO.layer }), instance: instance(dir), port: 0 })
    runIds.all = await run("*")
    runIds.picked = await run(pickedSelection)
  }, 120_000)
  afterAll(async () => {
    await catalog?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const list = async (query: string) => {
    const response = await fetch(`${catalog.url}/api/runs${query}`)
    expect(response.status).toBe(200)
    const text = await response.text()
    return { bytes: Buffer.byteLength(text), text, list: decodeList(JSON.parse(text)) }
  }

  it("sends each run's selection and asset count, not its keys: a few hundred bytes a run", async () => {
    const newest = await list("?limit=1")
    expect(newest.bytes).toBeLessThan(1_000)
    expect(newest.text).not.toContain("assetKeys")
    expect(newest.text).not.toContain(picked.at(-1))
    const [summary] = newest.list.runs
    expect(summary).toMatchObject({
      runId: runIds.picked,
      status: "succeeded",
      assetCount: 2_000,
      selectionLength: pickedSelection.length,
      selection: pickedSelection.slice(0, 200)
    })

    const page = await list("")
    expect(page.bytes).toBeLessThan(2_000)
    expect(page.list.runs.map((run) => [run.runId, run.selection, run.assetCount])).toEqual([
      [runIds.picked, pickedSelection.slice(0, 200), 2_000],
      [runIds.all, "*", size]
    ])
  })

  it("filters by an asset of the plan on the server, still answering summaries", async () => {
    // the last key is in the run of every asset only: not picked, and past the picked run's 200 characters
    const onlyInAll = await list(`?asset=${encodeURIComponent(keys.at(-1)!)}`)
    expect(onlyInAll.list.runs.map((run) => run.runId)).toEqual([runIds.all])
    expect(onlyInAll.bytes).toBeLessThan(1_000)
    const inBoth = await list(`?asset=${encodeURIComponent(picked.at(-1)!)}`)
    expect(inBoth.list.runs.map((run) => run.runId)).toEqual([runIds.picked, runIds.all])
    expect((await list("?asset=layer99%2Fnone")).list.runs).toEqual([])
  })

  it("keeps every key and the whole selection on the run page", async () => {
    const detail = decodeDetail((await call(catalog.url, `/api/runs/${runIds.picked}`)).body)
    expect(detail.run.selection).toBe(pickedSelection)
    expect(detail.run.assetKeys).toHaveLength(2_000)
    expect(decodeDetail((await call(catalog.url, `/api/runs/${runIds.all}`)).body).run.assetKeys).toHaveLength(size)
  })
})
