// STRATA_ENV=iceberg end to end: the CLI, in its own process, materializes the example's assets as Iceberg
// tables in a local warehouse folder; the tables are then read back with @strata/iceberg's reader.
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { IcebergCatalog, IcebergTable } from "@strata/iceberg"
import { Effect } from "effect"
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

describe("STRATA_ENV=iceberg", () => {
  let dir: string
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-iceberg-"))
    for (const entry of ["strata.config.ts", "package.json", "src", "scripts"]) {
      fs.cpSync(path.join(example, entry), path.join(dir, entry), { recursive: true })
    }
    fs.symlinkSync(path.join(example, "node_modules"), path.join(dir, "node_modules"), "dir")
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it("materializes the same assets as Iceberg tables in .strata/warehouse", async () => {
    const generated = await run(["scripts/generate.ts", "--rows", "5000"], dir, {})
    expect(generated.code, generated.stderr).toBe(0)
    const env = { STRATA_ENV: "iceberg" }
    const result = await run([cliSource, "materialize", "--json"], dir, env)
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout).materialized).toEqual(["silver_users", "gold_user_metrics"])

    const warehouse = path.join(dir, ".strata", "warehouse")
    expect(fs.existsSync(path.join(warehouse, "lakehouse", "silver_users", "metadata", "version-hint.text"))).toBe(true)
    const tables = await Effect.runPromise(Effect.gen(function*() {
      const users = yield* IcebergTable.describe("lakehouse.silver_users")
      const metrics = yield* IcebergTable.read("lakehouse.gold_user_metrics")
      return { users, metrics }
    }).pipe(Effect.provide(IcebergCatalog.layerFileSystem({ warehouse }))))
    expect(tables.users.rowCount).toBeGreaterThan(4000)
    // calendar days are Iceberg dates
    expect(tables.users.schema.fields.find((field) => field.name === "signupDate")?.type).toBe("date")
    expect(tables.metrics.numRows).toBe(1)

    const status = await run([cliSource, "status"], dir, env)
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).toContain("0 stale, 0 missing")
  }, 300_000)
})
