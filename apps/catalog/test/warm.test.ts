/**
 * The graph page's answers computed ahead (src/internal/warm.ts), over a real
 * server and core's in-memory instance whose asset-index reads are counted
 * (the instance itself is core's; only `assets` is wrapped to count): once
 * the project is loaded, and again once the server's run has ended, the
 * statuses are computed before anyone asks, so `GET /api/statuses` reads
 * nothing and answers what the run left.
 */
import { InMemoryIO, Instance } from "@strata/core"
import { Models } from "@strata/protocol"
import { Effect, Layer, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import { makeBigProject } from "./bigProject.ts"
import { call, readEvents, until } from "./helpers.ts"

const decode = Schema.decodeUnknownSync(Models.StatusSnapshot)

describe("statuses computed ahead", () => {
  let catalog: RunningCatalog
  /** Reads of every asset's record (what a statuses snapshot starts with). */
  let reads = 0
  const counted = Layer.effect(
    Instance.Instance,
    Effect.sync((): Instance.InstanceShape => {
      const inner = Instance.makeMemory()
      return { ...inner, assets: (keys) => Effect.suspend(() => (reads++, inner.assets(keys))) }
    })
  )
  const { project } = makeBigProject(2000)
  beforeAll(async () => {
    catalog = await startCatalog({ load: () => Promise.resolve({ project, layer: InMemoryIO.layer }), instance: counted, port: 0 })
  })
  afterAll(() => catalog?.close())

  it("after the load and after a run, before any request", async () => {
    await until(async () => reads > 0 ? true : undefined, "the statuses computed after the load")
    const loaded = reads
    const first = decode((await call(catalog.url, "/api/statuses")).body)
    expect(reads).toBe(loaded)
    expect(first.status.every((status) => status === "missing")).toBe(true)

    const launched = (await call(catalog.url, "/api/runs", { method: "POST", body: { selection: "key:layer00/asset_1*" } })).body
    expect(launched.assetKeys.length).toBeGreaterThan(0)
    await readEvents(`${catalog.url}/api/runs/${launched.runId}/events`)
    const ended = reads
    await until(async () => reads > ended ? true : undefined, "the statuses computed after the run")
    const computed = reads
    const after = decode((await call(catalog.url, "/api/statuses")).body)
    expect(reads).toBe(computed)
    const keys: Array<string> = project.graph.nodes.map((node) => node.key)
    for (const key of launched.assetKeys as Array<string>) expect(after.status[keys.indexOf(key)]).toBe("fresh")
  })
})
