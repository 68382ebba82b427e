import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { TestProcess } from "@strata/core/testing"
import { afterAll, expect } from "vitest"

const cliRoot = path.resolve(import.meta.dirname, "..")

/** The CLI's sources, run by Node's type stripping with the workspace's source condition: no build needed. */
export const sourceBin = path.join(cliRoot, "src", "bin.ts")

export type Result = TestProcess.Finished

export interface RunOptions {
  readonly cwd: string
  readonly env?: Record<string, string | undefined>
  /** Called with the child once it is spawned (to send signals). */
  readonly onSpawn?: (child: import("node:child_process").ChildProcess) => void
  readonly bin?: string
}

/** Runs `strata <args>` in a real child process. */
export const strata = (args: ReadonlyArray<string>, options: RunOptions): Promise<Result> =>
  TestProcess.run(process.execPath, ["--conditions=@strata/source", options.bin ?? sourceBin, ...args], {
    cwd: options.cwd,
    env: { NO_COLOR: "1", STRATA_ENV: undefined, ...options.env },
    onSpawn: options.onSpawn
  })

/**
 * A temporary project folder whose `node_modules` points at this package's,
 * so `@strata/core` and `effect` resolve as in a real project.
 */
export const makeProject = (files: Record<string, string>): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-cli-"))
  fs.symlinkSync(path.join(cliRoot, "node_modules"), path.join(dir, "node_modules"), "dir")
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), text)
  }
  return dir
}

/** The ids of the processes whose parent is `pid` (read from /proc). */
export const childrenOf = (pid: number): Array<number> =>
  fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name)).flatMap((name) => {
    try {
      // the fields after the command name, which may contain spaces: state, ppid, ...
      const fields = fs.readFileSync(`/proc/${name}/stat`, "utf8").split(") ").at(-1)!.split(" ")
      return Number(fields[1]) === pid ? [Number(name)] : []
    } catch {
      return [] // ended while listed
    }
  })

export const removeProject = (dir: string): void => fs.rmSync(dir, { recursive: true, force: true })

/**
 * `makeProject` for one test file: call it at the top of the file; the
 * folders it makes are removed after the file's tests.
 */
export const projectsOfThisFile = (): ((files: Record<string, string>) => string) => {
  const dirs: Array<string> = []
  afterAll(() => dirs.forEach(removeProject))
  return (files) => {
    const dir = makeProject(files)
    dirs.push(dir)
    return dir
  }
}

/** A valid config with three assets; `b` logs and returns metadata, `c` fails when FAIL_C is set. */
export const basicConfig = `import { Asset, FileSystemIO, Output, Project, StrataConfig } from "@strata/core"
import { Effect } from "effect"

const a = Asset.make("a", { group: "bronze", kinds: ["json"] }, () => Effect.succeed([1, 2, 3]))
const b = Asset.make("b", { deps: { a }, group: "silver" }, ({ a }) =>
  Effect.gen(function*() {
    yield* Effect.logInfo("summing rows", a.length)
    return Output.make(a.reduce((x, y) => x + y, 0), { metadata: { row_count: a.length } })
  }))
const c = Asset.make("c", { deps: { b } }, ({ b }) =>
  process.env.FAIL_C === "1" ? Effect.fail(new Error("c exploded on purpose")) : Effect.succeed(b * 2))

export default StrataConfig.define({
  project: Project.make({ assets: [a, b, c] }),
  environments: { local: () => FileSystemIO.layer() }
})
`

/**
 * Runs `strata <args>` under a pseudo-terminal (util-linux `script`), so
 * stdin and stdout are TTYs. `answer` is typed once `prompt` appears.
 */
export const strataTty = (
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly prompt?: string; readonly answer?: string }
): Promise<Result> => {
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`
  const command = [process.execPath, "--conditions=@strata/source", sourceBin, ...args].map(quote).join(" ")
  let stdout = ""
  let answered = false
  return TestProcess.run("script", ["-qfec", command, "/dev/null"], {
    cwd: options.cwd,
    env: { STRATA_ENV: undefined, NO_COLOR: undefined, TERM: "xterm" },
    stdin: "pipe",
    onStdout: (text, child) => {
      stdout += text
      if (!answered && options.prompt !== undefined && stdout.includes(options.prompt)) {
        answered = true
        child.stdin!.write(`${options.answer ?? ""}\n`)
      }
    }
  })
}

/**
 * `strata dev --port 0` on `dir` in a real child process: the catalog's URL
 * once it serves, and `stop` (SIGINT, then waits for the process to end).
 * Fails when the process ends before serving, or after `timeoutMs`
 * (default 120 s). `onSpawn` gets the child (to kill it after the file).
 */
export const startDev = async (
  dir: string,
  options?: { readonly onSpawn?: RunOptions["onSpawn"]; readonly timeoutMs?: number }
): Promise<{ readonly url: string; readonly stop: () => Promise<void> }> => {
  let stdout = ""
  let child: import("node:child_process").ChildProcess | undefined
  let ended: Result | undefined
  const done = strata(["dev", "--port", "0"], {
    cwd: dir,
    onSpawn: (spawned) => {
      child = spawned
      options?.onSpawn?.(spawned)
      spawned.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    }
  }).then((result) => (ended = result))
  const stop = async () => {
    if (ended === undefined) child?.kill("SIGINT")
    await done
  }
  const deadline = Date.now() + (options?.timeoutMs ?? 120_000)
  for (;;) {
    const url = /Strata catalog on (http:\/\/[\d.]+:\d+)/.exec(stdout)?.[1]
    if (url !== undefined) return { url, stop }
    if (ended !== undefined) throw new Error(`strata dev ended (${ended.code}) before serving: ${ended.stderr}`)
    if (Date.now() > deadline) {
      await stop()
      throw new Error("timed out waiting for strata dev to serve")
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/**
 * Polls `check` until it gives a value (not `undefined`), every `pollMs`
 * (default 100); fails naming `what` after `timeoutMs` (default 120 s).
 */
export const until = async <A>(
  check: () => A | undefined | Promise<A | undefined>,
  what: string,
  timeoutMs = 120_000,
  pollMs = 100
): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}

/** Runs `strata args` in `dir` and expects exit 0 (stderr in the failure). */
export const succeeds = async (dir: string, args: ReadonlyArray<string>): Promise<Result> => {
  const result = await strata(args, { cwd: dir })
  expect(result.code, result.stderr).toBe(0)
  return result
}
