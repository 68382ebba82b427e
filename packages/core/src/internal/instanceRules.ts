/**
 * Rules every instance implementation shares (and the SPI re-exports for
 * out-of-core implementations): what a terminal status is, how events map to
 * index records, how orphaned runs are recognised.
 */
import type { AssetMaterialized, AssetObserved, CheckEvaluated, RunCanceled, RunFailed, StepFailed, StoredEvent } from "../Event.ts"
import type { CheckResultRecord, MaterializationRecord, ObservationRecord, RunRecord, RunStatus } from "../Instance.ts"

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

export const checkResultRecord = (event: CheckEvaluated & { readonly id: number }): CheckResultRecord => {
  const record: {
    -readonly [K in keyof CheckResultRecord]: CheckResultRecord[K]
  } = {
    eventId: event.id,
    runId: event.runId,
    assetKey: event.assetKey,
    check: event.check,
    partition: event.partition,
    timestamp: event.timestamp,
    passed: event.passed,
    severity: event.severity,
    metadata: event.metadata
  }
  if (event.message !== undefined) record.message = event.message
  if (event.dataVersion !== undefined) record.dataVersion = event.dataVersion
  if (event.error !== undefined) record.error = event.error
  return record
}

/** The key of "the latest result of one check of one asset and partition". */
export const checkKey = (assetKey: string, check: string, partition: string | undefined): string =>
  `${assetKey}\u0000${check}\u0000${partition ?? ""}`

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

/**
 * Why a run left `queued` or `started` is orphaned, or `undefined` when it is
 * not: its process on this host is gone, or (on any host) it sent no
 * heartbeat for `heartbeatTimeoutMs`.
 */
export const orphanReason = (
  run: RunRecord,
  options: { readonly now: number; readonly heartbeatTimeoutMs: number; readonly host: string }
): string | undefined => {
  if (isTerminal(run.status)) return undefined
  // a run waiting in the run queue has no process yet: the daemon starts it when the limits allow
  if (run.status === "queued" && run.tags["strata/queued"] !== undefined) return undefined
  if (run.host === options.host && run.pid !== undefined && !isProcessAlive(run.pid)) {
    return `the process running it (pid ${run.pid} on ${options.host}) exited before the run finished`
  }
  const lastSign = run.heartbeatAt ?? run.startedAt ?? run.createdAt
  if (options.now - lastSign <= options.heartbeatTimeoutMs) return undefined
  return `no heartbeat for ${Math.round((options.now - lastSign) / 1000)} s (from pid ${run.pid ?? "?"} on ${
    run.host ?? "an unknown host"
  })`
}

/**
 * The event that ends an orphaned run: `run-canceled` when somebody had asked
 * to cancel it (the request names who), `run-failed` otherwise.
 */
export const orphanedRunEnd = (run: RunRecord, now: number, reason: string): RunFailed | RunCanceled =>
  run.cancelRequestedAt === undefined
    ? { type: "run-failed", runId: run.runId, timestamp: now, reason }
    : {
      type: "run-canceled",
      runId: run.runId,
      timestamp: now,
      reason: `${run.cancelReason ?? "cancel requested"}; ${reason}`
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
