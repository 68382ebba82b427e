/**
 * The instance: three storage domains behind one service, the front
 * ({@link InstanceShape}):
 * - {@link RunStorage}: runs, their status, heartbeats and cancel requests;
 * - {@link EventLog}: the append-only log of every event, read by run or
 *   tailed by cursor (a daemon or the catalog follows new events without
 *   scanning), with retention;
 * - {@link AssetIndex}: the latest materialization per asset and per
 *   partition, observations, failures and history, with paged and counted
 *   queries;
 * - {@link CheckStore}: asset check results, the latest per check and their
 *   history.
 * Appending events maintains the other two domains in the same transaction,
 * through the one projection every backend shares (`EventProjection`).
 *
 * Implementations: {@link layerMemory} (tests), `@strata/sqlite` (the
 * embedded default, a file under `.strata/`) and `@strata/postgres`
 * (several processes and machines). All of them pass the conformance suite
 * exported by `@strata/core/testing`.
 *
 * Contract (what the suite checks):
 * - `appendEvents` is atomic: a batch is stored whole or not at all, in order,
 *   with increasing `id`s; it maintains run status and the asset index in the
 *   same transaction.
 * - An `asset-materialized` event repeated for the same run, asset and
 *   partition is ignored (steps are idempotent).
 * - Readers never see a half-applied batch.
 * - `requestCancel` records a cancel request on a run that is not finished
 *   (the first request wins; repeating it is harmless); the process executing
 *   the run polls `cancelRequest` and cancels it. Unknown and finished runs
 *   are refused with a {@link CancelRequestError}.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Schema } from "effect"
import type { AutomationStore } from "./AutomationStore.ts"
import type { BackfillStore } from "./BackfillStore.ts"
import type { DynamicPartitionStore } from "./DynamicPartitionStore.ts"
import type { ErrorInfo, StoredEvent, StrataEvent } from "./Event.ts"
import type { Metadata } from "./Metadata.ts"
import { makeMemoryInstance } from "./internal/memoryInstance.ts"

/**
 * Run statuses. `queued` until `run-started`; a terminal status is final.
 *
 * @since 0.1.0
 */
export type RunStatus = "queued" | "started" | "succeeded" | "failed" | "canceled"

/**
 * A run to create.
 *
 * @since 0.1.0
 */
export interface NewRun {
  readonly runId: string
  /** The selection text the run was launched with. */
  readonly selection: string
  /** The keys of the plan's steps, in plan order. */
  readonly assetKeys: ReadonlyArray<string>
  readonly partition?: string | undefined
  readonly staleOnly: boolean
  /** The run this one re-executes, if any. */
  readonly parentRunId?: string | undefined
  readonly tags: Readonly<Record<string, string>>
  /** Milliseconds since the epoch. */
  readonly createdAt: number
  /** Host and process running it, to detect runs orphaned by a crash. */
  readonly host?: string | undefined
  readonly pid?: number | undefined
}

/**
 * A stored run.
 *
 * @since 0.1.0
 */
export interface RunRecord extends NewRun {
  readonly status: RunStatus
  readonly startedAt?: number | undefined
  readonly endedAt?: number | undefined
  /** Why the run failed or was canceled. */
  readonly reason?: string | undefined
  readonly heartbeatAt?: number | undefined
  /**
   * When cancellation was requested (see {@link InstanceShape.requestCancel}),
   * in milliseconds since the epoch. Set while the run is still going; the
   * executing process then ends it `canceled`. Kept after it ends.
   */
  readonly cancelRequestedAt?: number | undefined
  /** Who asked, as given to `requestCancel` (`canceled from the catalog (pid 4242 on host-a)`). */
  readonly cancelReason?: string | undefined
}

/**
 * A run as a list of runs shows it: the stored run without its asset keys (a
 * run of a big selection stores tens of thousands) but with their count, and
 * with its selection text cut at {@link summarySelectionLength} characters (a
 * hand-picked selection is the comma-joined key list).
 *
 * @since 0.1.0
 */
export interface RunSummary extends Omit<RunRecord, "assetKeys" | "selection"> {
  /** The selection text, cut at {@link summarySelectionLength} characters when longer. */
  readonly selection: string
  /** The whole selection's length in characters (code points): more than `selection` has when it was cut. */
  readonly selectionLength: number
  /** How many keys the plan's steps have (`assetKeys.length` of the run). */
  readonly assetCount: number
}

/**
 * The longest selection text a {@link RunSummary} carries.
 *
 * @since 0.1.0
 */
export const summarySelectionLength = 200

/**
 * A run's {@link RunSummary}, from its whole record (what an instance that
 * holds records in memory does; a database reads only the summary's columns).
 *
 * @since 0.1.0
 */
export const summarize = (run: RunRecord): RunSummary => {
  const { assetKeys, selection, ...rest } = run
  // characters are code points, as SQL's length and substr count them
  const characters = Array.from(selection)
  return {
    ...rest,
    selection: characters.length > summarySelectionLength ? characters.slice(0, summarySelectionLength).join("") : selection,
    selectionLength: characters.length,
    assetCount: assetKeys.length
  }
}

/**
 * A request to cancel a run executed by some process, possibly another one.
 *
 * @since 0.1.0
 */
export interface CancelRequest {
  /** When it was requested, in milliseconds since the epoch. */
  readonly at: number
  /** Who asked and why; becomes the canceled run's `reason`. */
  readonly reason?: string | undefined
}

/**
 * A materialization, as kept in the asset index and returned by history.
 *
 * @since 0.1.0
 */
export interface MaterializationRecord {
  readonly eventId: number
  readonly runId: string
  readonly assetKey: string
  readonly partition?: string | undefined
  readonly timestamp: number
  readonly metadata: Metadata
  readonly dataVersion: string
  readonly codeVersion: string
  readonly inputVersions: Readonly<Record<string, string>>
}

/**
 * An observation of a source asset.
 *
 * @since 0.1.0
 */
export interface ObservationRecord {
  readonly eventId: number
  readonly runId: string
  readonly assetKey: string
  readonly partition?: string | undefined
  readonly timestamp: number
  readonly metadata: Metadata
  readonly dataVersion: string
}

/**
 * One result of an asset check, as kept in the check store.
 *
 * @since 0.1.0
 */
export interface CheckResultRecord {
  readonly eventId: number
  readonly runId: string
  readonly assetKey: string
  readonly check: string
  readonly partition?: string | undefined
  readonly timestamp: number
  readonly passed: boolean
  readonly severity: "warn" | "error"
  readonly message?: string | undefined
  readonly metadata: Metadata
  /** The data version of the materialization checked. */
  readonly dataVersion?: string | undefined
  readonly error?: ErrorInfo | undefined
}

/**
 * The last failure of an asset's step (after its retries), when it is newer
 * than the asset's latest materialization.
 *
 * @since 0.1.0
 */
export interface FailureRecord {
  readonly eventId: number
  readonly runId: string
  readonly timestamp: number
  readonly error: ErrorInfo
}

/**
 * What the instance knows about one asset (unpartitioned).
 *
 * @since 0.1.0
 */
export interface AssetRecord {
  readonly assetKey: string
  readonly materialization?: MaterializationRecord | undefined
  readonly observation?: ObservationRecord | undefined
  readonly failure?: FailureRecord | undefined
}

/**
 * Filters for {@link InstanceShape.listRuns}.
 *
 * @since 0.1.0
 */
/**
 * Where the partitions of a partitioned asset stand, as index ranges over its
 * definition (`fingerprint`: `Partitions.fingerprint`). A partition is in at
 * most one of the three sets; one in none was never started (missing).
 *
 * @since 0.1.0
 */
export interface PartitionStatus {
  readonly assetKey: string
  readonly fingerprint: string
  readonly materialized: ReadonlyArray<readonly [number, number]>
  readonly failed: ReadonlyArray<readonly [number, number]>
  readonly inProgress: ReadonlyArray<readonly [number, number]>
}

/**
 * Partitions of an asset written by one materialization: the index range
 * `[start, end)`, the event that wrote them, and the event at which their
 * data last changed (`changedAt`: a re-materialization with the same data
 * version keeps the earlier one, so it does not make the downstream stale).
 *
 * @since 0.1.0
 */
export interface PartitionVersion {
  readonly start: number
  readonly end: number
  readonly eventId: number
  readonly changedAt: number
  readonly runId: string
  readonly codeVersion: string
  readonly dataVersion: string
  /** The data versions of the inputs the materialization read (by upstream key). */
  readonly inputVersions: Readonly<Record<string, string>>
}

/**
 * The latest materialization of every materialized partition of an asset,
 * as sorted, disjoint segments over its definition's index space
 * (`fingerprint`). Its size grows with the number of materializations still
 * current, never with the number of partitions they cover.
 *
 * @since 0.1.0
 */
export interface PartitionVersions {
  readonly assetKey: string
  readonly fingerprint: string
  readonly segments: ReadonlyArray<PartitionVersion>
}

/**
 * A query of run records.
 *
 * @since 0.1.0
 */
export interface RunQuery {
  readonly status?: RunStatus | ReadonlyArray<RunStatus> | undefined
  /** At most this many runs (default 50). */
  readonly limit?: number | undefined
  /** Only runs created before this run (a cursor for the next page). */
  readonly before?: string | undefined
}

/**
 * Filters for event reads.
 *
 * @since 0.1.0
 */
export interface EventQuery {
  /** Only events with an `id` greater than this cursor. */
  readonly after?: number | undefined
  /** At most this many events (default: all). */
  readonly limit?: number | undefined
}

/**
 * What {@link InstanceShape.prune} removes.
 *
 * @since 0.1.0
 */
export interface PruneOptions {
  /** Delete finished runs, and their events, that ended before this time (ms since epoch). */
  readonly endedBefore?: number | undefined
  /** Keep only the newest N materializations of each asset and partition in history. */
  readonly keepMaterializationsPerAsset?: number | undefined
}

/**
 * What {@link InstanceShape.prune} removed.
 *
 * @since 0.1.0
 */
export interface PruneResult {
  readonly runs: number
  readonly events: number
}

/**
 * What an implementation can and cannot do, so that tests and callers check
 * capabilities instead of silently skipping.
 *
 * @since 0.1.0
 */
export interface Capabilities {
  /** Survives the process (not in memory). */
  readonly persistent: boolean
  /** Several processes may write at once. */
  readonly multiProcess: boolean
}

/**
 * Raised by instance storage.
 *
 * @since 0.1.0
 */
export class InstanceError extends Schema.TaggedError<InstanceError>()("@strata/core/InstanceError", {
  operation: Schema.String,
  reason: Schema.Literals(["corrupt", "unsupported-version", "locked", "unavailable", "not-found", "invalid", "io"]),
  message: Schema.String,
  path: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect())
}) {
  /** Locks and unavailable servers may clear up; the rest will not. */
  get isRetryable(): boolean {
    return this.reason === "locked" || this.reason === "unavailable"
  }
}

/**
 * A cancel request that cannot be recorded: the run does not exist
 * (`not-found`) or has already ended (`finished`, with its `status`).
 *
 * @since 0.1.0
 */
export class CancelRequestError extends Schema.TaggedError<CancelRequestError>()("@strata/core/CancelRequestError", {
  runId: Schema.String,
  reason: Schema.Literals(["not-found", "finished"]),
  /** The run's status when it has finished. */
  status: Schema.optional(Schema.Literals(["succeeded", "failed", "canceled"])),
  message: Schema.String
}) {}

/**
 * The {@link CancelRequestError} for a run that does not exist or has ended;
 * `undefined` when `run` may still be canceled. Shared by the implementations
 * so they word it the same.
 *
 * @since 0.1.0
 */
export const cancelRefusal = (runId: string, run: RunRecord | undefined): CancelRequestError | undefined => {
  if (run === undefined) {
    return new CancelRequestError({
      runId,
      reason: "not-found",
      message: `run ${runId} does not exist; list runs with 'strata runs'`
    })
  }
  if (run.status === "succeeded" || run.status === "failed" || run.status === "canceled") {
    return new CancelRequestError({
      runId,
      reason: "finished",
      status: run.status,
      message: `run ${runId} already ${run.status}; there is nothing to cancel`
    })
  }
  return undefined
}

/**
 * A page of a keyed listing: the records, and the key to pass as `after` for
 * the next page (absent on the last page).
 *
 * @since 0.1.0
 */
export interface Page<A> {
  readonly records: ReadonlyArray<A>
  readonly next?: string | undefined
}

/**
 * A page query: at most `limit` records (default 100) with keys after `after`, in key order.
 *
 * @since 0.1.0
 */
export interface PageQuery {
  readonly after?: string | undefined
  readonly limit?: number | undefined
}

/**
 * Run storage: runs, their status, heartbeats and cancel requests.
 *
 * @since 0.1.0
 */
export interface RunStorage {
  /** Records a new run (status `queued`). Fails with reason `invalid` when the id exists. */
  readonly createRun: (run: NewRun) => Effect.Effect<RunRecord, InstanceError>
  /** Notes that the process running `runId` is alive. */
  readonly heartbeat: (runId: string, at: number) => Effect.Effect<void, InstanceError>
  /**
   * Records a request to cancel a `queued` or `started` run, for the process
   * executing it (this one or another) to act on. The first request is kept;
   * repeating it returns the run unchanged. Returns the run with
   * `cancelRequestedAt` set (its status is unchanged until that process ends
   * it). Fails with {@link CancelRequestError} for an unknown or finished run.
   */
  readonly requestCancel: (
    runId: string,
    request: CancelRequest
  ) => Effect.Effect<RunRecord, InstanceError | CancelRequestError>
  /**
   * The cancel request recorded for a run, if any (`undefined` for a run
   * without one, or unknown). Cheap: the executing process polls it a few
   * times a second.
   */
  readonly cancelRequest: (runId: string) => Effect.Effect<CancelRequest | undefined, InstanceError>
  readonly getRun: (runId: string) => Effect.Effect<RunRecord | undefined, InstanceError>
  /** Runs, newest first: in the reverse of the order they were created (recorded) in this instance. */
  readonly listRuns: (query?: RunQuery) => Effect.Effect<ReadonlyArray<RunRecord>, InstanceError>
  /**
   * The runs `listRuns` returns, as summaries: without their asset keys, which
   * are neither read nor decoded (a runs list after a 25,000-asset run stays
   * small and quick).
   */
  readonly listRunSummaries: (query?: RunQuery) => Effect.Effect<ReadonlyArray<RunSummary>, InstanceError>
  /**
   * Marks as failed the runs left `queued` or `started` by a process that is
   * gone: on this host, a dead pid; anywhere, no heartbeat for `heartbeatTimeoutMs`.
   * Returns the runs it marked.
   */
  readonly reapOrphanedRuns: (
    options: { readonly now: number; readonly heartbeatTimeoutMs: number; readonly host: string }
  ) => Effect.Effect<ReadonlyArray<RunRecord>, InstanceError>
}

/**
 * The event log: append-only, in order, with increasing ids.
 *
 * @since 0.1.0
 */
export interface EventLog {
  /** Appends a batch of events atomically, maintaining runs and the asset index (`EventProjection`). */
  readonly appendEvents: (events: ReadonlyArray<StrataEvent>) => Effect.Effect<void, InstanceError>
  /** A run's events in order. */
  readonly runEvents: (runId: string, query?: EventQuery) => Effect.Effect<ReadonlyArray<StoredEvent>, InstanceError>
  /** All events in order, after a cursor (an event id): tailing the log. */
  readonly events: (query?: EventQuery) => Effect.Effect<ReadonlyArray<StoredEvent>, InstanceError>
  /** The id of the newest event (0 when there is none): where a tail that wants only new events starts. */
  readonly lastEventId: () => Effect.Effect<number, InstanceError>
  /** Retention. The latest materialization and observation of every asset are always kept. */
  readonly prune: (options: PruneOptions) => Effect.Effect<PruneResult, InstanceError>
}

/**
 * The asset index: what is known about each asset and partition now.
 *
 * @since 0.1.0
 */
export interface AssetIndex {
  /** For the given keys (or every known key), the latest state. */
  readonly assets: (keys?: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, AssetRecord>, InstanceError>
  /** Known assets in key order, a page at a time. */
  readonly assetPage: (query?: PageQuery) => Effect.Effect<Page<AssetRecord>, InstanceError>
  /** How many assets the index knows. */
  readonly assetCount: () => Effect.Effect<number, InstanceError>
  /** The latest materialization of each partition of an asset. */
  readonly partitions: (assetKey: string) => Effect.Effect<ReadonlyMap<string, MaterializationRecord>, InstanceError>
  /** The latest materialization of each partition of an asset, in partition key order, a page at a time. */
  readonly partitionPage: (assetKey: string, query?: PageQuery) => Effect.Effect<Page<MaterializationRecord>, InstanceError>
  /** How many partitions of an asset have been materialized. */
  readonly partitionCount: (assetKey: string) => Effect.Effect<number, InstanceError>
  /** Materializations of an asset, newest first. */
  readonly history: (
    assetKey: string,
    query?: { readonly partition?: string | undefined; readonly limit?: number | undefined; readonly before?: number | undefined }
  ) => Effect.Effect<ReadonlyArray<MaterializationRecord>, InstanceError>
  /**
   * The partition status of a partitioned asset as ranges (`undefined` when
   * nothing was recorded). Its size grows with the number of ranges, not of
   * partitions. Optional while the SQLite and Postgres backends do not keep it.
   */
  readonly partitionStatus?: ((assetKey: string) => Effect.Effect<PartitionStatus | undefined, InstanceError>) | undefined
  /**
   * The latest materialization of each partition of a partitioned asset, as
   * segments of index ranges (`undefined` when none was recorded): what
   * per-partition staleness reads.
   */
  readonly partitionVersions?: ((assetKey: string) => Effect.Effect<PartitionVersions | undefined, InstanceError>) | undefined
  /** Forgets everything recorded about these assets (their history and index entries). */
  readonly wipeAssets: (assetKeys: ReadonlyArray<string>) => Effect.Effect<void, InstanceError>
}

/**
 * Check results: the latest result of each check of each asset (and
 * partition), and their history. Maintained from `check-evaluated` events.
 *
 * @since 0.1.0
 */
export interface CheckStore {
  /**
   * The latest result of every check of the given assets (or of every asset),
   * unpartitioned and per partition, by asset key; within an asset, ordered by
   * check name, then partition.
   */
  readonly latestChecks: (
    assetKeys?: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyMap<string, ReadonlyArray<CheckResultRecord>>, InstanceError>
  /** Results of an asset's checks, newest first. */
  readonly checkHistory: (
    assetKey: string,
    query?: {
      readonly check?: string | undefined
      readonly partition?: string | undefined
      readonly limit?: number | undefined
      /** Only results with an event id below this (the next page). */
      readonly before?: number | undefined
    }
  ) => Effect.Effect<ReadonlyArray<CheckResultRecord>, InstanceError>
}

/**
 * The instance interface: its domains, and what the backend is.
 *
 * @since 0.1.0
 */
export interface InstanceShape extends RunStorage, EventLog, AssetIndex, CheckStore {
  readonly capabilities: Capabilities
  /** A short description for messages: `sqlite .strata/instance.db`, `memory`. */
  readonly describe: string
  /** The automation domain: the daemon's lease, ticks, evaluations, cursors (see `AutomationStore`). */
  readonly automation: AutomationStore
  /** The backfill domain: recorded backfills, their status and runs (see `BackfillStore`). */
  readonly backfills: BackfillStore
  /** The keys of dynamic partitions definitions, by name (see `DynamicPartitionStore`). */
  readonly dynamicPartitions: DynamicPartitionStore
}

/**
 * The instance service.
 *
 * @since 0.1.0
 */
export class Instance extends Context.Service<Instance, InstanceShape>()("@strata/core/Instance") {}

/**
 * A fresh in-memory instance per layer build: for tests and `materializeInMemory`.
 *
 * @since 0.1.0
 */
export const layerMemory: Layer.Layer<Instance> = Layer.effect(Instance, Effect.sync(makeMemoryInstance))

/**
 * Builds an in-memory instance directly (for code outside Effect).
 *
 * @since 0.1.0
 */
export const makeMemory = (): InstanceShape => makeMemoryInstance()
