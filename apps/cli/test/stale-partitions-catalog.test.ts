/**
 * Per-partition staleness seen two ways on one project and one instance
 * file: `strata status --json` and the catalog that `strata dev` serves
 * (real processes, real HTTP). A daily chain gets a rewritten upstream day,
 * a code version change and a failed rebuild; both must count the same
 * partitions stale, failed and missing, with the same ranges and reasons.
 * Then the catalog's "backfill stale" rebuilds exactly the stale days.
 */
import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { projectsOfThisFile, startDev, strata, succeeds, until } from "./helpers.ts"

const project = projectsOfThisFile()

// events' counts come from raw/<day>; daily_users' code version from the file `code-version`;
// daily_users fails on the days listed in `fail`; every day it builds is logged to built.log
const config = `import * as fs from "node:fs"
import { Asset, FileSystemIO, Partitions, Project, StrataConfig } from "@strata/core"
import { Effect } from "effect"

const days = Partitions.daily({ start: "2024-01-01", end: "2024-01-11" })
const read = (file: string, otherwise: string) => fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : otherwise
const perKey = (keys: ReadonlyArray<string>, f: (key: string) => unknown) =>
  keys.length === 1 ? f(keys[0]!) : Object.fromEntries(keys.map((key) => [key, f(key)]))
const events = Asset.make("events", { partitions: days }, (_, context) =>
  Effect.succeed(perKey(context.partitions.keys, (day) => [{ day, users: Number(read("raw/" + day, "1")) }]) as Array<{ day: string; users: number }>))
const dailyUsers = Asset.make("daily_users", { deps: { events }, partitions: days, codeVersion: read("code-version", "v1") }, ({ events }, context) => {
  const bad = context.partitions.keys.find((day) => read("fail", "").split(",").includes(day))
  if (bad !== undefined) return Effect.fail(new Error("no users for " + bad))
  fs.appendFileSync("built.log", context.partitions.keys.join(",") + "\\n")
  return Effect.succeed(perKey(context.partitions.keys, (day) => events.filter((row) => row.day === day).map((row) => row.users)) as Array<number>)
})
const summary = Asset.make("summary", { deps: { dailyUsers }, partitions: days }, (_, context) =>
  Effect.succeed(perKey(context.partitions.keys, () => 1) as number))

export default StrataConfig.define({
  project: Project.make({ assets: [events, dailyUsers, summary] }),
  environments: { local: () => FileSystemIO.layer() }
})
`

interface CliPartitions {
  readonly key: string
  readonly total: number
  readonly materialized: number
  readonly stale: number
  readonly failed: number
  readonly inProgress: number
  readonly missing: number
  readonly staleRanges: ReadonlyArray<readonly [number, number]>
  readonly staleReasons: ReadonlyArray<{ readonly description: string; readonly count: number; readonly partitions: string }>
}

interface CatalogPartitions {
  readonly counts: { total: number; materialized: number; stale: number; failed: number; inProgress: number; missing: number }
  readonly staleReasons: ReadonlyArray<{ readonly description: string; readonly count: number; readonly partitions: string }>
}

const children: Array<ChildProcess> = []
afterAll(() => children.forEach((child) => child.exitCode === null && child.kill("SIGKILL")))

const cliStatus = async (dir: string): Promise<Map<string, CliPartitions>> => {
  const result = await succeeds(dir, ["status", "--json"])
  return new Map((JSON.parse(result.stdout).partitions as Array<CliPartitions>).map((p) => [p.key, p]))
}

const get = async <A>(url: string): Promise<A> => {
  const response = await fetch(url)
  expect(response.status, url).toBe(200)
  return await response.json() as A
}

/** The catalog's view of one asset: counts, reasons, and its stale ranges (every page). */
const catalogView = async (url: string, key: string) => {
  const asset = await get<CatalogPartitions>(`${url}/api/asset/partitions?key=${key}`)
  const ranges = await get<{ total: number; ranges: Array<{ start: number; end: number; reasons: Array<string> }> }>(
    `${url}/api/asset/partitions/ranges?key=${key}&state=stale&limit=1000`
  )
  expect(ranges.total).toBe(ranges.ranges.length)
  return { ...asset, staleRanges: ranges.ranges.map((r) => [r.start, r.end] as const), rangeReasons: ranges.ranges.map((r) => r.reasons) }
}

/** The catalog's counts and ranges equal `strata status`'s per-partition figures. */
const expectAgreement = (cli: CliPartitions, catalog: Awaited<ReturnType<typeof catalogView>>) => {
  expect(catalog.counts).toEqual({
    total: cli.total,
    // the CLI's materialized counts fresh and stale ones; the catalog's only the fresh
    materialized: cli.materialized - cli.stale,
    stale: cli.stale,
    failed: cli.failed,
    inProgress: cli.inProgress,
    missing: cli.missing
  })
  expect(catalog.staleRanges).toEqual(cli.staleRanges)
  expect(catalog.staleReasons.map((r) => [r.description, r.count, r.partitions])).toEqual(
    cli.staleReasons.map((r) => [r.description, r.count, r.partitions])
  )
}

describe("per-partition staleness: strata status and the catalog agree", () => {
  it("counts, stale ranges and reasons match after an upstream rewrite, a code change and a failed rebuild; backfill stale rebuilds exactly them", async () => {
    const dir = project({ "strata.config.ts": config, "raw/.keep": "" })
    await succeeds(dir, ["materialize", "--select", "*", "--partitions", "2024-01-01...2024-01-08"])
    // events' 3rd gets new data; daily_users' code changes and only its 5th and 6th are rebuilt; its 7th fails a rebuild
    fs.writeFileSync(path.join(dir, "raw", "2024-01-03"), "7")
    await succeeds(dir, ["materialize", "--select", "events", "--partition", "2024-01-03"])
    fs.writeFileSync(path.join(dir, "code-version"), "v2")
    await succeeds(dir, ["materialize", "--select", "daily_users", "--partitions", "2024-01-05...2024-01-06"])
    fs.writeFileSync(path.join(dir, "fail"), "2024-01-07")
    const failed = await strata(["materialize", "--select", "daily_users", "--partition", "2024-01-07"], { cwd: dir })
    expect(failed.code).not.toBe(0)

    const before = await cliStatus(dir)
    const users = before.get("daily_users")!
    // 1st–4th and 8th: code changed (the 3rd also read new data); the 7th failed, so it is failed, not stale
    expect(users).toMatchObject({ total: 10, materialized: 7, stale: 5, failed: 1, inProgress: 0, missing: 2, staleRanges: [[0, 4], [7, 8]] })
    expect(users.staleReasons.map((r) => [r.description, r.partitions])).toEqual([
      ["code version changed (v1 -> v2)", "2024-01-01...2024-01-04,2024-01-08"],
      ["upstream events has new data", "2024-01-03"]
    ])
    expect(before.get("summary")!.stale).toBeGreaterThan(0)

    fs.rmSync(path.join(dir, "built.log"))
    const dev = await startDev(dir, { onSpawn: (child) => children.push(child) })
    const url = dev.url
    try {
      for (const key of ["daily_users", "summary"]) expectAgreement(before.get(key)!, await catalogView(url, key))
      const view = await catalogView(url, "daily_users")
      expect(view.rangeReasons).toEqual([
        ["code version changed (v1 -> v2)", "upstream events has new data"],
        ["code version changed (v1 -> v2)"]
      ])

      // "backfill stale" over the whole asset: a rebuild backfill of exactly the stale days
      const response = await fetch(`${url}/api/backfills`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ selection: "daily_users", partitions: "2024-01-01...2024-01-10", policy: "single-run", stale: true })
      })
      expect(response.status).toBe(200)
      const launched = await response.json() as { backfillId: string; partitions: string; rebuild: boolean }
      expect([launched.partitions, launched.rebuild]).toEqual(["2024-01-01...2024-01-04,2024-01-08", true])
      const done = await until(async () => {
        const detail = await get<{ backfill: { status: string; executing: boolean; progress: Record<string, number> } }>(`${url}/api/backfills/${launched.backfillId}`)
        return detail.backfill.executing || detail.backfill.status === "running" || detail.backfill.status === "requested" ? undefined : detail
      }, "the stale backfill to end")
      expect(done.backfill.status).toBe("completed")
      expect(done.backfill.progress).toMatchObject({ total: 5, materialized: 5, stale: 0 })
      expect(fs.readFileSync(path.join(dir, "built.log"), "utf8").trim()).toBe("2024-01-01,2024-01-02,2024-01-03,2024-01-04,2024-01-08")
      const rebuilt = await catalogView(url, "daily_users")
      expect(rebuilt.counts).toMatchObject({ materialized: 7, stale: 0, failed: 1, missing: 2 })
      const nothing = await fetch(`${url}/api/backfills`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ selection: "daily_users", partitions: "2024-01-01...2024-01-10", stale: true })
      })
      expect(nothing.status).toBe(400)
      expect((await nothing.json() as { message: string }).message).toBe("asset daily_users has no stale partition in 2024-01-01...2024-01-10")

      const after = await cliStatus(dir)
      expect(after.get("daily_users")!.stale).toBe(0)
      for (const key of ["daily_users", "summary"]) expectAgreement(after.get(key)!, await catalogView(url, key))
    } finally {
      await dev.stop()
    }
  }, 600_000) // eight CLI processes and a dev server
})
