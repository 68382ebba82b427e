import { Asset, Check, Freshness, InMemoryIO, Instance, Output, Project } from "@strata/core"
import { CheckModels, Models } from "@strata/protocol"
import { Effect, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import { testUiDir } from "./paths.ts"
import { call, readEvents } from "./helpers.ts"

const decode = <S extends Schema.Top>(schema: S, value: unknown): S["Type"] =>
  Schema.decodeUnknownSync(schema as any)(value) as S["Type"]

/** users (duplicates while `state.duplicate`) -> report; a blocking unique check, a warn check, a freshness policy. */
const state = { duplicate: true }
const users = Asset.make("users", {}, () =>
  Effect.sync(() => {
    const rows = [{ email: "a@x.org" }, { email: state.duplicate ? "a@x.org" : "b@x.org" }]
    return Output.make(rows, { metadata: { row_count: rows.length } })
  }))
const report = Asset.make("report", { deps: { users } }, ({ users }) => Effect.succeed(users.length))
const project = Project.make({
  assets: [users, report],
  checks: [Check.unique(users, "email"), Check.rowCount(users, { min: 3 }, { severity: "warn" })],
  freshness: [Freshness.policy(users, { maxLag: "1 hour" })]
})

describe("GET /api/asset/checks", () => {
  let catalog: RunningCatalog
  beforeAll(async () => {
    catalog = await startCatalog({
      load: () => Promise.resolve({ project, layer: InMemoryIO.layer }),
      instance: Instance.layerMemory,
      uiDir: testUiDir,
      port: 0
    })
  })
  afterAll(() => catalog.close())

  const run = async () => {
    const launched = decode(Models.Launched, (await call(catalog.url, "/api/runs", { method: "POST", body: { selection: "*" } })).body)
    await readEvents(`${catalog.url}/api/runs/${launched.runId}/events`)
    return decode(Models.RunDetail, (await call(catalog.url, `/api/runs/${launched.runId}`)).body)
  }

  it("lists the checks (never run), then their latest results, history and the freshness", async () => {
    const before = decode(CheckModels.AssetChecks, (await call(catalog.url, "/api/asset/checks?key=users")).body)
    expect(before.checks.map((c) => [c.name, c.severity, c.blocking, c.latest.length])).toEqual([
      ["email_unique", "error", true, 0],
      ["row_count_in_range", "warn", false, 0]
    ])
    expect(before.freshness).toMatchObject({ status: "late", reason: "never updated", policy: "updated within 1h" })
    // the bulk summary (the catalog table's checks column, the graph's badges): only assets with checks
    const summary = async () => decode(CheckModels.CheckSummary, (await call(catalog.url, "/api/checks/summary")).body).assets
    expect(await summary()).toEqual([{ key: "users", checks: 2, passed: 0, failed: 0, warned: 0, pending: 2 }])

    const failed = await run()
    expect(await summary()).toMatchObject([{ key: "users", checks: 2, passed: 0, failed: 1, warned: 1, pending: 0 }])
    expect(failed.run.status).toBe("failed")
    const skipped = failed.events.find((e) => e.type === "step-skipped")
    expect(skipped).toMatchObject({ assetKey: "report", reason: "blocking check email_unique of users failed" })
    // the graph's status field: users holds data its blocking check rejected (the warn check's failure does not count)
    const nodes = decode(Models.AssetList, (await call(catalog.url, "/api/assets")).body).assets
    const node = nodes.find((n) => n.key === "users")!
    expect(node.status).toBe("check-failed")
    expect(node.failedChecks).toEqual([
      { check: "email_unique", message: "1 duplicate email value: \"a@x.org\"", runId: failed.run.runId, timestamp: expect.any(Number) }
    ])
    const statuses = decode(Models.StatusSnapshot, (await call(catalog.url, "/api/statuses")).body)
    expect(statuses.status[nodes.indexOf(node)]).toBe("check-failed")
    state.duplicate = false
    const fixed = await run()
    expect(fixed.run.status).toBe("succeeded")
    const [users] = await summary()
    expect(users).toMatchObject({ key: "users", checks: 2, passed: 1, failed: 0, warned: 1, pending: 0 })
    expect(users!.lastEvaluatedAt).toBeGreaterThan(Date.now() - 60_000)

    const after = decode(CheckModels.AssetChecks, (await call(catalog.url, "/api/asset/checks?key=users")).body)
    const unique = after.checks[0]!
    expect(unique.latest.map((r) => r.passed)).toEqual([true])
    expect(unique.history.map((r) => [r.runId, r.passed])).toEqual([[fixed.run.runId, true], [failed.run.runId, false]])
    expect(unique.history[1]!.message).toBe("1 duplicate email value: \"a@x.org\"")
    expect(after.checks[1]!.latest[0]).toMatchObject({ passed: false, severity: "warn", message: "2 rows, expected [3, inf]" })
    expect(after.freshness!.status).toBe("fresh")
    const cleared = decode(Models.AssetList, (await call(catalog.url, "/api/assets")).body).assets.find((n) => n.key === "users")!
    expect(cleared.status).toBe("fresh")
    expect(cleared.failedChecks).toBeUndefined()
    expect(after.freshness!.freshUntil).toBeGreaterThan(Date.now())

    const none = decode(CheckModels.AssetChecks, (await call(catalog.url, "/api/asset/checks?key=report")).body)
    expect(none).toEqual({ key: "report", checks: [] })
    expect((await call(catalog.url, "/api/asset/checks?key=nope")).status).toBe(404)
  })
})
