/**
 * `GET /api/runs` filtered by an asset of the plan, a tag and a creation time
 * range, over real runs launched through the API; paging with `next`.
 */
import { Asset, InMemoryIO, Instance, Project } from "@strata/core"
import { Models } from "@strata/protocol"
import { Effect, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import { call, readEvents } from "./helpers.ts"
import { testUiDir } from "./paths.ts"

const raw = Asset.make("raw", {}, () => Effect.succeed(1))
const clean = Asset.make("clean", { deps: { raw } }, ({ raw }) => Effect.succeed(raw + 1))
const other = Asset.make("other", {}, () => Effect.succeed(2))
const project = Project.make({ assets: [raw, clean, other] })
const decodeList = Schema.decodeUnknownSync(Models.RunList)

describe("GET /api/runs filters", () => {
  let catalog: RunningCatalog
  const launched: Record<string, string> = {}
  let between = 0
  beforeAll(async () => {
    catalog = await startCatalog({
      load: () => Promise.resolve({ project, layer: InMemoryIO.layer }),
      instance: Instance.layerMemory,
      uiDir: testUiDir,
      port: 0
    })
    const launch = async (name: string, selection: string, tags?: Record<string, string>) => {
      const body = (await call(catalog.url, "/api/runs", { method: "POST", body: { selection, ...(tags === undefined ? {} : { tags }) } })).body
      const { runId } = Schema.decodeUnknownSync(Models.Launched)(body)
      await readEvents(`${catalog.url}/api/runs/${runId}/events`)
      launched[name] = runId
    }
    await launch("first", "+clean", { team: "data" })
    await new Promise((resolve) => setTimeout(resolve, 20))
    between = Date.now()
    await new Promise((resolve) => setTimeout(resolve, 20))
    await launch("second", "other", { team: "web" })
    await launch("third", "raw")
  })
  afterAll(() => catalog.close())

  const list = async (query: string) => {
    const response = await call(catalog.url, `/api/runs?${query}`)
    expect(response.status).toBe(200)
    return decodeList(response.body)
  }
  const names = (result: Models.RunList) =>
    result.runs.map((run) => Object.entries(launched).find(([, id]) => id === run.runId)?.[0] ?? run.runId)

  it("by an asset of the plan, newest first", async () => {
    expect(names(await list("asset=raw"))).toEqual(["third", "first"])
    expect(names(await list("asset=other"))).toEqual(["second"])
    expect(names(await list("asset=nope"))).toEqual([])
  })

  it("by tag name, or name and value", async () => {
    expect(names(await list("tag=team"))).toEqual(["second", "first"])
    expect(names(await list(`tag=${encodeURIComponent("team=data")}`))).toEqual(["first"])
  })

  it("by creation time, combined with the other filters, and paged", async () => {
    expect(names(await list(`from=${between}`))).toEqual(["third", "second"])
    expect(names(await list(`to=${between}`))).toEqual(["first"])
    expect(names(await list(`from=${between}&asset=raw`))).toEqual(["third"])
    const page = await list("asset=raw&limit=1")
    expect(names(page)).toEqual(["third"])
    expect(names(await list(`asset=raw&limit=1&before=${page.next}`))).toEqual(["first"])
    expect((await call(catalog.url, "/api/runs?from=yesterday")).status).toBe(400)
  })
})
