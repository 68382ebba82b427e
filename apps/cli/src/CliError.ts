/**
 * The CLI's own failure: a message for the user and the exit code to end
 * with. Everything that stops a command (a broken project, bad usage, a
 * failed run) is turned into one of these before it reaches `main`; what
 * arrives without a tag (a thrown `Error`, a defect) is an internal error,
 * never dressed up as one of the expected failures.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Exit codes of the `strata` command.
 *
 * @since 0.1.0
 */
export const ExitCode = {
  /** The command did what was asked. */
  success: 0,
  /** A run failed (an asset failed), or the instance could not be read or written. */
  runFailed: 1,
  /** Bad usage (unknown flag, bad selection) or a broken project (syntax error, cycle, unknown dependency). */
  usage: 2
} as const

/**
 * A failure to report to the user, with the exit code to use.
 *
 * @since 0.1.0
 */
export class CliFailure extends Schema.TaggedError<CliFailure>()("@strata/cli/CliFailure", {
  message: Schema.String,
  exitCode: Schema.Number,
  /** Already printed (a run summary): print nothing more. */
  reported: Schema.optional(Schema.Boolean)
}) {}

/**
 * A bad-usage / broken-project failure (exit 2).
 *
 * @since 0.1.0
 */
export const usage = (message: string): CliFailure => new CliFailure({ message, exitCode: ExitCode.usage })

/**
 * A runtime failure (exit 1).
 *
 * @since 0.1.0
 */
export const runtime = (message: string, reported = false): CliFailure =>
  new CliFailure({ message, exitCode: ExitCode.runFailed, reported })

/**
 * The message for an error that has no tag: a bug in Strata, or in a
 * component of the project that failed with a plain `Error` (a custom
 * Instance, a resource). Says so, and keeps the stack for the report.
 *
 * @since 0.1.0
 */
export const internalMessage = (error: unknown): string => {
  const what = error instanceof Error
    ? `${error.name}: ${error.message}`
    : typeof error === "object" && error !== null && "message" in error
    ? String((error as { message: unknown }).message)
    : String(error)
  const stack = error instanceof Error && typeof error.stack === "string"
    ? error.stack.split("\n").filter((line) => /^\s+at /.test(line)).slice(0, 6).join("\n")
    : ""
  return `internal error: ${what.length > 2_000 ? `${what.slice(0, 2_000)}…` : what}\n` +
    "  hint: this is a bug in Strata, or in a component of your project (an Instance, a resource, an I/O manager) " +
    "that failed with an untyped error. Please report it with the command you ran and this output." +
    (stack === "" ? "" : `\n${stack}`)
}

/**
 * An internal error (exit 1): see {@link internalMessage}.
 *
 * @since 0.1.0
 */
export const internal = (error: unknown): CliFailure =>
  new CliFailure({ message: internalMessage(error), exitCode: ExitCode.runFailed })

/**
 * Maps the failures of core's effects to exit codes: a bad request (a
 * selection, a partition key, a re-execution or backfill that cannot be
 * made) is usage (2), instance trouble is runtime (1), another typed error
 * keeps its message (1), and a failure without a tag, which no typed API
 * should produce, is an internal error (1) rather than a guess at what went
 * wrong.
 *
 * @since 0.1.0
 */
export const coreFailure = (error: unknown): CliFailure => {
  const tagged = error as { readonly _tag?: unknown; readonly message?: unknown } | null
  const tag = typeof tagged?._tag === "string" ? tagged._tag : undefined
  const message = typeof tagged?.message === "string" ? tagged.message : undefined
  if (tag === undefined || message === undefined) return internal(error)
  switch (tag) {
    case "@strata/core/SelectionParseError":
    case "@strata/core/SelectionResolveError":
      return usage(`invalid --select: ${message}`)
    case "@strata/core/ReexecutionError":
    case "@strata/core/InvalidPartitionKey":
    case "@strata/core/BackfillError":
      return usage(message)
    case "@strata/core/InstanceError":
      return runtime(`instance error: ${message}`)
    default:
      return runtime(message)
  }
}
