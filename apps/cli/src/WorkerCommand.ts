/**
 * `strata worker`: a worker process for environments whose steps run on a
 * queue (`QueueExecutor.layer()` from `@strata/graphile-worker`). It loads the
 * same `strata.config.ts`, builds the chosen environment's Layer once, and
 * runs the steps it takes from the queue until SIGTERM / Ctrl-C (running steps
 * may finish for `--shutdown-timeout` seconds, then go back to the queue).
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { runtime, usage } from "./CliError.ts"
import { fileFlag } from "./CommonFlags.ts"
import * as ProjectLoader from "./ProjectLoader.ts"

type LogLine = { readonly event: string; readonly level?: string | undefined; readonly message?: string | undefined; readonly [field: string]: unknown }

/**
 * Stdout for the log lines. Per-step lines (`--verbose`) written in one turn of the event loop go out in one write
 * (a pipe write costs a system call and wakes the reader: at hundreds of steps a second, a tenth of a worker's
 * time); any other line goes out at once, with what was batched before it.
 */
const batchedStdout = () => {
  let corked = false
  const flush = () => {
    if (!corked) return
    corked = false
    process.stdout.uncork()
  }
  return {
    write: (text: string, batched: boolean) => {
      if (batched && !corked) {
        corked = true
        process.stdout.cork()
        process.nextTick(flush)
      }
      process.stdout.write(text)
      if (!batched) flush()
    }
  }
}

const textLine = (line: LogLine): string => {
  const { event, level, message, ...fields } = line
  const rest = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ")
  return `${new Date().toISOString()} ${(level ?? "info").padEnd(5)} ${event}${message === undefined ? "" : `: ${message}`}${rest === "" ? "" : ` ${rest}`}`
}

/**
 * The command.
 *
 * @since 0.1.0
 */
export const worker = Command.make(
  "worker",
  {
    file: fileFlag,
    concurrency: Flag.Int("concurrency").pipe(Flag.withAlias("c"), Flag.withDescription("Steps running at once (default 4)"), Flag.withDefault(4)),
    queue: Flag.String("queue").pipe(Flag.withDescription("Take this queue's steps (default: the environment's queue)"), Flag.optional),
    shutdownTimeout: Flag.Int("shutdown-timeout").pipe(
      Flag.withDescription("Seconds running steps may finish after SIGTERM before they go back to the queue (default 25)"),
      Flag.withDefault(25)
    ),
    verbose: Flag.Boolean("verbose").pipe(Flag.withDescription("Log every step's start and end"), Flag.withDefault(false)),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Log one JSON object per line on stdout"), Flag.withDefault(false))
  },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      if (input.concurrency < 1) return yield* usage(`--concurrency must be at least 1 (got ${input.concurrency})`)
      if (input.shutdownTimeout < 0) return yield* usage(`--shutdown-timeout must be 0 or more seconds (got ${input.shutdownTimeout})`)
      const loaded = yield* ProjectLoader.load({ file: Option.getOrUndefined(input.file) })
      process.chdir(loaded.root)
      const env = yield* ProjectLoader.buildEnvironment(loaded)
      const { Worker } = yield* Effect.promise(() => import("@strata/graphile-worker"))
      const out = batchedStdout()
      const log = (line: LogLine) => {
        if (line.level === "debug" && !input.verbose) return
        out.write(`${input.json ? JSON.stringify({ time: Date.now(), ...line }) : textLine(line)}\n`, line.level === "debug")
      }
      log({ event: "environment", level: "info", environment: env.name, instance: env.instance })
      return yield* Worker.run({
        project: loaded.project,
        services: env.context,
        concurrency: input.concurrency,
        queue: Option.getOrUndefined(input.queue),
        shutdownTimeoutMs: input.shutdownTimeout * 1000,
        log
      }).pipe(Effect.mapError((error) => runtime(`worker: ${error.message}`)))
    }))
).pipe(
  Command.withDescription(
    "Run steps for environments whose steps run on workers (QueueExecutor from @strata/graphile-worker): " +
      "takes step jobs from the queue in the environment's Postgres until SIGTERM"
  ),
  Command.withExamples([
    { command: "STRATA_ENV=distributed strata worker", description: "A worker with 4 steps at a time" },
    { command: "strata worker --concurrency 8 --queue heavy --json", description: "8 at a time, the 'heavy' queue, JSON logs" }
  ])
)
