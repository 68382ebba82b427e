import { Errors, Models } from "@strata/protocol"
import { Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import type { Control } from "./fixture.ts"
import { fixtureOptions, makeFixture } from "./fixture.ts"
import { call, readEvents, until } from "./helpers.ts"

const decode = <S extends Schema.Top>(schema: S, value: unknown): S["Type"] =>
  Schema.decodeUnknownSync(schema as any)(value) as S["Type"]

describe("catalog HTTP API (real server on a random port, in-memory instance)", () => {
  const control: Control = { failing: true, slowMs: 0, users: 0 }
  let catalog: RunningCatalog
  let loadFails = false
  const base = () => catalog.url

  const runToEnd = async (selection: string): Promise<Models.RunDetail> => {
    const launched = await call(base(), "/api/runs", { method: "POST", body: { selection } })
    expect(launched.status).toBe(200)
    const { runId } = decode(Models.Launched, launched.body)
    await readEvents(`${base()}/api/runs/${runId}/events`)
    return decode(Models.RunDetail, (await call(base(), `/api/runs/${runId}`)).body)
  }

  beforeAll(async () => {
    const options = fixtureOptions(control)
    catalog = await startCatalog({
      ...options,
      load: () => loadFails ? Promise.reject(new Error("strata.config.ts: Unexpected token")) : options.load()
    })
  })
  afterAll(() => catalog.close())

  it("lists the graph with statuses, in topological order", async () => {
    const { status, body } = await call(base(), "/api/assets")
    expect(status).toBe(200)
    const list = decode(Models.AssetList, body)
    expect(list.project.assetCount).toBe(8)
    const keys = list.assets.map((asset) => asset.key)
    expect(keys.indexOf("raw_users")).toBeLessThan(keys.indexOf("silver/users"))
    expect(keys.indexOf("silver/users")).toBeLessThan(keys.indexOf("gold_user_metrics"))
    const gold = list.assets.find((asset) => asset.key === "gold_user_metrics")!
    expect(gold.status).toBe("missing")
    expect(gold.upstream).toEqual(["silver/users", "silver/orders"])
    expect(gold.kinds).toEqual(["postgres"])
    expect(list.assets.find((asset) => asset.key === "dashboards/growth")!.kind).toBe("external")
  })

  it("filters the graph by a selection and rejects a bad one with its position", async () => {
    const filtered = decode(Models.AssetList, (await call(base(), "/api/assets?selection=group:silver")).body)
    expect(filtered.assets.map((asset) => asset.key)).toEqual(["silver/users", "silver/orders"])
    const bad = await call(base(), `/api/selection?selection=${encodeURIComponent("+gold_user_metrics,(")}`)
    expect(bad.status).toBe(400)
    const error = decode(Errors.BadSelection, bad.body)
    expect(error.position).toBe(20)
    expect(error.problem).toBe("the selection ends too early")
    expect(error.message).toContain("column 21")
    const unknown = await call(base(), `/api/selection?selection=gold_user_metrix`)
    expect(unknown.status).toBe(400)
    expect(unknown.body.suggestions).toEqual(["gold_user_metrics"])
    const resolved = decode(Models.SelectionResult, (await call(base(), "/api/selection?selection=%2Bgold_user_metrics")).body)
    expect(resolved.keys).toEqual(["silver/users", "silver/orders", "gold_user_metrics"])
    // lineage both ways: the sibling flaky_scores reads silver/users but is not in gold's lineage
    const lineage = decode(Models.SelectionResult, (await call(base(), "/api/selection?selection=*gold_user_metrics*")).body)
    expect([...lineage.keys].sort()).toEqual(
      ["dashboards/growth", "gold_user_metrics", "raw_orders", "raw_users", "silver/orders", "silver/users", "slow_export"]
    )
  })

  it("answers 4xx with a JSON error naming the problem", async () => {
    const missing = await call(base(), "/api/asset?key=gold_user_metrix")
    expect(missing.status).toBe(404)
    expect(decode(Errors.AssetNotFound, missing.body).suggestions).toEqual(["gold_user_metrics"])
    const noRun = await call(base(), "/api/runs/nope")
    expect(noRun.status).toBe(404)
    expect(noRun.body._tag).toBe("@strata/protocol/RunNotFound")
    const badBody = await call(base(), "/api/runs", { method: "POST", body: { selectio: "*" } })
    expect(badBody.status).toBe(400)
    expect(badBody.body._tag).toBe("@strata/protocol/InvalidRequest")
    expect(badBody.body.message).toContain("selection")
    const badQuery = await call(base(), "/api/runs?limit=lots")
    expect(badQuery.status).toBe(400)
    expect(badQuery.body.message).toContain("limit")
    const badStatus = await call(base(), "/api/runs?status=done")
    expect(badStatus.status).toBe(400)
    expect(badStatus.body.message).toContain("unknown run status \"done\"")
    const badLaunch = await call(base(), "/api/runs", { method: "POST", body: { selection: "group:platinum" } })
    expect(badLaunch.status).toBe(400)
    expect(badLaunch.body.message).toContain("no asset matches group:platinum")
  })

  it("refuses a launch with an invalid partition key before recording a run (400 naming the key and the asset)", async () => {
    const before = decode(Models.RunList, (await call(base(), "/api/runs?limit=500")).body).runs.length
    for (const partition of ["..", ".", "", "a\u0000b", "x".repeat(129)]) {
      const refused = await call(base(), "/api/runs", { method: "POST", body: { selection: "raw_orders", partition } })
      expect(refused.status).toBe(400)
      expect(refused.body._tag).toBe("@strata/protocol/InvalidRequest")
      expect(refused.body.message).toContain("invalid partition key")
      expect(refused.body.message).toContain("of asset raw_orders")
      expect(refused.body.message).toContain("1 to 128 characters")
    }
    expect(decode(Models.RunList, (await call(base(), "/api/runs?limit=500")).body).runs.length).toBe(before)
  })

  it("launches a run, streams its events live, and records failures and metadata", async () => {
    const launched = await call(base(), "/api/runs", { method: "POST", body: { selection: "*" } })
    expect(launched.status).toBe(200)
    const { runId, assetKeys } = decode(Models.Launched, launched.body)
    expect(assetKeys).not.toContain("dashboards/growth")
    const events = await readEvents(`${base()}/api/runs/${runId}/events`)
    const types = events.map((event) => event.type)
    expect(types[0]).toBe("run-started")
    expect(types.at(-1)).toBe("run-failed")
    expect(events.filter((event) => event.type === "asset-materialized").map((event) => event.assetKey)).toContain(
      "gold_user_metrics"
    )
    expect(events.some((event) => event.type === "log" && event.message === "cleaning 25 users")).toBe(true)
    const ids = events.map((event) => event.id)
    expect([...ids].sort((a, b) => a - b)).toEqual(ids)

    const assets = decode(Models.AssetList, (await call(base(), "/api/assets")).body).assets
    const byKey = new Map(assets.map((asset) => [asset.key, asset]))
    expect(byKey.get("flaky_scores")!.status).toBe("failed")
    expect(byKey.get("gold_user_metrics")!.status).toBe("fresh")
    expect(byKey.get("gold_user_metrics")!.lastRunId).toBe(runId)

    const detail = decode(Models.AssetDetail, (await call(base(), "/api/asset?key=flaky_scores")).body)
    expect(detail.failure!.error.message).toContain("scoring service unavailable for 22 users")
    expect(detail.failure!.runId).toBe(runId)
  })

  it("shows an asset's code, latest materialization, neighbours and what breaks downstream", async () => {
    const { status, body } = await call(base(), `/api/asset?key=${encodeURIComponent("silver/users")}`)
    expect(status).toBe(200)
    const detail = decode(Models.AssetDetail, body)
    expect(detail.location!.file).toMatch(/test\/fixture\.ts$/)
    expect(detail.source!.text).toContain(`Asset.make("silver/users"`)
    expect(detail.source!.text).toContain("Deduplicated users")
    expect(detail.source!.text.trimEnd().endsWith("}))")).toBe(true)
    expect(detail.source!.startLine).toBeLessThanOrEqual(detail.location!.line)
    expect(detail.latest!.metadata.row_count).toBe(22)
    // the key the asset names, and the implementation the project's layer provides for it
    expect(detail.io).toBe("@strata/core/DefaultIO")
    expect(detail.ioName).toBe("memory")
    expect(detail.upstream.map((ref) => ref.key)).toEqual(["raw_users"])
    expect(detail.downstream.map((ref) => ref.key).sort()).toEqual(["flaky_scores", "gold_user_metrics"])
    expect(detail.affected.map((ref) => ref.key).sort()).toEqual(
      ["dashboards/growth", "flaky_scores", "gold_user_metrics", "slow_export"]
    )
    expect(detail.affected.find((ref) => ref.key === "dashboards/growth")!.kind).toBe("external")
    expect([detail.upstreamCount, detail.downstreamCount, detail.affectedCount]).toEqual([1, 2, 4])

    // `refs` bounds each list (an early asset of a big graph affects thousands); the counts stay whole
    const bounded = await call(base(), `/api/asset?key=${encodeURIComponent("silver/users")}&refs=1`)
    const first = decode(Models.AssetDetail, bounded.body)
    expect([first.upstream.length, first.downstream.length, first.affected.length]).toEqual([1, 1, 1])
    expect([first.downstreamCount, first.affectedCount]).toEqual([2, 4])
    expect(detail.affected.map((ref) => ref.key)).toContain(first.affected[0]!.key)
    for (const refs of ["0", "-1", "1.5", "many"]) {
      expect((await call(base(), `/api/asset?key=silver%2Fusers&refs=${refs}`)).status).toBe(400)
    }
  })

  it("keeps the history of metadata and reports staleness with reasons", async () => {
    const run = await runToEnd("raw_users")
    expect(run.run.status).toBe("succeeded")
    const history = decode(Models.AssetHistory, (await call(base(), "/api/asset/history?key=raw_users")).body)
    expect(history.materializations.map((m) => m.metadata.row_count)).toEqual([50, 25])
    const assets = decode(Models.AssetList, (await call(base(), "/api/assets")).body).assets
    const silver = assets.find((asset) => asset.key === "silver/users")!
    expect(silver.status).toBe("stale")
    expect(silver.reasons[0]!.type).toBe("upstream-updated")
    expect(silver.reasons[0]!.text).toContain("upstream raw_users has new data")
    const gold = assets.find((asset) => asset.key === "gold_user_metrics")!
    expect(gold.reasons.map((r) => r.text)).toEqual(["upstream silver/users is stale"])
  })

  it("lists an asset's materialized partitions", async () => {
    for (const partition of ["2026-11-01", "2026-11-02"]) {
      const launched = await call(base(), "/api/runs", { method: "POST", body: { selection: "raw_orders", partition } })
      await readEvents(`${base()}/api/runs/${launched.body.runId}/events`)
    }
    const detail = decode(Models.AssetDetail, (await call(base(), "/api/asset?key=raw_orders")).body)
    expect(detail.partitions!.count).toBe(2)
    expect(detail.partitions!.latest.map((p) => p.partition)).toEqual(["2026-11-02", "2026-11-01"])
    const plain = decode(Models.AssetDetail, (await call(base(), "/api/asset?key=raw_users")).body)
    expect(plain.partitions).toBeUndefined()
  })

  it("re-executes a failed run from its failure", async () => {
    const failed = await runToEnd("flaky_scores")
    expect(failed.run.status).toBe("failed")
    control.failing = false
    const again = await call(base(), `/api/runs/${failed.run.runId}/reexecute`, { method: "POST", body: {} })
    expect(again.status).toBe(200)
    const { runId } = decode(Models.Launched, again.body)
    await readEvents(`${base()}/api/runs/${runId}/events`)
    const child = decode(Models.RunDetail, (await call(base(), `/api/runs/${runId}`)).body)
    expect(child.run.status).toBe("succeeded")
    expect(child.run.parentRunId).toBe(failed.run.runId)
    const conflict = await call(base(), `/api/runs/${runId}/cancel`, { method: "POST" })
    expect(conflict.status).toBe(409)
    expect(conflict.body.message).toContain("already succeeded")
  })

  it("cancels a running run by interrupting its fiber", async () => {
    control.slowMs = 60_000
    const launched = decode(
      Models.Launched,
      (await call(base(), "/api/runs", { method: "POST", body: { selection: "slow_export" } })).body
    )
    const runId = launched.runId
    await until(async () => {
      const detail = decode(Models.RunDetail, (await call(base(), `/api/runs/${runId}`)).body)
      return detail.events.some((event) => event.type === "step-started" && event.assetKey === "slow_export") || undefined
    }, "slow_export to start")
    const running = decode(Models.AssetList, (await call(base(), "/api/assets")).body).assets
    expect(running.find((asset) => asset.key === "slow_export")!.status).toBe("running")
    const listed = decode(Models.RunList, (await call(base(), "/api/runs?status=started")).body)
    expect(listed.runs.map((run) => [run.runId, run.cancelable])).toEqual([[runId, true]])
    const reexecuteRunning = await call(base(), `/api/runs/${runId}/reexecute`, { method: "POST", body: {} })
    expect(reexecuteRunning.status).toBe(409)

    const started = Date.now()
    const canceled = await call(base(), `/api/runs/${runId}/cancel`, { method: "POST" })
    expect(canceled.status).toBe(200)
    expect(decode(Models.Canceled, canceled.body).status).toBe("canceled")
    expect(Date.now() - started).toBeLessThan(5_000)
    const detail = decode(Models.RunDetail, (await call(base(), `/api/runs/${runId}`)).body)
    expect(detail.run.status).toBe("canceled")
    // the run's reason says who canceled it, as for a run another process executes
    expect(detail.run.reason).toMatch(new RegExp(`^canceled from the catalog \\(pid ${process.pid} on `))
    expect(detail.events.some((event) => event.type === "step-failed" && event.error.tag === "Interrupted")).toBe(true)
    control.slowMs = 0
  })

  it("paginates runs newest first", async () => {
    const first = decode(Models.RunList, (await call(base(), "/api/runs?limit=2")).body)
    expect(first.runs).toHaveLength(2)
    expect(first.next).toBe(first.runs[1]!.runId)
    const second = decode(Models.RunList, (await call(base(), `/api/runs?limit=2&before=${first.next}`)).body)
    expect(second.runs[0]!.createdAt).toBeLessThanOrEqual(first.runs[1]!.createdAt)
    expect(second.runs.map((run) => run.runId)).not.toContain(first.runs[0]!.runId)
    const all = decode(Models.RunList, (await call(base(), "/api/runs?limit=100")).body)
    expect(all.next).toBeUndefined()
    expect(all.runs.length).toBe(7)
  })

  it("reloads the project, and keeps serving the previous one when a reload fails", async () => {
    const before = decode(Models.ProjectInfo, (await call(base(), "/api/project")).body)
    const reloaded = await call(base(), "/api/project/reload", { method: "POST" })
    expect(reloaded.status).toBe(200)
    expect(decode(Models.ProjectInfo, reloaded.body).generation).toBe(before.generation + 1)
    // the in-memory instance was given as `instance`, so history survives the reload
    const history = decode(Models.AssetHistory, (await call(base(), "/api/asset/history?key=raw_users")).body)
    expect(history.materializations.length).toBeGreaterThanOrEqual(2)

    loadFails = true
    const failed = await call(base(), "/api/project/reload", { method: "POST" })
    expect(failed.status).toBe(422)
    expect(failed.body.message).toContain("Unexpected token")
    const info = decode(Models.ProjectInfo, (await call(base(), "/api/project")).body)
    expect(info.generation).toBe(before.generation + 1)
    expect(info.loadError).toContain("Unexpected token")
    expect((await call(base(), "/api/assets")).status).toBe(200)
    loadFails = false
    expect((await call(base(), "/api/project/reload", { method: "POST" })).status).toBe(200)
  })

  it("serves its OpenAPI document", async () => {
    const { status, body } = await call(base(), "/api/openapi.json")
    expect(status).toBe(200)
    expect(body.info.title).toBe("Strata catalog API")
    expect(Object.keys(body.paths)).toContain("/api/runs/{runId}/reexecute")
  })

  it("rejects a project whose layer provides no instance", async () => {
    await expect(startCatalog({
      load: () => Promise.resolve({ project: makeFixture({ failing: false, slowMs: 0, users: 0 }) }),
      port: 0
    })).rejects.toThrow(/no instance/)
  })
})
