/**
 * Freshness policies: how recently an asset must have been updated. A policy
 * is attached to an asset (`Freshness.policy(asset, { maxLag, cron })`) and
 * registered with `Project.make({ assets, freshness })`. It is evaluated from
 * the instance's asset index, never by running anything: an asset is `late`
 * when its latest materialization is older than `maxLag`, or older than the
 * latest tick of the `cron` deadline (`"0 6 * * *"`: updated every day by 06:00),
 * and says since when; a `fresh` asset says until when it stays fresh.
 *
 * `strata status` evaluates the policies, the daemon records when an asset turns late or fresh again (`changes`), and
 * `AutomationCondition.freshnessLate` / `onLate()` request an asset when it is late.
 *
 * @example
 * ```ts
 * import { Asset, Freshness, Project } from "@strata/core"
 * import { Effect } from "effect"
 *
 * const gold = Asset.make("gold", {}, () => Effect.succeed(1))
 * export const project = Project.make({
 *   assets: [gold],
 *   freshness: [Freshness.policy(gold, { maxLag: "26 hours", cron: "0 6 * * *" })]
 * })
 * ```
 *
 * @since 0.1.0
 */
import { Cron, Duration, Effect, Result } from "effect"
import type { AnyNode } from "./Asset.ts"
import type { AssetKey } from "./AssetKey.ts"
import type { AssetRecord, InstanceError } from "./Instance.ts"
import { Instance } from "./Instance.ts"
import type { Project } from "./Project.ts"

const TypeId: unique symbol = Symbol.for("@strata/core/FreshnessPolicy")

/**
 * A freshness policy of one asset.
 *
 * @since 0.1.0
 */
export interface FreshnessPolicy {
  readonly [TypeId]: typeof TypeId
  readonly assetKey: AssetKey
  readonly asset: AnyNode
  /** Late when the last update is older than this many milliseconds. */
  readonly maxLagMs: number | undefined
  /** Late when not updated since the latest tick of this cron expression (5 or 6 fields). */
  readonly cron: string | undefined
  /** The time zone of `cron` (default UTC). */
  readonly timezone: string | undefined
  /** The policy in words: `updated within 1h`, `updated by each tick of 0 6 * * *`. */
  readonly description: string
}

/**
 * Options of {@link policy}: at least one of `maxLag` and `cron`.
 *
 * @since 0.1.0
 */
export interface Options {
  readonly maxLag?: Duration.Input | undefined
  readonly cron?: string | undefined
  readonly timezone?: string | undefined
}

/**
 * An asset's freshness now.
 *
 * @since 0.1.0
 */
export interface FreshnessStatus {
  readonly key: AssetKey
  readonly status: "fresh" | "late"
  /** When the asset was last updated (materialized, or observed for a source). */
  readonly lastUpdated: number | undefined
  /** Late: since when (absent when it was never updated). */
  readonly lateSince: number | undefined
  /** Fresh: until when it stays fresh without an update. */
  readonly freshUntil: number | undefined
  readonly policy: string
  /** One line: `late since 2024-01-02T06:00:00.000Z: not updated since the 06:00 deadline`. */
  readonly reason: string
}

const parseCron = (expression: string, timezone: string | undefined, key: string): Cron.Cron => {
  const parsed = Cron.parse(expression, timezone ?? "UTC")
  if (Result.isFailure(parsed)) {
    throw new TypeError(`Freshness.policy: the cron expression ${JSON.stringify(expression.slice(0, 100))} of asset ${key} is not valid: ${parsed.failure.message}`)
  }
  return parsed.success
}

/**
 * A freshness policy for an asset.
 *
 * @since 0.1.0
 */
export const policy = (asset: AnyNode, options: Options): FreshnessPolicy => {
  if (options.maxLag === undefined && options.cron === undefined) {
    throw new TypeError(`Freshness.policy: the policy of asset ${asset.key} needs a maxLag, a cron deadline, or both`)
  }
  const maxLagMs = options.maxLag === undefined ? undefined : Duration.toMillis(Duration.fromInputUnsafe(options.maxLag))
  if (options.cron !== undefined) parseCron(options.cron, options.timezone, asset.key)
  const parts: Array<string> = []
  if (maxLagMs !== undefined) parts.push(`updated within ${Duration.format(Duration.millis(maxLagMs))}`)
  if (options.cron !== undefined) parts.push(`updated by each tick of '${options.cron}'${options.timezone ? ` (${options.timezone})` : ""}`)
  return {
    [TypeId]: TypeId,
    assetKey: asset.key,
    asset,
    maxLagMs,
    cron: options.cron,
    timezone: options.timezone,
    description: parts.join(" and ")
  }
}

/**
 * `true` for values made by {@link policy}.
 *
 * @since 0.1.0
 */
export const isPolicy = (u: unknown): u is FreshnessPolicy => typeof u === "object" && u !== null && TypeId in u

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * Evaluates a policy against the time of the last update (pure: an automation
 * operand). With both a lag and a cron deadline, the asset is late as soon as
 * either is missed.
 *
 * @since 0.1.0
 */
export const evaluate = (policy: FreshnessPolicy, lastUpdated: number | undefined, now: number): FreshnessStatus => {
  const base = { key: policy.assetKey, lastUpdated, policy: policy.description }
  if (lastUpdated === undefined) {
    return { ...base, status: "late", lateSince: undefined, freshUntil: undefined, reason: "never updated" }
  }
  const late: Array<{ since: number; why: string }> = []
  const until: Array<number> = []
  if (policy.maxLagMs !== undefined) {
    const due = lastUpdated + policy.maxLagMs
    if (now > due) late.push({ since: due, why: `not updated for more than ${Duration.format(Duration.millis(policy.maxLagMs))}` })
    else until.push(due)
  }
  if (policy.cron !== undefined) {
    const cron = parseCron(policy.cron, policy.timezone, policy.assetKey)
    const deadline = Cron.prev(cron, new Date(now + 1)).getTime()
    if (lastUpdated < deadline) late.push({ since: deadline, why: `not updated since the deadline ${iso(deadline)} ('${policy.cron}')` })
    else until.push(Cron.next(cron, new Date(now)).getTime())
  }
  if (late.length > 0) {
    const first = late.reduce((a, b) => (b.since < a.since ? b : a))
    return { ...base, status: "late", lateSince: first.since, freshUntil: undefined, reason: `late since ${iso(first.since)}: ${late.map((l) => l.why).join("; ")}` }
  }
  const freshUntil = Math.min(...until)
  return { ...base, status: "fresh", lateSince: undefined, freshUntil, reason: `fresh until ${iso(freshUntil)}` }
}

/**
 * When an asset was last updated according to its index record.
 *
 * @since 0.1.0
 */
export const lastUpdated = (record: AssetRecord | undefined): number | undefined => {
  const m = record?.materialization?.timestamp
  const o = record?.observation?.timestamp
  return m === undefined ? o : o === undefined ? m : Math.max(m, o)
}

/**
 * The freshness of every asset of the project that has a policy, from the
 * instance's asset index, in project order.
 *
 * @since 0.1.0
 */
export const status = (
  project: Project<unknown>,
  options?: { readonly now?: number | undefined }
): Effect.Effect<ReadonlyArray<FreshnessStatus>, InstanceError, Instance> =>
  Effect.gen(function*() {
    const policies = project.freshness
    if (policies.length === 0) return []
    const instance = yield* Instance
    const records = yield* instance.assets(policies.map((p) => p.assetKey))
    const now = options?.now ?? Date.now()
    return policies.map((p) => evaluate(p, lastUpdated(records.get(p.assetKey)), now))
  })

/**
 * A policy whose status differs from the one last recorded (`previous`):
 * `late`, `fresh again` (late before), or first seen.
 *
 * @since 0.1.0
 */
export interface Change {
  readonly status: FreshnessStatus
  readonly previous: "fresh" | "late" | undefined
  /** Worth telling: late, or fresh again after late (a first `fresh` is only recorded). */
  readonly notable: boolean
}

/**
 * What the daemon does with freshness at `now`, as a pure function: the
 * policies whose status changed since the one recorded for their asset, and
 * when the next fresh asset turns late (to wake then).
 *
 * @since 0.1.0
 */
export const changes = (
  policies: ReadonlyArray<FreshnessPolicy>,
  records: ReadonlyMap<string, AssetRecord>,
  recorded: (key: string) => "fresh" | "late" | undefined,
  now: number
): { readonly changes: ReadonlyArray<Change>; readonly nextCheck: number | undefined } => {
  const found: Array<Change> = []
  let nextCheck: number | undefined
  for (const p of policies) {
    const status = evaluate(p, lastUpdated(records.get(p.assetKey)), now)
    if (status.freshUntil !== undefined && (nextCheck === undefined || status.freshUntil < nextCheck)) nextCheck = status.freshUntil
    const previous = recorded(p.assetKey)
    if (previous === status.status) continue
    found.push({ status, previous, notable: status.status === "late" || previous === "late" })
  }
  return { changes: found, nextCheck: nextCheck === undefined ? undefined : nextCheck + 1 }
}
