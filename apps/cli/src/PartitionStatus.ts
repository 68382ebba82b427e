/**
 * `strata status` for partitioned assets: how many partitions are
 * materialized, failed, running and missing, and which are missing (as
 * ranges), read from the instance's status ranges.
 *
 * @since 0.1.0
 */
import { Instance, Partitions } from "@strata/core"
import type { Project } from "@strata/core"
import { Effect } from "effect"
import type { Terminal } from "./Output.ts"
import * as Output from "./Output.ts"

/**
 * The summaries of the partitioned assets among `keys`.
 *
 * @since 0.1.0
 */
export const read = (project: Project.Project<unknown>, keys: ReadonlyArray<string>) =>
  Effect.flatMap(Effect.service(Instance.Instance), (instance) =>
    Partitions.summaries(project, instance, { keys: new Set(keys) }))

/**
 * Prints one block per partitioned asset.
 *
 * @since 0.1.0
 */
export const print = (out: Terminal, summaries: ReadonlyArray<Partitions.PartitionSummary>): void => {
  if (summaries.length === 0) return
  Output.line(out)
  Output.line(out, "Partitions:")
  for (const s of summaries) {
    Output.line(
      out,
      `  ${s.key}: ${s.materialized} of ${s.total} materialized, ${s.failed} failed, ${s.inProgress} in progress, ${s.missing} missing`
    )
    if (s.missing > 0) Output.line(out, `    missing: ${s.missingText}`)
    if (s.failed > 0) Output.line(out, `    failed: ${s.failedText}`)
  }
}
