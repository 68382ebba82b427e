/**
 * Real child processes for tests: the CLI run to completion, a daemon or a
 * server started until it says it is ready. Output is collected, a process
 * that outlives its bound is killed (SIGKILL), and a started process is
 * killed when its scope closes.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { Effect } from "effect"
import type { Scope } from "effect"

/**
 * What a finished process left.
 *
 * @since 0.1.0
 */
export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Options of {@link run} and {@link start}.
 *
 * @since 0.1.0
 */
export interface ProcessOptions {
  /** How messages name the process (`daemon first`). Default: the command. */
  readonly name?: string | undefined
  readonly cwd?: string | undefined
  /** Merged over this process's environment; a name set to `undefined` is removed. */
  readonly env?: Record<string, string | undefined> | undefined
  /** The child's stdin: `ignore` (default) or `pipe` (to write to it). */
  readonly stdin?: "ignore" | "pipe" | undefined
  /** Kill the process (SIGKILL) after this many milliseconds. Default: never. */
  readonly timeoutMs?: number | undefined
  /** Called with the child once it is spawned (to send signals or write to stdin). */
  readonly onSpawn?: ((child: ChildProcess) => void) | undefined
  /** Called with each stdout chunk as it arrives. */
  readonly onStdout?: ((text: string, child: ChildProcess) => void) | undefined
}

const environment = (overrides: Record<string, string | undefined> | undefined): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries({ ...process.env, ...overrides })) {
    if (value !== undefined) env[name] = value
  }
  return env
}

interface Spawned {
  readonly child: ChildProcess
  readonly output: { stdout: string; stderr: string }
}

const spawnCollecting = (command: string, args: ReadonlyArray<string>, options: ProcessOptions): Spawned => {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: environment(options.env),
    stdio: [options.stdin ?? "ignore", "pipe", "pipe"]
  })
  const output = { stdout: "", stderr: "" }
  child.stdout!.on("data", (chunk) => {
    output.stdout += chunk
    options.onStdout?.(String(chunk), child)
  })
  child.stderr!.on("data", (chunk) => (output.stderr += chunk))
  if (options.timeoutMs !== undefined) {
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs)
    child.on("close", () => clearTimeout(timer))
  }
  return { child, output }
}

/**
 * Runs `command args` to its end and returns its exit and output (a process
 * killed on timeout ends with `signal: "SIGKILL"`).
 *
 * @since 0.1.0
 */
export const run = (command: string, args: ReadonlyArray<string>, options: ProcessOptions = {}): Promise<Finished> =>
  new Promise((resolve, reject) => {
    const { child, output } = spawnCollecting(command, args, options)
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout: output.stdout, stderr: output.stderr }))
    options.onSpawn?.(child)
  })

/**
 * A started process: the child, the stdout line that said it was ready, and
 * its output so far (still growing).
 *
 * @since 0.1.0
 */
export interface Started {
  readonly child: ChildProcess
  readonly readyLine: string
  readonly output: { readonly stdout: string; readonly stderr: string }
}

/**
 * Starts `command args` and resolves once a stdout line satisfies `ready`.
 * Fails with the process's stderr if it exits first; with `timeoutMs`, the
 * process is killed when it is not ready in time. The caller kills it (see
 * {@link scoped} for an Effect scope that does).
 *
 * @since 0.1.0
 */
export const start = (
  command: string,
  args: ReadonlyArray<string>,
  ready: (line: string) => boolean,
  options: ProcessOptions = {}
): Promise<Started> =>
  new Promise((resolve, reject) => {
    let partial = ""
    let settled = false
    const { child, output } = spawnCollecting(command, args, {
      ...options,
      timeoutMs: undefined,
      // stdout keeps flowing (and collecting) after the ready line: a full pipe would block the child
      onStdout: (text, spawned) => {
        options.onStdout?.(text, spawned)
        if (settled) return
        const lines = (partial + text).split("\n")
        partial = lines.pop() ?? ""
        const line = lines.find(ready)
        if (line === undefined) return
        settled = true
        clearTimeout(timer)
        resolve({ child: spawned, readyLine: line, output })
      }
    })
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`${options.name ?? command} was not ready in ${options.timeoutMs} ms: ${output.stderr}`))
    }, options.timeoutMs)
    child.on("error", reject)
    child.on("exit", (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${options.name ?? command} exited (${code ?? signal}) before it was ready: ${output.stderr}`))
    })
    options.onSpawn?.(child)
  })

/**
 * Kills a process (SIGKILL) unless it has already exited.
 *
 * @since 0.1.0
 */
export const kill = (child: ChildProcess): void => {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
}

/**
 * {@link start} in an Effect scope: the process is killed when the scope
 * closes. A process that exits before it is ready is a defect naming its stderr.
 *
 * @since 0.1.0
 */
export const scoped = (
  command: string,
  args: ReadonlyArray<string>,
  ready: (line: string) => boolean,
  options: ProcessOptions = {}
): Effect.Effect<Started, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => start(command, args, ready, options)),
    (started) => Effect.sync(() => kill(started.child))
  )

/**
 * Options of {@link until} and {@link waitUntil}.
 *
 * @since 0.1.0
 */
export interface WaitOptions {
  /** Give up after this many milliseconds. Default 60,000: a bound for a loaded machine, never a timing assertion. */
  readonly timeoutMs?: number | undefined
  /** Check again after this many milliseconds. Default 100. */
  readonly intervalMs?: number | undefined
}

/**
 * Waits until `check` returns a value (what a process did: a lease taken, a
 * run recorded), checking again every `intervalMs`; fails with `gave up
 * waiting for <what>` after `timeoutMs`.
 *
 * @since 0.1.0
 */
export const until = async <A>(what: string, check: () => Promise<A | undefined>, options: WaitOptions = {}): Promise<A> => {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  while (true) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100))
  }
}

/**
 * {@link until} as an Effect: a defect `gave up waiting for <what>` after `timeoutMs`.
 *
 * @since 0.1.0
 */
export const waitUntil = <A, E, R>(what: string, check: Effect.Effect<A | undefined, E, R>, options: WaitOptions = {}): Effect.Effect<A, E, R> =>
  Effect.gen(function*() {
    while (true) {
      const value = yield* check
      if (value !== undefined) return value
      yield* Effect.sleep(options.intervalMs ?? 100)
    }
  }).pipe(
    Effect.timeoutOrElse({
      duration: options.timeoutMs ?? 60_000,
      orElse: () => Effect.die(new Error(`gave up waiting for ${what}`))
    })
  )
