/**
 * Launching runs in a long-lived process (`strata dev`, the daemon): a plan is
 * handed to the run coordinator on the generation of the project it was made
 * from, in the runtime's scope, so that it outlives the request that launched
 * it. The launcher knows the runs this process executes (to cancel them at
 * once, and to show their pending steps as running), re-executes a past run by
 * core's one rule (`ExecutionPlan.fromRun`), and cancels runs executed by any
 * process through the instance.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import type { Event, Instance } from "@strata/core"
import { ExecutionPlan, RunCoordinator } from "@strata/core"
import { type Context, Deferred, Effect, Fiber, Logger, type Scope } from "effect"
import type { Generation, ProjectHost } from "./ProjectHost.ts"

/**
 * A run this process executes.
 *
 * @since 0.1.0
 */
export interface ActiveRun {
  readonly runId: string
  readonly generation: Generation
  /** Keys planned and not finished yet: shown as `running`. */
  readonly pending: Set<string>
  readonly fiber: Fiber.Fiber<unknown, unknown>
}

/**
 * A run cannot be re-executed while it is still going.
 *
 * @since 0.1.0
 */
export type LaunchError = Instance.InstanceError | ExecutionPlan.ReexecutionError

/**
 * What a cancel did: `requested` when another process executes the run (it
 * polls the instance and stops within about half a second); otherwise the run
 * was interrupted here and has ended.
 *
 * @since 0.1.0
 */
export interface Canceled {
  readonly requested: boolean
  readonly run: Instance.RunRecord
}

/** Follows a run's events: which steps are pending, and when the run is recorded as started. */
const tracker = (active: { pending: Set<string> }, started: Deferred.Deferred<void>) => (event: Event.StrataEvent) => {
  switch (event.type) {
    case "run-started":
      Deferred.doneUnsafe(started, Effect.void)
      break
    case "step-succeeded":
    case "step-skipped":
      active.pending.delete(event.assetKey)
      break
    case "step-failed":
      if (!event.willRetry) active.pending.delete(event.assetKey)
      break
    case "run-succeeded":
    case "run-failed":
    case "run-canceled":
      active.pending.clear()
  }
}

/**
 * The runs this process launches and executes.
 *
 * @since 0.1.0
 */
export class RunLauncher {
  private readonly runs = new Map<string, ActiveRun>()
  private readonly host: ProjectHost
  private readonly scope: Scope.Scope
  private readonly concurrency: number | undefined
  /** How this process names itself in the reason of the runs it cancels. */
  readonly canceledBy: string

  constructor(host: ProjectHost, scope: Scope.Scope, options?: { readonly concurrency?: number | undefined; readonly name?: string | undefined }) {
    this.host = host
    this.scope = scope
    this.concurrency = options?.concurrency
    this.canceledBy = `canceled from ${options?.name ?? "the runtime"} (pid ${process.pid} on ${hostname()})`
  }

  /** Whether this process executes the run. */
  isExecuting(runId: string): boolean {
    return this.runs.has(runId)
  }

  /** How many runs this process executes. */
  get size(): number {
    return this.runs.size
  }

  /** The steps pending in the runs this process executes, each with its run's id. */
  runningSteps(): Map<string, string> {
    const steps = new Map<string, string>()
    for (const run of this.runs.values()) for (const key of run.pending) if (!steps.has(key)) steps.set(key, run.runId)
    return steps
  }

  /** The keys of the steps pending in the runs this process executes. */
  runningKeys(): Set<string> {
    const keys = new Set<string>()
    for (const run of this.runs.values()) for (const key of run.pending) keys.add(key)
    return keys
  }

  /**
   * Starts a plan on a generation; succeeds with the run id once the run is
   * recorded as started (or fails with what stopped it first). `runId` gives
   * the id (the daemon records it with its tick first); a run with that id
   * already in the instance fails the launch with `InstanceError` `invalid`,
   * unless `fromQueue`: then the run is the queued one recorded under `runId`
   * (`RunQueue`), and it is started.
   */
  launch(
    generation: Generation,
    plan: ExecutionPlan.ExecutionPlan,
    tags: Readonly<Record<string, string>>,
    options?: { readonly runId?: string | undefined; readonly fromQueue?: boolean | undefined }
  ) {
    return Effect.gen({ self: this }, function*() {
      const runId = options?.runId ?? randomUUID()
      const started = yield* Deferred.make<void>()
      const pending = new Set(plan.steps.map((step) => step.key))
      const program = RunCoordinator.execute(generation.project, plan, {
        runId,
        tags,
        fromQueue: options?.fromQueue,
        concurrency: this.concurrency,
        onEvent: tracker({ pending }, started)
      }).pipe(
        Effect.provideContext(generation.context as Context.Context<unknown>),
        // step logs are recorded in the event log, not printed by the server
        Effect.provideService(Logger.CurrentLoggers, new Set()),
        Effect.ensuring(Effect.sync(() => this.runs.delete(runId)))
      ) as Effect.Effect<RunCoordinator.RunResult, Instance.InstanceError>
      const fiber = yield* Effect.forkIn(this.host.hold(generation, program), this.scope)
      this.runs.set(runId, { runId, generation, pending, fiber })
      yield* Effect.raceFirst(Deferred.await(started), Effect.asVoid(Fiber.join(fiber)))
      return runId
    })
  }

  /** Re-executes a finished run by core's rule, on the current generation. */
  reexecute(parentRunId: string, from: ExecutionPlan.ReexecuteFrom, tags: Readonly<Record<string, string>>) {
    return Effect.gen({ self: this }, function*() {
      const generation = this.host.current
      const parent = yield* generation.instance.getRun(parentRunId)
      if (this.runs.has(parentRunId)) {
        return yield* new ExecutionPlan.ReexecutionError({
          runId: parentRunId,
          message: `run ${parentRunId} is still running; wait for it to finish or cancel it`
        })
      }
      const events = parent === undefined ? [] : yield* generation.instance.runEvents(parentRunId)
      const plan = yield* ExecutionPlan.fromRun(generation.project, parent, events, from, parentRunId)
      const runId = yield* this.launch(generation, plan, tags)
      return { runId, plan }
    })
  }

  /**
   * Cancels a run: one this process executes is interrupted at once (after the
   * request is recorded, so that its reason names this process); another
   * process's run gets a request in the instance.
   */
  cancel(instance: Instance.InstanceShape, runId: string) {
    return Effect.gen({ self: this }, function*() {
      const active = this.runs.get(runId)
      if (active === undefined) {
        const run = yield* instance.requestCancel(runId, { at: Date.now(), reason: this.canceledBy })
        return { requested: true, run } satisfies Canceled
      }
      yield* active.generation.instance.requestCancel(runId, { at: Date.now(), reason: this.canceledBy }).pipe(Effect.ignore)
      yield* Fiber.interrupt(active.fiber)
      const run = yield* active.generation.instance.getRun(runId)
      return { requested: false, run: run! } satisfies Canceled
    })
  }

  /** Interrupts every run this process executes (they end `canceled`). */
  get interruptAll(): Effect.Effect<void> {
    return Effect.forEach([...this.runs.values()], (run) => Fiber.interrupt(run.fiber), { discard: true })
  }
}
