/**
 * The partition flags of `strata materialize` (and later `strata backfill`):
 * `--partition KEY` and `--partitions A...B` (a selection: keys and inclusive
 * ranges separated by `,`; `2024-01-01|eu` for two dimensions).
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { Flag } from "effect/cli"
import type { CliFailure } from "./CliError.ts"
import { usage } from "./CliError.ts"

/** @since 0.1.0 */
export const partitionFlag = Flag.String("partition").pipe(
  Flag.withDescription("The partition to materialize (a key of the selected assets' partitions: 2024-03-01, eu, 2024-03-01|eu)"),
  Flag.optional
)

/** @since 0.1.0 */
export const partitionsFlag = Flag.String("partitions").pipe(
  Flag.withDescription("Partitions to materialize: keys and inclusive ranges, A...B,C (2024-01-01...2024-03-31)"),
  Flag.optional
)

/**
 * The partition selection of the two flags (at most one may be given).
 *
 * @since 0.1.0
 */
export const selection = (
  partition: Option.Option<string>,
  partitions: Option.Option<string>
): Effect.Effect<string | undefined, CliFailure> => {
  if (Option.isSome(partition) && Option.isSome(partitions)) {
    return Effect.fail(usage("give --partition or --partitions, not both"))
  }
  if (Option.isSome(partition) && (partition.value.includes("...") || partition.value.includes(","))) {
    return Effect.fail(usage(`--partition takes one key; for ${JSON.stringify(partition.value)} use --partitions`))
  }
  return Effect.succeed(Option.getOrUndefined(partition) ?? Option.getOrUndefined(partitions))
}
