import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Asset, FileSystemIO, Instance, Materialize, Project } from "@strata/core"
import { Effect, Layer } from "effect"
import { SqliteInstance } from "../src/index.ts"

describe("materializing on SQLite", () => {
  it.live("runs, materializations with metadata and staleness survive closing and reopening the instance", () =>
    Effect.gen(function*() {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-sqlite-materialize-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(folder, { recursive: true, force: true })))
      const raw = Asset.make("bronze/raw", {}, () => Effect.succeed([3, 1, 2]))
      const sorted = Asset.make("silver/sorted", { deps: { raw } }, ({ raw }) => Effect.succeed([...raw].sort()))
      const project = Project.make({ assets: [raw, sorted] })
      const layers = Layer.mergeAll(
        FileSystemIO.layer({ base: path.join(folder, "storage") }),
        SqliteInstance.layer({ path: path.join(folder, ".strata", "instance.db") })
      )

      const first = yield* Materialize.materialize(project).pipe(Effect.provide(layers))
      expect(first.status).toBe("succeeded")

      // a new process, later: everything is still there, and nothing is stale
      const second = yield* Effect.gen(function*() {
        const instance = yield* Instance.Instance
        const runs = yield* instance.listRuns()
        expect(runs.map((run) => [run.runId, run.status])).toEqual([[first.runId, "succeeded"]])
        const index = yield* instance.assets()
        const latest = index.get("silver/sorted")!.materialization!
        expect(latest.runId).toBe(first.runId)
        expect(latest.metadata).toMatchObject({ format: "json" })
        expect(latest.inputVersions).toEqual({ "bronze/raw": index.get("bronze/raw")!.materialization!.dataVersion })
        return yield* Materialize.materialize(project, { staleOnly: true })
      }).pipe(Effect.provide(layers))
      expect(second.status).toBe("succeeded")
      expect(second.materialized).toEqual([])
      expect(second.skipped.map((skip) => [skip.key, skip.kind])).toEqual([
        ["bronze/raw", "not-stale"],
        ["silver/sorted", "not-stale"]
      ])

      const history = yield* Effect.gen(function*() {
        const instance = yield* Instance.Instance
        return {
          runs: (yield* instance.listRuns()).map((run) => run.runId),
          history: (yield* instance.history("silver/sorted")).map((record) => record.runId)
        }
      }).pipe(Effect.provide(layers))
      expect(history).toEqual({ runs: [second.runId, first.runId], history: [first.runId] })
    }))
})
