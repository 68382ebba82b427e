import type { ChildProcess } from "node:child_process"
import { TestProcess } from "@strata/core/testing"
import { afterAll, describe, expect, it } from "vitest"
import { projectsOfThisFile, strata } from "./helpers.ts"

const project = projectsOfThisFile()

const config = `import { Asset, FileSystemIO, Project, StrataConfig } from "@strata/core"
import { Effect } from "effect"

const gold = Asset.make("gold", {}, () => Effect.succeed(42))

export default StrataConfig.define({
  project: Project.make({ assets: [gold], automation: { runQueue: { maxConcurrentRuns: 1 } } }),
  environments: { local: () => FileSystemIO.layer() }
})
`

interface Run {
  readonly runId: string
  readonly status: string
  readonly tags: Record<string, string>
  readonly assetKeys: Array<string>
}

describe("strata materialize --queue", () => {
  let daemon: ChildProcess | undefined
  afterAll(() => void daemon?.kill("SIGKILL"))

  it("records a queued run that strata runs lists as queued, and the daemon starts it", async () => {
    const dir = project({ "strata.config.ts": config })
    const queued = await strata(["materialize", "--select", "gold", "--queue", "--priority", "3", "--tag", "database=snowflake", "--json"], { cwd: dir })
    expect(queued.code).toBe(0)
    const run = JSON.parse(queued.stdout) as Run
    expect(run.status).toBe("queued")
    expect(run.tags).toMatchObject({ "strata/queued": "cli", "strata/priority": "3", database: "snowflake" })
    const listed = JSON.parse((await strata(["runs", "--status", "queued", "--json"], { cwd: dir })).stdout) as Array<Run>
    expect(listed.map((r) => [r.runId, r.status])).toEqual([[run.runId, "queued"]])
    expect((await strata(["runs"], { cwd: dir })).stdout).toContain("queued")
    // bad flags are usage errors naming the flag
    const badTag = await strata(["materialize", "--queue", "--tag", "database"], { cwd: dir })
    expect(badTag.code).toBe(2)
    expect(badTag.stderr).toContain("--tag \"database\" must be key=value")

    strata(["daemon"], { cwd: dir, onSpawn: (child) => (daemon = child) })
    const done = await TestProcess.until("the queued run to succeed", async () => {
      const runs = JSON.parse((await strata(["runs", "--json"], { cwd: dir })).stdout) as Array<Run>
      return runs.find((r) => r.runId === run.runId && r.status === "succeeded")
    })
    expect(done.assetKeys).toEqual(["gold"])
  }, 600_000)
})
