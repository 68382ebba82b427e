/**
 * `strata status` for partitioned assets: how many partitions are
 * materialized, failed, running, missing and stale, which are missing (as
 * ranges), and which are stale and why, read from the instance's status
 * ranges and partition versions.
 *
 * @since 0.1.0
 */
import { DynamicPartitionStore, Instance, Partitions, Staleness } from "@strata/core"
import type { Project } from "@strata/core"
import { Effect } from "effect"
import type { Terminal } from "./Output.ts"
import * as Output from "./Output.ts"

/**
 * A partitioned asset's summary with its staleness.
 *
 * @since 0.1.0
 */
export interface PartitionReport extends Partitions.PartitionSummary {
  readonly stale: number
  readonly staleRanges: ReadonlyArray<readonly [number, number]>
  readonly staleText: string
  /** Each reason with its partitions (as ranges and as a selection). */
  readonly staleReasons: ReadonlyArray<Staleness.PartitionReasonRanges>
}

/**
 * The summaries of the partitioned assets among `keys`, with their staleness.
 *
 * @since 0.1.0
 */
export const read = (project: Project.Project<unknown>, keys: ReadonlyArray<string>, selection?: string | undefined) =>
  Effect.gen(function*() {
    const instance = yield* Instance.Instance
    const now = Date.now()
    const dynamicKeys = yield* DynamicPartitionStore.keysFor(project, instance)
    const summaries = yield* Partitions.summaries(project, instance, { keys: new Set(keys), now, dynamicKeys })
    const staleness = new Map((yield* Staleness.partitions(project, { selection, now, dynamicKeys })).map((s) => [s.key, s] as const))
    const resolution = { now, dynamic: (name: string) => dynamicKeys?.[name] }
    const reports: Array<PartitionReport> = []
    for (const summary of summaries) {
      const all = staleness.get(summary.key)
      // a partition whose latest run failed or is going counts as failed or in progress, not stale (as in the catalog)
      const definition = project.get(summary.key)!.partitions!
      const stale = all === undefined || all.stale === 0
        ? all
        : Staleness.restrictPartitions(all, Partitions.resolve(definition, resolution), yield* materializedOf(instance, summary.key, definition))
      reports.push(report(summary, stale))
    }
    return reports
  })

/** The partitions whose latest status is materialized (none when it was recorded under another definition). */
const materializedOf = (instance: Instance.Instance["Service"], key: string, definition: Partitions.PartitionsDefinition) =>
  Effect.map(instance.partitionStatus?.(key) ?? Effect.succeed(undefined), (status) =>
    status !== undefined && status.fingerprint === Partitions.fingerprint(definition) ? status.materialized : [])

const report = (summary: Partitions.PartitionSummary, stale: Staleness.PartitionStaleness | undefined): PartitionReport => ({
  ...summary,
  stale: stale?.stale ?? 0,
  staleRanges: stale?.staleRanges ?? [],
  staleText: stale?.staleText ?? "",
  staleReasons: stale?.reasons ?? []
})

/**
 * Prints one block per partitioned asset.
 *
 * @since 0.1.0
 */
export const print = (out: Terminal, reports: ReadonlyArray<PartitionReport>): void => {
  if (reports.length === 0) return
  Output.line(out)
  Output.line(out, "Partitions:")
  for (const s of reports) {
    Output.line(
      out,
      `  ${s.key}: ${s.materialized} of ${s.total} materialized, ${s.stale} stale, ${s.failed} failed, ` +
        `${s.inProgress} in progress, ${s.missing} missing`
    )
    if (s.missing > 0) Output.line(out, `    missing: ${s.missingText}`)
    if (s.failed > 0) Output.line(out, `    failed: ${s.failedText}`)
    for (const reason of s.staleReasons) Output.line(out, `    stale: ${reason.partitions} (${reason.description})`)
  }
  if (reports.some((s) => s.stale > 0)) {
    Output.line(out, "Run `strata materialize --select ASSET --stale-only` to rebuild only the stale and missing partitions.")
  }
}
