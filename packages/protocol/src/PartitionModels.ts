/**
 * The catalog's partition and backfill models: an asset's partitions as
 * counts, range counts and a bar of buckets (computed from ranges, so the
 * same size at a million partitions as at ten), the ranges of one state page
 * by page, and backfills with their progress and status per range.
 *
 * @since 0.2.0
 */
import { Schema } from "effect"
import { RunStatus } from "./Models.ts"

/**
 * The state of a partition. A partition is in exactly one: `in-progress`
 * wins over `failed`, which wins over `materialized`; the rest is `missing`.
 * A materialized partition is `stale` instead when it must be rebuilt: its
 * code version changed, or an upstream partition it reads got new data after
 * it, or is stale or missing (core's per-partition staleness, as `strata
 * status` reports it). `materialized` partitions are the fresh ones.
 *
 * @since 0.2.0
 */
export const PartitionState = Schema.Literals(["materialized", "stale", "failed", "in-progress", "missing"])

/** @since 0.2.0 */
export type PartitionState = typeof PartitionState.Type

/**
 * How many partitions are in each state (`total` = the five added up).
 * `materialized` counts the fresh ones; `materialized + stale` is what
 * `strata status` calls materialized.
 *
 * @since 0.2.0
 */
export const PartitionCounts = Schema.Struct({
  total: Schema.Number,
  materialized: Schema.Number,
  stale: Schema.Number,
  failed: Schema.Number,
  inProgress: Schema.Number,
  missing: Schema.Number
})

/** @since 0.2.0 */
export type PartitionCounts = typeof PartitionCounts.Type

/**
 * The partition bar: the index space cut into at most N equal buckets, each
 * with how many of its partitions are in each state. Bucket `i` covers the
 * indexes `starts[i]` (its first partition is `keys[i]`) up to `starts[i + 1]`
 * (excluded); `starts` has one more entry than there are buckets.
 *
 * @since 0.2.0
 */
export const PartitionBuckets = Schema.Struct({
  starts: Schema.Array(Schema.Number),
  keys: Schema.Array(Schema.String),
  materialized: Schema.Array(Schema.Number),
  stale: Schema.Array(Schema.Number),
  failed: Schema.Array(Schema.Number),
  inProgress: Schema.Array(Schema.Number),
  missing: Schema.Array(Schema.Number)
})

/** @since 0.2.0 */
export type PartitionBuckets = typeof PartitionBuckets.Type

/**
 * Why some of an asset's partitions are stale: one reason and the
 * partitions it holds for (a partition may have several reasons).
 *
 * @since 0.2.0
 */
export const StaleReason = Schema.Struct({
  type: Schema.Literals(["code-changed", "upstream-updated", "upstream-stale", "upstream-missing"]),
  /** The upstream asset the reason names (all but `code-changed`). */
  upstream: Schema.optional(Schema.String),
  /** The reason as a sentence (`upstream raw_events has new data`). */
  description: Schema.String,
  count: Schema.Number,
  /** The partitions as a selection (`2024-01-01...2024-01-07`), at most 20 ranges. */
  partitions: Schema.String
})

/** @since 0.2.0 */
export type StaleReason = typeof StaleReason.Type

/**
 * `GET /api/asset/partitions`: where a partitioned asset's partitions stand.
 *
 * @since 0.2.0
 */
export const AssetPartitions = Schema.Struct({
  key: Schema.String,
  /** What a key looks like (`hourly from 2024-01-01-00:00 (UTC)`). */
  definition: Schema.String,
  counts: PartitionCounts,
  /** How many ranges (maximal runs of consecutive partitions) each state has. */
  rangeCounts: Schema.Struct({
    materialized: Schema.Number,
    stale: Schema.Number,
    failed: Schema.Number,
    inProgress: Schema.Number,
    missing: Schema.Number
  }),
  firstKey: Schema.optional(Schema.String),
  lastKey: Schema.optional(Schema.String),
  buckets: PartitionBuckets,
  /** Why the stale partitions are stale, one entry per reason. */
  staleReasons: Schema.Array(StaleReason)
})

/** @since 0.2.0 */
export type AssetPartitions = typeof AssetPartitions.Type

/**
 * Consecutive partitions: indexes `start` to `end` (excluded), keys `first` to `last` (included).
 *
 * @since 0.2.0
 */
export const PartitionRange = Schema.Struct({
  start: Schema.Number,
  end: Schema.Number,
  first: Schema.String,
  last: Schema.String,
  count: Schema.Number,
  /** For a stale range: the reasons that hold for some of its partitions, as sentences. */
  reasons: Schema.optional(Schema.Array(Schema.String))
})

/** @since 0.2.0 */
export type PartitionRange = typeof PartitionRange.Type

/**
 * `GET /api/asset/partitions/ranges`: one state's ranges, in key order, a page at a time.
 *
 * @since 0.2.0
 */
export const PartitionRanges = Schema.Struct({
  key: Schema.String,
  state: PartitionState,
  /** Ranges in that state in all. */
  total: Schema.Number,
  offset: Schema.Number,
  ranges: Schema.Array(PartitionRange)
})

/** @since 0.2.0 */
export type PartitionRanges = typeof PartitionRanges.Type

/**
 * `requested` (recorded), `running`, then `completed`, `canceled` or `failed`;
 * `interrupted` is read for a `running` backfill whose executor is gone (its
 * server stopped): it resumes like a failed one.
 *
 * @since 0.2.0
 */
export const BackfillStatus = Schema.Literals(["requested", "running", "interrupted", "completed", "canceled", "failed"])

/** @since 0.2.0 */
export type BackfillStatus = typeof BackfillStatus.Type

/**
 * A backfill with its progress, derived from the assets' partition status now.
 *
 * @since 0.2.0
 */
export const Backfill = Schema.Struct({
  backfillId: Schema.String,
  selection: Schema.String,
  partitions: Schema.String,
  policy: Schema.String,
  /**
   * Rebuilds every requested partition, materialized or not (a partition is
   * done once one of its runs wrote it): what "backfill stale" launches.
   * Otherwise only the partitions not materialized yet run.
   */
  rebuild: Schema.Boolean,
  assetKeys: Schema.Array(Schema.String),
  status: BackfillStatus,
  createdAt: Schema.Number,
  updatedAt: Schema.Number,
  runCount: Schema.Number,
  reason: Schema.optional(Schema.String),
  cancelRequestedAt: Schema.optional(Schema.Number),
  /** This server runs it now. */
  executing: Schema.Boolean,
  /**
   * Over the requested partitions of its reference definition. `stale`
   * counts the materialized partitions stale now (core's per-partition
   * staleness, as the asset's partitions view counts them) and, for a
   * `rebuild` backfill, those its runs have not rewritten yet (still to
   * rebuild); `materialized` counts the fresh rest.
   */
  progress: Schema.optional(PartitionCounts),
  /** Why the progress is unknown (its assets left the project). */
  progressError: Schema.optional(Schema.String)
})

/** @since 0.2.0 */
export type Backfill = typeof Backfill.Type

/** `GET /api/backfills`, newest first. @since 0.2.0 */
export const BackfillList = Schema.Struct({ backfills: Schema.Array(Backfill) })

/** @since 0.2.0 */
export type BackfillList = typeof BackfillList.Type

/**
 * A stretch of a backfill's requested partitions in one state.
 *
 * @since 0.2.0
 */
export const BackfillSegment = Schema.Struct({ ...PartitionRange.fields, state: PartitionState })

/** @since 0.2.0 */
export type BackfillSegment = typeof BackfillSegment.Type

/**
 * `GET /api/backfills/:backfillId`: the backfill, its requested partitions
 * as segments by state (a page of them, in key order) and as a bar, and its
 * runs (the newest 200).
 *
 * @since 0.2.0
 */
export const BackfillDetail = Schema.Struct({
  backfill: Backfill,
  segments: Schema.Array(BackfillSegment),
  segmentCount: Schema.Number,
  offset: Schema.Number,
  buckets: Schema.optional(PartitionBuckets),
  runs: Schema.Array(Schema.Struct({
    runId: Schema.String,
    status: RunStatus,
    partition: Schema.optional(Schema.String),
    createdAt: Schema.Number
  }))
})

/** @since 0.2.0 */
export type BackfillDetail = typeof BackfillDetail.Type

/**
 * Body of `POST /api/backfills`: materialize the partitions of a selection
 * that are not materialized yet (`2024-01-01-00:00...2024-03-31-23:00`);
 * with `rebuild`, all of them; with `stale`, the stale ones.
 *
 * @since 0.2.0
 */
export const LaunchBackfill = Schema.Struct({
  selection: Schema.String,
  partitions: Schema.String,
  /** `per-partition` (default, as `strata backfill`), `single-run` or `max-per-run=N`. */
  policy: Schema.optional(Schema.String),
  /** Rebuild every requested partition, materialized or not (see {@link Backfill}); default false. */
  rebuild: Schema.optional(Schema.Boolean),
  /**
   * "Backfill stale": rebuild exactly the stale partitions among `partitions`
   * of the one partitioned asset `selection` names, as they are now (a
   * rebuild backfill whose partitions are those stale ranges).
   */
  stale: Schema.optional(Schema.Boolean)
})

/** @since 0.2.0 */
export type LaunchBackfill = typeof LaunchBackfill.Type
