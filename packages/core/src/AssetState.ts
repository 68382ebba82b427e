/**
 * What a user is shown for each asset — `fresh`, `stale`, `missing`,
 * `failed`, `check-failed` or `running` — by `strata status` and the catalog
 * alike: one function, so the two never disagree.
 *
 * - `running`: a step of the asset is planned by a run that is going on
 *   (`queued` or `started`, in this process or another one sharing the
 *   instance) and that run has not yet materialized it or failed it.
 * - `failed`: its latest step failed after its retries (the instance's
 *   `FailureRecord`, newer than its latest materialization), or, for a
 *   source, it could not be observed (a deleted file), as recorded by
 *   `Observe.sources(project, { recordFailures: true })`.
 * - `check-failed`: the latest result of one of its blocking (`error`)
 *   checks is a failure, about the data the asset holds now (the result's
 *   data version is its latest materialization's; for a partitioned asset,
 *   the partition's latest result). The failing checks are listed in
 *   `failedChecks`. A warn check never changes the state.
 * - otherwise its staleness (`Staleness.compute`): `fresh`, `stale` or
 *   `missing`, with the reasons, which are kept for the other states too.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { AnyNode } from "./Asset.ts"
import type { AssetKey } from "./AssetKey.ts"
import type { ErrorInfo } from "./Event.ts"
import type { AssetRecord, CheckResultRecord, InstanceError, RunRecord } from "./Instance.ts"
import { Instance } from "./Instance.ts"
import type { Project } from "./Project.ts"
import * as Selection from "./Selection.ts"
import * as Staleness from "./Staleness.ts"

/**
 * The state shown for an asset.
 *
 * @since 0.1.0
 */
export type State = Staleness.Status | "failed" | "check-failed" | "running"

/**
 * The failure shown with a `failed` asset: the run it happened in and the
 * error's first line (the rest, with the stack, is in `strata runs show`).
 *
 * @since 0.1.0
 */
export interface Failure {
  readonly runId: string
  readonly tag: string
  readonly message: string
  readonly timestamp: number
}

/**
 * A blocking check whose latest result failed, shown with a `check-failed` asset.
 *
 * @since 0.1.0
 */
export interface FailedCheck {
  readonly check: string
  /** The partition checked, for a partitioned asset. */
  readonly partition?: string | undefined
  readonly message: string
  readonly runId: string
  readonly timestamp: number
}

/**
 * The state of one asset, with its staleness reasons.
 *
 * @since 0.1.0
 */
export interface AssetState {
  readonly key: AssetKey
  readonly kind: AnyNode["kind"]
  readonly status: State
  /** What its staleness alone says (the status when it is neither running nor failed). */
  readonly staleness: Staleness.Status
  readonly reasons: ReadonlyArray<Staleness.StaleReason>
  /** Set when `failed`. */
  readonly failure?: Failure | undefined
  /** The run executing it, when `running`. */
  readonly runId?: string | undefined
  /** Its blocking checks whose latest result failed (set whenever there are some, whatever the status). */
  readonly failedChecks?: ReadonlyArray<FailedCheck> | undefined
}

/**
 * How many active runs are read to find `running` assets. Active runs are
 * few (one per terminal or catalog); a longer list is a backlog of queued
 * runs, whose assets are shown by the first ones.
 *
 * @since 0.1.0
 */
export const activeRunLimit = 20

/**
 * The first line of an error message.
 *
 * @since 0.1.0
 */
export const firstLine = (message: string): string => {
  const end = message.indexOf("\n")
  return (end === -1 ? message : message.slice(0, end)).trimEnd()
}

/**
 * The assets running in `runs` (active runs), each with the run executing
 * it: the run's steps it has not yet materialized or failed. Runs for which
 * `skip` says true are left out (the catalog knows its own runs' pending
 * steps exactly).
 *
 * @since 0.1.0
 */
export const runningSteps = (
  records: ReadonlyMap<string, AssetRecord>,
  runs: ReadonlyArray<RunRecord>,
  skip?: ((runId: string) => boolean) | undefined
): Map<string, string> => {
  const running = new Map<string, string>()
  for (const run of runs) {
    if (run.status !== "queued" && run.status !== "started") continue
    if (skip?.(run.runId) === true) continue
    for (const key of run.assetKeys) {
      const record = records.get(key)
      if (record?.materialization?.runId === run.runId || record?.failure?.runId === run.runId) continue
      if (!running.has(key)) running.set(key, run.runId)
    }
  }
  return running
}

const failureOf = (error: ErrorInfo, runId: string, timestamp: number): Failure => ({
  runId,
  tag: error.tag,
  message: firstLine(error.message),
  timestamp
})

/**
 * The blocking checks of each asset whose latest result failed, from the
 * check store's latest results (`Instance.latestChecks`). Only checks the
 * project still defines as `error` count, and only results about the data
 * the asset holds now: an unpartitioned result whose data version is not the
 * latest materialization's (the asset was materialized again without its
 * checks) says nothing about the current data.
 *
 * @since 0.1.0
 */
export const failedBlockingChecks = (
  project: Project<unknown>,
  records: ReadonlyMap<string, AssetRecord>,
  latest: ReadonlyMap<string, ReadonlyArray<CheckResultRecord>>
): Map<string, Array<FailedCheck>> => {
  const failing = new Map<string, Array<FailedCheck>>()
  for (const [key, results] of latest) {
    const blocking = project.checksOf(key).filter((check) => check.spec.blocking)
    if (blocking.length === 0) continue
    const current = records.get(key)?.materialization?.dataVersion
    for (const result of results) {
      if (result.passed || !blocking.some((check) => check.spec.name === result.check)) continue
      if (result.partition === undefined && current !== undefined && result.dataVersion !== undefined && result.dataVersion !== current) continue
      const failed: FailedCheck = {
        check: result.check,
        ...(result.partition === undefined ? {} : { partition: result.partition }),
        message: firstLine(result.message ?? `check ${result.check} failed`),
        runId: result.runId,
        timestamp: result.timestamp
      }
      const list = failing.get(key)
      if (list === undefined) failing.set(key, [failed])
      else list.push(failed)
    }
  }
  return failing
}

/**
 * Combines staleness (`Staleness.compute`, in graph order), the asset
 * index, the running assets and the failing blocking checks
 * ({@link failedBlockingChecks}) into the states shown, in the same order.
 * Precedence: `running`, `failed`, `check-failed`, then staleness.
 *
 * @since 0.1.0
 */
export const combine = (
  statuses: ReadonlyArray<Staleness.AssetStatus>,
  records: ReadonlyMap<string, AssetRecord>,
  running: ReadonlyMap<string, string>,
  failedChecks?: ReadonlyMap<string, ReadonlyArray<FailedCheck>>
): Array<AssetState> =>
  statuses.map((s) => {
    const checks = failedChecks?.get(s.key)
    const state = checks === undefined || checks.length === 0 ? base(s) : { ...base(s), failedChecks: checks }
    const runId = running.get(s.key)
    if (runId !== undefined) return { ...state, status: "running", runId }
    const failure = records.get(s.key)?.failure
    if (failure !== undefined) {
      return { ...state, status: "failed", failure: failureOf(failure.error, failure.runId, failure.timestamp) }
    }
    if (state.failedChecks !== undefined) return { ...state, status: "check-failed" }
    return state
  })

const base = (s: Staleness.AssetStatus): AssetState => ({
  key: s.key,
  kind: s.kind,
  status: s.status,
  staleness: s.status,
  reasons: s.reasons
})

/**
 * Reads the asset index and the active runs, and computes every asset's
 * state (optionally only a selection's), in graph order.
 *
 * @since 0.1.0
 */
export const read = (
  project: Project<unknown>,
  options?: { readonly selection?: string | undefined }
): Effect.Effect<
  ReadonlyArray<AssetState>,
  InstanceError | Selection.SelectionParseError | Selection.SelectionResolveError,
  Instance
> =>
  Effect.gen(function*() {
    const { instance, records, selected } = yield* Staleness.readSelected(project, options)
    const active = yield* instance.listRuns({ status: ["queued", "started"], limit: activeRunLimit })
    const checks = yield* latestBlockingChecks(project, records)
    return selected(combine(Staleness.compute(project, records), records, runningSteps(records, active), checks))
  })

/**
 * Reads the latest check results of the assets that have blocking checks and
 * keeps the failing ones ({@link failedBlockingChecks}).
 *
 * @since 0.1.0
 */
export const latestBlockingChecks = (
  project: Project<unknown>,
  records: ReadonlyMap<string, AssetRecord>
): Effect.Effect<Map<string, Array<FailedCheck>>, InstanceError, Instance> =>
  Effect.gen(function*() {
    const keys = [...new Set(project.checks.filter((check) => check.spec.blocking).map((check) => check.spec.assetKey))]
    if (keys.length === 0) return new Map()
    const latest = yield* (yield* Instance).latestChecks(keys)
    return failedBlockingChecks(project, records, latest)
  })

/**
 * A failed check as a phrase: `check email_unique [2024-01-01] failed: 3 duplicate email values (run r1)`.
 *
 * @since 0.1.0
 */
export const describeFailedCheck = (failed: FailedCheck): string =>
  `check ${failed.check}${failed.partition === undefined ? "" : ` [${failed.partition}]`} failed: ${failed.message} (run ${failed.runId})`

/**
 * A state's details as one line: the failure's first line and run, the run
 * executing it, or the staleness reasons.
 *
 * @since 0.1.0
 */
export const describe = (state: AssetState): string => {
  if (state.status === "failed" && state.failure !== undefined) return `${state.failure.message} (run ${state.failure.runId})`
  if (state.status === "running" && state.runId !== undefined) return `in run ${state.runId}`
  if (state.status === "check-failed" && state.failedChecks !== undefined) {
    const shown = state.failedChecks.slice(0, 3).map(describeFailedCheck)
    const more = state.failedChecks.length - shown.length
    return more > 0 ? `${shown.join("; ")}; and ${more} more` : shown.join("; ")
  }
  return state.reasons.map(Staleness.describe).join("; ")
}
