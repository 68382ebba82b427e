/**
 * Asset checks and freshness as the catalog serves them: an asset's checks
 * with their latest results and history, and its freshness.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

const ErrorInfo = Schema.Struct({
  tag: Schema.String,
  message: Schema.String,
  stack: Schema.optional(Schema.String),
  retryable: Schema.optional(Schema.Boolean)
})

/**
 * One result of a check.
 *
 * @since 0.1.0
 */
export const CheckResult = Schema.Struct({
  eventId: Schema.Number,
  runId: Schema.String,
  assetKey: Schema.String,
  check: Schema.String,
  partition: Schema.optional(Schema.String),
  timestamp: Schema.Number,
  passed: Schema.Boolean,
  severity: Schema.Literals(["warn", "error"]),
  message: Schema.optional(Schema.String),
  metadata: Schema.Record(Schema.String, Schema.Json),
  dataVersion: Schema.optional(Schema.String),
  error: Schema.optional(ErrorInfo)
})

/**
 * @since 0.1.0
 */
export type CheckResult = typeof CheckResult.Type

/**
 * A check of an asset: its definition, its latest results (one per
 * partition) and its recent history.
 *
 * @since 0.1.0
 */
export const AssetCheck = Schema.Struct({
  name: Schema.String,
  severity: Schema.Literals(["warn", "error"]),
  blocking: Schema.Boolean,
  description: Schema.optional(Schema.String),
  latest: Schema.Array(CheckResult),
  history: Schema.Array(CheckResult)
})

/**
 * An asset's freshness under its policy.
 *
 * @since 0.1.0
 */
export const Freshness = Schema.Struct({
  status: Schema.Literals(["fresh", "late"]),
  policy: Schema.String,
  reason: Schema.String,
  lastUpdated: Schema.optional(Schema.Number),
  lateSince: Schema.optional(Schema.Number),
  freshUntil: Schema.optional(Schema.Number)
})

/**
 * What `GET /api/asset/checks?key=` returns.
 *
 * @since 0.1.0
 */
export const AssetChecks = Schema.Struct({
  key: Schema.String,
  checks: Schema.Array(AssetCheck),
  freshness: Schema.optional(Freshness)
})

/**
 * @since 0.1.0
 */
export type AssetChecks = typeof AssetChecks.Type

/**
 * The checks of one asset in a few numbers: how many it defines and how many
 * of their latest results (all partitions) passed, failed (`error` severity)
 * or warned; `pending` counts checks with no result yet.
 *
 * @since 0.2.0
 */
export const AssetCheckSummary = Schema.Struct({
  key: Schema.String,
  checks: Schema.Number,
  passed: Schema.Number,
  failed: Schema.Number,
  warned: Schema.Number,
  pending: Schema.Number,
  /** When the newest of those results was recorded. */
  lastEvaluatedAt: Schema.optional(Schema.Number)
})

/**
 * @since 0.2.0
 */
export type AssetCheckSummary = typeof AssetCheckSummary.Type

/**
 * What `GET /api/checks/summary` returns: every asset that has checks, in
 * the project's order (assets without checks are left out).
 *
 * @since 0.2.0
 */
export const CheckSummary = Schema.Struct({
  assets: Schema.Array(AssetCheckSummary)
})

/**
 * @since 0.2.0
 */
export type CheckSummary = typeof CheckSummary.Type
