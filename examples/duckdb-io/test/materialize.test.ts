/**
 * The plugin in a project: assets that name no I/O manager are stored in
 * DuckDB, and a downstream asset loads its upstream from there.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Asset, Instance, Materialize, Project } from "@strata/core"
import { Effect, Layer } from "effect"
import { DuckDB, DuckDBIO } from "../src/index.ts"

describe("DuckDBIO in a project", () => {
  it.effect("materializes a two-asset graph into a DuckDB file and reads it back in a new layer", () =>
    Effect.gen(function*() {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "duckdb-io-")), "assets.duckdb")
      const users = Asset.make("users", {}, () => Effect.succeed([{ id: 1, name: "Ada" }, { id: 2, name: "Grace" }]))
      const count = Asset.make("user_count", { deps: { users } }, ({ users }) => Effect.succeed(users.length))
      const project = Project.make({ assets: [users, count] })
      const io = DuckDBIO.layer.pipe(Layer.provide(DuckDB.layer({ path: file })))
      const result = yield* Materialize.materialize(project).pipe(Effect.provide(Layer.mergeAll(io, Instance.layerMemory)))
      expect(result.status).toBe("succeeded")
      const stored = yield* Effect.scoped(Effect.gen(function*() {
        const database = yield* DuckDB
        return yield* DuckDBIO.make(database).load({ key: count.key, partition: undefined, downstream: undefined, definitionMetadata: {} })
      }).pipe(Effect.provide(DuckDB.layer({ path: file }))))
      expect(stored).toBe(2)
    }))
})
