/**
 * Why `strata init` stopped. Every failure names the folder or file it is about.
 *
 * | reason | exit code | when |
 * | --- | --- | --- |
 * | `not-empty` | 2 | the target folder has files and `--force` was not given |
 * | `not-a-folder` | 2 | the target exists and is a file |
 * | `invalid-name` | 2 | the project or integration name cannot be a package name |
 * | `no-checkout` | 2 | `--from-checkout`, but this CLI does not run from a Strata checkout |
 * | `pack` | 1 | a workspace package could not be packed (not built, pnpm missing or failing) |
 * | `write` | 1 | a file could not be written |
 * | `versions` | 1 | the versions to depend on cannot be read (a broken installation of the CLI) |
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Why `strata init` stopped.
 *
 * @since 0.1.0
 */
export const InitErrorReason = Schema.Literals(["not-empty", "not-a-folder", "invalid-name", "no-checkout", "pack", "write", "versions"])

/**
 * Why `strata init` stopped.
 *
 * @since 0.1.0
 */
export type InitErrorReason = typeof InitErrorReason.Type

/**
 * A failure of `strata init`, naming the folder or file (`path`).
 *
 * @since 0.1.0
 */
export class InitError extends Schema.TaggedError<InitError>()("@strata/cli/InitError", {
  reason: InitErrorReason,
  path: Schema.String,
  message: Schema.String
}) {
  /** Mistakes the user fixes by changing the command (exit code 2); the others are failures while running (1). */
  get isUsage(): boolean {
    return this.reason === "not-empty" || this.reason === "not-a-folder" || this.reason === "invalid-name" ||
      this.reason === "no-checkout"
  }
}
