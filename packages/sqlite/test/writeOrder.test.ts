import { spawn } from "node:child_process"
import { once } from "node:events"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { SqliteInstance } from "../src/index.ts"

const here = path.dirname(fileURLToPath(import.meta.url))

// Runs that materialize the same assets at the same time (several `strata materialize` processes on one
// project): for every asset, the file on disk and the latest materialization the index records must come from
// the same run. Before runs took turns per asset, the file was renamed into place when a step stored and its
// event was written later in a batch, so another run's rename could land between them: 24 of 200 assets
// disagreed in the probe that found it.
describe("several runs materializing the same assets", () => {
  it.live("leave each asset's file and its recorded latest materialization from the same run", () =>
    Effect.gen(function*() {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-sqlite-write-order-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(folder, { recursive: true, force: true })))
      const db = path.join(folder, "instance.db")
      const storage = path.join(folder, "storage")
      yield* Effect.scoped(SqliteInstance.make({ path: db }))
      const runs = Array.from({ length: 8 }, (_, i) => `run-${i}`)
      const assets = 200
      const exits = yield* Effect.promise(() =>
        Promise.all(runs.map(async (runId) => {
          const child = spawn(
            process.execPath,
            ["--conditions=@strata/source", path.join(here, "fixtures", "sameAssets.ts"), db, storage, runId, String(assets)],
            { stdio: ["ignore", "ignore", "pipe"] }
          )
          let stderr = ""
          child.stderr.on("data", (chunk) => stderr += String(chunk))
          const [code] = await once(child, "exit")
          return { code, stderr }
        }))
      )
      expect(exits).toEqual(runs.map(() => ({ code: 0, stderr: "" })))

      yield* Effect.scoped(Effect.gen(function*() {
        const instance = yield* SqliteInstance.make({ path: db })
        const records = yield* instance.assets()
        const disagreements: Array<string> = []
        for (let i = 0; i < assets; i++) {
          const key = `shared_${i}`
          const onDisk = (JSON.parse(fs.readFileSync(path.join(storage, `${key}.json`), "utf8")) as { writtenBy: string }).writtenBy
          const recorded = records.get(key)?.materialization?.runId
          if (onDisk !== recorded) disagreements.push(`${key}: file from ${onDisk}, index says ${recorded}`)
        }
        expect(disagreements).toEqual([])
        // every run materialized every asset (each history holds 8 materializations)
        expect((yield* instance.history("shared_0")).map((record) => record.runId).sort()).toEqual(runs)
      }))
    }), 120_000)
})
