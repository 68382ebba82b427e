import { Schema } from "effect"
import { OpenApi } from "effect/http-api"
import { describe, expect, it } from "vitest"
import { CatalogApi, Errors, Models, paths } from "../src/index.ts"

describe("@strata/protocol", () => {
  it("decodes every event type and rejects an unknown one", () => {
    const decode = Schema.decodeUnknownSync(Models.Event)
    const base = { id: 1, runId: "r", timestamp: 1 }
    expect(decode({ ...base, type: "run-started" }).type).toBe("run-started")
    const failed = decode({
      ...base,
      type: "step-failed",
      assetKey: "a/b",
      attempt: 1,
      durationMs: 3,
      error: { tag: "Error", message: "boom", stack: "at x" },
      willRetry: false
    })
    expect(failed.type === "step-failed" && failed.error.message).toBe("boom")
    const materialized = decode({
      ...base,
      type: "asset-materialized",
      assetKey: "a",
      metadata: { row_count: 3, schema: [{ name: "id", type: "int" }], uri: null },
      dataVersion: "v1",
      codeVersion: "c1",
      inputVersions: {}
    })
    expect(materialized.type === "asset-materialized" && materialized.metadata.row_count).toBe(3)
    expect(() => decode({ ...base, type: "run-exploded" })).toThrow()
    expect(() => decode({ ...base, type: "log", level: "loud", message: "x" })).toThrow(/level/)
  })

  it("keeps asset statuses and run statuses closed", () => {
    expect(Models.AssetStatus.literals).toEqual(["fresh", "stale", "missing", "failed", "check-failed", "running"])
    expect(Schema.is(Models.RunStatus)("started")).toBe(true)
    expect(Schema.is(Models.RunStatus)("running")).toBe(false)
    expect(Models.isTerminal("canceled")).toBe(true)
    expect(Models.isTerminal("started")).toBe(false)
  })

  it("decodes error bodies by their tag", () => {
    const decode = Schema.decodeUnknownSync(Errors.ApiError)
    const error = decode({
      _tag: "@strata/protocol/BadSelection",
      selection: "a(",
      position: 1,
      problem: "unexpected '('",
      suggestions: [],
      message: "cannot parse selection at column 2"
    })
    expect(error).toBeInstanceOf(Errors.BadSelection)
    expect(error._tag === "@strata/protocol/BadSelection" && error.position).toBe(1)
    expect(() => decode({ _tag: "@strata/protocol/Nope", message: "x" })).toThrow()
  })

  it("defines every endpoint with its method, path and error statuses", () => {
    const spec = OpenApi.fromApi(CatalogApi)
    const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
      Object.keys(item as object).filter((method) => method !== "parameters").map((method) => `${method.toUpperCase()} ${path}`)
    ).sort()
    expect(operations).toEqual([
      "GET /api/asset",
      "GET /api/asset/checks",
      "GET /api/asset/history",
      "GET /api/asset/partitions",
      "GET /api/asset/partitions/ranges",
      "GET /api/assets",
      "GET /api/assets/page",
      "GET /api/automation",
      "GET /api/automation/asset",
      "GET /api/automation/ticks",
      "GET /api/backfills",
      "GET /api/backfills/{backfillId}",
      "GET /api/checks/summary",
      "GET /api/graph/overview",
      "GET /api/project",
      "GET /api/runs",
      "GET /api/runs/{runId}",
      "GET /api/runs/{runId}/events",
      "GET /api/selection",
      "GET /api/statuses",
      "GET /api/statuses/stream",
      "POST /api/automation/toggle",
      "POST /api/backfills",
      "POST /api/backfills/{backfillId}/cancel",
      "POST /api/backfills/{backfillId}/resume",
      "POST /api/project/reload",
      "POST /api/runs",
      "POST /api/runs/{runId}/cancel",
      "POST /api/runs/{runId}/reexecute"
    ])
    const launch = (spec.paths["/api/runs"] as any).post
    expect(Object.keys(launch.responses).sort()).toEqual(["200", "400", "409", "503"])
    const asset = (spec.paths["/api/asset"] as any).get
    expect(Object.keys(asset.responses)).toContain("404")
    const resume = (spec.paths["/api/backfills/{backfillId}/resume"] as any).post
    expect(Object.keys(resume.responses).sort()).toEqual(["200", "400", "404", "409", "503"])
  })

  it("builds URLs with keys and selections escaped", () => {
    expect(paths.asset("silver/users")).toBe("/api/asset?key=silver%2Fusers")
    expect(paths.asset("silver/users", 5962)).toBe("/api/asset?key=silver%2Fusers&refs=5962")
    expect(paths.assets("+gold, tag:tier=gold")).toBe("/api/assets?selection=%2Bgold%2C%20tag%3Atier%3Dgold")
    expect(paths.runs({ status: "queued,started", limit: 5 })).toBe("/api/runs?status=queued%2Cstarted&limit=5")
    expect(paths.runs()).toBe("/api/runs")
    expect(paths.runs({ asset: "a/b", tag: "team=data", from: 1, to: 2 })).toBe("/api/runs?asset=a%2Fb&tag=team%3Ddata&from=1&to=2")
    expect(paths.runEvents("abc", 7)).toBe("/api/runs/abc/events?after=7")
    expect(paths.assetPage({ q: "silver users", status: "stale,missing", sort: "key", offset: 0, group: undefined }))
      .toBe("/api/assets/page?q=silver+users&status=stale%2Cmissing&sort=key&offset=0")
    expect(paths.assetPage({})).toBe("/api/assets/page")
  })
})
