import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { basicConfig, makeProject, removeProject, strata, strataTty } from "./helpers.ts"

const dirs: Array<string> = []
const project = (files: Record<string, string>) => {
  const dir = makeProject(files)
  dirs.push(dir)
  return dir
}
afterAll(() => dirs.forEach(removeProject))

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

describe("commands on a working project", () => {
  let dir: string
  let firstRun: string
  beforeAll(async () => {
    dir = project({ "strata.config.ts": basicConfig })
    const result = await strata(["materialize", "--json"], { cwd: dir })
    expect(result.code, result.stderr).toBe(0)
    const run = JSON.parse(result.stdout)
    expect(run.status).toBe("succeeded")
    expect(run.materialized).toEqual(["a", "b", "c"])
    firstRun = run.runId
  })

  it("materialize records in the SQLite instance next to the config and stores values under .strata/storage", () => {
    expect(fs.existsSync(path.join(dir, ".strata", "instance.db"))).toBe(true)
    expect(JSON.parse(fs.readFileSync(path.join(dir, ".strata", "storage", "b.json"), "utf8"))).toBe(6)
  })

  it("materialize prints progress lines and a summary without a TTY", async () => {
    const result = await strata(["materialize", "--select", "b"], { cwd: dir })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("Materializing 1 step")
    expect(result.stdout).toMatch(/✓ materialized b \d+ms/)
    expect(result.stdout).toContain("info b: summing rows 3")
    expect(result.stdout).toMatch(/Run [0-9a-f-]+ succeeded in/)
    expect(result.stdout).toContain("1 materialized, 0 observed, 0 skipped, 0 failed")
  })

  it("status shows fresh, then stale with reasons after an upstream changes", async () => {
    const fresh = await strata(["status", "--json"], { cwd: dir })
    expect(fresh.code).toBe(0)
    const before = JSON.parse(fresh.stdout).assets.map((a: { key: string; status: string }) => `${a.key}:${a.status}`)
    expect(before).toEqual(["a:fresh", "b:fresh", "c:fresh"])
    // re-materialize only a, with new data: b and c become stale
    fs.writeFileSync(path.join(dir, "strata.config.ts"), basicConfig.replace("[1, 2, 3]", "[1, 2, 3, 4]"))
    const rebuilt = await strata(["materialize", "--select", "a"], { cwd: dir })
    expect(rebuilt.code).toBe(0)
    const stale = await strata(["status"], { cwd: dir })
    expect(stale.code).toBe(0)
    expect(stale.stdout).toMatch(/fresh\s+a\s+asset/)
    expect(stale.stdout).toMatch(/stale\s+b\s+asset\s+upstream a has new data/)
    expect(stale.stdout).toMatch(/stale\s+c\s+asset\s+upstream b is stale/)
    expect(stale.stdout).toContain("1 fresh, 2 stale, 0 missing")
    const only = await strata(["materialize", "--stale-only", "--json"], { cwd: dir })
    const run = JSON.parse(only.stdout)
    expect(run.materialized).toEqual(["b", "c"])
    expect(run.skipped.map((s: { key: string }) => s.key)).toEqual(["a"])
    const selected = await strata(["status", "--select", "c", "--json"], { cwd: dir })
    expect(JSON.parse(selected.stdout).assets.map((a: { key: string }) => a.key)).toEqual(["c"])
  })

  it("list shows kind, group, kinds, deps, I/O manager and exact source locations", async () => {
    const result = await strata(["list", "--json"], { cwd: dir })
    expect(result.code).toBe(0)
    const rows = JSON.parse(result.stdout)
    expect(rows.map((r: { key: string }) => r.key)).toEqual(["a", "b", "c"])
    expect(rows[0]).toMatchObject({ kind: "asset", group: "bronze", kinds: ["json"], io: "@strata/core/DefaultIO" })
    expect(rows[1].deps).toEqual(["a"])
    expect(rows.map((r: { location: string }) => r.location)).toEqual([
      "strata.config.ts:4:17",
      "strata.config.ts:5:17",
      "strata.config.ts:10:17"
    ])
    const text = await strata(["list"], { cwd: dir })
    expect(text.stdout).toMatch(/b\s+asset\s+silver\s+-\s+a\s+@strata\/core\/DefaultIO/)
  })

  it("runs lists runs newest first and runs show prints events, logs and metadata", async () => {
    const list = await strata(["runs", "--json", "--limit", "100"], { cwd: dir })
    expect(list.code).toBe(0)
    const runs = JSON.parse(list.stdout)
    expect(runs.at(-1).runId).toBe(firstRun)
    const limited = JSON.parse((await strata(["runs", "--json", "-n", "1"], { cwd: dir })).stdout)
    expect(limited.length).toBe(1)
    const table = await strata(["runs"], { cwd: dir })
    expect(table.stdout).toContain(firstRun)
    expect(table.stdout).toContain("RUN")

    const show = await strata(["runs", "show", firstRun, "--json"], { cwd: dir })
    expect(show.code).toBe(0)
    const detail = JSON.parse(show.stdout)
    expect(detail.run.status).toBe("succeeded")
    expect(detail.materializations.find((m: { assetKey: string }) => m.assetKey === "b").metadata.row_count).toBe(3)
    expect(detail.logs[0].message).toBe("summing rows 3")
    const text = await strata(["runs", "show", firstRun.slice(0, 8)], { cwd: dir })
    expect(text.stdout).toContain("asset-materialized")
    expect(text.stdout).toContain("row_count: 3")
    expect(text.stdout).toContain("summing rows 3")
    const missing = await strata(["runs", "show", "does-not-exist"], { cwd: dir })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("run does-not-exist does not exist")
  })

  it("a failing asset exits 1, skips its downstream and names the error", async () => {
    const failed = await strata(["materialize"], { cwd: dir, env: { FAIL_C: "1" } })
    expect(failed.code).toBe(1)
    expect(failed.stdout).toContain("failed c: Error: c exploded on purpose")
    expect(failed.stdout).toContain("1 failed")
    expect(failed.stdout).toContain("details: strata runs show")
    const runs = JSON.parse((await strata(["runs", "--status", "failed", "--json"], { cwd: dir })).stdout)
    expect(runs.length).toBe(1)
    expect(runs[0].status).toBe("failed")
  })
})

describe("wipe", () => {
  it("refuses without --yes and without a TTY (exit 2), deletes with --yes", async () => {
    const dir = project({ "strata.config.ts": basicConfig })
    expect((await strata(["materialize"], { cwd: dir })).code).toBe(0)
    const refused = await strata(["wipe"], { cwd: dir })
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain("pass --yes")
    expect(fs.existsSync(path.join(dir, ".strata", "instance.db"))).toBe(true)
    const wiped = await strata(["wipe", "--yes"], { cwd: dir })
    expect(wiped.code).toBe(0)
    expect(fs.existsSync(path.join(dir, ".strata"))).toBe(false)
    const runs = await strata(["runs", "--json"], { cwd: dir })
    expect(JSON.parse(runs.stdout)).toEqual([])
    const status = JSON.parse((await strata(["status", "--json"], { cwd: dir })).stdout)
    expect(status.assets.every((a: { status: string }) => a.status === "missing")).toBe(true)
  })
})

describe("environments and loading", () => {
  it("uses the environment's own Instance when it provides one (no SQLite file)", async () => {
    const dir = project({
      "strata.config.ts": basicConfig
        .replace("environments: { local: () => FileSystemIO.layer() }", "environments: { local: () => Layer.mergeAll(FileSystemIO.layer(), Instance.layerMemory) }")
        .replace("import { Effect } from \"effect\"", "import { Effect, Layer } from \"effect\"\nimport { Instance } from \"@strata/core\"")
    })
    const result = await strata(["materialize"], { cwd: dir })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("instance memory")
    expect(fs.existsSync(path.join(dir, ".strata", "instance.db"))).toBe(false)
  })

  it("falls back to jiti for syntax Node cannot strip (enum, extensionless import); lines stay exact", async () => {
    const dir = project({
      "helpers.ts": "export const offset = 10\n",
      "strata.config.ts": `import { Asset, FileSystemIO, Project, StrataConfig } from "@strata/core"
import { Effect } from "effect"
import { offset } from "./helpers"

enum Size { Small = 1, Large = 100 }

const big = Asset.make("big", {}, () => Effect.succeed(Size.Large + offset))
export default StrataConfig.define({
  project: Project.make({ assets: [big] }),
  environments: { local: () => FileSystemIO.layer() }
})
`
    })
    const result = await strata(["materialize", "--json"], { cwd: dir })
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(fs.readFileSync(path.join(dir, ".strata", "storage", "big.json"), "utf8"))).toBe(110)
    const list = JSON.parse((await strata(["list", "--json"], { cwd: dir })).stdout)
    expect(list[0].location).toMatch(/^strata\.config\.ts:7:\d+$/)
  })

  it("runs from a sub folder with -f, resolving .strata next to the config", async () => {
    const dir = project({ "project/strata.config.ts": basicConfig, "elsewhere/.keep": "" })
    const result = await strata(["materialize", "-f", "../project/strata.config.ts"], { cwd: path.join(dir, "elsewhere") })
    expect(result.code, result.stderr).toBe(0)
    expect(fs.existsSync(path.join(dir, "project", ".strata", "instance.db"))).toBe(true)
    expect(fs.existsSync(path.join(dir, "elsewhere", ".strata"))).toBe(false)
  })
})

describe("cancellation", () => {
  it("SIGINT during a run exits 130 and records the run as canceled", async () => {
    const dir = project({
      "strata.config.ts": `import { Asset, FileSystemIO, Project, StrataConfig } from "@strata/core"
import { Effect } from "effect"
const slow = Asset.make("slow", {}, () => Effect.as(Effect.sleep("30 seconds"), 1))
export default StrataConfig.define({ project: Project.make({ assets: [slow] }), environments: { local: () => FileSystemIO.layer() } })
`
    })
    const result = await strata(["materialize"], {
      cwd: dir,
      onSpawn: (child) => {
        child.stdout!.on("data", (chunk: Buffer) => {
          if (chunk.toString().includes("Materializing")) setTimeout(() => child.kill("SIGINT"), 500)
        })
      }
    })
    expect(result.code).toBe(130)
    const runs = JSON.parse((await strata(["runs", "--json"], { cwd: dir })).stdout)
    expect(runs[0].status).toBe("canceled")
  })
})

describe("on a TTY", () => {
  it("materialize redraws a live status line and colours the summary", async () => {
    const dir = project({ "strata.config.ts": basicConfig })
    const result = await strataTty(["materialize"], { cwd: dir })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("\x1b[2K")
    expect(result.stdout).toMatch(/[-\\|/] \d\/3 steps · \d running · 0 failed · \d+ms/)
    expect(result.stdout).toContain("\x1b[32msucceeded\x1b[0m")
  })

  it("wipe asks, and only deletes on yes", async () => {
    const dir = project({ "strata.config.ts": basicConfig })
    expect((await strata(["materialize"], { cwd: dir })).code).toBe(0)
    const no = await strataTty(["wipe"], { cwd: dir, prompt: "[y/N]", answer: "n" })
    expect(no.code).toBe(0)
    expect(no.stdout).toContain("Not wiped.")
    expect(fs.existsSync(path.join(dir, ".strata", "instance.db"))).toBe(true)
    const yes = await strataTty(["wipe"], { cwd: dir, prompt: "[y/N]", answer: "y" })
    expect(yes.code).toBe(0)
    expect(yes.stdout).toContain("Wiped")
    expect(fs.existsSync(path.join(dir, ".strata"))).toBe(false)
  })
})
