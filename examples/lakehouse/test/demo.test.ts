/**
 * The demo, end to end, in a temporary copy of the example: real CLI
 * processes, the real SQLite instance, real files. A fresh copy materializes
 * everything; then nothing is stale; after the raw file changes, exactly
 * silver and gold are stale and rebuilt.
 */
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { ArrowIO } from "@strata/arrow"
import type { AssetKey } from "@strata/core"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const example = path.resolve(import.meta.dirname, "..")
const cliSource = path.join(example, "node_modules", "@strata", "cli", "src", "bin.ts")

const run = (command: ReadonlyArray<string>, cwd: string) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@strata/source", ...command], {
      cwd,
      env: { ...process.env, NO_COLOR: "1", STRATA_ENV: "" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

const strata = async (args: ReadonlyArray<string>, cwd: string) => {
  const result = await run([cliSource, ...args], cwd)
  if (result.code !== 0) throw new Error(`strata ${args.join(" ")} exited ${result.code}: ${result.stderr}${result.stdout}`)
  return result
}

const statuses = async (cwd: string): Promise<Record<string, string>> => {
  const { stdout } = await strata(["status", "--json"], cwd)
  return Object.fromEntries(JSON.parse(stdout).assets.map((a: { key: string; status: string }) => [a.key, a.status]))
}

describe("the lakehouse demo", () => {
  let dir: string
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-"))
    for (const entry of ["strata.config.ts", "package.json", "src", "scripts"]) {
      fs.cpSync(path.join(example, entry), path.join(dir, entry), { recursive: true })
    }
    fs.symlinkSync(path.join(example, "node_modules"), path.join(dir, "node_modules"), "dir")
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it("materializes everything in a fresh copy; status is all fresh; --stale-only then does nothing", async () => {
    const generated = await run(["scripts/generate.ts", "--if-missing"], dir)
    expect(generated.stdout).toContain("wrote 100000 users (seed 1)")
    expect(fs.readFileSync(path.join(dir, "data", "raw_users.csv"), "utf8").trimEnd().split("\n").length).toBe(100_001)

    const first = JSON.parse((await strata(["materialize", "--json"], dir)).stdout)
    expect(first.status).toBe("succeeded")
    expect(first.observed).toEqual(["raw_users"])
    expect(first.materialized).toEqual(["silver_users", "gold_user_metrics"])
    expect(fs.existsSync(path.join(dir, ".strata", "instance.db"))).toBe(true)

    // silver_users is a Parquet file (ArrowIO), gold_user_metrics a JSON file (FileSystemIO)
    const table = await Effect.runPromise(
      ArrowIO.make({ base: path.join(dir, ".strata", "tables") }).load({
        key: "silver_users" as AssetKey.AssetKey,
        partition: undefined,
        downstream: undefined,
        definitionMetadata: {}
      })
    )
    const emails = table.getChild("email")!.toArray() as Array<string>
    // dates are calendar days in the file (Date32), not text
    expect(String(table.schema.fields.find((field) => field.name === "signupDate")!.type)).toBe("Date32<DAY>")
    expect(String(table.schema.fields.find((field) => field.name === "lastActiveDate")!.type)).toBe("Date32<DAY>")
    const silver = { length: table.numRows }
    const gold = JSON.parse(fs.readFileSync(path.join(dir, ".strata", "storage", "gold_user_metrics.json"), "utf8"))
    expect(silver.length).toBeGreaterThan(90_000)
    expect(silver.length).toBeLessThan(100_000)
    expect(new Set(emails).size).toBe(silver.length)
    expect(gold.byCountry.reduce((n: number, c: { users: number }) => n + c.users, 0)).toBe(silver.length)

    const text = await strata(["status"], dir)
    expect(text.stdout).toContain("4 fresh, 0 stale, 0 missing")
    expect(await statuses(dir)).toEqual({
      raw_users: "fresh",
      silver_users: "fresh",
      gold_user_metrics: "fresh",
      "dashboards/growth": "fresh"
    })

    const again = JSON.parse((await strata(["materialize", "--stale-only", "--json"], dir)).stdout)
    expect(again.materialized).toEqual([])
    expect(again.skipped.map((s: { key: string; kind: string }) => `${s.key}:${s.kind}`)).toEqual([
      "silver_users:not-stale",
      "gold_user_metrics:not-stale"
    ])

    const show = JSON.parse((await strata(["runs", "show", first.runId, "--json"], dir)).stdout)
    const silverMaterialization = show.materializations.find((m: { assetKey: string }) => m.assetKey === "silver_users")
    expect(silverMaterialization.metadata.row_count).toBe(silver.length)
    expect(silverMaterialization.metadata.null_rate_country).toBeGreaterThan(0.02)
    expect(silverMaterialization.metadata.null_rate_country).toBeLessThan(0.06)
    // ArrowIO's profile: the signup days span the generator's year
    expect(silverMaterialization.metadata.columns.signupDate).toMatchObject({ type: "Date32<DAY>", min: "2024-01-01" })
    expect(silverMaterialization.metadata.columns.signupDate.max >= "2024-12-01").toBe(true)
    expect(silverMaterialization.metadata.columns.signupDate.max <= "2024-12-31").toBe(true)
  })

  it("after the raw file changes, silver and gold are stale and --stale-only rebuilds exactly them", async () => {
    const appended = await run(["scripts/generate.ts", "--append", "1000", "--seed", "2"], dir)
    expect(appended.stdout).toContain("appended 1000 users (ids 100001..101000)")

    const status = await strata(["status"], dir)
    expect(status.stdout).toContain("observed raw_users: new data")
    expect(status.stdout).toMatch(/stale\s+silver_users\s+asset\s+upstream raw_users has new data/)
    expect(status.stdout).toMatch(/stale\s+gold_user_metrics\s+asset\s+upstream silver_users is stale/)
    expect(await statuses(dir)).toEqual({
      raw_users: "fresh",
      silver_users: "stale",
      gold_user_metrics: "stale",
      "dashboards/growth": "stale"
    })

    const rebuilt = JSON.parse((await strata(["materialize", "--stale-only", "--json"], dir)).stdout)
    expect(rebuilt.materialized).toEqual(["silver_users", "gold_user_metrics"])
    expect(rebuilt.skipped).toEqual([])
    expect(Object.values(await statuses(dir)).every((s) => s === "fresh")).toBe(true)

    const runs = JSON.parse((await strata(["runs", "--json"], dir)).stdout)
    expect(runs.map((r: { tags: Record<string, string> }) => r.tags["strata/kind"] ?? "materialize")).toEqual([
      "materialize",
      "observe",
      "materialize",
      "materialize"
    ])
  })

  it("a corrupt raw drop: silver's blocking check fails, gold is skipped naming it, runs show prints the shape diff", async () => {
    const corrupted = await run(["scripts/corrupt.ts", "--percent", "70"], dir)
    expect(corrupted.stdout).toMatch(/corrupted the emails of \d+ of 101000 rows/)
    const failed = await run([cliSource, "materialize", "--json"], dir)
    expect(failed.code).toBe(1)
    const result = JSON.parse(failed.stdout)
    expect(result.status).toBe("failed")
    expect(result.materialized).toEqual(["silver_users"])
    expect(result.skipped).toEqual([
      { key: "gold_user_metrics", kind: "upstream-failed", reason: "blocking check row_count_not_dropping of silver_users failed" }
    ])
    // the checks run concurrently: sorted
    expect(result.checks.map((c: { key: string; check: string; passed: boolean }) => `${c.key}:${c.check}:${c.passed}`).sort()).toEqual([
      "silver_users:email_not_null:true",
      "silver_users:email_unique:true",
      "silver_users:row_count_not_dropping:false"
    ])
    const checks = await strata(["checks"], dir)
    expect(checks.stdout).toMatch(/failed\s+silver_users\s+row_count_not_dropping\s+error\s+\S+ \S+\s+row count dropped \d+(\.\d+)?% \(\d+ -> \d+\), more than 50%/)
    expect(checks.stdout).toMatch(/passed\s+silver_users\s+email_unique/)
    const show = await strata(["runs", "show", result.runId], dir)
    expect(show.stdout).toContain("silver_users: rejected by row_count_not_dropping")
    // about 70% of the rows lost their '@' and were dropped as invalid
    expect(show.stdout).toMatch(/row_count\s+9\d{4} -> 2\d{4} \(!! (69|7\d)%\)/)
    expect(show.stdout).toMatch(/dropped_invalid\s+\d{4} -> 7\d{4}/)
    // a good file again, for the tests that follow
    expect((await run(["scripts/generate.ts"], dir)).stdout).toContain("wrote 100000 users (seed 1)")
  })

  it("STRATA_ENV=prod materializes the same assets into Postgres (checked with psql)", async () => {
    const database = `strata_lakehouse_${process.pid}_${Math.floor(Math.random() * 1e6)}`
    const psql = (sql: string, db = "postgres") =>
      execFileSync("psql", ["-h", "127.0.0.1", "-U", "postgres", "-d", db, "-XAtqc", sql], { encoding: "utf8" }).trim()
    psql(`create database ${database}`)
    try {
      const env = { ...process.env, NO_COLOR: "1", STRATA_ENV: "prod", DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${database}` }
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ["--conditions=@strata/source", cliSource, "materialize", "--json"], {
          cwd: dir,
          env,
          stdio: ["ignore", "pipe", "pipe"]
        })
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", (chunk) => (stdout += chunk))
        child.stderr.on("data", (chunk) => (stderr += chunk))
        child.on("close", (code) => resolve({ code, stdout, stderr }))
      })
      expect(result.code, result.stderr).toBe(0)
      expect(JSON.parse(result.stdout).materialized).toEqual(["silver_users", "gold_user_metrics"])
      // the tables are in Postgres, with the rows the local run produced from the same raw file
      const [rows, distinct] = psql("select count(*), count(distinct email) from lakehouse.silver_users", database).split("|")
      expect(Number(rows)).toBeGreaterThan(90_000)
      expect(Number(distinct)).toBe(Number(rows))
      expect(psql("select count(*) from lakehouse.gold_user_metrics", database)).toBe("1")
      // calendar days are SQL dates
      expect(psql(
        `select data_type from information_schema.columns
         where table_schema = 'lakehouse' and table_name = 'silver_users' and column_name = 'signupDate'`,
        database
      )).toBe("date")
      expect(psql(`select min("signupDate") from lakehouse.silver_users`, database)).toBe("2024-01-01")
      // and the instance too: the run and its materializations
      expect(psql("select status from strata.runs", database)).toBe("succeeded")
      expect(psql("select count(*) from strata.events where type = 'asset-materialized'", database)).toBe("2")
      expect(execFileSync(process.execPath, ["--conditions=@strata/source", cliSource, "status"], { cwd: dir, env, encoding: "utf8" }))
        .toContain("4 fresh, 0 stale, 0 missing")
    } finally {
      psql(`drop database if exists ${database} with (force)`)
    }
  })
})
