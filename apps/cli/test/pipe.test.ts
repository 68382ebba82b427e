/**
 * `strata materialize | head -1`: the reader closes the pipe after one line;
 * the run must go on, be recorded, and the command must not crash on EPIPE.
 * A real pipe between real processes (bash, the CLI, head).
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { projectsOfThisFile, sourceBin, strata } from "./helpers.ts"

const project = projectsOfThisFile()

const config = `import { Asset, FileSystemIO, Project, StrataConfig } from "@strata/core"
import { Effect } from "effect"
const a = Asset.make("a", {}, () => Effect.as(Effect.sleep("300 millis"), 1))
const b = Asset.make("b", { deps: { a } }, ({ a }) => Effect.as(Effect.sleep("300 millis"), a + 1))
const c = Asset.make("c", { deps: { b } }, ({ b }) =>
  Effect.gen(function*() {
    yield* Effect.logInfo("c logs a line")
    yield* Effect.sleep("300 millis")
    return b + 1
  }))
export default StrataConfig.define({ project: Project.make({ assets: [a, b, c] }), environments: { local: () => FileSystemIO.layer() } })
`

/** Runs `strata <args> | head -1` in bash; resolves with what head printed, strata's stderr and strata's exit status. */
const pipedToHead = (args: ReadonlyArray<string>, cwd: string) =>
  new Promise<{ head: string; stderr: string; status: number }>((resolve, reject) => {
    const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`
    const command = [process.execPath, "--conditions=@strata/source", sourceBin, ...args].map(quote).join(" ")
    const child = spawn("bash", ["-c", `${command} 2>strata.stderr | head -1; echo "\${PIPESTATUS[0]}" > strata.status`], {
      cwd,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "inherit"]
    })
    let head = ""
    child.stdout.on("data", (chunk) => (head += chunk))
    child.on("error", reject)
    child.on("close", () =>
      resolve({
        head,
        stderr: fs.readFileSync(path.join(cwd, "strata.stderr"), "utf8"),
        status: Number(fs.readFileSync(path.join(cwd, "strata.status"), "utf8").trim())
      }))
  })

describe("stdout closed by the reader", () => {
  it("materialize | head -1 finishes and records the run, exit 0, no EPIPE", async () => {
    const dir = project({ "strata.config.ts": config })
    const piped = await pipedToHead(["materialize"], dir)
    expect(piped.head).toMatch(/^Materializing 3 steps/)
    expect(piped.stderr).not.toMatch(/EPIPE|Unhandled|internal error/)
    expect(piped.status, piped.stderr).toBe(0)
    const runs = await strata(["runs", "--json"], { cwd: dir })
    const [run] = JSON.parse(runs.stdout) as Array<{ status: string; assetKeys: Array<string> }>
    expect(run!.status).toBe("succeeded")
    expect(JSON.parse(fs.readFileSync(path.join(dir, ".strata", "storage", "c.json"), "utf8"))).toBe(3)
  })

  it("materialize --json | head -1 and status | head -1 end with exit 0 too", async () => {
    const dir = project({ "strata.config.ts": config })
    const json = await pipedToHead(["materialize", "--json"], dir)
    expect(json.head.trim()).toBe("{")
    expect(json.stderr).not.toMatch(/EPIPE|internal error/)
    expect(json.status, json.stderr).toBe(0)
    const status = await pipedToHead(["status"], dir)
    expect(status.head).toMatch(/^STATUS\s+ASSET/)
    expect(status.status, status.stderr).toBe(0)
  })
})
