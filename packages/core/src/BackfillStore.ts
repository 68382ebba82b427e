/**
 * The instance's backfill domain (`instance.backfills`): a backfill is a
 * recorded request to materialize a range of partitions of a selection, cut
 * into runs by a policy. The store keeps what was asked (selection, partition
 * selection, policy), where it stands (status) and the runs launched for it;
 * its progress is never stored: it is derived from the assets' partition
 * status ranges (`Backfill.progress`), so it stays right after a crash.
 *
 * Contract (the conformance suite checks it on every backend):
 * - `create` fails with reason `invalid` when the id exists.
 * - `addRun` appends a run id (once: repeating it is harmless) and moves a
 *   `requested` backfill to `running`.
 * - `setStatus` records a status; a `canceled`, `completed` or `failed`
 *   backfill may be set back to `running` only by a resume (`resume: true`).
 * - `requestCancel` records the first cancel request on a backfill that is
 *   not finished; the process running it polls `get` and stops after its
 *   current run, then sets it `canceled`.
 * - `list` is newest first (creation order).
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { InstanceError } from "./Instance.ts"

/**
 * `requested` (recorded, nothing launched yet), `running`, then `completed`
 * (every partition materialized), `canceled` or `failed`.
 *
 * @since 0.1.0
 */
export type BackfillStatus = "requested" | "running" | "completed" | "canceled" | "failed"

/** @since 0.1.0 */
export const STATUSES: ReadonlyArray<BackfillStatus> = ["requested", "running", "completed", "canceled", "failed"]

/** Whether a status is final (until a resume). @since 0.1.0 */
export const isFinished = (status: BackfillStatus): boolean =>
  status === "completed" || status === "canceled" || status === "failed"

/**
 * A backfill to record.
 *
 * @since 0.1.0
 */
export interface NewBackfill {
  readonly backfillId: string
  /** The asset selection text (`+daily_active_users`). */
  readonly selection: string
  /** The partition selection (`2024-01-01...2024-01-07`). */
  readonly partitions: string
  /** `per-partition`, `single-run` or `max-per-run=N`. */
  readonly policy: string
  /**
   * Rebuild every requested partition, materialized or not: a partition is
   * done once one of the backfill's runs wrote it (`Backfill.assess`).
   * Stored only when true.
   */
  readonly rebuild?: true | undefined
  /** The selected asset keys, in plan order. */
  readonly assetKeys: ReadonlyArray<string>
  /** Milliseconds since the epoch. */
  readonly createdAt: number
}

/**
 * A stored backfill.
 *
 * @since 0.1.0
 */
export interface BackfillRecord extends NewBackfill {
  readonly status: BackfillStatus
  readonly updatedAt: number
  /** The runs launched for it, in launch order. */
  readonly runIds: ReadonlyArray<string>
  /** Why it failed or was canceled. */
  readonly reason?: string | undefined
  /** When a cancel was requested (ms since the epoch). */
  readonly cancelRequestedAt?: number | undefined
}

/**
 * The backfill domain of the instance.
 *
 * @since 0.1.0
 */
export interface BackfillStore {
  /** Records a new backfill (`requested`). Fails with reason `invalid` when the id exists. */
  readonly create: (backfill: NewBackfill) => Effect.Effect<BackfillRecord, InstanceError>
  readonly get: (backfillId: string) => Effect.Effect<BackfillRecord | undefined, InstanceError>
  /** Backfills, newest first (default 50). */
  readonly list: (query?: { readonly limit?: number | undefined }) => Effect.Effect<ReadonlyArray<BackfillRecord>, InstanceError>
  /** Appends a launched run (idempotent); a `requested` backfill becomes `running`. Fails `not-found`. */
  readonly addRun: (backfillId: string, runId: string, at: number) => Effect.Effect<BackfillRecord, InstanceError>
  /**
   * Records a status (and reason). A finished backfill changes only with
   * `resume: true` (which also clears its cancel request). Fails `not-found`.
   */
  readonly setStatus: (
    backfillId: string,
    update: {
      readonly status: BackfillStatus
      readonly at: number
      readonly reason?: string | undefined
      readonly resume?: boolean | undefined
    }
  ) => Effect.Effect<BackfillRecord, InstanceError>
  /**
   * Records a cancel request (the first one is kept). Returns the backfill,
   * or `undefined` when it does not exist. A finished backfill is returned
   * unchanged.
   */
  readonly requestCancel: (backfillId: string, at: number) => Effect.Effect<BackfillRecord | undefined, InstanceError>
}

/**
 * The record after `setStatus`, or `undefined` when the update is refused
 * (a finished backfill without `resume`). Shared by the backends.
 *
 * @since 0.1.0
 */
export const applyStatus = (
  record: BackfillRecord,
  update: { readonly status: BackfillStatus; readonly at: number; readonly reason?: string | undefined; readonly resume?: boolean | undefined }
): BackfillRecord => {
  if (isFinished(record.status) && update.resume !== true) return record
  const { cancelRequestedAt, reason: _reason, ...rest } = record
  return {
    ...rest,
    status: update.status,
    updatedAt: update.at,
    ...(update.reason === undefined ? {} : { reason: update.reason }),
    ...(update.resume === true || cancelRequestedAt === undefined ? {} : { cancelRequestedAt })
  }
}

/**
 * The record after `addRun`. Shared by the backends.
 *
 * @since 0.1.0
 */
export const applyRun = (record: BackfillRecord, runId: string, at: number): BackfillRecord =>
  record.runIds.includes(runId) ? record : {
    ...record,
    runIds: [...record.runIds, runId],
    status: record.status === "requested" ? "running" : record.status,
    updatedAt: at
  }

/**
 * The record after `requestCancel`. Shared by the backends.
 *
 * @since 0.1.0
 */
export const applyCancel = (record: BackfillRecord, at: number): BackfillRecord =>
  isFinished(record.status) || record.cancelRequestedAt !== undefined ? record : { ...record, cancelRequestedAt: at, updatedAt: at }
