// STRATA_ENV=snowflake end to end: the CLI, in its own process, materializes the example's assets through the
// real snowflake-sdk into the local Snowflake server (@strata/snowflake/testing), configured only by the
// SNOWFLAKE_* variables a user would set; the tables are then checked through the driver.
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { SnowflakeClient } from "@strata/snowflake"
import type { LocalSnowflake } from "@strata/snowflake/testing"
import { start } from "@strata/snowflake/testing"
import { Effect, Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const example = path.resolve(import.meta.dirname, "..")
const cliSource = path.join(example, "node_modules", "@strata", "cli", "src", "bin.ts")

const run = (command: ReadonlyArray<string>, cwd: string, env: Record<string, string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@strata/source", ...command], {
      cwd,
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

describe("STRATA_ENV=snowflake", () => {
  let dir: string
  let server: LocalSnowflake
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-snowflake-"))
    for (const entry of ["strata.config.ts", "package.json", "src", "scripts"]) {
      fs.cpSync(path.join(example, entry), path.join(dir, entry), { recursive: true })
    }
    fs.symlinkSync(path.join(example, "node_modules"), path.join(dir, "node_modules"), "dir")
    server = await start({ databases: ["ANALYTICS"] })
  })
  afterAll(async () => {
    await server.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it("materializes the same assets into Snowflake tables, read back through the driver", async () => {
    const generated = await run(["scripts/generate.ts", "--rows", "5000"], dir, {})
    expect(generated.code, generated.stderr).toBe(0)
    const env = {
      STRATA_ENV: "snowflake",
      SNOWFLAKE_ACCOUNT: server.connection.account,
      SNOWFLAKE_USER: server.connection.user,
      SNOWFLAKE_PASSWORD: server.password,
      SNOWFLAKE_DATABASE: "ANALYTICS",
      SNOWFLAKE_ACCESS_URL: server.connection.accessUrl
    }
    const result = await run([cliSource, "materialize", "--json"], dir, env)
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout).materialized).toEqual(["silver_users", "gold_user_metrics"])

    const rows = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const client = yield* SnowflakeClient.make({ ...server.connection, auth: { _tag: "Password", password: Redacted.make(server.password) } })
      const users = yield* client.query(`select count(*) as n, count(distinct "email") as d, min("signupDate")::varchar as first from lakehouse.silver_users`)
      const metrics = yield* client.query("select count(*) as n from lakehouse.gold_user_metrics")
      return { users: users[0]!, metrics: metrics[0]! }
    })))
    expect(Number(rows.users["N"])).toBeGreaterThan(4000)
    expect(Number(rows.users["D"])).toBe(Number(rows.users["N"]))
    expect(rows.users["FIRST"]).toBe("2024-01-01")
    expect(Number(rows.metrics["N"])).toBe(1)
    // every statement the run sent carried the asset in its query tag
    expect(server.queries.some((query) => query.sqlText.includes("LAKEHOUSE") && query.queryTag?.includes("silver_users"))).toBe(true)

    const status = await run([cliSource, "status"], dir, env)
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).toContain("0 stale, 0 missing")
  }, 300_000)
})
