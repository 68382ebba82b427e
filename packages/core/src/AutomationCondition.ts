/**
 * Declarative automation conditions: when the daemon should request an asset,
 * as a typed value built from operands and `and` / `or` / `not`, evaluated by
 * a pure function over what the instance knows.
 *
 * Operands (each about the asset being evaluated, its *subject*):
 * - `missing`: never materialized (a source: never observed);
 * - `inProgress`: planned by a run that is queued or started;
 * - `failed`: its latest step failed after its latest materialization;
 * - `stale`: `Staleness` says stale (code, dependencies or upstream data changed);
 * - `codeVersionChanged`: its code version differs from the materialized one;
 * - `newlyUpdated`: materialized or observed since the previous evaluation;
 * - `newlyRequested`: requested earlier in this same evaluation (an upstream
 *   of a chain), so one eager chain becomes one run;
 * - `requestedSinceUpdated`: the daemon requested it and it has not
 *   materialized since (the request is pending, or its run failed);
 * - `freshnessLate`: its freshness policy says it is late now;
 * - `hasNewData` (inside `anyUpstream` / `allUpstreams`): the upstream was
 *   updated after the downstream last materialized or was requested, by a run
 *   other than the one requested for the downstream;
 * - `cronTickPassed(cron)`: a tick of `cron` passed that this asset has not
 *   handled (handled = requested by a condition with that cron);
 * - `updatedSinceCronTick(cron)`: updated at or after the latest tick (within
 *   the latest time window);
 * - `inLatestTimeWindow({ lookback })`: the latest `lookback` partitions
 *   (default 1) of a time-partitioned asset; every partition of another
 *   partitioned asset; true for an unpartitioned one;
 * - `anyUpstream(condition, { allow, ignore })`, `allUpstreams(...)`: the
 *   condition on the asset's direct upstreams (allow/ignore: asset keys).
 *
 * Built-ins: {@link onMissing}, {@link eager}, {@link onCron}, {@link onLate}. Evaluation
 * results ({@link Result}) say which operand was true or false: the daemon
 * stores them so `strata automation why` can answer.
 *
 * A partitioned asset's condition is evaluated per partition, on ranges
 * (`automation/partitionSets.ts`): each operand is the set of partitions it
 * holds for, `and` / `or` / `not` are intersection, union and complement, and
 * an upstream operand maps the upstream's partitions through the edge's
 * partition mapping. The asset is requested for the partitions the whole
 * condition holds for, and its result says which (`Result.partitions`).
 *
 * @example
 * ```ts
 * import { AutomationCondition as C } from "@strata/core"
 *
 * // eager, but never while the asset is failing
 * const condition = C.and(C.eager(), C.not(C.failed))
 * ```
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import * as Cron from "./Cron.ts"
import type { FreshnessPolicy } from "./Freshness.ts"
import * as Freshness from "./Freshness.ts"
import type { AssetRecord } from "./Instance.ts"
import type { PartitionFacts } from "./automation/partitionSets.ts"
import type * as Ranges from "./partitions/Ranges.ts"
import type { AssetStatus } from "./Staleness.ts"

/**
 * A condition: a tree of operands and combinators.
 *
 * @since 0.1.0
 */
export type Condition =
  | { readonly _tag: "Missing" }
  | { readonly _tag: "InProgress" }
  | { readonly _tag: "Failed" }
  | { readonly _tag: "Stale" }
  | { readonly _tag: "CodeVersionChanged" }
  | { readonly _tag: "NewlyUpdated" }
  | { readonly _tag: "NewlyRequested" }
  | { readonly _tag: "RequestedSinceUpdated" }
  | { readonly _tag: "HasNewData" }
  | { readonly _tag: "FreshnessLate" }
  | { readonly _tag: "CronTickPassed"; readonly cron: Cron.Cron }
  | { readonly _tag: "UpdatedSinceCronTick"; readonly cron: Cron.Cron }
  | { readonly _tag: "InLatestTimeWindow"; readonly lookback: number }
  | { readonly _tag: "AnyUpstream"; readonly condition: Condition; readonly filter: UpstreamFilter }
  | { readonly _tag: "AllUpstreams"; readonly condition: Condition; readonly filter: UpstreamFilter }
  | { readonly _tag: "And"; readonly conditions: ReadonlyArray<Condition>; readonly label?: string | undefined }
  | { readonly _tag: "Or"; readonly conditions: ReadonlyArray<Condition>; readonly label?: string | undefined }
  | { readonly _tag: "Not"; readonly condition: Condition }

/**
 * Which upstreams `anyUpstream` / `allUpstreams` look at: only `allow` (when
 * given), never `ignore`.
 *
 * @since 0.1.0
 */
export interface UpstreamFilter {
  readonly allow?: ReadonlyArray<string> | undefined
  readonly ignore?: ReadonlyArray<string> | undefined
}

/** @since 0.1.0 */
export const missing: Condition = { _tag: "Missing" }
/** @since 0.1.0 */
export const inProgress: Condition = { _tag: "InProgress" }
/** @since 0.1.0 */
export const failed: Condition = { _tag: "Failed" }
/** @since 0.1.0 */
export const stale: Condition = { _tag: "Stale" }
/** @since 0.1.0 */
export const codeVersionChanged: Condition = { _tag: "CodeVersionChanged" }
/** @since 0.1.0 */
export const newlyUpdated: Condition = { _tag: "NewlyUpdated" }
/** @since 0.1.0 */
export const newlyRequested: Condition = { _tag: "NewlyRequested" }
/** @since 0.1.0 */
export const requestedSinceUpdated: Condition = { _tag: "RequestedSinceUpdated" }
/** @since 0.1.0 */
export const hasNewData: Condition = { _tag: "HasNewData" }
/**
 * The asset's freshness policy (`Freshness.policy`) says it is late now;
 * false for an asset without a policy.
 *
 * @since 0.1.0
 */
export const freshnessLate: Condition = { _tag: "FreshnessLate" }

/**
 * A tick of `expression` (in `timezone`, default UTC) passed that the asset
 * has not handled. Throws {@link Cron.InvalidCron} for a bad expression.
 *
 * @since 0.1.0
 */
export const cronTickPassed = (expression: string, options?: { readonly timezone?: string | undefined }): Condition => ({
  _tag: "CronTickPassed",
  cron: Cron.make(expression, options?.timezone)
})

/**
 * Updated at or after the latest tick of `expression`.
 *
 * @since 0.1.0
 */
export const updatedSinceCronTick = (expression: string, options?: { readonly timezone?: string | undefined }): Condition => ({
  _tag: "UpdatedSinceCronTick",
  cron: Cron.make(expression, options?.timezone)
})

/**
 * The latest `lookback` partitions (default 1, a whole number >= 1) of a
 * time-partitioned asset: what `onMissing` and `onCron` are bounded by, so a
 * new daily asset starting in 2000 asks for yesterday, not 9,000 days. Every
 * partition of a static or dynamic asset; true for an unpartitioned one.
 *
 * @since 0.1.0
 */
export const inLatestTimeWindow = (options?: { readonly lookback?: number | undefined }): Condition => {
  const lookback = options?.lookback ?? 1
  if (!Number.isInteger(lookback) || lookback < 1) {
    throw new TypeError(`inLatestTimeWindow: lookback must be a whole number >= 1, got ${String(lookback)}`)
  }
  return { _tag: "InLatestTimeWindow", lookback }
}

/** @since 0.1.0 */
export const anyUpstream = (condition: Condition, filter: UpstreamFilter = {}): Condition => ({ _tag: "AnyUpstream", condition, filter })
/** True when the asset has no (allowed) upstream. @since 0.1.0 */
export const allUpstreams = (condition: Condition, filter: UpstreamFilter = {}): Condition => ({ _tag: "AllUpstreams", condition, filter })
/** @since 0.1.0 */
export const and = (...conditions: ReadonlyArray<Condition>): Condition => ({ _tag: "And", conditions })
/** @since 0.1.0 */
export const or = (...conditions: ReadonlyArray<Condition>): Condition => ({ _tag: "Or", conditions })
/** @since 0.1.0 */
export const not = (condition: Condition): Condition => ({ _tag: "Not", condition })

/**
 * Requested once when never materialized: missing, not in progress, not
 * requested already (a failed first run is not retried in a loop). For a
 * time-partitioned asset, only the latest `lookback` partitions (default 1)
 * are asked for ({@link inLatestTimeWindow}); older missing ones are a
 * backfill's job.
 *
 * @since 0.1.0
 */
export const onMissing = (options?: { readonly lookback?: number | undefined }): Condition => ({
  _tag: "And",
  label: "on missing",
  conditions: [missing, inLatestTimeWindow(options), not(inProgress), not(requestedSinceUpdated)]
})

/**
 * Requested once when its freshness policy says it is late: late, not in
 * progress, not requested already since it last materialized (a failed run
 * is not retried in a loop).
 *
 * @since 0.1.0
 */
export const onLate = (): Condition => ({
  _tag: "And",
  label: "on late",
  conditions: [freshnessLate, not(inProgress), not(requestedSinceUpdated)]
})

/**
 * Requested when an upstream was updated (or is requested in the same
 * evaluation), none of its upstreams is missing, in progress or stale
 * (unless requested now), it is not in progress, and it has not been
 * requested for that update already.
 *
 * @since 0.1.0
 */
export const eager = (filter: UpstreamFilter = {}): Condition => ({
  _tag: "And",
  label: "eager",
  conditions: [
    anyUpstream(or(hasNewData, newlyRequested), filter),
    not(anyUpstream(and(or(missing, inProgress, stale), not(newlyRequested)), filter)),
    not(inProgress)
  ]
})

/**
 * Requested once per tick of `expression`, after every upstream was updated
 * since that tick (or is requested in the same evaluation). A
 * time-partitioned asset is requested for its latest complete partition.
 *
 * @since 0.1.0
 */
export const onCron = (expression: string, options?: { readonly timezone?: string | undefined }): Condition => ({
  _tag: "And",
  label: `on cron ${expression}`,
  conditions: [
    inLatestTimeWindow(),
    cronTickPassed(expression, options),
    allUpstreams(or(updatedSinceCronTick(expression, options), newlyRequested)),
    not(inProgress)
  ]
})

/**
 * What the daemon keeps per asset between evaluations.
 *
 * @since 0.1.0
 */
export interface AssetState {
  /** The event-log cursor when the daemon last requested the asset. */
  readonly requestedAt?: number | undefined
  /** The run it launched for that request. */
  readonly requestRunId?: string | undefined
  /** Per cron (`Cron.id`), the latest tick handled (ms since the epoch). */
  readonly cronHandled?: Readonly<Record<string, number>> | undefined
  /** The freshness the daemon last recorded for the asset's policy, and since when. */
  readonly freshness?: "fresh" | "late" | undefined
  readonly freshnessSince?: number | undefined
  /**
   * A partitioned asset: the event cursor when the daemon first evaluated it
   * per partition (upstream data older than that is not new to it).
   */
  readonly partitionsSince?: number | undefined
  /** A partitioned asset: its recent requests (at most 20), dropped once materialized. */
  readonly partitionRequests?: ReadonlyArray<PartitionRequest> | undefined
}

/**
 * Partitions the daemon requested: the event cursor then, and the ranges over
 * the definition with `fingerprint` (another definition's ranges are ignored).
 *
 * @since 0.1.0
 */
export interface PartitionRequest {
  readonly at: number
  readonly fingerprint: string
  readonly ranges: ReadonlyArray<readonly [number, number]>
}

/**
 * Schema of {@link AssetState} (stored in the instance).
 *
 * @since 0.1.0
 */
export const AssetStateSchema = Schema.Struct({
  requestedAt: Schema.optional(Schema.Number),
  requestRunId: Schema.optional(Schema.String),
  cronHandled: Schema.optional(Schema.Record(Schema.String, Schema.Number)),
  freshness: Schema.optional(Schema.Literals(["fresh", "late"])),
  freshnessSince: Schema.optional(Schema.Number),
  partitionsSince: Schema.optional(Schema.Number),
  partitionRequests: Schema.optional(Schema.Array(Schema.Struct({
    at: Schema.Number,
    fingerprint: Schema.String,
    ranges: Schema.Array(Schema.Tuple([Schema.Number, Schema.Number]))
  })))
})

/**
 * The outcome of a condition or operand, with its parts: why (not).
 *
 * @since 0.1.0
 */
export interface Result {
  readonly label: string
  readonly value: boolean
  /** For upstream operands: the upstreams that matched (at most 20). */
  readonly matched?: ReadonlyArray<string> | undefined
  /** For upstream operands: the upstreams that did not match (at most 20). */
  readonly unmatched?: ReadonlyArray<string> | undefined
  readonly children?: ReadonlyArray<Result> | undefined
  /**
   * A partitioned asset: how many of its partitions the operand holds for,
   * of how many, and which (a selection of at most 20 ranges).
   */
  readonly partitions?: PartitionCount | undefined
}

/**
 * Partitions an operand holds for, bounded in size.
 *
 * @since 0.1.0
 */
export interface PartitionCount {
  readonly count: number
  readonly total: number
  readonly text: string
}

/**
 * Schema of {@link Result} (stored evaluations are decoded with it).
 *
 * @since 0.1.0
 */
export const ResultSchema: Schema.Codec<Result> = Schema.Struct({
  label: Schema.String,
  value: Schema.Boolean,
  matched: Schema.optional(Schema.Array(Schema.String)),
  unmatched: Schema.optional(Schema.Array(Schema.String)),
  children: Schema.optional(Schema.Array(Schema.suspend((): Schema.Codec<Result> => ResultSchema))),
  partitions: Schema.optional(Schema.Struct({ count: Schema.Number, total: Schema.Number, text: Schema.String }))
})

/**
 * What evaluation reads about one asset.
 *
 * @since 0.1.0
 */
export interface Facts {
  readonly key: string
  readonly upstream: ReadonlyArray<string>
  readonly record: AssetRecord | undefined
  readonly status: AssetStatus | undefined
  readonly state: AssetState | undefined
  /** The asset's freshness policy, if it has one. */
  readonly freshness?: FreshnessPolicy | undefined
}

/**
 * What one evaluation knows: the time, the event cursors, the runs in
 * progress and what it requested so far.
 *
 * @since 0.1.0
 */
export interface Context {
  readonly now: number
  /** The event id the previous evaluation read up to. */
  readonly previousCursor: number
  readonly facts: (key: string) => Facts
  readonly inProgress: ReadonlySet<string>
  readonly requested: ReadonlySet<string>
  /** The latest tick of a cron at `now`, memoized for the evaluation (computed when absent). */
  readonly latestTick?: ((cron: Cron.Cron) => number | undefined) | undefined
  /** A partitioned asset's partitions as the instance holds them (undefined: unpartitioned). */
  readonly partitions?: ((key: string) => PartitionFacts | undefined) | undefined
  /** The partitions requested so far in this evaluation, by asset. */
  readonly requestedPartitions?: ReadonlyMap<string, Ranges.Ranges> | undefined
}

/** The newest event id that updated an asset (materialization or observation). */
export const updateId = (record: AssetRecord | undefined): number =>
  Math.max(record?.materialization?.eventId ?? 0, record?.observation?.eventId ?? 0)

/** The newest time an asset was updated (materialized or observed), -Infinity if never. */
export const updateTime = (record: AssetRecord | undefined): number =>
  Math.max(record?.materialization?.timestamp ?? -Infinity, record?.observation?.timestamp ?? -Infinity)

/** Whether `up` has data `down` has not taken nor been asked to take. */
const newDataFor = (up: Facts, down: Facts): boolean => {
  const handled = Math.max(down.record?.materialization?.eventId ?? 0, down.state?.requestedAt ?? 0)
  if (updateId(up.record) <= handled) return false
  const requestRun = down.state?.requestRunId
  return requestRun === undefined || up.record?.materialization?.runId !== requestRun ||
    (up.record.observation?.eventId ?? 0) > up.record.materialization.eventId
}

// operand results are immutable and shared: an evaluation of 10,000 assets makes ~20 of them per asset
const operands = new Map<string, readonly [Result, Result]>()
const operand = (label: string, value: boolean): Result => {
  let pair = operands.get(label)
  if (pair === undefined) {
    pair = [Object.freeze({ label, value: false }), Object.freeze({ label, value: true })]
    if (operands.size < 10_000) operands.set(label, pair)
  }
  return pair[value ? 1 : 0]
}

/**
 * The handled tick of `cron` for an asset: its stored one, or the latest tick
 * when the asset was never evaluated with it (no retroactive request).
 *
 * @since 0.1.0
 */
export const handledTick = (state: AssetState | undefined, cron: Cron.Cron, now: number): number | undefined =>
  state?.cronHandled?.[Cron.id(cron)] ?? Cron.latest(cron, now)

const isLate = (subject: Facts, now: number): boolean =>
  subject.freshness !== undefined && Freshness.evaluate(subject.freshness, Freshness.lastUpdated(subject.record), now).status === "late"

/** The latest tick of `cron` at `now`, once per evaluation when the context memoizes it. */
const latestTick = (cron: Cron.Cron, context: Context): number | undefined =>
  context.latestTick === undefined ? Cron.latest(cron, context.now) : context.latestTick(cron)

/**
 * Whether `condition` holds for `subject`, without explaining why: the same
 * outcome as {@link evaluate}`(...).value`, without allocating, stopping at
 * the first operand that decides. The daemon tests every candidate with it
 * and explains (with `evaluate`) only the outcomes worth recording.
 *
 * @since 0.1.0
 */
export const holds = (condition: Condition, subject: Facts, context: Context, downstream?: Facts): boolean => {
  switch (condition._tag) {
    case "Missing":
      return subject.status?.status === "missing"
    case "InProgress":
      return context.inProgress.has(subject.key)
    case "Failed":
      return subject.record?.failure !== undefined
    case "Stale":
      return subject.status?.status === "stale"
    case "CodeVersionChanged":
      return subject.status?.reasons.some((reason) => reason.type === "code-changed") === true
    case "NewlyUpdated":
      return updateId(subject.record) > context.previousCursor
    case "NewlyRequested":
      return context.requested.has(subject.key)
    case "RequestedSinceUpdated": {
      const at = subject.state?.requestedAt
      return at !== undefined && at >= (subject.record?.materialization?.eventId ?? 0)
    }
    case "HasNewData":
      return downstream !== undefined && newDataFor(subject, downstream)
    case "FreshnessLate":
      return isLate(subject, context.now)
    case "CronTickPassed": {
      const latest = latestTick(condition.cron, context)
      const handled = subject.state?.cronHandled?.[Cron.id(condition.cron)] ?? latest
      return latest !== undefined && handled !== undefined && latest > handled
    }
    case "UpdatedSinceCronTick": {
      const latest = latestTick(condition.cron, context)
      return latest === undefined || updateTime(subject.record) >= latest
    }
    case "InLatestTimeWindow":
      return true
    case "AnyUpstream":
    case "AllUpstreams": {
      const any = condition._tag === "AnyUpstream"
      const { allow, ignore } = condition.filter
      for (const key of subject.upstream) {
        if ((allow !== undefined && !allow.includes(key)) || ignore?.includes(key) === true) continue
        if (holds(condition.condition, context.facts(key), context, subject) === any) return any
      }
      return !any
    }
    case "And":
      for (const child of condition.conditions) if (!holds(child, subject, context, downstream)) return false
      return true
    case "Or":
      for (const child of condition.conditions) if (holds(child, subject, context, downstream)) return true
      return false
    case "Not":
      return !holds(condition.condition, subject, context, downstream)
  }
}

/**
 * Evaluates `condition` for `subject` (`downstream`: the asset whose upstream
 * `subject` is, inside `anyUpstream` / `allUpstreams`), explaining each
 * operand's outcome. Pure. {@link holds} gives the outcome alone, cheaply.
 *
 * @since 0.1.0
 */
export const evaluate = (condition: Condition, subject: Facts, context: Context, downstream?: Facts): Result => {
  switch (condition._tag) {
    case "Missing":
      return operand("missing", subject.status?.status === "missing")
    case "InProgress":
      return operand("in progress", context.inProgress.has(subject.key))
    case "Failed":
      return operand("failed", subject.record?.failure !== undefined)
    case "Stale":
      return operand("stale", subject.status?.status === "stale")
    case "CodeVersionChanged":
      return operand("code version changed", subject.status?.reasons.some((reason) => reason.type === "code-changed") === true)
    case "NewlyUpdated":
      return operand("newly updated", updateId(subject.record) > context.previousCursor)
    case "NewlyRequested":
      return operand("newly requested", context.requested.has(subject.key))
    case "RequestedSinceUpdated": {
      const at = subject.state?.requestedAt
      return operand("requested since updated", at !== undefined && at >= (subject.record?.materialization?.eventId ?? 0))
    }
    case "HasNewData":
      return operand("has new data", downstream !== undefined && newDataFor(subject, downstream))
    case "FreshnessLate":
      return operand(subject.freshness === undefined ? "freshness late (no policy)" : `freshness late (${subject.freshness.description})`, isLate(subject, context.now))
    case "CronTickPassed": {
      const latest = latestTick(condition.cron, context)
      const handled = subject.state?.cronHandled?.[Cron.id(condition.cron)] ?? latest
      return operand(`cron tick passed (${condition.cron.expression} ${condition.cron.timezone})`, latest !== undefined && handled !== undefined && latest > handled)
    }
    case "UpdatedSinceCronTick": {
      const latest = latestTick(condition.cron, context)
      return operand(`updated since cron tick (${condition.cron.expression} ${condition.cron.timezone})`, latest === undefined || updateTime(subject.record) >= latest)
    }
    case "InLatestTimeWindow":
      return operand(windowLabel(condition.lookback), true)
    case "AnyUpstream":
    case "AllUpstreams":
      return upstreams(condition, subject, context)
    case "And":
    case "Or": {
      const children = condition.conditions.map((child) => evaluate(child, subject, context, downstream))
      const value = condition._tag === "And" ? children.every((child) => child.value) : children.some((child) => child.value)
      return { label: condition.label ?? (condition._tag === "And" ? "all of" : "any of"), value, children }
    }
    case "Not": {
      const child = evaluate(condition.condition, subject, context, downstream)
      return { label: "not", value: !child.value, children: [child] }
    }
  }
}

/** The label of `inLatestTimeWindow`. @since 0.1.0 */
export const windowLabel = (lookback: number): string =>
  lookback === 1 ? "in latest time window" : `in latest time window (${lookback} partitions)`

/** The label of an operand (not of a combinator nor an upstream operand). @since 0.1.0 */
export const operandLabel = (condition: Condition, subject: Facts): string => {
  switch (condition._tag) {
    case "Missing": return "missing"
    case "InProgress": return "in progress"
    case "Failed": return "failed"
    case "Stale": return "stale"
    case "CodeVersionChanged": return "code version changed"
    case "NewlyUpdated": return "newly updated"
    case "NewlyRequested": return "newly requested"
    case "RequestedSinceUpdated": return "requested since updated"
    case "HasNewData": return "has new data"
    case "FreshnessLate": return subject.freshness === undefined ? "freshness late (no policy)" : `freshness late (${subject.freshness.description})`
    case "CronTickPassed": return `cron tick passed (${condition.cron.expression} ${condition.cron.timezone})`
    case "UpdatedSinceCronTick": return `updated since cron tick (${condition.cron.expression} ${condition.cron.timezone})`
    case "InLatestTimeWindow": return windowLabel(condition.lookback)
    case "AnyUpstream": return "any upstream"
    case "AllUpstreams": return "all upstreams"
    case "And": return condition.label ?? "all of"
    case "Or": return condition.label ?? "any of"
    case "Not": return "not"
  }
}

const upstreams = (
  condition: Extract<Condition, { _tag: "AnyUpstream" | "AllUpstreams" }>,
  subject: Facts,
  context: Context
): Result => {
  const { allow, ignore } = condition.filter
  const matched: Array<string> = []
  const unmatched: Array<string> = []
  let count = 0
  let example: Result | undefined
  for (const key of subject.upstream) {
    if ((allow !== undefined && !allow.includes(key)) || ignore?.includes(key) === true) continue
    count++
    const result = evaluate(condition.condition, context.facts(key), context, subject)
    const list = result.value ? matched : unmatched
    if (list.length < 20) list.push(key)
    // shown: the first upstream that decides the outcome, else the first one
    if (example === undefined || (example.value !== result.value && result.value === (condition._tag === "AnyUpstream"))) {
      example = result
    }
  }
  const any = condition._tag === "AnyUpstream"
  const value = any ? matched.length > 0 : unmatched.length === 0
  return {
    label: `${any ? "any upstream" : "all upstreams"} of ${count}`,
    value,
    ...(matched.length > 0 ? { matched } : {}),
    ...(unmatched.length > 0 ? { unmatched } : {}),
    ...(example === undefined ? {} : { children: [example] })
  }
}

/**
 * The crons a condition reads, each once: the daemon wakes at their ticks and
 * marks them handled when it requests the asset.
 *
 * @since 0.1.0
 */
export const crons = (condition: Condition): ReadonlyArray<Cron.Cron> => {
  let cached = cronsOf.get(condition)
  if (cached === undefined) {
    cached = findCrons(condition)
    cronsOf.set(condition, cached)
  }
  return cached
}

// conditions are immutable values: their crons are found once per condition, not per tick
const cronsOf = new WeakMap<Condition, ReadonlyArray<Cron.Cron>>()

const findCrons = (condition: Condition): ReadonlyArray<Cron.Cron> => {
  const found = new Map<string, Cron.Cron>()
  const walk = (c: Condition): void => {
    switch (c._tag) {
      case "CronTickPassed":
      case "UpdatedSinceCronTick":
        found.set(Cron.id(c.cron), c.cron)
        return
      case "AnyUpstream":
      case "AllUpstreams":
      case "Not":
        return walk(c.condition)
      case "And":
      case "Or":
        return c.conditions.forEach(walk)
      default:
        return
    }
  }
  walk(condition)
  return [...found.values()]
}

/**
 * The asset keys a condition names (`allow` / `ignore`), to validate them
 * against the project.
 *
 * @since 0.1.0
 */
export const namedKeys = (condition: Condition): ReadonlyArray<string> => {
  switch (condition._tag) {
    case "AnyUpstream":
    case "AllUpstreams":
      return [...(condition.filter.allow ?? []), ...(condition.filter.ignore ?? []), ...namedKeys(condition.condition)]
    case "Not":
      return namedKeys(condition.condition)
    case "And":
    case "Or":
      return condition.conditions.flatMap(namedKeys)
    default:
      return []
  }
}

/**
 * `true` for a value built by this module's constructors.
 *
 * @since 0.1.0
 */
export const isCondition = (u: unknown): u is Condition =>
  typeof u === "object" && u !== null && typeof (u as { _tag?: unknown })._tag === "string"
