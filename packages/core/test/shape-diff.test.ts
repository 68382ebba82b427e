import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Asset, Check, FileSystemIO, Instance, Materialize, Output, Project, ShapeDiff } from "../src/index.ts"

describe("the shape before a failure", () => {
  it("compare lists schema changes first, then the largest relative changes", () => {
    const before = {
      row_count: 1000,
      null_count: 10,
      columns: { email: { null_rate: 0.01 }, country: { null_rate: 0.04 } },
      schema: [{ name: "id", type: "Int32" }, { name: "email", type: "Utf8" }]
    }
    const after = {
      row_count: 400,
      null_count: 10,
      columns: { email: { null_rate: 0.2 }, country: { null_rate: 0.04 } },
      schema: [{ name: "id", type: "Utf8" }, { name: "email", type: "Utf8" }, { name: "extra", type: "Int8" }]
    }
    const changes = ShapeDiff.compare(before, after)
    expect(changes.map((c) => [c.path, c.kind])).toEqual([
      ["schema.id", "changed"],
      ["schema.extra", "added"],
      ["columns.email.null_rate", "changed"],
      ["row_count", "changed"]
    ])
    expect(changes[2]!.relative).toBeCloseTo(19)
    expect(changes[3]!.relative).toBeCloseTo(0.6)
  })

  it.effect("forRun: the materialization a blocking check rejected next to the last good one", () =>
    Effect.gen(function*() {
      const state = { rows: 100 }
      const users = Asset.make("users", {}, () =>
        Effect.sync(() => {
          const rows = Array.from({ length: state.rows }, (_, i) => ({ id: i }))
          return Output.make(rows, { metadata: { row_count: rows.length } })
        }))
      const report = Asset.make("report", { deps: { users } }, ({ users }) => Effect.succeed(users.length))
      const project = Project.make({ assets: [users, report], checks: [Check.rowCountNotDropping(users, { maxDropPercent: 50 })] })
      const good = yield* Materialize.materialize(project)
      expect(good.status).toBe("succeeded")
      state.rows = 30
      const bad = yield* Materialize.materialize(project)
      expect(bad.status).toBe("failed")
      const shapes = yield* ShapeDiff.forRun(bad.runId)
      expect(shapes.length).toBe(1)
      expect(shapes[0]!.checks).toEqual(["row_count_not_dropping"])
      expect(shapes[0]!.failed.runId).toBe(bad.runId)
      expect(shapes[0]!.lastGood!.runId).toBe(good.runId)
      // the asset's row_count and the file I/O manager's bytes both moved
      expect(shapes[0]!.changes).toContainEqual({ path: "row_count", kind: "changed", before: 100, after: 30, relative: 0.7 })
      expect(shapes[0]!.changes.map((c) => c.path).sort()).toEqual(["bytes", "row_count"])
      expect(yield* ShapeDiff.forRun(good.runId)).toEqual([])
    }).pipe(
      Effect.provide(Layer.mergeAll(Instance.layerMemory, FileSystemIO.layer({ base: fs.mkdtempSync(path.join(os.tmpdir(), "strata-shape-")) })))
    ))
})
