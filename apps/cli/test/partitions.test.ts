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
    expect(text.stdout).toMatch(/events: 7 of \d+ materialized, 0 failed, 0 in progress, \d+ missing/)
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
