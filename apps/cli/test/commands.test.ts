import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { basicConfig, projectsOfThisFile, strata } from "./helpers.ts"

const project = projectsOfThisFile()

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

  it("runs cuts a long selection (a hand-picked list) in the table, with its length; --json has it whole", async () => {
    const long = Array.from({ length: 30 }, () => "a").join(", ")
    expect((await strata(["materialize", "--select", long], { cwd: dir })).code).toBe(0)
    const cut = await strata(["runs", "-n", "1"], { cwd: dir })
    expect(cut.stdout).toMatch(new RegExp(`materialize +1 +${long.slice(0, 80)}… \\(${long.length} characters\\)`))
    expect(JSON.parse((await strata(["runs", "--json", "-n", "1"], { cwd: dir })).stdout)[0]).toMatchObject({ selection: long, assetKeys: ["a"] })
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

describe("source assets", () => {
  it("status records an observation only when the file changed, and warns when it cannot observe", async () => {
    const dir = project({
      "data/raw.csv": "id\n1\n2\n",
      "strata.config.ts": `import { Asset, FileSystemIO, Project, SourceAsset, StrataConfig } from "@strata/core"
import { Effect } from "effect"
const raw = SourceAsset.file("raw", "data/raw.csv", { parse: (text) => text.trim().split("\\n").slice(1) })
const rows = Asset.make("rows", { deps: { raw } }, ({ raw }) => Effect.succeed(raw.length))
export default StrataConfig.define({ project: Project.make({ assets: [raw, rows] }), environments: { local: () => FileSystemIO.layer() } })
`
    })
    const observeRuns = async () =>
      JSON.parse((await strata(["runs", "--json"], { cwd: dir })).stdout)
        .filter((r: { tags: Record<string, string> }) => r.tags["strata/kind"] === "observe").length
    const first = await strata(["status"], { cwd: dir })
    expect(first.stdout).toContain("observed raw: first observation")
    expect(first.stdout).toMatch(/missing\s+rows\s+asset\s+never materialized/)
    expect(await observeRuns()).toBe(1)
    await strata(["status"], { cwd: dir })
    expect(await observeRuns()).toBe(1)
    expect((await strata(["materialize"], { cwd: dir })).code).toBe(0)
    fs.appendFileSync(path.join(dir, "data", "raw.csv"), "3\n")
    const changed = await strata(["status"], { cwd: dir })
    expect(changed.stdout).toContain("observed raw: new data")
    expect(changed.stdout).toMatch(/stale\s+rows\s+asset\s+upstream raw has new data/)
    expect(await observeRuns()).toBe(2)

    fs.rmSync(path.join(dir, "data", "raw.csv"))
    const gone = await strata(["status"], { cwd: dir })
    expect(gone.code).toBe(0)
    expect(gone.stderr).toContain("warning: cannot observe raw: source raw: file")
    expect(gone.stdout).toMatch(/failed\s+raw\s+source\s+source raw: file/)
    expect(gone.stdout).toContain("does not exist")
    const failed = await strata(["materialize"], { cwd: dir })
    expect(failed.code).toBe(1)
    expect(failed.stdout).toMatch(/failed\s+raw: /)
    expect(failed.stdout).toContain("skipped rows: upstream raw failed")
  })
})
