/**
 * ServerProcess: the Node options a catalog server starts with, and `relaunched` in real processes (a
 * script that serves nothing, only reports the process it runs in): the child's options and arguments,
 * the exit code and SIGTERM passed through, and a user's own semi-space size kept.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { ServerProcess } from "../src/process.ts"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-server-process-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
const script = path.join(dir, "serve.ts")
fs.writeFileSync(
  script,
  `import { ServerProcess } from ${JSON.stringify(fileURLToPath(new URL("../src/process.ts", import.meta.url)))}
if (!ServerProcess.relaunched()) {
  if (process.argv[2] === "wait") {
    process.once("SIGTERM", () => process.exit(7))
    setInterval(() => {}, 1000)
  }
  process.stdout.write(JSON.stringify({ pid: process.pid, ppid: process.ppid, execArgv: process.execArgv, args: process.argv.slice(2) }) + "\\n")
  if (process.argv[2] !== "wait") process.exit(3)
}
`
)

interface Report {
  readonly pid: number
  readonly ppid: number
  readonly execArgv: Array<string>
  readonly args: Array<string>
}

/** Runs the script; `onReport` gets the serving process's report and the started process. */
const run = (args: Array<string>, nodeOptions: string | undefined, onReport: (report: Report, pid: number) => void = () => {}) =>
  new Promise<{ code: number | null; report: Report; pid: number }>((resolve, reject) => {
    const { NODE_OPTIONS: _, ...env } = process.env
    const child = spawn(process.execPath, [script, ...args], {
      env: nodeOptions === undefined ? env : { ...env, NODE_OPTIONS: nodeOptions },
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    let report: Report | undefined
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      if (report !== undefined || !out.includes("\n")) return
      report = JSON.parse(out.slice(0, out.indexOf("\n"))) as Report
      onReport(report, child.pid!)
    })
    child.once("error", reject)
    child.once("close", (code) => report === undefined ? reject(new Error(`no report: ${out}`)) : resolve({ code, report, pid: child.pid! }))
  })

describe("ServerProcess.nodeOptions", () => {
  it("adds the bounded young generation unless the options already choose a semi-space size", () => {
    expect(ServerProcess.nodeOptions([], undefined)).toEqual(["--max-semi-space-size=4"])
    expect(ServerProcess.nodeOptions(["--conditions=x"], "--enable-source-maps")).toEqual(["--conditions=x", "--max-semi-space-size=4"])
    expect(ServerProcess.nodeOptions(["--conditions=x"], "--enable-source-maps --max_semi_space_size=16")).toEqual(["--conditions=x"])
    expect(ServerProcess.nodeOptions(["--max-semi-space-size=0"], undefined)).toEqual(["--max-semi-space-size=0"])
    expect(ServerProcess.nodeOptions(["--min-semi-space-size=1"], undefined)).toEqual(["--min-semi-space-size=1", "--max-semi-space-size=4"])
  })
})

describe("ServerProcess.relaunched", () => {
  it("serves from a child with the flag and the same arguments, and exits with its exit code", async () => {
    const { code, report, pid } = await run(["a", "--b"], undefined)
    expect(report.ppid).toBe(pid)
    expect(report.execArgv).toContain("--max-semi-space-size=4")
    expect(report.args).toEqual(["a", "--b"])
    expect(code).toBe(3)
  })

  it("forwards SIGTERM to the child and exits with the child's code", async () => {
    const { code, report } = await run(["wait"], undefined, (_, pid) => process.kill(pid, "SIGTERM"))
    expect(code).toBe(7)
    expect(fs.existsSync(`/proc/${report.pid}`)).toBe(false)
  })

  it("serves in the process itself when NODE_OPTIONS chooses the semi-space size", async () => {
    const { code, report, pid } = await run(["a"], "--max-semi-space-size=16")
    expect(report.pid).toBe(pid)
    expect(report.execArgv).not.toContain("--max-semi-space-size=4")
    expect(code).toBe(3)
  })
})
