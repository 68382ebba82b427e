/**
 * The event projection: what a batch of appended events changes in the
 * instance's other domains (run storage and the asset index). Every backend
 * (memory, SQLite, Postgres, and third-party ones through `@strata/core/spi`)
 * applies the same {@link IndexDelta} in the transaction that stores the
 * events, so the rules live here once:
 *
 * - `run-started` starts a `queued` run; `run-succeeded`/`run-failed`/
 *   `run-canceled` end it. A run that has ended never changes status again.
 * - `asset-materialized` becomes the latest materialization of its asset
 *   (unpartitioned) or of its asset and partition, and clears the asset's
 *   failure. The same (run, asset, partition) materialized twice is recorded
 *   once: a step delivered twice is idempotent ({@link dedupeKey}); the
 *   `step-succeeded` that follows a duplicate in the same batch is dropped too.
 * - `asset-observed` (unpartitioned) becomes the latest observation and clears
 *   the failure (a source has no materialization to clear it).
 * - A final `step-failed` (no retry follows) of an unpartitioned step becomes
 *   the asset's failure, until a later materialization or observation.
 * - Every materialization is kept in history (retention prunes it).
 * - `check-evaluated` becomes the latest result of its (asset, check,
 *   partition) and is kept in the check history.
 * - Partitioned steps (events with a `partitionSet`) keep per-asset status
 *   as ranges ({@link PartitionStatusChange}, applied with {@link applyStatus}):
 *   `step-started` makes their partitions in progress, `asset-materialized`
 *   materialized, a final `step-failed` failed. Their materialization is also the
 *   asset's latest (what its downstream's versions and staleness read), and
 *   the latest version of each of its partitions ({@link applyVersions}):
 *   what per-partition staleness reads.
 *
 * @since 0.1.0
 */
import type { PartitionSet, StoredEvent, StrataEvent } from "./Event.ts"
import type {
  CheckResultRecord,
  FailureRecord,
  MaterializationRecord,
  ObservationRecord,
  PartitionStatus,
  RunStatus
} from "./Instance.ts"
import * as Ranges from "./partitions/Ranges.ts"
import { checkResultRecord, materializationRecord, observationRecord, stepKey } from "./internal/instanceRules.ts"
import type { PartitionVersionChange } from "./partitions/versions.ts"

export { applyVersions, byIndex as partitionDataVersions, versionsDiff, versionsOfRows } from "./partitions/versions.ts"
export type { PartitionVersionChange, PartitionVersionRow } from "./partitions/versions.ts"

/**
 * What a batch does to one run. `started` and `ended` apply only to a run
 * that has not ended (a backend guards with its stored status).
 *
 * @since 0.1.0
 */
export interface RunChange {
  readonly runId: string
  /** `run-started`: status `started`, `startedAt` and `heartbeatAt` set to this time. */
  readonly startedAt?: number | undefined
  readonly ended?: {
    readonly status: Extract<RunStatus, "succeeded" | "failed" | "canceled">
    readonly at: number
    readonly reason: string | undefined
  } | undefined
}

/**
 * What a batch does to one asset's (unpartitioned) index entry. A field left
 * `undefined` is unchanged; `failure: null` clears the failure.
 *
 * @since 0.1.0
 */
export interface AssetChange {
  readonly assetKey: string
  readonly materialization?: MaterializationRecord | undefined
  readonly observation?: ObservationRecord | undefined
  readonly failure?: FailureRecord | null | undefined
}

/**
 * Everything a batch changes besides the event log, in the order to apply.
 *
 * @since 0.1.0
 */
export interface IndexDelta {
  readonly runs: ReadonlyArray<RunChange>
  readonly assets: ReadonlyArray<AssetChange>
  /** The latest materialization of each (asset, partition) the batch materialized. */
  readonly partitions: ReadonlyArray<MaterializationRecord>
  /** Every materialization of the batch, in order (history). */
  readonly materializations: ReadonlyArray<MaterializationRecord>
  /** Every observation of the batch, in order. */
  readonly observations: ReadonlyArray<ObservationRecord>
  /** Every check result of the batch, in order (the last one of a check is its latest). */
  readonly checks: ReadonlyArray<CheckResultRecord>
  /** Partition status changes of partitioned assets, in order ({@link applyStatus}). */
  readonly partitionStatus: ReadonlyArray<PartitionStatusChange>
  /** Partitions written by the batch's materializations, in order (`applyVersions`). */
  readonly partitionVersions: ReadonlyArray<PartitionVersionChange>
}

/**
 * Partitions of an asset that entered a status.
 *
 * @since 0.1.0
 */
export interface PartitionStatusChange {
  readonly assetKey: string
  readonly fingerprint: string
  readonly ranges: Ranges.Ranges
  readonly status: "materialized" | "failed" | "in-progress"
}

/**
 * An asset's partition status after a change: the ranges join the change's
 * status and leave the other two. Ranges recorded under another definition
 * (another fingerprint) are dropped: the indexes meant other partitions.
 *
 * @since 0.1.0
 */
export const applyStatus = (current: PartitionStatus | undefined, change: PartitionStatusChange): PartitionStatus => {
  const base = current !== undefined && current.fingerprint === change.fingerprint
    ? current
    : { assetKey: change.assetKey, fingerprint: change.fingerprint, materialized: Ranges.empty, failed: Ranges.empty, inProgress: Ranges.empty }
  const move = (set: Ranges.Ranges, status: PartitionStatusChange["status"]) =>
    status === change.status ? Ranges.union(set, change.ranges) : Ranges.difference(set, change.ranges)
  return {
    assetKey: base.assetKey,
    fingerprint: base.fingerprint,
    materialized: move(base.materialized, "materialized"),
    failed: move(base.failed, "failed"),
    inProgress: move(base.inProgress, "in-progress")
  }
}

/**
 * The key under which an event is recorded at most once, or `undefined` for
 * events that are always appended: `asset-materialized` per (run, asset,
 * partition). A backend skips an event whose key it already holds (from an
 * earlier batch, or earlier in this one).
 *
 * @since 0.1.0
 */
export const dedupeKey = (event: StrataEvent): string | undefined =>
  event.type === "asset-materialized" ? stepKey(event.runId, event.assetKey, event.partition) : undefined

/**
 * Which events of a batch to store, one event at a time: a repeated
 * materialization and the `step-succeeded` of the same step that follows it
 * in the batch are dropped. `seen` receives the key of every materialization
 * admitted, and one found in it is dropped without asking `isHeld`: a
 * backend that holds its keys in memory passes its own set (one lookup per
 * materialization); by default, a set for this batch. Use one per batch.
 *
 * @since 0.1.0
 */
export class Dedupe {
  private readonly seen: Set<string>
  /** Absent when `seen` holds every key held (a backend in memory): no call per materialization. */
  private readonly isHeld: ((key: string, event: StrataEvent) => boolean) | undefined
  private dropped: Set<string> | undefined

  constructor(isHeld: ((key: string, event: StrataEvent) => boolean) | undefined, seen: Set<string> = new Set()) {
    this.isHeld = isHeld
    this.seen = seen
  }

  /** Whether `event` is stored; call it for the batch's events in order. */
  admits(event: StrataEvent): boolean {
    if (event.type === "asset-materialized") {
      const key = stepKey(event.runId, event.assetKey, event.partition)
      if (this.seen.has(key) || (this.isHeld !== undefined && this.isHeld(key, event))) {
        ;(this.dropped ??= new Set()).add(key)
        return false
      }
      this.seen.add(key)
      return true
    }
    return this.dropped === undefined || event.type !== "step-succeeded" ||
      !this.dropped.has(stepKey(event.runId, event.assetKey, event.partition))
  }
}

/**
 * The events of a batch to store ({@link Dedupe}, for a whole batch).
 *
 * @since 0.1.0
 */
export const keep = (
  events: ReadonlyArray<StrataEvent>,
  isHeld: (key: string, event: StrataEvent) => boolean,
  seen: Set<string> = new Set()
): Array<StrataEvent> => {
  const dedupe = new Dedupe(isHeld, seen)
  const kept: Array<StrataEvent> = []
  for (let i = 0; i < events.length; i++) if (dedupe.admits(events[i]!)) kept.push(events[i]!)
  return kept
}

/**
 * The run changes of a batch, by run, in the order runs first appear: the
 * first `run-started` of a run that has not ended in the batch, and its
 * first end.
 *
 * @since 0.1.0
 */
export class RunChanges {
  private byRun: Map<string, MutableRunChange> | undefined

  started(runId: string, at: number): void {
    const change = this.change(runId)
    if (change.ended === undefined && change.startedAt === undefined) change.startedAt = at
  }

  ended(runId: string, ended: NonNullable<RunChange["ended"]>): void {
    this.change(runId).ended ??= ended
  }

  /** The changes so far; the next batch starts empty. */
  take(): ReadonlyArray<RunChange> {
    if (this.byRun === undefined) return noRunChanges
    const changes = [...this.byRun.values()]
    this.byRun = undefined
    return changes
  }

  private change(runId: string): MutableRunChange {
    const byRun = this.byRun ??= new Map()
    let change = byRun.get(runId)
    if (change === undefined) byRun.set(runId, change = { runId })
    return change
  }
}

const noRunChanges: ReadonlyArray<RunChange> = []

/**
 * Where {@link project} sends what a stored event changes. {@link fold}'s
 * sink collects an {@link IndexDelta} (what a SQL backend writes in one
 * statement per domain); a backend in memory can apply each change at once,
 * without building the delta. Applying the calls in order gives the state
 * the delta gives.
 *
 * @since 0.1.0
 */
export interface IndexSink {
  readonly runs: RunChanges
  /** The asset's latest materialization; clears its failure. */
  latestMaterialization(assetKey: string, record: MaterializationRecord): void
  /** The asset's latest observation; clears its failure. */
  latestObservation(assetKey: string, record: ObservationRecord): void
  /** The asset's failure (until a later materialization or observation). */
  failure(assetKey: string, failure: FailureRecord): void
  /** The latest materialization of the record's (asset, partition). */
  latestPartition(record: MaterializationRecord): void
  /** A materialization, for history. */
  materialization(record: MaterializationRecord): void
  observation(record: ObservationRecord): void
  check(record: CheckResultRecord): void
  partitionStatus(change: PartitionStatusChange): void
  partitionVersions(change: PartitionVersionChange): void
}

interface MutableAssetChange {
  assetKey: string
  materialization?: MaterializationRecord | undefined
  observation?: ObservationRecord | undefined
  failure?: FailureRecord | null | undefined
}

interface MutableRunChange {
  runId: string
  startedAt?: number | undefined
  ended?: RunChange["ended"]
}

/** The partition versions a materialization or an observation of a partitioned step records. */
const versionChange = (
  event: StoredEvent & { readonly assetKey: string; readonly dataVersion: string; readonly partitionDataVersions?: PartitionVersionChange["dataVersions"] },
  partitionSet: PartitionSet,
  codeVersion: string,
  inputVersions: Readonly<Record<string, string>>
): PartitionVersionChange => ({
  assetKey: event.assetKey,
  fingerprint: partitionSet.fingerprint,
  ranges: partitionSet.ranges,
  eventId: event.id,
  runId: event.runId,
  codeVersion,
  dataVersion: event.dataVersion,
  inputVersions,
  dataVersions: event.partitionDataVersions
})

/** A stored event of one type. */
type Stored<T extends StrataEvent["type"]> = Extract<StrataEvent, { readonly type: T }> & { readonly id: number }

/** The sink of {@link fold}: the changes by run and by asset, and the records in event order. */
class Draft implements IndexSink {
  readonly runs = new RunChanges()
  readonly assets = new Map<string, MutableAssetChange>()
  readonly partitions = new Map<string, MaterializationRecord>()
  readonly materializations: Array<MaterializationRecord> = []
  readonly observations: Array<ObservationRecord> = []
  readonly checks: Array<CheckResultRecord> = []
  readonly statusChanges: Array<PartitionStatusChange> = []
  readonly versionChanges: Array<PartitionVersionChange> = []

  latestMaterialization(assetKey: string, record: MaterializationRecord): void {
    this.cleared(assetKey).materialization = record
  }

  latestObservation(assetKey: string, record: ObservationRecord): void {
    this.cleared(assetKey).observation = record
  }

  failure(assetKey: string, failure: FailureRecord): void {
    this.asset(assetKey).failure = failure
  }

  latestPartition(record: MaterializationRecord): void {
    this.partitions.set(stepKey("", record.assetKey, record.partition), record)
  }

  materialization(record: MaterializationRecord): void {
    this.materializations.push(record)
  }

  observation(record: ObservationRecord): void {
    this.observations.push(record)
  }

  check(record: CheckResultRecord): void {
    this.checks.push(record)
  }

  partitionStatus(change: PartitionStatusChange): void {
    this.statusChanges.push(change)
  }

  partitionVersions(change: PartitionVersionChange): void {
    this.versionChanges.push(change)
  }

  delta(): IndexDelta {
    return {
      runs: this.runs.take(),
      assets: [...this.assets.values()],
      partitions: [...this.partitions.values()],
      materializations: this.materializations,
      observations: this.observations,
      checks: this.checks,
      partitionStatus: this.statusChanges,
      partitionVersions: this.versionChanges
    }
  }

  /** The asset's change, its failure cleared (a change has all its fields from the start: the order is free). */
  private cleared(assetKey: string): MutableAssetChange {
    const change = this.asset(assetKey)
    change.failure = null
    return change
  }

  private asset(assetKey: string): MutableAssetChange {
    let change = this.assets.get(assetKey)
    // every field set at once: one object shape for all changes
    if (change === undefined) this.assets.set(assetKey, change = { assetKey, materialization: undefined, observation: undefined, failure: undefined })
    return change
  }
}

/**
 * Folds a batch of stored events (with their ids) into the changes it makes.
 *
 * @since 0.1.0
 */
export const fold = (events: ReadonlyArray<StoredEvent>): IndexDelta => {
  const draft = new Draft()
  for (let i = 0; i < events.length; i++) project(draft, events[i]!)
  return draft.delta()
}

/**
 * Sends what one stored event changes to `sink`; the events of a batch go in order.
 *
 * @since 0.1.0
 */
export const project = (sink: IndexSink, event: StoredEvent): void => {
  switch (event.type) {
    case "run-started":
      return sink.runs.started(event.runId, event.timestamp)
    case "run-succeeded":
    case "run-failed":
    case "run-canceled":
      return runEnded(sink, event)
    case "asset-materialized":
      return assetMaterialized(sink, event)
    case "asset-observed":
      return assetObserved(sink, event)
    case "check-evaluated":
      return sink.check(checkResultRecord(event))
    case "step-started":
      // every step starts: only a partitioned one has a status to change
      if (event.partitionSet !== undefined) partitionsBecome(sink, event, "in-progress")
      return
    case "step-failed":
      if (event.willRetry) return
      partitionsBecome(sink, event, "failed")
      if (event.partition === undefined) {
        sink.failure(event.assetKey, { eventId: event.id, runId: event.runId, timestamp: event.timestamp, error: event.error })
      }
      return
  }
}

const runEnded = (sink: IndexSink, event: Stored<"run-succeeded" | "run-failed" | "run-canceled">): void =>
  sink.runs.ended(event.runId, {
    status: event.type === "run-succeeded" ? "succeeded" : event.type === "run-failed" ? "failed" : "canceled",
    at: event.timestamp,
    reason: event.type === "run-succeeded" ? undefined : event.reason
  })

const assetMaterialized = (sink: IndexSink, event: Stored<"asset-materialized">): void => {
  const record = materializationRecord(event)
  sink.materialization(record)
  const set = event.partitionSet
  if (set !== undefined) {
    partitionsBecome(sink, event, "materialized")
    sink.partitionVersions(versionChange(event, set, event.codeVersion, event.inputVersions))
  }
  if (event.partition === undefined || set !== undefined) sink.latestMaterialization(event.assetKey, record)
  if (event.partition !== undefined) sink.latestPartition(record)
}

const assetObserved = (sink: IndexSink, event: Stored<"asset-observed">): void => {
  const record = observationRecord(event)
  sink.observation(record)
  if (event.partitionSet !== undefined) {
    // a partitioned source: each observed partition's version (no code version: Strata does not build it)
    sink.partitionVersions(versionChange(event, event.partitionSet, "", {}))
  }
  if (event.partition === undefined) sink.latestObservation(event.assetKey, record)
}

/** The partitions of a partitioned step's event (one with a `partitionSet`) take the status `to`. */
const partitionsBecome = (
  sink: IndexSink,
  event: Stored<"step-started" | "step-failed" | "asset-materialized">,
  to: PartitionStatusChange["status"]
): void => {
  const set = event.partitionSet
  if (set !== undefined) sink.partitionStatus({ assetKey: event.assetKey, fingerprint: set.fingerprint, ranges: set.ranges, status: to })
}
