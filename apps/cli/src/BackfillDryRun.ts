/**
 * `strata backfill --dry-run`: the runs a backfill would launch now (each
 * one's partitions, cut by the policy as `Backfill.run` cuts them) and its
 * partitions' counts by state, from core's `Backfill.plan`. It records no
 * backfill and launches no run: the instance is only read.
 *
 * @since 0.2.0
 */
import type { BackfillStore } from "@strata/core"
import { Backfill, PartitionStates, Partitions } from "@strata/core"
import { Effect } from "effect"
import { coreFailure as failure } from "./CliError.ts"
import type { Opened } from "./OpenProject.ts"
import type { Terminal } from "./Output.ts"
import * as Output from "./Output.ts"

/**
 * What a backfill would run: a recorded one (`--resume`) or a new one's
 * request.
 *
 * @since 0.2.0
 */
export type Target =
  | { readonly _tag: "recorded"; readonly record: BackfillStore.BackfillRecord }
  | { readonly _tag: "new"; readonly selection: string; readonly partitions: string; readonly policy: string; readonly rebuild: boolean }

/**
 * The `--json` document of a dry run.
 *
 * @since 0.2.0
 */
export interface DryRun {
  readonly dryRun: true
  /** The recorded backfill a resume would continue; null for a new one. */
  readonly backfillId: string | null
  readonly selection: string
  readonly partitions: string
  readonly policy: string
  readonly rebuild: boolean
  readonly assetKeys: ReadonlyArray<string>
  /** The requested partitions by state now, as `strata backfills` and the catalog count them. */
  readonly counts: PartitionStates.Counts
  /** How many partitions the runs cover (missing, failed and, for a rebuild, not rebuilt yet). */
  readonly toRun: number
  readonly runs: ReadonlyArray<{ readonly partitions: string; readonly count: number }>
}

/** The runs listed without `--json`; the rest are counted. */
const SHOWN = 20

const describeTarget = (target: Target) =>
  target._tag === "recorded"
    ? { backfillId: target.record.backfillId, selection: target.record.selection, partitions: target.record.partitions, policy: target.record.policy, rebuild: target.record.rebuild === true }
    : { backfillId: null, selection: target.selection, partitions: target.partitions, policy: target.policy, rebuild: target.rebuild }

/**
 * Plans the backfill without recording or running it.
 *
 * @since 0.2.0
 */
export const plan = (opened: Opened, target: Target, now: number) =>
  Effect.gen(function*() {
    const described = describeTarget(target)
    const policy = Backfill.parsePolicy(described.policy)
    if (policy instanceof Backfill.BackfillError) return yield* failure(policy)
    const request = target._tag === "recorded"
      ? Backfill.requestOf(target.record)
      : { selection: target.selection, partitions: target.partitions, rebuild: target.rebuild ? { runIds: [] } : undefined }
    const planned = yield* Backfill.plan(opened.project, opened.instance, { ...request, policy, now }).pipe(Effect.mapError(failure))
    const dryRun: DryRun = {
      dryRun: true,
      ...described,
      policy: Backfill.formatPolicy(policy),
      assetKeys: planned.assetKeys,
      counts: PartitionStates.counts(planned.states),
      toRun: Partitions.Ranges.count(planned.missing),
      runs: planned.runs.map((run) => ({ partitions: run.selection, count: Partitions.Ranges.count(run.ranges) }))
    }
    return dryRun
  })

const countsText = (counts: PartitionStates.Counts) =>
  [
    `${counts.materialized} materialized`,
    ...(counts.stale > 0 ? [`${counts.stale} stale`] : []),
    ...(counts.failed > 0 ? [`${counts.failed} failed`] : []),
    ...(counts.inProgress > 0 ? [`${counts.inProgress} in progress`] : []),
    `${counts.missing} missing`
  ].join(", ")

/**
 * Prints a dry run: the JSON document with `--json`, else the runs (the
 * first {@link SHOWN}) on stdout.
 *
 * @since 0.2.0
 */
export const print = (out: Terminal, dryRun: DryRun, json: boolean, describe: string): void => {
  if (json) {
    Output.json(out, dryRun)
    return
  }
  const what = dryRun.backfillId === null ? "Backfill" : `Resuming backfill ${dryRun.backfillId}`
  Output.line(out, `Dry run: ${what} · ${dryRun.selection} · ${dryRun.partitions} · ${dryRun.policy}${dryRun.rebuild ? " · rebuild" : ""} · ${describe}`)
  Output.line(out, `${dryRun.counts.total} partition(s): ${countsText(dryRun.counts)}`)
  const kind = dryRun.rebuild ? "to rebuild" : "not materialized"
  Output.line(out, `${dryRun.runs.length} run(s) for ${dryRun.toRun} partition(s) ${kind}, of ${dryRun.assetKeys.join(", ")}`)
  for (const [index, run] of dryRun.runs.slice(0, SHOWN).entries()) {
    Output.line(out, `  [${index + 1}/${dryRun.runs.length}] ${run.partitions} (${run.count} partition(s))`)
  }
  if (dryRun.runs.length > SHOWN) Output.line(out, `  … and ${dryRun.runs.length - SHOWN} more run(s)`)
  Output.line(out, "Nothing was recorded or launched.")
}
