/**
 * `GET /api/assets/page`: the catalog's paged, searchable, sortable asset
 * list, over a real server and 5,000 generated assets.
 */
import { InMemoryIO, Instance } from "@strata/core"
import { Models } from "@strata/protocol"
import { Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import { makeBigProject } from "./bigProject.ts"
import { call, readEvents } from "./helpers.ts"

const decode = Schema.decodeUnknownSync(Models.AssetPage)

describe("GET /api/assets/page", () => {
  let catalog: RunningCatalog
  beforeAll(async () => {
    const { project } = makeBigProject(5000)
    catalog = await startCatalog({
      load: () => Promise.resolve({ project, layer: InMemoryIO.layer }),
      instance: Instance.layerMemory,
      port: 0
    })
  })
  afterAll(() => catalog?.close())

  const get = async (query: string) => {
    const { status, body } = await call(catalog.url, `/api/assets/page?${query}`)
    expect(status, JSON.stringify(body)).toBe(200)
    return decode(body)
  }

  it("pages through every asset in key order", async () => {
    const first = await get("limit=100")
    expect(first.total).toBe(5000)
    expect(first.assets).toHaveLength(100)
    const keys = first.assets.map((a) => a.key)
    expect(keys).toEqual([...keys].sort())
    const second = await get("limit=100&offset=100")
    expect(second.assets[0]!.key > keys[99]!).toBe(true)
    const last = await get("limit=100&offset=4950")
    expect(last.assets).toHaveLength(50)
    expect(first.counts["missing"]).toBe(5000)
  })

  it("searches: all words must match, the exact key first", async () => {
    const page = await get("q=asset_123")
    // asset_123, asset_1230..1239, asset_12300.. do not exist past 4999: 1 + 10 + 0
    expect(page.total).toBe(11)
    expect(page.assets[0]!.key).toBe("layer00/asset_123")
    const none = await get(`q=${encodeURIComponent("asset_123 group_4")}`)
    // asset_123 is in layer 0 (group_0); asset_1230.. are in layer 4 (group_4)
    expect(none.assets.map((a) => a.key).every((key) => key.startsWith("layer04/"))).toBe(true)
    expect(none.total).toBe(10)
  })

  it("filters by group and kind, sorts both ways", async () => {
    const page = await get("group=group_3&kind=postgres&sort=key&order=desc&limit=5")
    expect(page.total).toBe(500)
    expect(page.assets.every((a) => a.group === "group_3" && a.kinds.includes("postgres"))).toBe(true)
    const keys = page.assets.map((a) => a.key)
    expect(keys).toEqual([...keys].sort().reverse())
  })

  it("follows statuses: materialized assets sort first by time and filter by status", async () => {
    const launched = await call(catalog.url, "/api/runs", { method: "POST", body: { selection: "key:layer00/asset_1*" } })
    expect(launched.status).toBe(200)
    await readEvents(`${catalog.url}/api/runs/${launched.body.runId}/events`)
    const fresh = await get("status=fresh")
    expect(fresh.total).toBe(launched.body.assetKeys.length)
    const byTime = await get("sort=lastMaterializedAt&order=desc&limit=3")
    expect(byTime.assets[0]!.lastMaterializedAt).toBeDefined()
    expect(byTime.counts["fresh"]).toBe(launched.body.assetKeys.length)
  })

  it("serves the graph's shape once per generation with an ETag, and statuses apart", async () => {
    const first = await fetch(`${catalog.url}/api/graph`)
    expect(first.status).toBe(200)
    const etag = first.headers.get("etag")
    expect(etag).toMatch(/^"strata-graph-\d+-[0-9a-f]{16}"$/)
    const structure = Schema.decodeUnknownSync(Models.GraphStructure)(await first.json())
    expect(structure.keys).toHaveLength(5000)
    // topological order: every upstream index before its asset
    expect(structure.upstreamStarts).toHaveLength(5001)
    structure.keys.forEach((_, i) => Models.upstreamOf(structure, i).forEach((j) => expect(j).toBeLessThan(i)))
    // the flat lists name the same upstream assets and kinds as each asset's own page
    for (const i of [0, 1234, 2500, 4999]) {
      const { node } = (await call(catalog.url, `/api/asset?key=${encodeURIComponent(structure.keys[i]!)}`)).body
      expect(Models.upstreamOf(structure, i).map((j) => structure.keys[j])).toEqual(node.upstream)
      expect(structure.kindLists[structure.kinds[i]!]).toEqual(node.kinds ?? [])
      expect(structure.group[i]).toBe(node.group)
    }
    expect(structure.upstream.length).toBeGreaterThan(5000)
    const again = await fetch(`${catalog.url}/api/graph`, { headers: { "if-none-match": etag! } })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe("")
    const statuses = Schema.decodeUnknownSync(Models.StatusSnapshot)((await call(catalog.url, "/api/statuses")).body)
    expect(statuses.generation).toBe(structure.generation)
    expect(statuses.status).toHaveLength(5000)
    // a reload is a new generation: the old ETag no longer matches
    await catalog.reload()
    const reloaded = await fetch(`${catalog.url}/api/graph`, { headers: { "if-none-match": etag! } })
    expect(reloaded.status).toBe(200)
    expect(reloaded.headers.get("etag")).not.toBe(etag)
  })

  it("pushes status changes over SSE: a full snapshot, then only the assets that changed", async () => {
    const structure = Schema.decodeUnknownSync(Models.GraphStructure)((await call(catalog.url, "/api/graph")).body)
    const target = structure.keys.indexOf("layer00/asset_200")
    expect(target).toBeGreaterThan(-1)
    const controller = new AbortController()
    const response = await fetch(`${catalog.url}/api/statuses/stream`, { signal: controller.signal })
    expect(response.headers.get("content-type")).toContain("text/event-stream")
    const decodeDelta = Schema.decodeUnknownSync(Models.StatusDelta)
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let buffer = ""
    const next = async (): Promise<Models.StatusDelta> => {
      for (;;) {
        const boundary = buffer.indexOf("\n\n")
        if (boundary !== -1) {
          const block = buffer.slice(0, boundary)
          buffer = buffer.slice(boundary + 2)
          const data = block.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5)).join("")
          if (data !== "") return decodeDelta(JSON.parse(data))
          continue
        }
        const { value, done } = await reader.read()
        if (done) throw new Error("the status stream ended")
        buffer += decoder.decode(value, { stream: true })
      }
    }
    const full = await next()
    expect(full.full).toBe(true)
    expect(full.index).toHaveLength(5000)
    expect(full.status[target]).toBe("missing")
    const launched = await call(catalog.url, "/api/runs", { method: "POST", body: { selection: "layer00/asset_200" } })
    expect(launched.status).toBe(200)
    // deltas until the asset is materialized (running first); none of them is a full snapshot again
    for (;;) {
      const delta = await next()
      expect(delta.full).toBe(false)
      expect(delta.index.length).toBeLessThan(5000)
      const at = delta.index.indexOf(target)
      if (at !== -1 && delta.lastMaterializedAt[at] !== null) {
        expect(delta.status[at]).toBe("fresh")
        break
      }
      expect(at === -1 || delta.status[at] === "running").toBe(true)
    }
    controller.abort()
  })

  it("refuses an unknown status with a 400 naming it", async () => {
    const { status, body } = await call(catalog.url, "/api/assets/page?status=frsh")
    expect(status).toBe(400)
    expect(body.message).toContain(`"frsh"`)
    expect((await call(catalog.url, "/api/assets/page?limit=5000")).status).toBe(400)
  })
})
