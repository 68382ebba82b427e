/**
 * The CLI's own failure: a message for the user and the exit code to end
 * with. Everything that stops a command (a broken project, bad usage, a
 * failed run) is turned into one of these before it reaches `main`.
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
