/** The memory instance's run storage. */
import { Effect } from "effect"
import type { RunChange } from "../../EventProjection.ts"
import type { CancelRequest, NewRun, RunQuery, RunRecord, RunStatus, RunStorage } from "../../Instance.ts"
import { cancelRefusal, InstanceError, summarize } from "../../Instance.ts"
import { isTerminal } from "../instanceRules.ts"

export class MemoryRuns {
  readonly runs = new Map<string, RunRecord>()
  /** Run ids in the order they were created. */
  readonly order: Array<string> = []

  has(runId: string): boolean {
    return this.runs.has(runId)
  }

  get(runId: string): RunRecord | undefined {
    return this.runs.get(runId)
  }

  /** A batch's change to a run; a run that has ended keeps its end. */
  apply(change: RunChange): void {
    const run = this.runs.get(change.runId)
    if (run === undefined || isTerminal(run.status)) return
    let next = run
    if (change.startedAt !== undefined) next = { ...next, status: "started", startedAt: change.startedAt, heartbeatAt: change.startedAt }
    if (change.ended !== undefined) {
      const { at, reason, status } = change.ended
      next = reason === undefined ? { ...next, status, endedAt: at } : { ...next, status, endedAt: at, reason }
    }
    this.runs.set(change.runId, next)
  }

  remove(runId: string): void {
    this.runs.delete(runId)
    this.order.splice(this.order.indexOf(runId), 1)
  }

  create(run: NewRun): Effect.Effect<RunRecord, InstanceError> {
    return Effect.suspend(() => {
      if (this.runs.has(run.runId)) {
        return Effect.fail(new InstanceError({ operation: "createRun", reason: "invalid", message: `run ${run.runId} already exists` }))
      }
      const record: RunRecord = { ...run, status: "queued" }
      this.runs.set(run.runId, record)
      this.order.push(run.runId)
      return Effect.succeed(record)
    })
  }

  requestCancel(runId: string, request: CancelRequest) {
    return Effect.suspend(() => {
      const run = this.runs.get(runId)
      const refusal = cancelRefusal(runId, run)
      if (refusal !== undefined) return Effect.fail(refusal)
      if (run!.cancelRequestedAt !== undefined) return Effect.succeed(run!)
      const updated: RunRecord = request.reason === undefined
        ? { ...run!, cancelRequestedAt: request.at }
        : { ...run!, cancelRequestedAt: request.at, cancelReason: request.reason }
      this.runs.set(runId, updated)
      return Effect.succeed(updated)
    })
  }

  list(query: RunQuery | undefined): Array<RunRecord> {
    const statuses = query?.status === undefined
      ? undefined
      : new Set<RunStatus>(typeof query.status === "string" ? [query.status] : query.status)
    const limit = query?.limit ?? 50
    let end = this.order.length
    if (query?.before !== undefined) {
      const at = this.order.lastIndexOf(query.before)
      end = at === -1 ? 0 : at
    }
    const result: Array<RunRecord> = []
    for (let i = end - 1; i >= 0 && result.length < limit; i--) {
      const run = this.runs.get(this.order[i]!)!
      if (statuses === undefined || statuses.has(run.status)) result.push(run)
    }
    return result
  }

  /** The domain's part of the instance front (orphan reaping needs the event log: see the instance). */
  storage(): Omit<RunStorage, "reapOrphanedRuns"> {
    return {
      createRun: (run) => this.create(run),
      heartbeat: (runId, at) =>
        Effect.sync(() => {
          const run = this.runs.get(runId)
          if (run !== undefined) this.runs.set(runId, { ...run, heartbeatAt: at })
        }),
      requestCancel: (runId, request) => this.requestCancel(runId, request),
      cancelRequest: (runId) =>
        Effect.sync(() => {
          const run = this.runs.get(runId)
          if (run?.cancelRequestedAt === undefined) return undefined
          return run.cancelReason === undefined ? { at: run.cancelRequestedAt } : { at: run.cancelRequestedAt, reason: run.cancelReason }
        }),
      getRun: (runId) => Effect.sync(() => this.runs.get(runId)),
      listRuns: (query) => Effect.sync(() => this.list(query)),
      listRunSummaries: (query) => Effect.sync(() => this.list(query).map(summarize))
    }
  }
}
