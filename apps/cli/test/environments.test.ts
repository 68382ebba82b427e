import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { basicConfig, projectsOfThisFile, strata, strataTty } from "./helpers.ts"

const project = projectsOfThisFile()

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

  // three CLI processes from sources behind a pseudo-terminal: 53 s at load 27, so it gets twice the default
  it("wipe asks, and only deletes on yes", { timeout: 120_000 }, async () => {
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
