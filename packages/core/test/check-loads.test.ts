import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Asset, Check, FileSystemIO, Instance, IOManager, Materialize, Project } from "../src/index.ts"

/**
 * The real file I/O manager (values written to and read back from JSON files in a fresh folder), with its loads
 * of each asset counted.
 */
const countingFiles = () => {
  const loads = new Map<string, number>()
  const files = FileSystemIO.make({ base: fs.mkdtempSync(path.join(os.tmpdir(), "strata-check-loads-")) })
  const counted: IOManager.IOManager<unknown> = {
    name: files.name,
    store: (context, value) => files.store(context, value),
    load: (context) =>
      Effect.suspend(() => {
        loads.set(context.key, (loads.get(context.key) ?? 0) + 1)
        return files.load(context)
      })
  }
  return { loads, layer: Layer.mergeAll(Instance.layerMemory, Layer.succeed(IOManager.DefaultIO, counted)) }
}

const rows = [{ id: 1, email: "a@x.org", status: "active" }, { id: 2, email: "a@x.org", status: "gone" }]
const users = Asset.make("users", {}, () => Effect.succeed(rows))
const report = Asset.make("report", { deps: { users } }, ({ users }) => Effect.succeed(users.length))
const project = Project.make({
  assets: [users, report],
  checks: [
    Check.unique(users, "email", { severity: "warn" }),
    Check.notNull(users, "email"),
    Check.acceptedValues(users, "status", ["active", "churned"], { severity: "warn" }),
    Check.make(users, "has_two_rows", {}, (value) => Effect.succeed((value as ReadonlyArray<unknown>).length === 2)),
    // reads the context only: never loads
    Check.make(users, "recorded", { load: false }, (value, context) => Effect.succeed(value === undefined && context.materialization !== undefined))
  ]
})

describe("the checks of an asset share one load", () => {
  it.effect("four loading checks of users in one run read its file once; report's own input is its one other load", () => {
    const { layer, loads } = countingFiles()
    return Effect.gen(function*() {
      const result = yield* Materialize.materialize(project)
      expect(result.checks.map((c) => `${c.check}:${c.passed}`).sort()).toEqual([
        "email_not_null:true",
        "email_unique:false",
        "has_two_rows:true",
        "recorded:true",
        "status_accepted_values:false"
      ])
      expect(result.checks.find((c) => c.check === "email_unique")!.message).toBe("1 duplicate email value: \"a@x.org\"")
      expect(result.checks.find((c) => c.check === "status_accepted_values")!.message).toBe(
        "1 status value outside [\"active\",\"churned\"]: \"gone\""
      )
      // one load for the four checks, one for report's input
      expect(loads.get("users")).toBe(2)

      loads.clear()
      const alone = yield* Materialize.materialize(project, { selection: "users", checks: "only" })
      expect(alone.checks).toHaveLength(5)
      expect(loads.get("users")).toBe(1)
    }).pipe(Effect.provide(layer))
  })
})
