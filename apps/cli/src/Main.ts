/**
 * Runs the `strata` command and decides its exit code.
 *
 * `effect/cli` parses arguments and renders help; bad usage reaches here as
 * its `ShowHelp` failure (already printed) and becomes exit code 2. The
 * commands fail with {@link CliFailure}, which carries its own exit code.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { readFileSync } from "node:fs"
import { Cause, Effect, Exit, Logger, Schema } from "effect"
import { Command } from "effect/cli"
import { ExitCode, internalMessage } from "./CliError.ts"
import { strata } from "./Commands.ts"
import { tolerateClosedOutput } from "./Output.ts"

/**
 * The CLI's version: the `version` of this package's package.json, read when the module loads (from
 * src/ and from dist/ alike, both one folder below it), so `strata --version` follows `changeset version`.
 *
 * @since 0.1.0
 */
export const version: string = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Struct({ version: Schema.String })))(
  readFileSync(new URL("../package.json", import.meta.url), "utf8")
).version

const failureCode = (error: unknown): number => {
  const tagged = error as { _tag?: unknown; exitCode?: unknown; message?: unknown; reported?: unknown; errors?: unknown }
  if (tagged._tag === "@strata/cli/CliFailure") {
    if (tagged.reported !== true) process.stderr.write(`strata: ${String(tagged.message)}\n`)
    return typeof tagged.exitCode === "number" ? tagged.exitCode : ExitCode.runFailed
  }
  if (tagged._tag === "ShowHelp") {
    // help was printed; with errors it was a usage mistake
    return Array.isArray(tagged.errors) && tagged.errors.length > 0 ? ExitCode.usage : ExitCode.success
  }
  if (typeof tagged._tag === "string") {
    process.stderr.write(`strata: ${String(tagged.message ?? tagged._tag)}\n`)
    return ExitCode.usage
  }
  process.stderr.write(`strata: ${internalMessage(error)}\n`)
  return ExitCode.runFailed
}

/**
 * Runs the CLI with `args` (without `node` and the script) and resolves to
 * the exit code. Never fails.
 *
 * @since 0.1.0
 */
export const run = (args: ReadonlyArray<string>): Effect.Effect<number> =>
  Command.runWith(strata, { version })(args).pipe(
    // warnings and other logs (an orphaned run reaped while the instance opens) are diagnostics: stderr, so that
    // stdout carries only the command's output (with --json, only the JSON document)
    Effect.provideService(Logger.LogToStderr, true),
    Effect.provide(NodeServices.layer),
    Effect.exit,
    Effect.map((exit) => {
      if (Exit.isSuccess(exit)) return ExitCode.success
      if (Cause.hasInterruptsOnly(exit.cause)) return 130
      return failureCode(Cause.squash(exit.cause))
    })
  )

/**
 * The process entry point: runs with `process.argv` and exits with the code.
 * SIGINT / SIGTERM interrupt the command (a running materialization is
 * recorded as canceled).
 *
 * @since 0.1.0
 */
export const main = (): void => {
  // `strata materialize | head -1`: a closed stdout must not stop the run
  tolerateClosedOutput()
  NodeRuntime.runMain(run(process.argv.slice(2)), {
    disableErrorReporting: true,
    teardown: (exit, onExit) => {
      onExit(Exit.isSuccess(exit) ? exit.value as number : Cause.hasInterruptsOnly(exit.cause) ? 130 : 1)
    }
  })
}
