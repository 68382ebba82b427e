/**
 * The memory instance's sink of the event projection: each change a stored
 * event makes is applied to the asset index and the check store at once (no
 * `IndexDelta` is built); run changes wait for the end of the batch.
 */
import type { IndexSink, PartitionStatusChange } from "../../EventProjection.ts"
import { RunChanges } from "../../EventProjection.ts"
import type { CheckResultRecord, FailureRecord, MaterializationRecord, ObservationRecord } from "../../Instance.ts"
import type { PartitionVersionChange } from "../../partitions/versions.ts"
import type { MemoryAssetIndex } from "./assetIndex.ts"
import type { MemoryCheckStore } from "./checks.ts"

export class MemoryProjection implements IndexSink {
  readonly runs = new RunChanges()
  private readonly index: MemoryAssetIndex
  private readonly checks: MemoryCheckStore

  constructor(index: MemoryAssetIndex, checks: MemoryCheckStore) {
    this.index = index
    this.checks = checks
  }

  latestMaterialization(assetKey: string, record: MaterializationRecord): void {
    this.index.latestMaterialization(assetKey, record)
  }

  latestObservation(assetKey: string, record: ObservationRecord): void {
    this.index.latestObservation(assetKey, record)
  }

  failure(assetKey: string, failure: FailureRecord): void {
    this.index.failure(assetKey, failure)
  }

  latestPartition(record: MaterializationRecord): void {
    this.index.latestPartition(record)
  }

  materialization(record: MaterializationRecord): void {
    this.index.materialization(record)
  }

  /** The memory index keeps only the latest observation (`latestObservation`). */
  observation(_record: ObservationRecord): void {}

  check(record: CheckResultRecord): void {
    this.checks.check(record)
  }

  partitionStatus(change: PartitionStatusChange): void {
    this.index.partitionStatusChange(change)
  }

  partitionVersions(change: PartitionVersionChange): void {
    this.index.partitionVersionChange(change)
  }
}
