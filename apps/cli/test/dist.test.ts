/**
 * The published entry points: the tsup bundle (shebang, executable bit) and
 * the `bin/strata.js` launcher that package managers link as `strata`.
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { basicConfig, makeProject, removeProject } from "./helpers.ts"

const cliRoot = path.resolve(import.meta.dirname, "..")
let dir: string

/** The newest modification time of the files under `folder`. */
const newest = (folder: string): number =>
  (fs.readdirSync(folder, { recursive: true }) as Array<string>)
    .map((file) => fs.statSync(path.join(folder, file)))
    .filter((stat) => stat.isFile())
    .reduce((latest, stat) => Math.max(latest, stat.mtimeMs), 0)

beforeAll(() => {
  // rebuilt only when older than its sources: CI builds every package first, and other packages' tests run the
  // CLI's dist at the same time as these, so a rebuild here must not rewrite it under them
  const bin = path.join(cliRoot, "dist", "bin.js")
  if (!fs.existsSync(bin) || fs.statSync(bin).mtimeMs < newest(path.join(cliRoot, "src"))) {
    execFileSync(process.execPath, [path.join(cliRoot, "node_modules", "tsup", "dist", "cli-default.js")], { cwd: cliRoot, stdio: "ignore" })
  }
  dir = makeProject({ "strata.config.ts": basicConfig })
})
afterAll(() => removeProject(dir))

// dependencies (@strata/core, @strata/sqlite) still resolve to their sources, so their builds are not needed
const env = { ...process.env, NODE_OPTIONS: "--conditions=@strata/source", NO_COLOR: "1" }

describe("built CLI", () => {
  it("dist/bin.js is an executable with a node shebang", () => {
    const bin = path.join(cliRoot, "dist", "bin.js")
    expect(fs.readFileSync(bin, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true)
    const result = spawnSync(bin, ["materialize", "--json"], { cwd: dir, env, encoding: "utf8" })
    expect(result.status, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout).materialized).toEqual(["a", "b", "c"])
  })

  it("the bin/strata.js launcher runs the build and passes the exit code through", () => {
    const launcher = path.join(cliRoot, "bin", "strata.js")
    const ok = spawnSync(launcher, ["status", "--json"], { cwd: dir, env, encoding: "utf8" })
    expect(ok.status, ok.stderr).toBe(0)
    expect(JSON.parse(ok.stdout).assets.map((a: { status: string }) => a.status)).toEqual(["fresh", "fresh", "fresh"])
    const bad = spawnSync(launcher, ["materialize", "--select", "zzz"], { cwd: dir, env, encoding: "utf8" })
    expect(bad.status).toBe(2)
    const failed = spawnSync(launcher, ["materialize"], { cwd: dir, env: { ...env, FAIL_C: "1" }, encoding: "utf8" })
    expect(failed.status).toBe(1)
  })
})
