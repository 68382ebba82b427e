/**
 * With `--json`, stdout carries only the JSON document: warnings logged while
 * the instance opens (orphaned runs reaped), warnings of source observation
 * and what asset code prints with `console.log` go to stderr.
 */
import type { ChildProcess } from "node:child_process"
import { afterAll, describe, expect, it } from "vitest"
import { projectsOfThisFile, strata } from "./helpers.ts"

const project = projectsOfThisFile()
const children: Array<ChildProcess> = []
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
})

const config = `import { Asset, FileSystemIO, Project, SourceAsset, StrataConfig } from "@strata/core"
import { Effect } from "effect"
const raw = SourceAsset.file("raw", "data/raw.txt")
const first = Asset.make("first", { deps: { raw } }, ({ raw }) => Effect.succeed(String(raw).length))
const slow = Asset.make("slow", { deps: { first } }, ({ first }) =>
  process.env.SLOW === "1" ? Effect.as(Effect.sleep("60 seconds"), first) : Effect.sync(() => {
    console.log("printed by the asset")
    console.info("informed by the asset")
    return first
  }))
export default StrataConfig.define({ project: Project.make({ assets: [raw, first, slow] }), environments: { local: () => FileSystemIO.layer() } })
`

/** Starts a run that never ends, then kills its process with SIGKILL once its first step is done: an orphaned run. */
const orphanARun = async (dir: string) => {
  let stdout = ""
  let child: ChildProcess | undefined
  const done = strata(["materialize"], {
    cwd: dir,
    env: { SLOW: "1" },
    onSpawn: (spawned) => {
      child = spawned
      children.push(spawned)
      spawned.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    }
  })
  while (!stdout.includes("materialized first")) await new Promise((resolve) => setTimeout(resolve, 50))
  child!.kill("SIGKILL")
  await done
}

const jsonOnly = (stdout: string): unknown => {
  // the whole of stdout is one JSON document
  expect(stdout.trim().startsWith("{") || stdout.trim().startsWith("["), stdout).toBe(true)
  return JSON.parse(stdout)
}

describe("--json keeps stdout for the JSON document", () => {
  it("status --json: the orphaned-run warning goes to stderr", async () => {
    const dir = project({ "strata.config.ts": config, "data/raw.txt": "abc" })
    await orphanARun(dir)
    const result = await strata(["status", "--json"], { cwd: dir })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain("marked 1 orphaned run(s) as failed")
    const document = jsonOnly(result.stdout) as { assets: Array<{ key: string }> }
    expect(document.assets.map((a) => a.key)).toEqual(["raw", "first", "slow"])
  })

  it("materialize --json: the orphaned-run warning and the asset's console output go to stderr", async () => {
    const dir = project({ "strata.config.ts": config, "data/raw.txt": "abc" })
    await orphanARun(dir)
    const result = await strata(["materialize", "--json"], { cwd: dir })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain("marked 1 orphaned run(s) as failed")
    expect(result.stderr).toContain("printed by the asset")
    expect(result.stderr).toContain("informed by the asset")
    const run = jsonOnly(result.stdout) as { status: string; materialized: Array<string> }
    expect(run.status).toBe("succeeded")
    expect(run.materialized).toEqual(["first", "slow"])
  })

  it("runs --json and runs show --json after an orphaned run: JSON only", async () => {
    const dir = project({ "strata.config.ts": config, "data/raw.txt": "abc" })
    await orphanARun(dir)
    const runs = await strata(["runs", "--json"], { cwd: dir })
    expect(runs.code, runs.stderr).toBe(0)
    expect(runs.stderr).toContain("orphaned")
    const list = jsonOnly(runs.stdout) as Array<{ runId: string; status: string }>
    expect(list[0]!.status).toBe("failed")
    const show = await strata(["runs", "show", list[0]!.runId, "--json"], { cwd: dir })
    expect(show.code, show.stderr).toBe(0)
    expect((jsonOnly(show.stdout) as { run: { runId: string } }).run.runId).toBe(list[0]!.runId)
  })
})
