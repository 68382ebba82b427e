/**
 * What the lakehouse's end-to-end tests share: a temporary copy of the
 * example (its node_modules linked), and the CLI or a script run in its own
 * Node process with the workspace sources.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

export const example = path.resolve(import.meta.dirname, "..")
export const cliSource = path.join(example, "node_modules", "@strata", "cli", "src", "bin.ts")

export interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** A copy of the example in a fresh temporary folder (config, sources, scripts; node_modules linked). */
export const copyExample = (prefix: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`))
  for (const entry of ["strata.config.ts", "package.json", "src", "scripts"]) {
    fs.cpSync(path.join(example, entry), path.join(dir, entry), { recursive: true })
  }
  fs.symlinkSync(path.join(example, "node_modules"), path.join(dir, "node_modules"), "dir")
  return dir
}

/**
 * Runs `node --conditions=@strata/source ...command` in `cwd`, with
 * `STRATA_ENV` unset unless `env` sets it, and collects its output.
 */
export const runNode = (
  command: ReadonlyArray<string>,
  cwd: string,
  env: Readonly<Record<string, string>> = {},
  onSpawn?: (child: ChildProcess) => void
): Promise<Ran> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@strata/source", ...command], {
      cwd,
      env: { ...process.env, NO_COLOR: "1", STRATA_ENV: "", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    onSpawn?.(child)
  })
