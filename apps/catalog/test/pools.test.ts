/**
 * The Automation page's pools: each pool's limit and the steps holding its
 * slots, read from the instance's slot leases by the real server while a run's
 * pooled steps wait on a gate.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Asset, InMemoryIO, Project } from "@strata/core"
import { Models } from "@strata/protocol"
import { SqliteInstance } from "@strata/sqlite"
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { startCatalog } from "../src/index.ts"
import { call } from "./helpers.ts"

describe("catalog pools (real server, SQLite file)", () => {
  it("lists each pool's limit and the steps holding its slots now, with their run", async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-catalog-pools-"))
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const started: Array<string> = []
    const load = (key: string) =>
      Asset.make(key, { pool: "warehouse" }, () =>
        Effect.promise(async () => {
          started.push(key)
          await gate
          return 1
        }))
    const pooled = Project.make({
      assets: [load("load/a"), load("load/b"), load("load/c")],
      automation: { runQueue: { pools: { warehouse: 2 }, poolLeaseTtlMs: 60_000 } }
    })
    const catalog = await startCatalog({
      load: () => Promise.resolve({ project: pooled, layer: InMemoryIO.layer }),
      instance: SqliteInstance.layer({ path: path.join(folder, "instance.db") })
    })
    try {
      const idle = Schema.decodeUnknownSync(Models.AutomationOverview)((await call(catalog.url, "/api/automation")).body)
      expect(idle.pools).toEqual([{ pool: "warehouse", limit: 2, holders: [] }])
      const launched = await call(catalog.url, "/api/runs", { method: "POST", body: { selection: "*" } })
      expect(launched.status).toBe(200)
      const runId = launched.body.runId as string
      // two steps take the two slots; the third waits
      for (let i = 0; started.length < 2; i++) {
        if (i > 600) throw new Error("the pooled steps never started")
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const busy = Schema.decodeUnknownSync(Models.AutomationOverview)((await call(catalog.url, "/api/automation")).body)
      const pool = busy.pools![0]!
      expect(pool.holders.map((holder) => [holder.slot, holder.runId, holder.step]).sort()).toEqual(
        started.map((step, slot) => [slot, runId, step]).sort()
      )
      expect(pool.holders.every((holder) => holder.partition === undefined && holder.expiresAt > Date.now())).toBe(true)
    } finally {
      release()
      await catalog.close()
      fs.rmSync(folder, { recursive: true, force: true })
    }
  })
})
