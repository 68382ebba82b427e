/**
 * Rules every instance implementation shares (and the SPI re-exports for
 * out-of-core implementations): what a terminal status is, how events map to
 * index records, how orphaned runs are recognised.
 */
import type { AssetMaterialized, AssetObserved, StepFailed, StoredEvent } from "../Event.ts"
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

/**
 * The steps an orphaned run left running, closed as failed: for each asset
 * and partition whose last step event is `step-started` (or a failure that
 * was to be retried), a final `step-failed` carrying the reaping reason. The
 * reaper appends these before `run-failed`, so that timelines do not show a
 * step running forever and the asset index records the failure.
 */
export const orphanedStepFailures = (
  runEvents: ReadonlyArray<StoredEvent>,
  now: number,
  reason: string
): Array<StepFailed> => {
  const open = new Map<string, { assetKey: string; partition: string | undefined; attempt: number; started: number }>()
  for (const event of runEvents) {
    switch (event.type) {
      case "step-started":
        open.set(stepKey("", event.assetKey, event.partition), {
          assetKey: event.assetKey,
          partition: event.partition,
          attempt: event.attempt,
          started: event.timestamp
        })
        break
      case "step-failed":
        if (!event.willRetry) open.delete(stepKey("", event.assetKey, event.partition))
        break
      case "step-succeeded":
      case "step-skipped":
        open.delete(stepKey("", event.assetKey, event.partition))
        break
    }
  }
  const runId = runEvents[0]?.runId ?? ""
  return [...open.values()].map((step) => ({
    type: "step-failed",
    runId,
    timestamp: now,
    assetKey: step.assetKey,
    partition: step.partition,
    attempt: step.attempt,
    durationMs: Math.max(0, now - step.started),
    error: { tag: "@strata/core/OrphanedRun", message: reason, retryable: true },
    willRetry: false
  }))
}

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
