import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Asset, AssetState, Check, FileSystemIO, Instance, Materialize, Project } from "../src/index.ts"

/** A memory instance and the file I/O manager over a fresh folder (values written and read back for the checks). */
const env = () =>
  Layer.mergeAll(Instance.layerMemory, FileSystemIO.layer({ base: fs.mkdtempSync(path.join(os.tmpdir(), "strata-check-state-")) }))

/** users -> report; `rows` decides what users holds; a blocking unique check and a warn not-null check on users. */
const pipeline = (state: { rows: ReadonlyArray<{ email: string | null }> }) => {
  const users = Asset.make("users", { codeVersion: "1" }, () => Effect.sync(() => [...state.rows]))
  const report = Asset.make("report", { deps: { users }, codeVersion: "1" }, ({ users }) => Effect.succeed(users.length))
  const unique = Check.unique(users, "email")
  const notNull = Check.notNull(users, "email", { severity: "warn" })
  return Project.make({ assets: [users, report], checks: [unique, notNull] })
}

describe("check status in asset states", () => {
  it.effect("an asset whose latest blocking check failed is check-failed, naming the check; a warn check changes nothing", () =>
    Effect.gen(function*() {
      const state = { rows: [{ email: "a@x.org" }, { email: null }] as ReadonlyArray<{ email: string | null }> }
      const project = pipeline(state)
      yield* Materialize.materialize(project)
      // the warn check failed (a null email): still fresh
      let states = yield* AssetState.read(project)
      expect(states.map((s) => [s.key, s.status])).toEqual([["users", "fresh"], ["report", "fresh"]])
      expect(states[0]!.failedChecks).toBeUndefined()

      state.rows = [{ email: "a@x.org" }, { email: "a@x.org" }]
      const failed = yield* Materialize.materialize(project)
      states = yield* AssetState.read(project)
      const users = states[0]!
      expect(users.status).toBe("check-failed")
      // staleness alone would call it fresh: it holds its latest code's data
      expect(users.staleness).toBe("fresh")
      expect(users.failedChecks).toEqual([
        { check: "email_unique", message: "1 duplicate email value: \"a@x.org\"", runId: failed.runId, timestamp: expect.any(Number) }
      ])
      expect(AssetState.describe(users)).toBe(`check email_unique failed: 1 duplicate email value: "a@x.org" (run ${failed.runId})`)
      // report was skipped: it read the data before, so it is stale, not check-failed
      expect(states[1]!.status).toBe("stale")

      // materialized again without its checks, on different data: the old failure says nothing about it
      state.rows = [{ email: "b@x.org" }, { email: "c@x.org" }]
      yield* Materialize.materialize(project, { selection: "users", checks: "none" })
      expect((yield* AssetState.read(project, { selection: "users" }))[0]!.status).toBe("fresh")

      // a passing run clears it
      state.rows = [{ email: "a@x.org" }, { email: "a@x.org" }]
      yield* Materialize.materialize(project, { selection: "users" })
      expect((yield* AssetState.read(project, { selection: "users" }))[0]!.status).toBe("check-failed")
      state.rows = [{ email: "d@x.org" }]
      yield* Materialize.materialize(project)
      states = yield* AssetState.read(project)
      expect(states.map((s) => s.status)).toEqual(["fresh", "fresh"])
    }).pipe(Effect.provide(env())))

  it("a check the project no longer defines as blocking does not count", () => {
    const project = pipeline({ rows: [] })
    const records = new Map([["users", { assetKey: "users", materialization: { dataVersion: "v1" } } as unknown as Instance.AssetRecord]])
    const result = (check: string, passed: boolean, dataVersion: string) =>
      ({ eventId: 1, runId: "r1", assetKey: "users", check, timestamp: 1, passed, severity: "error", metadata: {}, dataVersion, message: "bad\nmore" }) as const
    const failing = AssetState.failedBlockingChecks(project, records, new Map([["users", [
      result("email_unique", false, "v1"),
      result("email_not_null", false, "v1"), // defined as warn now
      result("gone", false, "v1") // no longer defined
    ]]]))
    expect([...failing]).toEqual([["users", [{ check: "email_unique", message: "bad", runId: "r1", timestamp: 1 }]]])
    const older = AssetState.failedBlockingChecks(project, records, new Map([["users", [result("email_unique", false, "v0")]]]))
    expect(older.size).toBe(0)
  })
})
