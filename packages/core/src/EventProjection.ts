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
 * The events of a batch to store, given which dedupe keys are already held:
 * a repeated materialization and the `step-succeeded` of the same step that
 * follows it in the batch are dropped. `seen` receives the key of every
 * materialization kept, and one found in it is dropped without asking
 * `isHeld`: a backend that holds its keys in memory passes its own set (one
 * lookup per materialization); by default, a set for this batch.
 *
 * @since 0.1.0
 */
export const keep = (
  events: ReadonlyArray<StrataEvent>,
  isHeld: (key: string, event: StrataEvent) => boolean,
  seen: Set<string> = new Set()
): Array<StrataEvent> => {
  const kept: Array<StrataEvent> = []
  let dropped: Set<string> | undefined
  for (const event of events) {
    const key = dedupeKey(event)
    if (key !== undefined) {
      if (seen.has(key) || isHeld(key, event)) {
        ;(dropped ??= new Set()).add(key)
        continue
      }
      seen.add(key)
    } else if (dropped !== undefined && event.type === "step-succeeded" && dropped.has(stepKey(event.runId, event.assetKey, event.partition))) {
      continue
    }
    kept.push(event)
  }
  return kept
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

/** The delta of a batch while it is folded: the changes by run and by asset, and the records in event order. */
interface Draft {
  readonly runs: Map<string, MutableRunChange>
  readonly assets: Map<string, MutableAssetChange>
  readonly partitions: Map<string, MaterializationRecord>
  readonly materializations: Array<MaterializationRecord>
  readonly observations: Array<ObservationRecord>
  readonly checks: Array<CheckResultRecord>
  readonly partitionStatus: Array<PartitionStatusChange>
  readonly partitionVersions: Array<PartitionVersionChange>
}

/**
 * Folds a batch of stored events (with their ids) into the changes it makes.
 *
 * @since 0.1.0
 */
export const fold = (events: ReadonlyArray<StoredEvent>): IndexDelta => {
  const draft: Draft = {
    runs: new Map(),
    assets: new Map(),
    partitions: new Map(),
    materializations: [],
    observations: [],
    checks: [],
    partitionStatus: [],
    partitionVersions: []
  }
  for (const event of events) foldEvent(draft, event)
  return {
    runs: [...draft.runs.values()],
    assets: [...draft.assets.values()],
    partitions: [...draft.partitions.values()],
    materializations: draft.materializations,
    observations: draft.observations,
    checks: draft.checks,
    partitionStatus: draft.partitionStatus,
    partitionVersions: draft.partitionVersions
  }
}

const foldEvent = (draft: Draft, event: StoredEvent): void => {
  switch (event.type) {
    case "run-started": {
      const change = runChange(draft, event.runId)
      if (change.ended === undefined && change.startedAt === undefined) change.startedAt = event.timestamp
      return
    }
    case "run-succeeded":
    case "run-failed":
    case "run-canceled":
      return runEnded(draft, event)
    case "asset-materialized":
      return assetMaterialized(draft, event)
    case "asset-observed":
      return assetObserved(draft, event)
    case "check-evaluated":
      draft.checks.push(checkResultRecord(event))
      return
    case "step-started":
      // every step starts: only a partitioned one has a status to change
      if (event.partitionSet !== undefined) partitionsBecome(draft, event, "in-progress")
      return
    case "step-failed":
      if (event.willRetry) return
      partitionsBecome(draft, event, "failed")
      if (event.partition === undefined) {
        assetChange(draft, event.assetKey).failure = { eventId: event.id, runId: event.runId, timestamp: event.timestamp, error: event.error }
      }
      return
  }
}

const runEnded = (draft: Draft, event: Stored<"run-succeeded" | "run-failed" | "run-canceled">): void => {
  runChange(draft, event.runId).ended ??= {
    status: event.type === "run-succeeded" ? "succeeded" : event.type === "run-failed" ? "failed" : "canceled",
    at: event.timestamp,
    reason: event.type === "run-succeeded" ? undefined : event.reason
  }
}

const assetMaterialized = (draft: Draft, event: Stored<"asset-materialized">): void => {
  const record = materializationRecord(event)
  draft.materializations.push(record)
  partitionsBecome(draft, event, "materialized")
  if (event.partitionSet !== undefined) {
    draft.partitionVersions.push(versionChange(event, event.partitionSet, event.codeVersion, event.inputVersions))
  }
  if (event.partition === undefined || event.partitionSet !== undefined) {
    const change = assetChange(draft, event.assetKey)
    change.materialization = record
    change.failure = null
  }
  if (event.partition !== undefined) draft.partitions.set(stepKey("", event.assetKey, event.partition), record)
}

const assetObserved = (draft: Draft, event: Stored<"asset-observed">): void => {
  const record = observationRecord(event)
  draft.observations.push(record)
  if (event.partitionSet !== undefined) {
    // a partitioned source: each observed partition's version (no code version: Strata does not build it)
    draft.partitionVersions.push(versionChange(event, event.partitionSet, "", {}))
  }
  if (event.partition === undefined) {
    const change = assetChange(draft, event.assetKey)
    change.observation = record
    change.failure = null
  }
}

/** The partitions of a partitioned step's event (one with a `partitionSet`) take the status `to`. */
const partitionsBecome = (
  draft: Draft,
  event: Stored<"step-started" | "step-failed" | "asset-materialized">,
  to: PartitionStatusChange["status"]
): void => {
  const set = event.partitionSet
  if (set !== undefined) draft.partitionStatus.push({ assetKey: event.assetKey, fingerprint: set.fingerprint, ranges: set.ranges, status: to })
}

const assetChange = (draft: Draft, assetKey: string): MutableAssetChange => {
  let change = draft.assets.get(assetKey)
  // every field set at once: one object shape for all changes
  if (change === undefined) draft.assets.set(assetKey, change = { assetKey, materialization: undefined, observation: undefined, failure: undefined })
  return change
}

const runChange = (draft: Draft, runId: string): MutableRunChange => {
  let change = draft.runs.get(runId)
  if (change === undefined) draft.runs.set(runId, change = { runId })
  return change
}
