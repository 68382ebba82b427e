/**
 * `strata runs reexecute RUN_ID [--from-failure]`: a real failed run on the
 * project's SQLite instance, re-executed by the CLI through core's rule
 * (`ExecutionPlan.fromRun`), with `materialize`'s exit codes.
 */
import { beforeAll, describe, expect, it } from "vitest"
import { basicConfig, projectsOfThisFile, strata } from "./helpers.ts"

const project = projectsOfThisFile()

interface RunJson {
  readonly runId: string
  readonly status: string
  readonly materialized: ReadonlyArray<string>
  readonly failed: ReadonlyArray<{ readonly key: string }>
}

describe("strata runs reexecute", () => {
  let dir: string
  let failedRun: string
  beforeAll(async () => {
    dir = project({ "strata.config.ts": basicConfig })
    const first = await strata(["materialize", "--json"], { cwd: dir, env: { FAIL_C: "1" } })
    expect(first.code, first.stderr).toBe(1)
    const run = JSON.parse(first.stdout) as RunJson
    expect(run.failed.map((f) => f.key)).toEqual(["c"])
    failedRun = run.runId
  })

  it("--from-failure re-executes only what did not succeed, records the parent, exit 0", async () => {
    const result = await strata(["runs", "reexecute", failedRun.slice(0, 8), "--from-failure", "--json"], { cwd: dir })
    expect(result.code, result.stderr).toBe(0)
    const run = JSON.parse(result.stdout) as RunJson
    expect(run.status).toBe("succeeded")
    expect(run.materialized).toEqual(["c"])
    const show = await strata(["runs", "show", run.runId, "--json"], { cwd: dir })
    const shown = JSON.parse(show.stdout) as { run: { parentRunId?: string; assetKeys: Array<string> } }
    expect(shown.run.parentRunId).toBe(failedRun)
    expect(shown.run.assetKeys).toEqual(["c"])
  })

  it("without --from-failure re-executes every step of the run, with progress and a summary", async () => {
    const result = await strata(["runs", "reexecute", failedRun], { cwd: dir })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`Re-executing 3 steps of run ${failedRun}`)
    expect(result.stdout).toMatch(/✓ materialized a/)
    expect(result.stdout).toMatch(/Run [0-9a-f-]+ succeeded in/)
    expect(result.stdout).toContain("3 materialized, 0 observed, 0 skipped, 0 failed")
  })

  it("a re-execution that fails again exits 1 with the summary", async () => {
    const result = await strata(["runs", "reexecute", failedRun, "--from-failure"], { cwd: dir, env: { FAIL_C: "1" } })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain("c exploded on purpose")
    expect(result.stdout).toContain("details: strata runs show")
  })

  it("exit 2 for an unknown run, and for a run with nothing left to re-execute", async () => {
    const unknown = await strata(["runs", "reexecute", "ffffffff-0000"], { cwd: dir })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("run ffffffff-0000 does not exist")
    const ok = await strata(["materialize", "--json"], { cwd: dir })
    const succeeded = (JSON.parse(ok.stdout) as RunJson).runId
    const nothing = await strata(["runs", "reexecute", succeeded, "--from-failure"], { cwd: dir })
    expect(nothing.code).toBe(2)
    expect(nothing.stderr).toContain("has no failed or skipped step to re-execute")
  })
})
