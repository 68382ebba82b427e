/** The memory instance's asset index (and the sink of the event projection). */
import { Effect } from "effect"
import type { IndexSink, PartitionStatusChange, PartitionVersionChange } from "../../EventProjection.ts"
import { applyStatus, applyVersions, RunChanges } from "../../EventProjection.ts"
import type { MemoryCheckStore } from "./checks.ts"
import type { AssetIndex, AssetRecord, CheckResultRecord, PartitionStatus, PartitionVersions, FailureRecord, MaterializationRecord, ObservationRecord, Page, PageQuery } from "../../Instance.ts"

interface MutableAssetRecord {
  assetKey: string
  materialization?: MaterializationRecord | undefined
  observation?: ObservationRecord | undefined
  failure?: FailureRecord | undefined
}

/** A page of a sorted listing: `limit` entries after `after`. */
const pageOf = <A>(keys: ReadonlyArray<string>, query: PageQuery | undefined, get: (key: string) => A): Page<A> => {
  const limit = Math.max(1, query?.limit ?? 100)
  let start = 0
  if (query?.after !== undefined) {
    const after = query.after
    let low = 0
    let high = keys.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (keys[mid]! <= after) low = mid + 1
      else high = mid
    }
    start = low
  }
  const slice = keys.slice(start, start + limit)
  const records = slice.map(get)
  return start + limit < keys.length ? { records, next: slice[slice.length - 1] } : { records }
}

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * The memory instance's asset index. It is also the event projection's sink
 * (`EventProjection.IndexSink`): each change a stored event makes is applied
 * at once (no `IndexDelta` is built); check results go on to the check store,
 * run changes wait for the end of the batch (`runs`).
 */
export class MemoryAssetIndex implements IndexSink {
  readonly runs = new RunChanges()
  private readonly checks: MemoryCheckStore
  readonly index = new Map<string, MutableAssetRecord>()
  readonly partitionIndex = new Map<string, Map<string, MaterializationRecord>>()
  readonly history = new Map<string, Array<MaterializationRecord>>()
  /** Partition status by asset key. */
  readonly statuses = new Map<string, PartitionStatus>()
  /** Partition versions by asset key. */
  readonly versions = new Map<string, PartitionVersions>()

  constructor(checks: MemoryCheckStore) {
    this.checks = checks
  }

  private record(key: string): MutableAssetRecord {
    let record = this.index.get(key)
    if (record === undefined) this.index.set(key, record = { assetKey: key })
    return record
  }

  /** The asset's latest materialization (`EventProjection.IndexSink`); clears its failure. */
  latestMaterialization(assetKey: string, record: MaterializationRecord): void {
    const entry = this.record(assetKey)
    // the record first, then the failure: the order the fields are added is the key order of the record's JSON
    entry.materialization = record
    entry.failure = undefined
  }

  latestObservation(assetKey: string, record: ObservationRecord): void {
    const entry = this.record(assetKey)
    entry.observation = record
    entry.failure = undefined
  }

  failure(assetKey: string, failure: FailureRecord): void {
    this.record(assetKey).failure = failure
  }

  latestPartition(record: MaterializationRecord): void {
    let partitions = this.partitionIndex.get(record.assetKey)
    if (partitions === undefined) this.partitionIndex.set(record.assetKey, partitions = new Map())
    partitions.set(record.partition!, record)
  }

  materialization(record: MaterializationRecord): void {
    let list = this.history.get(record.assetKey)
    if (list === undefined) this.history.set(record.assetKey, list = [])
    list.push(record)
  }

  /** The index keeps only the latest observation (`latestObservation`). */
  observation(_record: ObservationRecord): void {}

  check(record: CheckResultRecord): void {
    this.checks.check(record)
  }

  partitionStatus(change: PartitionStatusChange): void {
    this.statuses.set(change.assetKey, applyStatus(this.statuses.get(change.assetKey), change))
  }

  partitionVersions(change: PartitionVersionChange): void {
    this.versions.set(change.assetKey, applyVersions(this.versions.get(change.assetKey), change))
  }

  /** The event ids retention must keep: every latest record. */
  latestIds(): Set<number> {
    const keep = new Set<number>()
    for (const record of this.index.values()) {
      if (record.materialization) keep.add(record.materialization.eventId)
      if (record.observation) keep.add(record.observation.eventId)
    }
    for (const partitions of this.partitionIndex.values()) for (const record of partitions.values()) keep.add(record.eventId)
    return keep
  }

  wipe(keys: ReadonlyArray<string>): void {
    for (const key of keys) {
      this.index.delete(key)
      this.partitionIndex.delete(key)
      this.statuses.delete(key)
      this.versions.delete(key)
      this.history.delete(key)
    }
  }

  private historyOf(assetKey: string, query: Parameters<AssetIndex["history"]>[1]): Array<MaterializationRecord> {
    const list = this.history.get(assetKey) ?? []
    const limit = query?.limit ?? 100
    const result: Array<MaterializationRecord> = []
    for (let i = list.length - 1; i >= 0 && result.length < limit; i--) {
      const record = list[i]!
      if (query?.before !== undefined && record.eventId >= query.before) continue
      if (query?.partition !== undefined && record.partition !== query.partition) continue
      result.push(record)
    }
    return result
  }

  /** The domain's part of the instance front (wiping also removes events: see the instance). */
  domain(): Omit<AssetIndex, "wipeAssets"> {
    return {
      assets: (keys) =>
        Effect.sync(() => {
          const result = new Map<string, AssetRecord>()
          for (const key of keys ?? this.index.keys()) {
            const record = this.index.get(key)
            if (record !== undefined) result.set(key, { ...record })
          }
          return result
        }),
      assetPage: (query) =>
        Effect.sync(() => pageOf([...this.index.keys()].sort(byKey), query, (key) => ({ ...this.index.get(key)! }))),
      assetCount: () => Effect.sync(() => this.index.size),
      partitions: (assetKey) => Effect.sync(() => new Map(this.partitionIndex.get(assetKey) ?? [])),
      partitionStatus: (assetKey) => Effect.sync(() => this.statuses.get(assetKey)),
      partitionVersions: (assetKey) => Effect.sync(() => this.versions.get(assetKey)),
      partitionPage: (assetKey, query) =>
        Effect.sync(() => {
          const partitions = this.partitionIndex.get(assetKey) ?? new Map<string, MaterializationRecord>()
          return pageOf([...partitions.keys()].sort(byKey), query, (key) => partitions.get(key)!)
        }),
      partitionCount: (assetKey) => Effect.sync(() => this.partitionIndex.get(assetKey)?.size ?? 0),
      history: (assetKey, query) => Effect.sync(() => this.historyOf(assetKey, query))
    }
  }
}
