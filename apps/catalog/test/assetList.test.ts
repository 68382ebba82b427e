/**
 * `GET /api/assets` written a slice of assets at a time: the document is the
 * one `Models.AssetList` describes, whole and in the graph's order, across
 * slice boundaries, for a selection and for an empty one.
 */
import { Instance } from "@strata/core"
import { Models } from "@strata/protocol"
import { Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import { sliceSize } from "../src/internal/assetList.ts"
import { makeBigProject } from "./bigProject.ts"
import { call } from "./helpers.ts"

const decode = Schema.decodeUnknownSync(Models.AssetList)
const size = 2 * sliceSize + 345

describe("GET /api/assets in slices", () => {
  let catalog: RunningCatalog
  const { project } = makeBigProject(size)
  beforeAll(async () => {
    catalog = await startCatalog({ load: () => Promise.resolve({ project }), instance: Instance.layerMemory, port: 0 })
  })
  afterAll(() => catalog.close())

  it("is one AssetList with every asset once, in the graph's order", async () => {
    const { status, body } = await call(catalog.url, "/api/assets")
    expect(status).toBe(200)
    const list = decode(body)
    expect(list.project.assetCount).toBe(size)
    expect(list.assets.map((asset) => asset.key)).toEqual(project.graph.nodes.map((node) => node.key))
    expect(list.assets[sliceSize]!.upstream.length).toBeGreaterThan(0)
  })

  it("filters by a selection, and an empty one is an empty list", async () => {
    const layer = decode((await call(catalog.url, "/api/assets?selection=key:layer01*")).body)
    expect(layer.assets.length).toBeGreaterThan(0)
    expect(layer.assets.every((asset) => asset.key.startsWith("layer01/"))).toBe(true)
    const none = await call(catalog.url, `/api/assets?selection=${encodeURIComponent("key:nothing*")}`)
    if (none.status === 200) expect(decode(none.body).assets).toEqual([])
    else expect(none.body._tag).toBe("@strata/protocol/BadSelection")
  })
})
