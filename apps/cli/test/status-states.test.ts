/**
 * `strata status` shows what the catalog shows: `failed` (the error's first
 * line and the run) and `running` (runs of other processes on the same
 * instance), from the one function core shares (`AssetState`); a source
 * whose file was deleted shows that it is gone, not `fresh`.
 */
import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { projectsOfThisFile, strata } from "./helpers.ts"

const project = projectsOfThisFile()
const children: Array<ChildProcess> = []
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
})

interface AssetJson {
  readonly key: string
  readonly status: string
  readonly reasonText: ReadonlyArray<string>
  readonly failure?: { readonly runId: string; readonly message: string }
  readonly runId?: string
}
const assets = (stdout: string): Record<string, AssetJson> =>
  Object.fromEntries((JSON.parse(stdout).assets as Array<AssetJson>).map((a) => [a.key, a]))

const config = `import { Asset, FileSystemIO, Project, SourceAsset, StrataConfig } from "@strata/core"
import { Effect } from "effect"
const raw = SourceAsset.file("raw", "data/raw.txt")
const first = Asset.make("first", { deps: { raw } }, ({ raw }) => Effect.succeed(String(raw).length))
const second = Asset.make("second", { deps: { first } }, ({ first }) =>
  process.env.MODE === "fail" ? Effect.fail(new Error("second broke: the API said 503\\n  at a stack line\\n  at another"))
  : process.env.MODE === "slow" ? Effect.as(Effect.sleep("60 seconds"), first)
  : Effect.succeed(first + 1))
const third = Asset.make("third", { deps: { second } }, ({ second }) => Effect.succeed(second + 1))
export default StrataConfig.define({ project: Project.make({ assets: [raw, first, second, third] }), environments: { local: () => FileSystemIO.layer() } })
`

describe("strata status: failed, running, and a source that is gone", () => {
  it("a failed asset is failed with the error's first line and the run id, until it materializes", async () => {
    const dir = project({ "strata.config.ts": config, "data/raw.txt": "abc" })
    const run = await strata(["materialize", "--json"], { cwd: dir, env: { MODE: "fail" } })
    expect(run.code).toBe(1)
    const runId = JSON.parse(run.stdout).runId as string
    const json = await strata(["status", "--json"], { cwd: dir })
    expect(json.code, json.stderr).toBe(0)
    const byKey = assets(json.stdout)
    expect(byKey.second!.status).toBe("failed")
    expect(byKey.second!.failure).toEqual({ runId, message: "second broke: the API said 503", tag: "Error", timestamp: expect.any(Number) })
    expect(byKey.first!.status).toBe("fresh")
    expect(byKey.third!.status).toBe("missing")
    const text = await strata(["status"], { cwd: dir })
    expect(text.stdout).toMatch(new RegExp(`failed\\s+second\\s+asset\\s+second broke: the API said 503 \\(run ${runId}\\)`))
    expect(text.stdout).not.toContain("at a stack line")
    expect(text.stdout).toContain("2 fresh, 0 stale, 1 missing, 1 failed, 0 running")
    expect((await strata(["materialize"], { cwd: dir })).code).toBe(0)
    expect(assets((await strata(["status", "--json"], { cwd: dir })).stdout).second!.status).toBe("fresh")
  })

  it("the steps of a run going on in another process are running, with its run id", async () => {
    const dir = project({ "strata.config.ts": config, "data/raw.txt": "abc" })
    let stdout = ""
    let child: ChildProcess | undefined
    const done = strata(["materialize"], {
      cwd: dir,
      env: { MODE: "slow" },
      onSpawn: (spawned) => {
        child = spawned
        children.push(spawned)
        spawned.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
      }
    })
    while (!stdout.includes("materialized first")) await new Promise((resolve) => setTimeout(resolve, 50))
    const runs = JSON.parse((await strata(["runs", "--json", "--status", "started"], { cwd: dir })).stdout) as Array<{ runId: string }>
    expect(runs).toHaveLength(1)
    const byKey = assets((await strata(["status", "--json"], { cwd: dir })).stdout)
    expect(byKey.first!.status).toBe("fresh")
    expect(byKey.second!.status).toBe("running")
    expect(byKey.second!.runId).toBe(runs[0]!.runId)
    expect(byKey.third!.status).toBe("running")
    const text = await strata(["status"], { cwd: dir })
    expect(text.stdout).toMatch(new RegExp(`running\\s+second\\s+asset\\s+in run ${runs[0]!.runId}`))
    child!.kill("SIGINT")
    await done
  })

  it("a deleted source file shows that the source is gone (stderr warns), and fresh again once restored", async () => {
    const dir = project({ "strata.config.ts": config, "data/raw.txt": "abc" })
    expect((await strata(["materialize"], { cwd: dir })).code).toBe(0)
    fs.rmSync(path.join(dir, "data", "raw.txt"))
    const gone = await strata(["status", "--json"], { cwd: dir })
    expect(gone.code).toBe(0)
    const raw = assets(gone.stdout).raw!
    expect(raw.status).toBe("failed")
    expect(raw.failure!.message).toBe("source raw: file data/raw.txt does not exist")
    const text = await strata(["status"], { cwd: dir })
    expect(text.stdout).toMatch(/failed\s+raw\s+source\s+source raw: file data\/raw.txt does not exist/)
    expect(text.stderr).toContain("warning: cannot observe raw: source raw: file data/raw.txt does not exist")
    fs.writeFileSync(path.join(dir, "data", "raw.txt"), "abc")
    const back = assets((await strata(["status", "--json"], { cwd: dir })).stdout)
    expect(back.raw!.status).toBe("fresh")
    expect(back.third!.status).toBe("fresh")
  })
})
