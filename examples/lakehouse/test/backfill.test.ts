/**
 * The partitioned chain (events.config.ts) backfilled by the real CLI, in a
 * temporary copy of the example: real processes, the real SQLite instance,
 * one file per day.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { eventsOf } from "../src/events.ts"

const example = path.resolve(import.meta.dirname, "..")
const cliSource = path.join(example, "node_modules", "@strata", "cli", "src", "bin.ts")

const strata = (args: ReadonlyArray<string>, cwd: string) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@strata/source", cliSource, ...args, "-f", "events.config.ts"], {
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

const days = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `2024-01-${String(from + i).padStart(2, "0")}`)

describe("the lakehouse's partitioned chain", () => {
  let dir: string
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-events-"))
    for (const entry of ["events.config.ts", "package.json", "src"]) fs.cpSync(path.join(example, entry), path.join(dir, entry), { recursive: true })
    fs.symlinkSync(path.join(example, "node_modules"), path.join(dir, "node_modules"), "dir")
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it("backfills +daily_active_users over a week, one file per day; weekly_retention reads the 7 days; a wider range runs only the new days", async () => {
    const first = await strata(["backfill", "--select", "+daily_active_users", "--partitions", "2024-01-01...2024-01-07", "--json"], dir)
    expect(first.code, first.stderr).toBe(0)
    const summary = JSON.parse(first.stdout)
    expect(summary.backfill.status).toBe("completed")
    expect(summary.backfill.assetKeys).toEqual(["raw_events", "daily_active_users"])
    expect(summary.runs.map((run: { selection: string }) => run.selection)).toEqual(days(1, 7))
    expect(first.stderr).toContain("7 run(s) for 7 missing partition(s) of 7")
    const storage = path.join(dir, ".strata", "storage")
    const files = fs.readdirSync(path.join(storage, "raw_events")).sort()
    expect(files).toHaveLength(7)
    files.forEach((file, i) => expect(file).toContain(days(1, 7)[i]))
    const day3 = JSON.parse(fs.readFileSync(path.join(storage, "raw_events", files[2]!), "utf8"))
    expect(day3).toEqual(eventsOf("2024-01-03"))
    const active = fs.readdirSync(path.join(storage, "daily_active_users")).sort()
    const dau = JSON.parse(fs.readFileSync(path.join(storage, "daily_active_users", active[2]!), "utf8"))
    expect(dau).toEqual([{ day: "2024-01-03", activeUsers: new Set(eventsOf("2024-01-03").map((e) => e.userId)).size }])

    // the week of 2024-01-01 reads its 7 days as one array
    const week = await strata(["backfill", "--select", "weekly_retention", "--partitions", "2024-01-01", "--policy", "single-run", "--json"], dir)
    expect(week.code, week.stderr).toBe(0)
    const retention = JSON.parse(fs.readFileSync(path.join(storage, "weekly_retention", fs.readdirSync(path.join(storage, "weekly_retention"))[0]!), "utf8"))
    expect(retention[0]).toMatchObject({ week: "2024-01-01", days: 7 })
    expect(retention[0].retention).toBeGreaterThan(0)
    expect(retention[0].retention).toBeLessThan(1)

    // two weeks, 7 days per run: only the second week's days run
    const wider = await strata(["backfill", "--select", "+daily_active_users", "--partitions", "2024-01-01...2024-01-14", "--policy", "max-per-run=7", "--json"], dir)
    expect(wider.code, wider.stderr).toBe(0)
    expect(JSON.parse(wider.stdout).runs.map((run: { selection: string }) => run.selection)).toEqual(["2024-01-08...2024-01-14"])
    expect(fs.readdirSync(path.join(storage, "raw_events"))).toHaveLength(14)

    const list = JSON.parse((await strata(["backfills", "--json"], dir)).stdout) as Array<{ status: string; progress: { total: number; materialized: number } }>
    expect(list.map((b) => [b.status, b.progress.materialized, b.progress.total])).toEqual([["completed", 14, 14], ["completed", 1, 1], ["completed", 7, 7]])
  }, 300_000)
})
