/**
 * The process a catalog server runs in: Node with a bounded young generation.
 *
 * V8 sizes its young generation (two semi-spaces) from the machine's memory: up to 64 MB a semi-space on a
 * large machine. A catalog of 50,000 assets allocates fast enough (every request encodes JSON pages) to
 * fill it, and the server then peaks 150 MB higher than with 4 MB semi-spaces, for no measurable gain in
 * requests per second (apps/catalog/README.md, "Memory"). The size can only be chosen when the isolate is
 * created (`v8.setFlagsFromString` at run time does not shrink it), so a server started without it runs
 * again in a child process that has it: {@link relaunched}. Only a process that serves the catalog pays for
 * this; a user's own `--max-semi-space-size` (in `NODE_OPTIONS` or on the command line) is kept as it is.
 *
 * This module imports only `node:` modules, so a command can call it before it loads anything else.
 *
 * @since 0.1.0
 */
import { spawn } from "node:child_process"
import { url as inspectorUrl } from "node:inspector"
import { constants } from "node:os"

/**
 * The semi-space size (MB) a catalog server runs with.
 *
 * @since 0.1.0
 */
export const semiSpaceMB = 4

/**
 * The Node option that bounds the young generation.
 *
 * @since 0.1.0
 */
export const youngGenerationFlag = `--max-semi-space-size=${semiSpaceMB}`

/**
 * Whether Node options (`process.execArgv`, `NODE_OPTIONS`) already choose the semi-space size: then they win.
 *
 * @since 0.1.0
 */
export const setsYoungGeneration = (execArgv: ReadonlyArray<string>, nodeOptions: string | undefined): boolean =>
  [...execArgv, ...(nodeOptions ?? "").split(/\s+/)].some((option) => /^--max[-_]semi[-_]space[-_]size(=|$)/.test(option))

/**
 * The Node options to start a catalog server process with: `execArgv` (by default this process's own), and
 * {@link youngGenerationFlag} unless they or `NODE_OPTIONS` choose the semi-space size.
 *
 * @since 0.1.0
 */
export const nodeOptions = (
  execArgv: ReadonlyArray<string> = process.execArgv,
  environmentOptions: string | undefined = process.env.NODE_OPTIONS
): Array<string> => setsYoungGeneration(execArgv, environmentOptions) ? [...execArgv] : [...execArgv, youngGenerationFlag]

const forwardedSignals: ReadonlyArray<NodeJS.Signals> = ["SIGINT", "SIGTERM", "SIGHUP"]

/** A child's end as an exit code: its own, or 128 + the signal's number as a shell reports it. */
const exitCode = (code: number | null, signal: NodeJS.Signals | null): number =>
  code ?? (signal !== null ? 128 + (constants.signals[signal] ?? 0) : 1)

/**
 * In a child process started by {@link relaunched}: ends this process as SIGTERM would when the parent goes
 * away without forwarding a signal (killed with SIGKILL), so that no server is left behind.
 */
const followParent = (): void => {
  if (process.channel === undefined || process.env.STRATA_SERVER_PROCESS !== "1") return
  // not inherited by the processes the server starts: the channel is this process's own
  delete process.env.STRATA_SERVER_PROCESS
  process.channel.unref()
  process.once("disconnect", () => process.kill(process.pid, "SIGTERM"))
}

/**
 * Makes this process a catalog server process. When its Node options already fit ({@link nodeOptions} adds
 * nothing), or it runs under the inspector (`--inspect`), returns `false`: this process goes on and serves.
 * Otherwise starts this script again, with the same arguments, standard streams and environment, in a child
 * process with {@link youngGenerationFlag}, and returns `true`: the caller must do nothing else. This process then forwards SIGINT, SIGTERM and
 * SIGHUP to the child and exits with its exit code once it ends (128 + the signal's number if a signal
 * ended it).
 *
 * @since 0.1.0
 */
export const relaunched = (): boolean => {
  const options = nodeOptions()
  // under a debugger (`--inspect`), the process being debugged serves: a child would not get the inspector's port
  if (options.length === process.execArgv.length || inspectorUrl() !== undefined) {
    followParent()
    return false
  }
  const child = spawn(process.execPath, [...options, ...process.argv.slice(1)], {
    stdio: ["inherit", "inherit", "inherit", "ipc"],
    env: { ...process.env, STRATA_SERVER_PROCESS: "1" }
  })
  const forward = (signal: NodeJS.Signals) => child.kill(signal)
  for (const signal of forwardedSignals) process.on(signal, forward)
  child.once("error", (error) => {
    process.stderr.write(`cannot start the server process: ${error.message}\n`)
    process.exit(1)
  })
  child.once("exit", (code, signal) => process.exit(exitCode(code, signal)))
  return true
}
