import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { basicConfig, projectsOfThisFile, strata } from "./helpers.ts"

const project = projectsOfThisFile()

describe("help and usage", () => {
  it("prints help with examples and exits 0", async () => {
    const dir = project({})
    const root = await strata(["--help"], { cwd: dir })
    expect(root.code).toBe(0)
    expect(root.stdout).toContain("materialize")
    expect(root.stdout).toContain("EXAMPLES")
    const sub = await strata(["materialize", "--help"], { cwd: dir })
    expect(sub.code).toBe(0)
    expect(sub.stdout).toContain("--stale-only")
    expect(sub.stdout).toContain("strata materialize --select")
    for (const command of ["status", "list", "runs", "wipe"]) {
      const help = await strata([command, "--help"], { cwd: dir })
      expect(help.code, command).toBe(0)
      expect(help.stdout, command).toContain("EXAMPLES")
    }
  })

  it("--version prints the version of the package's package.json", async () => {
    const manifest = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
    const result = await strata(["--version"], { cwd: project({}) })
    expect(result.code).toBe(0)
    expect(result.stdout.trim()).toBe(`strata v${manifest.version}`)
  })

  it("exits 2 on an unknown flag or a bad flag value", async () => {
    const dir = project({ "strata.config.ts": basicConfig })
    const unknown = await strata(["materialize", "--bogus"], { cwd: dir })
    expect(unknown.code).toBe(2)
    expect(unknown.stdout + unknown.stderr).toContain("--bogus")
    const bad = await strata(["materialize", "--concurrency", "many"], { cwd: dir })
    expect(bad.code).toBe(2)
    const zero = await strata(["materialize", "--concurrency", "0"], { cwd: dir })
    expect(zero.code).toBe(2)
    expect(zero.stderr).toContain("--concurrency must be at least 1")
    const unknownCommand = await strata(["materialise"], { cwd: dir })
    expect(unknownCommand.code).toBe(2)
  })

  it("exits 2 when there is no config file, naming the folder", async () => {
    const dir = project({})
    const result = await strata(["status"], { cwd: dir })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`no strata.config.ts in ${dir}`)
    const missing = await strata(["list", "-f", "nope.config.ts"], { cwd: dir })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("nope.config.ts does not exist")
  })
})

describe("broken projects exit 2 with a message naming the file, the asset and what to do", () => {
  it("a syntax error names the file, line and column", async () => {
    const dir = project({
      "bad.config.ts": `import { Asset } from "@strata/core"\n\nconst x = Asset.make("x", {}, () => {\n  return 1 +\n})\n`
    })
    const result = await strata(["list", "-f", "bad.config.ts"], { cwd: dir })
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/bad\.config\.ts:5:\d+: syntax error/)
    expect(result.stderr).toContain("fix the syntax error")
  })

  it("a cycle names the assets and where the project is made", async () => {
    const dir = project({
      "strata.config.ts": `import { Asset, FileSystemIO, Project, StrataConfig } from "@strata/core"
import { Effect } from "effect"

const a = Asset.make("a", { after: ["c"] }, () => Effect.succeed(1))
const b = Asset.make("b", { deps: { a } }, () => Effect.succeed(1))
const c = Asset.make("c", { deps: { b } }, () => Effect.succeed(1))
export default StrataConfig.define({
  project: Project.make({ assets: [a, b, c] }),
  environments: { local: () => FileSystemIO.layer() }
})
`
    })
    const result = await strata(["status"], { cwd: dir })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("strata.config.ts: the project is invalid (at strata.config.ts:8)")
    expect(result.stderr).toContain("b -> c -> a -> b")
    expect(result.stderr).toContain("break the cycle")
  })

  it("a duplicate key and an invalid key name the asset", async () => {
    const dir = project({
      "dup.config.ts": `import { Asset, FileSystemIO, Project, StrataConfig } from "@strata/core"
import { Effect } from "effect"
const one = Asset.make("users", {}, () => Effect.succeed(1))
const two = Asset.make("users", {}, () => Effect.succeed(2))
export default StrataConfig.define({ project: Project.make({ assets: [one, two] }), environments: { local: () => FileSystemIO.layer() } })
`,
      "key.config.ts": `import { Asset, FileSystemIO, Project, StrataConfig } from "@strata/core"
import { Effect } from "effect"
const bad = Asset.make("bad key!", {}, () => Effect.succeed(1))
export default StrataConfig.define({ project: Project.make({ assets: [bad] }), environments: { local: () => FileSystemIO.layer() } })
`
    })
    const dup = await strata(["list", "-f", "dup.config.ts"], { cwd: dir })
    expect(dup.code).toBe(2)
    expect(dup.stderr).toContain("asset users is defined more than once")
    expect(dup.stderr).toContain("dup.config.ts:3")
    const key = await strata(["list", "-f", "key.config.ts"], { cwd: dir })
    expect(key.code).toBe(2)
    expect(key.stderr).toContain("invalid asset key \"bad key!\"")
    expect(key.stderr).toContain("(at key.config.ts:3)")
  })

  it("a file without a config export says what to export", async () => {
    const dir = project({ "strata.config.ts": "export const nothing = 1\n" })
    const result = await strata(["list"], { cwd: dir })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("export default StrataConfig.define")
  })

  it("an unknown selection suggests keys; a parse error shows the position", async () => {
    const dir = project({ "strata.config.ts": basicConfig })
    const unknown = await strata(["materialize", "--select", "bb"], { cwd: dir })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("no asset has the key 'bb'; did you mean b")
    const parse = await strata(["status", "--select", "a and ("], { cwd: dir })
    expect(parse.code).toBe(2)
    expect(parse.stderr).toContain("cannot parse selection at column 8")
    expect(parse.stderr).toContain("  a and (\n         ^")
    // nothing was recorded for a rejected selection
    expect(fs.existsSync(path.join(dir, ".strata", "storage"))).toBe(false)
  })

  it("an unknown or failing environment exits 2 naming it", async () => {
    const dir = project({
      "strata.config.ts": basicConfig.replace(
        "environments: { local: () => FileSystemIO.layer() }",
        "environments: { local: () => FileSystemIO.layer(), prod: () => Layer.effect(IOManager.DefaultIO, Effect.fail(new Error(\"prod needs a password\"))) }"
      ).replace("import { Effect } from \"effect\"", "import { Effect, Layer } from \"effect\"\nimport { IOManager } from \"@strata/core\"")
    })
    const unknown = await strata(["status"], { cwd: dir, env: { STRATA_ENV: "qa" } })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("environment \"qa\" is not defined in the config; set STRATA_ENV to one of: local, prod")
    const failing = await strata(["materialize"], { cwd: dir, env: { STRATA_ENV: "prod" } })
    expect(failing.code).toBe(2)
    expect(failing.stderr).toContain("environment prod (strata.config.ts) failed to start: prod needs a password")
  })
})
