/**
 * What every kind of tick shares: one cycle's view (generation, time,
 * switches), recording a tick fenced by the daemon's lease, and launching the
 * runs a recorded tick asked for under the ids it recorded.
 */
import { DynamicPartitionStore, ExecutionPlan, RunQueue } from "@strata/core"
import type { AutomationStore, Instance } from "@strata/core"
import { Data, Effect } from "effect"
import type { Generation } from "../../ProjectHost.ts"
import type { RunLauncher } from "../../RunLauncher.ts"
import { queueTick } from "./queue.ts"

/** The lease name: one daemon acts per instance. */
export const LEASE = "daemon"

/** One pass of the daemon over its work, as a value. */
export interface Cycle {
  readonly generation: Generation
  readonly launcher: RunLauncher
  readonly holder: string
  readonly now: number
  /** Explicit on/off switches (`schedule/x`, `sensor/x`, `asset/x`, `conditions`). */
  readonly switches: ReadonlyMap<string, boolean>
}

/** The daemon no longer holds its lease: it stops acting until it wins it again. */
export class LeaseLost extends Data.TaggedError("LeaseLost")<{ readonly holder: string }> {}

export const enabled = (cycle: Cycle, target: string): boolean => cycle.switches.get(target) !== false

/** Records a tick fenced by the lease; false when it was a duplicate. */
export const record = (cycle: Cycle, tick: AutomationStore.NewTick): Effect.Effect<boolean, Instance.InstanceError | LeaseLost> =>
  Effect.gen(function*() {
    const answer = yield* cycle.generation.instance.automation.recordTick(tick, { lease: LEASE, holder: cycle.holder, now: cycle.now })
    if (answer === "lease-lost") return yield* new LeaseLost({ holder: cycle.holder })
    return answer === "recorded"
  })

/**
 * Queues a recorded tick's runs under their recorded ids (`RunQueue`), marks
 * it launched, and starts what the queue's limits allow. A run id already in
 * the instance (queued before a crash) is left alone. A selection that no longer resolves is logged. Conditions runs
 * do not observe sources first: the observations that triggered them are
 * recorded already, so the run is exactly the requested assets.
 */
export const launchRuns = (
  cycle: Cycle,
  tick: { readonly tickId: string; readonly origin: AutomationStore.TickOrigin },
  runs: ReadonlyArray<AutomationStore.TickRun>
): Effect.Effect<void, Instance.InstanceError> =>
  Effect.gen(function*() {
    const { generation, launcher } = cycle
    for (const run of runs) {
      if ((yield* generation.instance.getRun(run.runId)) !== undefined) continue
      const observeSources = tick.origin !== "conditions"
      const plan = ExecutionPlan.make(generation.project, {
        selection: run.selection,
        observeSources,
        ...(run.partition === undefined ? {} : {
          partition: run.partition,
          now: cycle.now,
          dynamicKeys: yield* DynamicPartitionStore.keysFor(generation.project, generation.instance)
        })
      })
      yield* plan.pipe(
        Effect.flatMap((plan) => RunQueue.enqueue(generation.instance, plan, { runId: run.runId, origin: tick.origin, tags: run.tags, observeSources, at: cycle.now })),
        Effect.catch((error) =>
          Effect.logWarning(`tick ${tick.tickId}: run ${run.runId} (${run.selection}${run.partition === undefined ? "" : ` [${run.partition}]`}) was not queued: ${error.message}`))
      )
    }
    yield* generation.instance.automation.markLaunched(tick.tickId)
    // the queue starts what the limits allow at once: a request with no limit in the way starts in this cycle
    yield* queueTick(generation, launcher, cycle.now)
  })

/** Finishes the ticks a previous daemon recorded but did not launch (it died in between). */
export const recoverRequested = (cycle: Cycle): Effect.Effect<void, Instance.InstanceError> =>
  Effect.gen(function*() {
    const pending = yield* cycle.generation.instance.automation.ticks({ status: "requested", limit: 100 })
    for (const tick of pending.toReversed()) yield* launchRuns(cycle, tick, tick.runs)
  })

/** A short, bounded message for a tick's reason. */
export const reasonOf = (error: unknown): string => {
  const text = error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(error) ?? String(error)
  return text.length > 500 ? `${text.slice(0, 500)}...` : text
}
