/**
 * The catalog over the embedded SQLite instance (a real file): what a run
 * records is served again by a new server process on the same file.
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { InMemoryIO } from "@strata/core"
import { Models } from "@strata/protocol"
import { SqliteInstance } from "@strata/sqlite"
import { Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startCatalog } from "../src/index.ts"
import type { Control } from "./fixture.ts"
import { makeFixture } from "./fixture.ts"
import { call, readEvents } from "./helpers.ts"

describe("catalog on a SQLite instance", () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "strata-catalog-sqlite-"))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  const start = (control: Control) =>
    startCatalog({
      load: () => Promise.resolve({ project: makeFixture(control), layer: InMemoryIO.layer }),
      instance: SqliteInstance.layer({ path: join(dir, "instance.db") }),
      port: 0
    })

  it("serves runs, history and statuses recorded by an earlier server on the same file", async () => {
    const control: Control = { failing: false, slowMs: 0, users: 0 }
    const first = await start(control)
    const info = Schema.decodeUnknownSync(Models.ProjectInfo)((await call(first.url, "/api/project")).body)
    expect(info.instance).toContain("instance.db")
    let runId = ""
    for (let i = 0; i < 2; i++) {
      const launched = await call(first.url, "/api/runs", { method: "POST", body: { selection: "*gold_user_metrics" } })
      runId = launched.body.runId
      const events = await readEvents(`${first.url}/api/runs/${runId}/events`)
      expect(events.at(-1)!.type).toBe("run-succeeded")
    }
    await first.close()

    const second = await start(control)
    try {
      const run = Schema.decodeUnknownSync(Models.RunDetail)((await call(second.url, `/api/runs/${runId}`)).body)
      expect(run.run.status).toBe("succeeded")
      expect(run.run.cancelable).toBe(false)
      expect(run.events.filter((event) => event.type === "asset-materialized")).toHaveLength(5)
      const history = Schema.decodeUnknownSync(Models.AssetHistory)(
        (await call(second.url, "/api/asset/history?key=raw_users")).body
      )
      expect(history.materializations.map((m) => m.metadata.row_count)).toEqual([50, 25])
      const assets = Schema.decodeUnknownSync(Models.AssetList)((await call(second.url, "/api/assets")).body).assets
      expect(assets.find((asset) => asset.key === "gold_user_metrics")!.status).toBe("fresh")
      expect(assets.find((asset) => asset.key === "flaky_scores")!.status).toBe("missing")
      // a finished run recorded by another server cannot be canceled
      const canceled = await call(second.url, `/api/runs/${runId}/cancel`, { method: "POST" })
      expect(canceled.status).toBe(409)
    } finally {
      await second.close()
    }
  })
})
