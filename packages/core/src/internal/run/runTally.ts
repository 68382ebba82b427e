/**
 * What a run did, collected from its events as they are emitted: the lists of
 * a `RunResult`, and the state of each planned step (for cancellation: which
 * were running, which never started).
 */
import type { AssetKey } from "../../AssetKey.ts"
import type { ErrorInfo, SkipKind, StrataEvent } from "../../Event.ts"
import type { ExecutionPlan } from "../../ExecutionPlan.ts"
import type { CheckOutcome } from "../../RunCoordinator.ts"

const PENDING = 0
const RUNNING = 1
const ENDED = 2

export class RunTally {
  readonly materialized: Array<AssetKey> = []
  readonly observed: Array<AssetKey> = []
  readonly skipped: Array<{ key: AssetKey; kind: SkipKind; reason: string }> = []
  readonly failed: Array<{ key: AssetKey; error: ErrorInfo }> = []
  readonly checks: Array<CheckOutcome> = []
  /** Assets a `staleOnly` run skipped as up to date (their checks are skipped too). */
  private upToDate: Set<string> | undefined
  private readonly state: Uint8Array

  constructor(plan: ExecutionPlan) {
    this.state = new Uint8Array(plan.steps.length)
  }

  started(position: number): void {
    this.state[position] = RUNNING
  }

  ended(position: number): void {
    this.state[position] = ENDED
  }

  isRunning(position: number): boolean {
    return this.state[position] === RUNNING
  }

  isPending(position: number): boolean {
    return this.state[position] === PENDING
  }

  isUpToDate(key: string): boolean {
    return this.upToDate !== undefined && this.upToDate.has(key)
  }

  record(event: StrataEvent): void {
    switch (event.type) {
      case "asset-materialized":
        this.materialized.push(event.assetKey as AssetKey)
        break
      case "asset-observed":
        this.observed.push(event.assetKey as AssetKey)
        break
      case "step-skipped":
        this.skipped.push({ key: event.assetKey as AssetKey, kind: event.kind, reason: event.reason })
        if (event.kind === "not-stale") (this.upToDate ??= new Set()).add(event.assetKey)
        break
      case "check-evaluated": {
        const outcome = { key: event.assetKey as AssetKey, check: event.check, passed: event.passed, severity: event.severity }
        this.checks.push(event.message === undefined ? outcome : { ...outcome, message: event.message })
        break
      }
      case "step-failed":
        if (!event.willRetry) this.failed.push({ key: event.assetKey as AssetKey, error: event.error })
        break
    }
  }
}
