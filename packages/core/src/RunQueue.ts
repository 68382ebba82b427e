/**
 * The run queue: runs requested by automation (and `strata materialize
 * --queue`) are recorded as `queued` runs and started by the daemon when the
 * limits allow, highest priority first, then in the order they were queued.
 *
 * A queued run is an ordinary run record (status `queued`, tag
 * `strata/queued`), so `strata runs`, the catalog and cancel requests see it
 * like any other; the daemon starts it under its recorded id. Limits are data,
 * declared in the project (`Project.make({ automation: { runQueue } })`):
 * - `maxConcurrentRuns`: runs started at once in the instance (every started
 *   run counts, queued or not);
 * - `tagLimits`: at most `limit` started runs carrying tag `key` (with
 *   `value`, when given) — `{ key: "database", value: "snowflake", limit: 1 }`;
 * - priority: tag `strata/priority` (an integer, default 0; higher first).
 *
 * A run that a tag limit holds back does not hold back the runs behind it
 * that the limit does not concern. A queued run never holds a slot: slots are
 * counted from started runs, which end (or are reaped when their process
 * dies), so no slot can be held forever.
 *
 * @example
 * ```ts
 * import { RunQueue } from "@strata/core"
 *
 * const runQueue = RunQueue.make({ maxConcurrentRuns: 4, tagLimits: [{ key: "database", value: "snowflake", limit: 1 }] })
 * ```
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { ExecutionPlan } from "./ExecutionPlan.ts"
import type { InstanceError, InstanceShape, RunRecord } from "./Instance.ts"
import * as Pool from "./Pool.ts"
import { newRun } from "./RunCoordinator.ts"

/** The tag that marks a run as waiting in the queue. @since 0.1.0 */
export const QUEUED_TAG = "strata/queued"

/** The tag that gives a queued run its priority (an integer; higher first, default 0). @since 0.1.0 */
export const PRIORITY_TAG = "strata/priority"

/** The tag that says whether a queued run observes the sources its assets read (`"false"`: it does not). @since 0.1.0 */
export const OBSERVE_TAG = "strata/observe-sources"

/**
 * Records a plan as a queued run, for the daemon to start when the limits
 * allow. The record has no host or process yet, so it is not reaped as
 * orphaned while it waits. `origin` (`conditions`, `schedule`, `cli`) is kept
 * in the `strata/queued` tag.
 *
 * @since 0.1.0
 */
export const enqueue = (
  instance: InstanceShape,
  plan: ExecutionPlan,
  options: {
    readonly runId: string
    readonly origin: string
    readonly tags?: Readonly<Record<string, string>> | undefined
    readonly observeSources?: boolean | undefined
    readonly priority?: number | undefined
    readonly at: number
  }
): Effect.Effect<RunRecord, InstanceError> => {
  const tags: Record<string, string> = { ...options.tags, [QUEUED_TAG]: options.origin, [OBSERVE_TAG]: String(options.observeSources ?? true) }
  if (options.priority !== undefined) tags[PRIORITY_TAG] = String(options.priority)
  const { host: _host, pid: _pid, ...run } = newRun(plan, options.runId, options.at, tags)
  return instance.createRun(run)
}

/**
 * At most `limit` started runs with tag `key` (equal to `value`, when given).
 *
 * @since 0.1.0
 */
export interface TagLimit {
  readonly key: string
  readonly value?: string | undefined
  readonly limit: number
}

/**
 * The queue's limits (none by default: every queued run starts at once).
 *
 * @since 0.1.0
 */
export interface Config {
  readonly maxConcurrentRuns?: number | undefined
  readonly tagLimits?: ReadonlyArray<TagLimit> | undefined
  /**
   * Concurrency pools: at most `limit` steps of the assets in pool `name`
   * (`Asset.make(key, { pool: name })`) run at once in the instance, across
   * runs and processes (see `Pool`). Applies to every run, queued or not.
   */
  readonly pools?: Readonly<Record<string, number>> | undefined
  /** How long a pool slot's lease lasts without renewal (ms, default 30 000). */
  readonly poolLeaseTtlMs?: number | undefined
}

/** No limits. @since 0.1.0 */
export const unlimited: Config = {}

const checkLimit = (value: number, what: string): void => {
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`run queue: ${what} must be a whole number >= 0, got ${String(value)}`)
}

/**
 * Validated limits. Throws a `TypeError` naming the limit that is not a
 * whole number >= 0, or a tag limit without a key.
 *
 * @since 0.1.0
 */
export const make = (config: Config): Config => {
  if (config.maxConcurrentRuns !== undefined) checkLimit(config.maxConcurrentRuns, "maxConcurrentRuns")
  for (const tag of config.tagLimits ?? []) {
    if (typeof tag.key !== "string" || tag.key.length === 0) throw new TypeError("run queue: a tag limit needs a non-empty key")
    checkLimit(tag.limit, `the limit of tag ${tag.key}${tag.value === undefined ? "" : `=${tag.value}`}`)
  }
  if (config.pools !== undefined) Pool.validateLimits(config.pools)
  if (config.poolLeaseTtlMs !== undefined && (!Number.isInteger(config.poolLeaseTtlMs) || config.poolLeaseTtlMs < 1)) {
    throw new TypeError(`run queue: poolLeaseTtlMs must be a whole number >= 1, got ${String(config.poolLeaseTtlMs)}`)
  }
  return config
}

/**
 * Whether a run waits in the queue (queued and marked `strata/queued`).
 *
 * @since 0.1.0
 */
export const isQueued = (run: RunRecord): boolean => run.status === "queued" && run.tags[QUEUED_TAG] !== undefined

/**
 * A run's priority (tag `strata/priority`; 0 when absent or not an integer).
 *
 * @since 0.1.0
 */
export const priorityOf = (run: { readonly tags: Readonly<Record<string, string>> }): number => {
  const value = Number(run.tags[PRIORITY_TAG])
  return Number.isInteger(value) ? value : 0
}

/**
 * The order queued runs are considered in: priority (higher first), then
 * queued earlier first, then run id (a stable order for equal times).
 *
 * @since 0.1.0
 */
export const order = (queued: ReadonlyArray<RunRecord>): Array<RunRecord> =>
  [...queued].sort((a, b) =>
    priorityOf(b) - priorityOf(a) || a.createdAt - b.createdAt || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0)
  )

const matches = (limit: TagLimit, tags: Readonly<Record<string, string>>): boolean =>
  limit.value === undefined ? tags[limit.key] !== undefined : tags[limit.key] === limit.value

/**
 * What the queue decides now, as a pure function.
 *
 * @since 0.1.0
 */
export interface Decision {
  /** The runs to start now, in order. */
  readonly start: ReadonlyArray<RunRecord>
  /** The runs that wait, each with the limit that holds it back. */
  readonly waiting: ReadonlyArray<{ readonly run: RunRecord; readonly reason: string }>
}

/**
 * Which queued runs start now, given the runs already started (they hold
 * the slots). Pure.
 *
 * @since 0.1.0
 */
export const dequeue = (queued: ReadonlyArray<RunRecord>, started: ReadonlyArray<RunRecord>, config: Config): Decision => {
  const tagLimits = config.tagLimits ?? []
  const used = tagLimits.map((limit) => started.filter((run) => matches(limit, run.tags)).length)
  let running = started.length
  const start: Array<RunRecord> = []
  const waiting: Array<{ readonly run: RunRecord; readonly reason: string }> = []
  for (const run of order(queued)) {
    if (config.maxConcurrentRuns !== undefined && running >= config.maxConcurrentRuns) {
      waiting.push({ run, reason: `${running} runs started, the limit is ${config.maxConcurrentRuns}` })
      continue
    }
    const full = tagLimits.findIndex((limit, i) => matches(limit, run.tags) && used[i]! >= limit.limit)
    if (full >= 0) {
      const limit = tagLimits[full]!
      waiting.push({ run, reason: `${used[full]} started runs have tag ${limit.key}${limit.value === undefined ? "" : `=${limit.value}`}, the limit is ${limit.limit}` })
      continue
    }
    tagLimits.forEach((limit, i) => {
      if (matches(limit, run.tags)) used[i]!++
    })
    running++
    start.push(run)
  }
  return { start, waiting }
}
