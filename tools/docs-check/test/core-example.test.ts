import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { allBlocks, isFragment, packageDir } from "../src/Readme.ts"

// @strata/core's README "Example", run as a user would: the block as a file of its own, Node's type
// stripping, the built package (no source condition), in an empty folder holding only data/users.csv.
describe("@strata/core README Example", () => {
  const example = allBlocks().find((block) => block.file === "packages/core/README.md" && block.heading === "Example")
  const scriptDir = fs.mkdtempSync(path.join(packageDir, ".readme-run-"))
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-core-example-"))
  afterAll(() => {
    fs.rmSync(scriptDir, { recursive: true, force: true })
    fs.rmSync(workDir, { recursive: true, force: true })
  })

  it("materializes the users CSV into silver and gold, and reports every asset fresh", () => {
    expect(example, "packages/core/README.md has a ```ts block under ## Example").toBeDefined()
    expect(isFragment(example!)).toBe(false)
    const script = path.join(scriptDir, "example.ts")
    fs.writeFileSync(script, example!.code)
    fs.mkdirSync(path.join(workDir, "data"))
    fs.writeFileSync(path.join(workDir, "data", "users.csv"), "id,email\n1,ada@example.com\n2,not-an-email\n3,bob@example.com\n")

    const { NODE_OPTIONS: _, ...env } = process.env
    const result = spawnSync(process.execPath, [script], { cwd: workDir, encoding: "utf8", env, timeout: 60_000 })
    expect(result.stderr).toBe("")
    expect(result.status).toBe(0)
    expect(result.stdout.trim().split("\n")).toEqual([
      "succeeded [ 'silver_users', 'gold_user_count' ] []",
      "raw_users fresh []",
      "silver_users fresh []",
      "gold_user_count fresh []"
    ])
    const stored = (key: string) => JSON.parse(fs.readFileSync(path.join(workDir, ".strata", "storage", `${key}.json`), "utf8"))
    expect(stored("silver_users")).toEqual([{ id: 1, email: "ada@example.com" }, { id: 3, email: "bob@example.com" }])
    expect(stored("gold_user_count")).toBe(2)
  })
})
