/**
 * Rules every instance implementation shares (and the SPI re-exports for
 * out-of-core implementations): what a terminal status is, how events map to
 * index records, how orphaned runs are recognised.
 */
import type { AssetMaterialized, AssetObserved, StoredEvent } from "../Event.ts"
import type { MaterializationRecord, ObservationRecord, RunStatus } from "../Instance.ts"

export const isTerminal = (status: RunStatus): boolean =>
  status === "succeeded" || status === "failed" || status === "canceled"

export const stepKey = (runId: string, assetKey: string, partition: string | undefined): string =>
  `${runId}\u0000${assetKey}\u0000${partition ?? ""}`

export const materializationRecord = (event: AssetMaterialized & { readonly id: number }): MaterializationRecord => ({
  eventId: event.id,
  runId: event.runId,
  assetKey: event.assetKey,
  partition: event.partition,
  timestamp: event.timestamp,
  metadata: event.metadata,
  dataVersion: event.dataVersion,
  codeVersion: event.codeVersion,
  inputVersions: event.inputVersions
})

export const observationRecord = (event: AssetObserved & { readonly id: number }): ObservationRecord => ({
  eventId: event.id,
  runId: event.runId,
  assetKey: event.assetKey,
  partition: event.partition,
  timestamp: event.timestamp,
  metadata: event.metadata,
  dataVersion: event.dataVersion
})

/** `true` when a process with this pid exists on this host (signal 0 probes without killing). */
export const isProcessAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

export type { StoredEvent }
