/**
 * The run queue in the daemon: runs are recorded `queued` (tag
 * `strata/queued`) by the ticks that request them or by `strata materialize
 * --queue`; each cycle starts those the limits allow (`RunQueue.dequeue`),
 * under their recorded ids, and ends the queued runs someone asked to cancel.
 */
import { ExecutionPlan, type Instance, RunQueue } from "@strata/core"
import { Effect } from "effect"
import type { Generation } from "../../ProjectHost.ts"
import type { RunLauncher } from "../../RunLauncher.ts"

/** The plan a queued run was queued with, made again on the current project. */
const planOf = (generation: Generation, run: Instance.RunRecord) =>
  ExecutionPlan.make(generation.project, {
    selection: run.selection,
    partition: run.partition,
    staleOnly: run.staleOnly,
    parentRunId: run.parentRunId,
    observeSources: run.tags[RunQueue.OBSERVE_TAG] !== "false"
  })

/** Ends a queued run that will not start (canceled, or its selection no longer plans). */
const end = (instance: Instance.InstanceShape, run: Instance.RunRecord, now: number, type: "run-canceled" | "run-failed", reason: string) =>
  instance.appendEvents([{ type, runId: run.runId, timestamp: now, reason }])

/**
 * One pass over the queue: cancel requests first, then start what the limits
 * allow, highest priority first, then oldest. Returns how many runs started.
 */
export const queueTick = (
  generation: Generation,
  launcher: RunLauncher,
  now: number
): Effect.Effect<number, Instance.InstanceError> =>
  Effect.gen(function*() {
    const { instance, project } = generation
    const queued: Array<Instance.RunRecord> = []
    for (const run of yield* instance.listRuns({ status: "queued", limit: 10_000 })) {
      if (!RunQueue.isQueued(run)) continue
      if (run.cancelRequestedAt !== undefined) {
        yield* end(instance, run, now, "run-canceled", run.cancelReason ?? "canceled while queued")
        continue
      }
      queued.push(run)
    }
    if (queued.length === 0) return 0
    const started = yield* instance.listRuns({ status: "started", limit: 10_000 })
    const decision = RunQueue.dequeue(queued, started, project.automation.runQueue ?? RunQueue.unlimited)
    let count = 0
    for (const run of decision.start) {
      const plan = yield* Effect.result(planOf(generation, run))
      if (plan._tag === "Failure") {
        yield* end(instance, run, now, "run-failed", `queued run ${run.runId} (${run.selection}) no longer plans: ${plan.failure.message}`)
        continue
      }
      const launched = yield* Effect.result(launcher.launch(generation, plan.success, run.tags, { runId: run.runId, fromQueue: true }))
      if (launched._tag === "Failure") yield* Effect.logWarning(`queued run ${run.runId} did not start: ${launched.failure.message}`)
      else count++
    }
    return count
  })
