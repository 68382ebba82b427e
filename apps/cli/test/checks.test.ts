import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { projectsOfThisFile, strata } from "./helpers.ts"

const project = projectsOfThisFile()

/** users (from data.json) -> report; users has a blocking unique check, a warn check and a freshness policy. */
const config = `import { Asset, Check, FileSystemIO, Freshness, Output, Project, StrataConfig } from "@strata/core"
import * as fs from "node:fs"
import { Effect } from "effect"

const users = Asset.make("users", { codeVersion: "1" }, () =>
  Effect.sync(() => {
    const rows = JSON.parse(fs.readFileSync("data.json", "utf8"))
    return Output.make(rows, { metadata: { row_count: rows.length } })
  }))
const report = Asset.make("report", { deps: { users } }, ({ users }) => Effect.succeed(users.length))
export default StrataConfig.define({
  project: Project.make({
    assets: [users, report],
    checks: [
      Check.unique(users, "email"),
      Check.rowCountNotDropping(users, { maxDropPercent: 50 }),
      Check.notNull(users, "country", { severity: "warn" })
    ],
    freshness: [Freshness.policy(users, { maxLag: "1 hour" }), Freshness.policy(report, { maxLag: "1 millis" })]
  }),
  environments: { local: () => FileSystemIO.layer() }
})
`

const rows = (n: number, duplicate = false) =>
  JSON.stringify(Array.from({ length: n }, (_, i) => ({ id: i, email: duplicate && i === 1 ? "u0@x.org" : `u${i}@x.org`, country: i % 2 === 0 ? "UK" : null })))

describe("checks in the CLI", () => {
  let dir: string
  beforeAll(async () => {
    dir = project({ "strata.config.ts": config, "data.json": rows(10) })
    const first = await strata(["materialize"], { cwd: dir })
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/✓ check\s+users:email_unique passed/)
    expect(first.stdout).toMatch(/! check\s+users:country_not_null warned: 5 of 10 rows have no country/)
    expect(first.stdout).toContain("3 checks: 2 passed, 1 failed")
  })

  it("a blocking check failing stops report, names the check, exits 1; runs show prints the shape diff", async () => {
    fs.writeFileSync(path.join(dir, "data.json"), rows(4, true))
    const failed = await strata(["materialize"], { cwd: dir })
    expect(failed.code).toBe(1)
    expect(failed.stdout).toMatch(/✗ check\s+users:email_unique failed: 1 duplicate email value: "u0@x.org"/)
    expect(failed.stdout).toContain("skipped report: blocking check email_unique of users failed")
    expect(failed.stdout).toContain("check failed users:row_count_not_dropping: row count dropped 60% (10 -> 4), more than 50%")
    const runId = /Run ([0-9a-f-]+) failed/.exec(failed.stdout)![1]!
    const show = await strata(["runs", "show", runId], { cwd: dir })
    expect(show.code).toBe(0)
    expect(show.stdout).toContain("Shape before the failure")
    expect(show.stdout).toContain("users: rejected by email_unique, row_count_not_dropping")
    expect(show.stdout).toMatch(/row_count\s+10 -> 4 \(!! 60%\)/)
    const json = JSON.parse((await strata(["runs", "show", runId, "--json"], { cwd: dir })).stdout)
    expect(json.shapes[0].changes).toContainEqual({ path: "row_count", kind: "changed", before: 10, after: 4, relative: 0.6 })
  })

  it("strata checks lists the latest results; --json carries them; status shows failing checks and freshness", async () => {
    const list = await strata(["checks"], { cwd: dir })
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/failed\s+users\s+email_unique\s+error/)
    expect(list.stdout).toMatch(/warning\s+users\s+country_not_null\s+warn/)
    const json = JSON.parse((await strata(["checks", "--json"], { cwd: dir })).stdout)
    expect(json.map((row: { check: string; latest: Array<{ passed: boolean }> }) => [row.check, row.latest[0]!.passed])).toEqual([
      ["email_unique", false],
      ["row_count_not_dropping", false],
      ["country_not_null", false]
    ])
    const status = await strata(["status"], { cwd: dir })
    // users holds the data its blocking checks rejected: not "fresh"
    expect(status.stdout).toMatch(/check failed\s+users\s+asset\s+check email_unique failed: 1 duplicate email value: "u0@x.org" \(run /)
    expect(status.stdout).toContain("check row_count_not_dropping failed: row count dropped 60% (10 -> 4), more than 50%")
    expect(status.stdout).toContain(", 1 check failed")
    expect(status.stdout).toContain("Failing checks")
    expect(status.stdout).toMatch(/failed users:email_unique 1 duplicate email value/)
    expect(status.stdout).toMatch(/on time\s+users\s+updated within 1h\s+fresh until/)
    expect(status.stdout).toMatch(/late\s+report\s+updated within 1ms\s+late since \S+: not updated for more than 1ms/)
    const statusJson = JSON.parse((await strata(["status", "--json"], { cwd: dir })).stdout)
    expect(statusJson.freshness.map((f: { key: string; status: string }) => [f.key, f.status])).toEqual([["users", "fresh"], ["report", "late"]])
    expect(statusJson.failingChecks.length).toBe(3)
    const users = statusJson.assets.find((a: { key: string }) => a.key === "users")
    expect(users.status).toBe("check-failed")
    expect(users.staleness).toBe("fresh")
    expect(users.failedChecks.map((c: { check: string }) => c.check)).toEqual(["email_unique", "row_count_not_dropping"])
  })

  it("strata checks run evaluates the checks alone against the stored value", async () => {
    fs.writeFileSync(path.join(dir, "data.json"), rows(10))
    // nothing is materialized: the stored users still hold the duplicate
    const alone = await strata(["checks", "run", "--select", "users", "--json"], { cwd: dir })
    expect(alone.code).toBe(1)
    const result = JSON.parse(alone.stdout)
    expect(result.materialized).toEqual([])
    expect(result.checks.map((c: { check: string; passed: boolean }) => `${c.check}:${c.passed}`).sort()).toEqual([
      "country_not_null:false",
      "email_unique:false",
      // the stored materialization is the one that dropped: compared with the one before it
      "row_count_not_dropping:false"
    ])
    const fixed = await strata(["materialize"], { cwd: dir })
    expect(fixed.code, fixed.stdout).toBe(0)
    const unknown = await strata(["checks", "run", "--select", "report"], { cwd: dir })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("no check to run")
  })
})
