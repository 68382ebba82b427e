import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { projectsOfThisFile, strata } from "./helpers.ts"

const project = projectsOfThisFile()

const config = `import { Asset, FileSystemIO, Partitions, Project, StrataConfig } from "@strata/core"
import { Effect } from "effect"

const days = Partitions.daily({ start: "2024-01-01", timezone: "Europe/Berlin" })
const events = Asset.make("events", { partitions: days }, (_, context) =>
  Effect.succeed(context.partitions.count === 1
    ? [{ day: context.partitions.first }]
    : Object.fromEntries(context.partitions.keys.map((day) => [day, [{ day }]]))))
const weekly = Asset.make("weekly", { deps: { events }, partitions: Partitions.weekly({ start: "2024-01-01", timezone: "Europe/Berlin" }) },
  ({ events }) => Effect.succeed(events.map((row: { day: string }) => row.day)))

export default StrataConfig.define({
  project: Project.make({ assets: [events, weekly] }),
  environments: { local: () => FileSystemIO.layer() }
})
`

describe("strata materialize --partition / --partitions", () => {
  it("stores one file per partition; a weekly partition reads its 7 days; bad keys are usage errors naming the asset", async () => {
    const dir = project({ "strata.config.ts": config })
    const one = await strata(["materialize", "--select", "events", "--partition", "2024-01-01", "--json"], { cwd: dir })
    expect(one.code, one.stderr).toBe(0)
    expect(JSON.parse(one.stdout).materialized).toEqual(["events"])
    const range = await strata(["materialize", "--select", "events", "--partitions", "2024-01-02...2024-01-07", "--json"], { cwd: dir })
    expect(range.code, range.stderr).toBe(0)
    const storage = path.join(dir, ".strata", "storage")
    expect(fs.readdirSync(path.join(storage, "events")).sort()).toEqual(
      ["01", "02", "03", "04", "05", "06", "07"].map((d) => `@2024-01-${d}.json`)
    )
    expect(JSON.parse(fs.readFileSync(path.join(storage, "events", "@2024-01-05.json"), "utf8"))).toEqual([{ day: "2024-01-05" }])
    const week = await strata(["materialize", "--select", "weekly", "--partition", "2024-01-01"], { cwd: dir })
    expect(week.code, week.stderr).toBe(0)
    expect(JSON.parse(fs.readFileSync(path.join(storage, "weekly", "@2024-01-01.json"), "utf8"))).toHaveLength(7)

    // status: counts and missing ranges from the instance's status ranges
    const status = await strata(["status", "--json"], { cwd: dir })
    expect(status.code, status.stderr).toBe(0)
    const summaries = JSON.parse(status.stdout).partitions as Array<Record<string, unknown>>
    const events = summaries.find((s) => s.key === "events")!
    expect(events.materialized).toBe(7)
    expect(events.failed).toBe(0)
    expect(events.missing).toBe((events.total as number) - 7)
    expect(events.missingText).toMatch(/^2024-01-08\.\.\.\d{4}-\d{2}-\d{2}$/)
    expect(events.missingRanges).toHaveLength(1)
    expect(summaries.find((s) => s.key === "weekly")!.materialized).toBe(1)
    const text = await strata(["status"], { cwd: dir })
    expect(text.stdout).toMatch(/events: 7 of \d+ materialized, 0 stale, 0 failed, 0 in progress, \d+ missing/)
    expect(text.stdout).toContain("missing: 2024-01-08...")

    const bad = await strata(["materialize", "--select", "events", "--partition", "2024-13-01"], { cwd: dir })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(`partition "2024-13-01" of asset events is invalid: month 13 does not exist`)
    const none = await strata(["materialize", "--select", "events"], { cwd: dir })
    expect(none.code).toBe(2)
    expect(none.stderr).toContain("the asset is partitioned and no partition was chosen")
    const both = await strata(["materialize", "--partition", "a", "--partitions", "b"], { cwd: dir })
    expect(both.code).toBe(2)
    expect(both.stderr).toContain("give --partition or --partitions, not both")
  }, 300_000) // nine CLI processes, each loading the project
})

// a chain whose events' data the test controls through a file: raw/<day>.json holds a count
const staleConfig = `import * as fs from "node:fs"
import { Asset, FileSystemIO, Partitions, Project, StrataConfig } from "@strata/core"
import { Effect } from "effect"

const days = Partitions.daily({ start: "2024-01-01", end: "2024-01-11" })
const count = (day: string) => fs.existsSync("raw/" + day) ? Number(fs.readFileSync("raw/" + day, "utf8")) : 1
const perKey = (keys: ReadonlyArray<string>, f: (key: string) => unknown) =>
  keys.length === 1 ? f(keys[0]!) : Object.fromEntries(keys.map((key) => [key, f(key)]))
const events = Asset.make("events", { partitions: days }, (_, context) =>
  Effect.succeed(perKey(context.partitions.keys, (day) => [{ day, users: count(day) }]) as Array<{ day: string; users: number }>))
const dailyUsers = Asset.make("daily_users", { deps: { events }, partitions: days }, ({ events }, context) => {
  fs.appendFileSync("built.log", context.partitions.keys.join(",") + "\\n")
  return Effect.succeed(perKey(context.partitions.keys, (day) => events.filter((row) => row.day === day).map((row) => row.users)))
})

export default StrataConfig.define({
  project: Project.make({ assets: [events, dailyUsers] }),
  environments: { local: () => FileSystemIO.layer() }
})
`

describe("per-partition staleness in strata status and materialize --stale-only", () => {
  it("status names the stale partitions and why; --stale-only rebuilds exactly those and the missing ones", async () => {
    const dir = project({ "strata.config.ts": staleConfig, "raw/.keep": "" })
    const first = await strata(["materialize", "--select", "*", "--partitions", "2024-01-01...2024-01-06"], { cwd: dir })
    expect(first.code, first.stderr).toBe(0)
    fs.writeFileSync(path.join(dir, "raw", "2024-01-03"), "7")
    const again = await strata(["materialize", "--select", "events", "--partition", "2024-01-03"], { cwd: dir })
    expect(again.code, again.stderr).toBe(0)

    const status = await strata(["status", "--json"], { cwd: dir })
    expect(status.code, status.stderr).toBe(0)
    const users = (JSON.parse(status.stdout).partitions as Array<Record<string, unknown>>).find((s) => s.key === "daily_users")!
    expect(users).toMatchObject({ total: 10, materialized: 6, stale: 1, staleText: "2024-01-03", staleRanges: [[2, 3]] })
    expect(users.staleReasons).toEqual([
      expect.objectContaining({ reason: { type: "upstream-updated", upstream: "events" }, partitions: "2024-01-03", count: 1 })
    ])
    const text = await strata(["status"], { cwd: dir })
    expect(text.stdout).toContain("daily_users: 6 of 10 materialized, 1 stale, 0 failed, 0 in progress, 4 missing")
    expect(text.stdout).toContain("stale: 2024-01-03 (upstream events has new data)")

    fs.rmSync(path.join(dir, "built.log"))
    // events' missing days are built first, then daily_users' stale day and the days that were missing
    const stale = await strata(["materialize", "--select", "*", "--stale-only", "--json"], { cwd: dir })
    expect(stale.code, stale.stderr).toBe(0)
    // one step over the stale day and the four missing ones
    expect(fs.readFileSync(path.join(dir, "built.log"), "utf8").trim()).toBe("2024-01-03,2024-01-07,2024-01-08,2024-01-09,2024-01-10")
    const stored = JSON.parse(fs.readFileSync(path.join(dir, ".strata", "storage", "daily_users", "@2024-01-03.json"), "utf8"))
    expect(stored).toEqual([7])

    const none = await strata(["materialize", "--select", "*", "--stale-only", "--json"], { cwd: dir })
    expect(none.code, none.stderr).toBe(0)
    expect(JSON.parse(none.stdout).skipped).toEqual(["events", "daily_users"].map((key) => ({
      key,
      kind: "not-stale",
      reason: "up to date: no partition is stale or missing"
    })))
  }, 600_000) // six CLI processes
})
