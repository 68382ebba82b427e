/**
 * The instance's automation domain (`instance.automation`): the daemon's
 * lease, its ticks with the evaluations behind them, its cursors and the
 * per-asset state conditions read, and what is turned on or off.
 *
 * Contract (the conformance suite checks it on every backend):
 * - `acquireLease` grants a named lease to one holder at a time, until it
 *   expires (`expiresAt`) or is released; the holder renews it by acquiring
 *   again. Another holder gets it only after it expired.
 * - `recordTick` is atomic and fenced: it stores the tick, its evaluations,
 *   the cursor and asset states it carries, in one transaction, only when the
 *   caller holds the lease at `now` and no tick with the same id exists.
 *   Otherwise nothing is written and the answer says why. Tick ids are
 *   deterministic (`schedule/nightly/<tick time>`, `conditions/<event id>`):
 *   two daemons can never record, and so never launch, the same tick twice.
 * - `markLaunched` records that a tick's runs were launched; a tick left
 *   `requested` (its daemon died between recording and launching) is found by
 *   `ticks({ status: "requested" })` and finished by the next daemon.
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import { Schema } from "effect"
import type { AssetState } from "./AutomationCondition.ts"
import { AssetStateSchema, ResultSchema } from "./AutomationCondition.ts"
import type { Result } from "./AutomationCondition.ts"
import type { InstanceError } from "./Instance.ts"

/**
 * A lease: who holds it and until when.
 *
 * @since 0.1.0
 */
export interface Lease {
  readonly name: string
  readonly holder: string
  readonly acquiredAt: number
  readonly expiresAt: number
}

/**
 * What `acquireLease` answers: whether the caller holds the lease now, and
 * the lease as stored (the other holder's when refused).
 *
 * @since 0.1.0
 */
export interface LeaseAnswer {
  readonly acquired: boolean
  readonly lease: Lease
}

/**
 * What produced a tick.
 *
 * @since 0.1.0
 */
export type TickOrigin = "conditions" | "schedule" | "sensor"

/**
 * What a tick did: `requested` runs (then `launched` once they were),
 * `skipped` (nothing to do, with a reason), or `failed` (an error, e.g. a
 * sensor that threw or a selection that does not parse).
 *
 * @since 0.1.0
 */
export type TickStatus = "requested" | "launched" | "skipped" | "failed"

/**
 * A run a tick asked for, with the id it is (or will be) launched under.
 *
 * @since 0.1.0
 */
export interface TickRun {
  readonly runId: string
  readonly selection: string
  readonly assetKeys: ReadonlyArray<string>
  readonly tags: Readonly<Record<string, string>>
  readonly runKey?: string | undefined
  /** The partitions of the run's partitioned assets (a partition selection). */
  readonly partition?: string | undefined
}

/**
 * One asset's evaluation in a tick: requested or not, and why.
 *
 * @since 0.1.0
 */
export interface AssetEvaluation {
  readonly assetKey: string
  readonly requested: boolean
  readonly result: Result
}

/**
 * A tick to record.
 *
 * @since 0.1.0
 */
export interface NewTick {
  /** Deterministic: the same tick evaluated twice has the same id. */
  readonly tickId: string
  readonly origin: TickOrigin
  /** `conditions`, or the schedule's or sensor's name. */
  readonly name: string
  /** When it was evaluated (ms since the epoch). */
  readonly at: number
  /** The cron tick it is for (schedules, cron conditions). */
  readonly scheduledAt?: number | undefined
  readonly status: TickStatus
  readonly reason?: string | undefined
  readonly runs: ReadonlyArray<TickRun>
  readonly evaluations: ReadonlyArray<AssetEvaluation>
  /** The cursor of `origin/name` after this tick (stored with it, atomically). */
  readonly cursor?: string | undefined
  /** Per-asset states after this tick (conditions). */
  readonly assetStates?: ReadonlyArray<{ readonly assetKey: string; readonly state: AssetState }> | undefined
}

/**
 * A stored tick (its evaluations are read with `tick(tickId)` or `evaluations`).
 *
 * @since 0.1.0
 */
export interface TickRecord {
  readonly tickId: string
  readonly origin: TickOrigin
  readonly name: string
  readonly at: number
  readonly scheduledAt?: number | undefined
  readonly status: TickStatus
  readonly reason?: string | undefined
  readonly runs: ReadonlyArray<TickRun>
  /** How many assets were evaluated. */
  readonly evaluated: number
  /** How many of them were requested. */
  readonly requested: number
}

/**
 * A stored evaluation, with its tick.
 *
 * @since 0.1.0
 */
export interface EvaluationRecord extends AssetEvaluation {
  readonly tickId: string
  readonly at: number
}

/**
 * What `recordTick` answers: `recorded`, or why not (`lease-lost`: the caller
 * does not hold the lease at `now`; `duplicate`: the tick id exists).
 *
 * @since 0.1.0
 */
export type RecordAnswer = "recorded" | "lease-lost" | "duplicate"

/**
 * Filters for `ticks`.
 *
 * @since 0.1.0
 */
export interface TickQuery {
  readonly origin?: TickOrigin | undefined
  readonly name?: string | undefined
  readonly status?: TickStatus | undefined
  /** At most this many (default 50), newest first. */
  readonly limit?: number | undefined
  /** Only ticks recorded before this one. */
  readonly before?: string | undefined
}

/**
 * The automation domain of the instance.
 *
 * @since 0.1.0
 */
export interface AutomationStore {
  readonly acquireLease: (
    request: { readonly name: string; readonly holder: string; readonly now: number; readonly ttlMs: number }
  ) => Effect.Effect<LeaseAnswer, InstanceError>
  /** Gives the lease up if `holder` holds it (a graceful shutdown). */
  readonly releaseLease: (name: string, holder: string) => Effect.Effect<void, InstanceError>
  readonly lease: (name: string) => Effect.Effect<Lease | undefined, InstanceError>
  /** Records a tick, fenced by the lease (see the module contract). */
  readonly recordTick: (
    tick: NewTick,
    fence: { readonly lease: string; readonly holder: string; readonly now: number }
  ) => Effect.Effect<RecordAnswer, InstanceError>
  /** A `requested` tick's runs were launched: it becomes `launched`. */
  readonly markLaunched: (tickId: string) => Effect.Effect<void, InstanceError>
  /** Ticks, newest first (in the order they were recorded). */
  readonly ticks: (query?: TickQuery) => Effect.Effect<ReadonlyArray<TickRecord>, InstanceError>
  /** A tick and its evaluations. */
  readonly tick: (
    tickId: string
  ) => Effect.Effect<{ readonly tick: TickRecord; readonly evaluations: ReadonlyArray<AssetEvaluation> } | undefined, InstanceError>
  /** An asset's evaluations, newest first (default 20). */
  readonly evaluations: (
    assetKey: string,
    query?: { readonly limit?: number | undefined }
  ) => Effect.Effect<ReadonlyArray<EvaluationRecord>, InstanceError>
  /** The cursor stored for `origin/name` by the latest tick that carried one. */
  readonly cursor: (key: string) => Effect.Effect<string | undefined, InstanceError>
  /** The per-asset states of these assets (all when omitted). */
  readonly assetStates: (keys?: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, AssetState>, InstanceError>
  /** Turns a target (`schedule/<name>`, `sensor/<name>`, `asset/<key>`, `conditions`) on or off. */
  readonly setEnabled: (target: string, enabled: boolean, at: number) => Effect.Effect<void, InstanceError>
  /** Targets turned on or off explicitly (absent: the default, on). */
  readonly enabled: () => Effect.Effect<ReadonlyMap<string, boolean>, InstanceError>
  /**
   * Calls `listener` soon after events are appended, by this process or (for
   * backends shared between processes) another one; it may also call it when
   * nothing was appended. What lets a daemon react to new events without
   * polling: memory and this process's appends notify directly, SQLite
   * watches its database files (inotify / FSEvents), Postgres uses
   * LISTEN/NOTIFY. Returns the function that stops watching.
   */
  readonly watchEvents: (listener: () => void) => Effect.Effect<() => void, InstanceError>
  /** Deletes ticks recorded before `before` (ms), keeping the newest `keep` per origin/name. */
  readonly pruneTicks: (
    options: { readonly before: number; readonly keep?: number | undefined }
  ) => Effect.Effect<number, InstanceError>
}

/** The cursor key of a tick's origin and name. @since 0.1.0 */
export const cursorKey = (origin: TickOrigin, name: string): string => `${origin}/${name}`

/** Schemas of what backends store as JSON: they decode with these. @since 0.1.0 */
export const TickRunSchema = Schema.Struct({
  runId: Schema.String,
  selection: Schema.String,
  assetKeys: Schema.Array(Schema.String),
  tags: Schema.Record(Schema.String, Schema.String),
  runKey: Schema.optional(Schema.String),
  partition: Schema.optional(Schema.String)
})

/** @since 0.1.0 */
export const TickRunsSchema = Schema.Array(TickRunSchema)

/** @since 0.1.0 */
export const EvaluationResultSchema = ResultSchema

/** @since 0.1.0 */
export const StateSchema = AssetStateSchema

/** Whether a lease is free for `holder` at `now`. @since 0.1.0 */
export const leaseFree = (lease: Lease | undefined, holder: string, now: number): boolean =>
  lease === undefined || lease.holder === holder || lease.expiresAt <= now
