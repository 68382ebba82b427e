/**
 * Following a run over SSE sends its events in batches of `followBatch`: a
 * run with several batches' worth arrives whole, once each and in order,
 * both while it runs and when followed after it ended.
 */
import { Asset, InMemoryIO, Instance, Output, Project } from "@strata/core"
import { Models } from "@strata/protocol"
import { Effect, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import { followBatch } from "../src/internal/runs.ts"
import { call, readEvents } from "./helpers.ts"

const lines = 2 * followBatch + 500

describe("following a run's events in batches", () => {
  let catalog: RunningCatalog
  beforeAll(async () => {
    const chatty = Asset.make("chatty", {}, () =>
      Effect.gen(function*() {
        for (let i = 0; i < lines; i++) yield* Effect.logInfo(`line ${i}`)
        return Output.make(1)
      }))
    const project = Project.make({ assets: [chatty] })
    catalog = await startCatalog({ load: () => Promise.resolve({ project, layer: InMemoryIO.layer }), instance: Instance.layerMemory, port: 0 })
  })
  afterAll(() => catalog.close())

  it("delivers every event once, in order, live and after the end", async () => {
    const launched = await call(catalog.url, "/api/runs", { method: "POST", body: { selection: "chatty" } })
    expect(launched.status).toBe(200)
    const runId = launched.body.runId as string
    const live = await readEvents(`${catalog.url}/api/runs/${runId}/events`)
    const stored = Schema.decodeUnknownSync(Models.RunDetail)((await call(catalog.url, `/api/runs/${runId}`)).body).events
    expect(stored.length).toBeGreaterThan(lines)
    expect(live.map((event) => event.id)).toEqual(stored.map((event) => event.id))
    const after = await readEvents(`${catalog.url}/api/runs/${runId}/events`)
    expect(after.map((event) => event.id)).toEqual(stored.map((event) => event.id))
    const from = stored[followBatch + 10]!.id
    const rest = await readEvents(`${catalog.url}/api/runs/${runId}/events?after=${from}`)
    expect(rest.map((event) => event.id)).toEqual(stored.filter((event) => event.id > from).map((event) => event.id))
  })
})
