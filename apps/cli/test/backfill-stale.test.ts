/**
 * `strata backfill ASSET --stale` and `--rebuild` on real CLI processes and a
 * real SQLite instance: a stale backfill rebuilds exactly the stale
 * partitions among those asked for (and launches nothing when none is); a
 * rebuild backfill runs materialized partitions again, and while it runs,
 * `strata backfills` counts what it has still to rebuild as stale, as the
 * catalog that `strata dev` serves does; a plain backfill counts its
 * partitions stale now as stale, the same way in `strata backfill --json`,
 * `strata backfills --json` and the catalog; `--dry-run` shows the runs it
 * would launch and stores nothing in the SQLite instance.
 */
import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { DatabaseSync } from "node:sqlite"
import { afterAll, describe, expect, it } from "vitest"
import { projectsOfThisFile, startDev, strata, succeeds, until } from "./helpers.ts"

const project = projectsOfThisFile()
const children: Array<ChildProcess> = []
afterAll(() => children.forEach((child) => child.exitCode === null && child.kill("SIGKILL")))

// events' rows come from raw/<day>; every day daily_users builds is logged to built.log; building the day named
// in block.txt waits until release.txt exists, after writing blocked.txt
const config = `import * as fs from "node:fs"
import { Asset, FileSystemIO, Partitions, Project, StrataConfig } from "@strata/core"
import { Effect } from "effect"

const days = Partitions.daily({ start: "2024-01-01", end: "2024-01-11" })
const read = (file: string, otherwise: string) => fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : otherwise
const perKey = (keys: ReadonlyArray<string>, f: (key: string) => unknown) =>
  keys.length === 1 ? f(keys[0]!) : Object.fromEntries(keys.map((key) => [key, f(key)]))
const wait = (day: string) => Effect.promise(async () => {
  if (read("block.txt", "") !== day) return
  fs.writeFileSync("blocked.txt", day)
  while (!fs.existsSync("release.txt")) await new Promise((resolve) => setTimeout(resolve, 50))
})
const events = Asset.make("events", { partitions: days }, (_, context) =>
  Effect.succeed(perKey(context.partitions.keys, (day) => [{ day, users: Number(read("raw/" + day, "1")) }]) as Array<{ day: string; users: number }>))
const dailyUsers = Asset.make("daily_users", { deps: { events }, partitions: days }, ({ events }, context) =>
  Effect.gen(function*() {
    for (const day of context.partitions.keys) yield* wait(day)
    fs.appendFileSync("built.log", context.partitions.keys.join(",") + "\\n")
    return perKey(context.partitions.keys, (day) => events.filter((row) => row.day === day).map((row) => row.users)) as Array<number>
  }))
const total = Asset.make("total", {}, () => Effect.succeed(1))

export default StrataConfig.define({
  project: Project.make({ assets: [events, dailyUsers, total] }),
  environments: { local: () => FileSystemIO.layer() }
})
`

/** The days daily_users built since the log was last cleared, in order. */
const built = (dir: string): Array<string> => {
  const file = path.join(dir, "built.log")
  if (!fs.existsSync(file)) return []
  const lines = fs.readFileSync(file, "utf8").trim().split("\n").filter((line) => line !== "")
  fs.rmSync(file)
  return lines.flatMap((line) => line.split(","))
}

/** The backfills recorded, read from the SQLite file directly (not through Strata). */
const backfillRows = (dir: string) => {
  const db = new DatabaseSync(path.join(dir, ".strata", "instance.db"), { readOnly: true })
  try {
    return db.prepare("SELECT backfill_id, partitions, rebuild FROM backfills ORDER BY seq").all() as Array<{ backfill_id: string; partitions: string; rebuild: number }>
  } finally {
    db.close()
  }
}

/** Every row of every table of the SQLite instance, read directly: what a dry run must leave as it was. */
const snapshot = (dir: string) => {
  const db = new DatabaseSync(path.join(dir, ".strata", "instance.db"), { readOnly: true })
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>
    return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}"`).all()]))
  } finally {
    db.close()
  }
}

/** `strata dev` on `dir`, the catalog's `GET /api/backfills` read once, then stopped. */
const catalogBackfills = async (dir: string) => {
  const dev = await startDev(dir, { onSpawn: (child) => children.push(child) })
  try {
    const response = await fetch(`${dev.url}/api/backfills`)
    expect(response.status).toBe(200)
    return (await response.json() as { backfills: Array<{ backfillId: string; progress: unknown }> }).backfills
  } finally {
    await dev.stop()
  }
}

describe("strata backfill --stale and --rebuild", () => {
  it("--stale rebuilds exactly the stale partitions asked for; with none stale it launches nothing and exits 0; errors name what is wrong", async () => {
    const dir = project({ "strata.config.ts": config, "raw/.keep": "" })
    await succeeds(dir, ["materialize", "--select", "events+", "--partitions", "2024-01-01...2024-01-08"])
    expect(built(dir)).toHaveLength(8)
    // events' 3rd and 6th get new data: daily_users' 3rd and 6th are stale
    for (const day of ["2024-01-03", "2024-01-06"]) fs.writeFileSync(path.join(dir, "raw", day), "7")
    await succeeds(dir, ["materialize", "--select", "events", "--partitions", "2024-01-03,2024-01-06"])

    const first = await succeeds(dir, ["backfill", "daily_users", "--stale", "--partitions", "2024-01-01...2024-01-05", "--json"])
    const summary = JSON.parse(first.stdout)
    expect(summary.backfill).toMatchObject({ status: "completed", selection: "daily_users", partitions: "2024-01-03", rebuild: true })
    expect(summary.progress).toEqual({ total: 1, materialized: 1, stale: 0, failed: 0, inProgress: 0, missing: 0 })
    expect(first.stderr).toContain("1 stale partition(s) of daily_users: 2024-01-03")
    expect(built(dir)).toEqual(["2024-01-03"])

    // all partitions by default, one run for the stale ones
    const second = await succeeds(dir, ["backfill", "daily_users", "--stale", "--policy", "single-run", "--json"])
    expect(JSON.parse(second.stdout).backfill).toMatchObject({ status: "completed", partitions: "2024-01-06", rebuild: true })
    expect(built(dir)).toEqual(["2024-01-06"])
    const status = JSON.parse((await succeeds(dir, ["status", "--json"])).stdout).partitions as Array<{ key: string; stale: number; materialized: number }>
    expect(status.find((s) => s.key === "daily_users")).toMatchObject({ stale: 0, materialized: 8 })

    const nothing = await succeeds(dir, ["backfill", "daily_users", "--stale", "--json"])
    expect(JSON.parse(nothing.stdout)).toEqual({ backfill: null, stale: 0, partitions: "2024-01-01...2024-01-10", runs: [] })
    expect(nothing.stderr).toContain("Asset daily_users has no stale partition in 2024-01-01...2024-01-10; nothing to backfill")
    expect(backfillRows(dir).map((row) => [row.partitions, row.rebuild])).toEqual([["2024-01-03", 1], ["2024-01-06", 1]])
    expect(built(dir)).toEqual([])

    const notPartitioned = await strata(["backfill", "total", "--stale"], { cwd: dir })
    expect([notPartitioned.code, notPartitioned.stderr]).toEqual([2, expect.stringContaining("asset total is not partitioned")])
    const unknown = await strata(["backfill", "daily_user", "--stale"], { cwd: dir })
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining(`"daily_user" is not an asset of the project`)])
    const badKeys = await strata(["backfill", "daily_users", "--stale", "--partitions", "2024-01-01...2024-01-04,2024-02-30,eu"], { cwd: dir })
    expect(badKeys.code).toBe(2)
    expect(badKeys.stderr).toContain(`not partitions of daily_users: "2024-02-30", "eu"`)
    const both = await strata(["backfill", "daily_users", "--select", "events", "--stale"], { cwd: dir })
    expect([both.code, both.stderr]).toEqual([2, expect.stringContaining("give the asset or --select, not both")])
    const resume = await strata(["backfill", "--resume", backfillRows(dir)[0]!.backfill_id, "--rebuild"], { cwd: dir })
    expect([resume.code, resume.stderr]).toEqual([2, expect.stringContaining("give no --stale or --rebuild")])
    expect(backfillRows(dir)).toHaveLength(2)
  }, 300_000)

  it("--rebuild runs materialized partitions again; mid-way, strata backfills counts those still to rebuild as stale, as the catalog does", async () => {
    const dir = project({ "strata.config.ts": config, "raw/.keep": "" })
    await succeeds(dir, ["materialize", "--select", "events+", "--partitions", "2024-01-01...2024-01-04"])
    expect(built(dir)).toHaveLength(4)
    fs.writeFileSync(path.join(dir, "block.txt"), "2024-01-03")
    let stderr = ""
    const rebuild = strata(["backfill", "daily_users", "--partitions", "2024-01-01...2024-01-04", "--rebuild", "--json"], {
      cwd: dir,
      onSpawn: (child) => {
        children.push(child)
        child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
      }
    })
    await until(() => fs.existsSync(path.join(dir, "blocked.txt")) ? true : undefined, "the rebuild to reach 2024-01-03")
    expect(stderr).toContain("4 run(s) for 4 partition(s) to rebuild of 4")

    const listed = JSON.parse((await succeeds(dir, ["backfills", "--json"])).stdout) as Array<{ backfillId: string; rebuild: boolean; progress: unknown }>
    const expected = { total: 4, materialized: 2, stale: 1, failed: 0, inProgress: 1, missing: 0 }
    expect(listed[0]).toMatchObject({ rebuild: true, progress: expected })
    expect((await succeeds(dir, ["backfills"])).stdout).toContain("2/4 materialized, 1 stale, 1 in progress")

    const catalog = await catalogBackfills(dir)
    expect(catalog.find((b) => b.backfillId === listed[0]!.backfillId)?.progress).toEqual(expected)

    fs.writeFileSync(path.join(dir, "release.txt"), "")
    const end = await rebuild
    expect(end.code, end.stderr).toBe(0)
    expect(JSON.parse(end.stdout).progress).toEqual({ total: 4, materialized: 4, stale: 0, failed: 0, inProgress: 0, missing: 0 })
    expect(built(dir)).toEqual(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"])
  }, 300_000)

  it("a plain backfill counts its stale partitions as stale, alike in backfill --json, backfills --json and the catalog; --dry-run stores nothing", async () => {
    const dir = project({ "strata.config.ts": config, "raw/.keep": "" })
    await succeeds(dir, ["materialize", "--select", "events+", "--partitions", "2024-01-01...2024-01-04"])
    expect(built(dir)).toHaveLength(4)
    // events' 2nd gets new data: daily_users' 2nd is stale
    fs.writeFileSync(path.join(dir, "raw", "2024-01-02"), "7")
    await succeeds(dir, ["materialize", "--select", "events", "--partitions", "2024-01-02"])
    const before = snapshot(dir)

    const asked = ["backfill", "--select", "events+", "--partitions", "2024-01-01...2024-01-06"]
    const dry = JSON.parse((await succeeds(dir, [...asked, "--dry-run", "--json"])).stdout)
    expect(dry).toEqual({
      dryRun: true,
      backfillId: null,
      selection: "events+",
      partitions: "2024-01-01...2024-01-06",
      policy: "per-partition",
      rebuild: false,
      assetKeys: ["events", "daily_users"],
      counts: { total: 6, materialized: 3, stale: 1, failed: 0, inProgress: 0, missing: 2 },
      toRun: 2,
      runs: [{ partitions: "2024-01-05", count: 1 }, { partitions: "2024-01-06", count: 1 }]
    })
    const text = (await succeeds(dir, [...asked, "--policy", "single-run", "--dry-run"])).stdout
    expect(text).toContain("6 partition(s): 3 materialized, 1 stale, 2 missing")
    expect(text).toContain("1 run(s) for 2 partition(s) not materialized, of events, daily_users")
    expect(text).toContain("[1/1] 2024-01-05...2024-01-06 (2 partition(s))")
    expect(text).toContain("Nothing was recorded or launched.")
    const stale = JSON.parse((await succeeds(dir, ["backfill", "daily_users", "--stale", "--dry-run", "--json"])).stdout)
    expect(stale).toMatchObject({ rebuild: true, partitions: "2024-01-02", toRun: 1, runs: [{ partitions: "2024-01-02", count: 1 }] })
    expect(stale.counts).toEqual({ total: 1, materialized: 0, stale: 1, failed: 0, inProgress: 0, missing: 0 })
    // nothing recorded, run or computed
    expect(snapshot(dir)).toEqual(before)
    expect(built(dir)).toEqual([])

    // the backfill itself runs the missing days only; the stale 2nd stays stale, and every view counts it so
    const ended = JSON.parse((await succeeds(dir, [...asked, "--json"])).stdout)
    const expected = { total: 6, materialized: 5, stale: 1, failed: 0, inProgress: 0, missing: 0 }
    expect(ended.backfill.status).toBe("completed")
    expect(ended.progress).toEqual(expected)
    expect(built(dir)).toEqual(["2024-01-05", "2024-01-06"])
    const listed = JSON.parse((await succeeds(dir, ["backfills", "--json"])).stdout) as Array<{ backfillId: string; progress: unknown }>
    expect(listed.map((b) => [b.backfillId, b.progress])).toEqual([[ended.backfill.backfillId, expected]])
    expect((await succeeds(dir, ["backfills"])).stdout).toContain("5/6 materialized, 1 stale")
    const catalog = await catalogBackfills(dir)
    expect(catalog.map((b) => [b.backfillId, b.progress])).toEqual([[ended.backfill.backfillId, expected]])
    // a dry-run resume of the completed backfill: no run, the same counts
    const resumed = JSON.parse((await succeeds(dir, ["backfill", "--resume", ended.backfill.backfillId, "--dry-run", "--json"])).stdout)
    expect(resumed).toMatchObject({ backfillId: ended.backfill.backfillId, counts: expected, toRun: 0, runs: [] })
  }, 300_000)
})
