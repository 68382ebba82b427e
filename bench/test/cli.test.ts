import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { repositoryRoot } from "../src/runner.ts"

const runCli = (args: ReadonlyArray<string>) =>
  spawnSync(process.execPath, ["bench/src/run.ts", ...args], { cwd: repositoryRoot, encoding: "utf8", timeout: 120_000 })

describe("pnpm bench (the command line, real processes)", () => {
  it("prints one JSON object per case with medians over the repeats, and writes --json", () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-bench-cli-"))
    const file = path.join(folder, "summary.json")
    const result = runCli(["--source", "--cases", "defs:100,mat:100,stale:100", "--repeat", "2", "--json", file])
    expect(result.status, result.stderr).toBe(0)
    const lines = result.stdout.trim().split("\n").map((line) => JSON.parse(line))
    expect(lines.map((line) => line.case)).toEqual(["defs:100", "mat:100", "stale:100"])
    for (const line of lines) {
      expect(line.runs).toHaveLength(2)
      expect(line.median.process_wall_s).toBeGreaterThan(0)
    }
    expect(Object.keys(lines[0].median)).toEqual(expect.arrayContaining(["import_s", "build_total_s"]))
    expect(Object.keys(lines[1].median)).toEqual(
      expect.arrayContaining(["materialize_s", "per_asset_ms", "peak_rss_mb"])
    )
    // SQLite + files: nothing stale after the full run, exactly the root's cone after it changed
    expect(lines[2].median.stale_after_full_count).toBe(0)
    expect(lines[2].median.stale_after_root_count).toBe(lines[2].median.expected_cone)
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual(lines)
    expect(result.stderr).toContain("run 2/2")
    fs.rmSync(folder, { recursive: true })
  })

  it("exits 2 on a bad command line, naming the problem", () => {
    const unknown = runCli(["--cases", "nope:10"])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain("unknown case 'nope:10'")
    const repeat = runCli(["--repeat", "0", "--source"])
    expect(repeat.status).toBe(2)
    expect(repeat.stderr).toContain("--repeat must be a positive integer")
    expect(unknown.stdout).toBe("")
  })
})
