import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { TestProcess } from "@strata/core/testing"
import { afterAll, describe, expect, it } from "vitest"
import { projectsOfThisFile, strata } from "./helpers.ts"

const project = projectsOfThisFile()

const config = `import { Asset, Automation, AutomationCondition, FileSystemIO, Project, SourceAsset, StrataConfig } from "@strata/core"
import { Effect } from "effect"

const raw = SourceAsset.file("raw", "raw.csv", { parse: (text) => text.trim().split("\\n") })
const silver = Asset.make("silver", { deps: { raw } }, ({ raw }) => Effect.succeed(raw.length))
const gold = Asset.make("gold", { deps: { silver } }, ({ silver }) => Effect.succeed(silver * 2))

export default StrataConfig.define({
  project: Project.make({
    assets: [raw, silver, gold],
    automation: {
      conditions: { silver: AutomationCondition.eager(), gold: AutomationCondition.eager() },
      schedules: [Automation.schedule({ name: "nightly", cron: "0 2 * * *", timezone: "Europe/Berlin", selection: "gold" })]
    }
  }),
  environments: { local: () => FileSystemIO.layer() }
})
`

describe("strata daemon and strata automation", () => {
  let daemon: ChildProcess | undefined
  afterAll(() => void daemon?.kill("SIGKILL"))

  it("the daemon launches the eager chain after a source change; ticks, why, list, on/off and preview report it", async () => {
    const dir = project({ "strata.config.ts": config, "raw.csv": "a\nb\n" })
    const exited = strata(["daemon"], { cwd: dir, onSpawn: (child) => (daemon = child) })
    await TestProcess.until("the daemon's lease", async () => {
      const listed = await strata(["automation", "list", "--json"], { cwd: dir })
      return listed.code === 0 && JSON.parse(listed.stdout).lease !== null ? true : undefined
    })
    // strata status observes the source (another process): the daemon sees the commit and launches silver and gold
    expect((await strata(["status"], { cwd: dir })).code).toBe(0)
    const run = await TestProcess.until("the automation run", async () => {
      const runs = JSON.parse((await strata(["runs", "--json"], { cwd: dir })).stdout) as Array<{ status: string; tags: Record<string, string>; assetKeys: Array<string> }>
      return runs.find((r) => r.tags["strata/automation"] === "conditions" && r.status === "succeeded")
    })
    expect(run.assetKeys).toEqual(["silver", "gold"])

    const ticks = JSON.parse((await strata(["automation", "ticks", "--json", "--origin", "conditions"], { cwd: dir })).stdout).ticks
    const launched = ticks.find((tick: { status: string }) => tick.status === "launched")
    expect(launched.runs[0].assetKeys).toEqual(["silver", "gold"])
    const detail = JSON.parse((await strata(["automation", "tick", launched.tickId, "--json"], { cwd: dir })).stdout)
    expect(detail.evaluations.map((e: { assetKey: string; requested: boolean }) => [e.assetKey, e.requested])).toEqual([["silver", true], ["gold", true]])

    const why = await strata(["automation", "why", "gold", "--json"], { cwd: dir })
    expect(why.code).toBe(0)
    const requested = JSON.parse(why.stdout).evaluations.find((e: { requested: boolean }) => e.requested)
    expect(requested.result.label).toBe("eager")
    const text = await strata(["automation", "why", "gold", "-n", "50"], { cwd: dir })
    expect(text.stdout).toMatch(/requested .*\n\s+✓ eager\n\s+✓ any upstream of 1 \[matched: silver\]/)

    expect((await strata(["automation", "off", "schedule/nightly"], { cwd: dir })).stdout).toContain("schedule/nightly is off")
    const listed = JSON.parse((await strata(["automation", "list", "--json"], { cwd: dir })).stdout)
    expect(listed.targets).toContainEqual({ target: "schedule/nightly", enabled: false })
    expect(listed.targets).toContainEqual({ target: "asset/gold", enabled: true })
    const unknown = await strata(["automation", "off", "schedule/daily"], { cwd: dir })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("unknown target schedule/daily")

    const preview = JSON.parse((await strata(["schedules", "preview", "nightly", "--count", "3", "--json"], { cwd: dir })).stdout)
    expect(preview.ticks).toHaveLength(3)
    // 02:00 in Berlin is 00:00 or 01:00 UTC depending on daylight saving time
    for (const tick of preview.ticks) expect(tick).toMatch(/T0[01]:00:00\.000Z$/)

    daemon!.kill("SIGTERM")
    const result = await exited
    expect(result.stdout).toContain("Strata daemon")
    // a graceful stop releases the lease at once
    expect(JSON.parse((await strata(["automation", "list", "--json"], { cwd: dir })).stdout).lease).toBeNull()
    expect(fs.existsSync(path.join(dir, ".strata", "instance.db"))).toBe(true)
  }, 240_000)
})
