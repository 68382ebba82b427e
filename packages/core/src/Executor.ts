/**
 * Executors decide where and when the steps of a plan run. The run
 * coordinator hands an executor the plan and a {@link Dispatch}; the executor
 * walks the plan in dependency order with a concurrency limit and, for each
 * ready step, asks the dispatch to run it. `Dispatch.runStep(position)` runs
 * the step in this process; `Dispatch.runStep(position, via)` hands each
 * attempt's {@link StepRequest} (plain data) to `via`, which may run it in
 * another process or on another machine (a queue of workers) with
 * `Step.execute`. Asset code never knows which.
 *
 * {@link walk} is the scheduling every executor shares: a step starts once
 * its upstreams are done; a failed step skips everything downstream of it
 * while independent branches go on.
 *
 * @since 0.1.0
 */
import { Context, Effect, Fiber, Layer, Queue } from "effect"
import type { ExecutionPlan } from "./ExecutionPlan.ts"
import type { StepRequest, StepResult } from "./StepRequest.ts"

/**
 * How a step ended, retries included. `skipped` steps (not stale) let their
 * downstreams run; `failed` steps skip their downstreams.
 *
 * @since 0.1.0
 */
export type StepOutcome = "succeeded" | "skipped" | "failed"

/**
 * Runs one attempt of a step elsewhere: sends the request, returns how it ended.
 *
 * @since 0.1.0
 */
export type RemoteStep = (request: StepRequest) => Effect.Effect<StepResult>

/**
 * What the run coordinator gives the executor.
 *
 * @since 0.1.0
 */
export interface Dispatch {
  /**
   * Runs the step at `position` to its end (retries included) and says how it
   * ended; never fails. Each attempt runs in this process, or through `via`.
   */
  readonly runStep: (position: number, via?: RemoteStep) => Effect.Effect<StepOutcome>
  /** Records a step that cannot run because the step at `failedUpstream` failed. */
  readonly skipStep: (position: number, failedUpstream: number) => void
  /** Called after steps finish: lets the run write its buffered events when they are due. */
  readonly afterBatch: Effect.Effect<void>
}

/**
 * The executor interface.
 *
 * @since 0.1.0
 */
export interface ExecutorShape {
  readonly name: string
  readonly execute: (
    plan: ExecutionPlan,
    dispatch: Dispatch,
    options: { readonly concurrency: number }
  ) => Effect.Effect<void>
}

/**
 * The executor service.
 *
 * @since 0.1.0
 */
export class Executor extends Context.Service<Executor, ExecutorShape>()("@strata/core/Executor") {}

// step states of a walk
const WAITING = 0
const RUNNING = 1
const DONE = 2
const SKIPPED = 3

/**
 * The scheduling state of one walk over a plan: which steps wait on how many
 * upstreams, which are ready, how many are finished.
 */
class Walk {
  readonly plan: ExecutionPlan
  readonly ready: Queue.Queue<number>
  readonly workers: number
  readonly skipStep: Dispatch["skipStep"]
  readonly waiting: Int32Array
  readonly state: Uint8Array
  running = 0
  finished = 0

  constructor(plan: ExecutionPlan, ready: Queue.Queue<number>, workers: number, skipStep: Dispatch["skipStep"]) {
    this.plan = plan
    this.ready = ready
    this.workers = workers
    this.skipStep = skipStep
    const steps = plan.steps
    this.waiting = new Int32Array(steps.length)
    this.state = new Uint8Array(steps.length)
    for (let i = 0; i < steps.length; i++) {
      this.waiting[i] = steps[i]!.upstream.length
      if (this.waiting[i] === 0) Queue.offerUnsafe(ready, i)
    }
  }

  /** Takes a ready step to run, or `false` when another worker already took it. */
  start(position: number): boolean {
    if (this.state[position] !== WAITING) return false
    this.state[position] = RUNNING
    this.running++
    return true
  }

  complete(position: number, outcome: StepOutcome): void {
    this.running--
    this.finished++
    this.state[position] = DONE
    if (outcome === "failed") this.skipDownstream(position)
    else {
      const downstream = this.plan.steps[position]!.downstream
      for (let k = 0; k < downstream.length; k++) {
        const j = downstream[k]!
        if (--this.waiting[j]! === 0 && this.state[j] === WAITING) Queue.offerUnsafe(this.ready, j)
      }
    }
    if (this.finished >= this.plan.steps.length || (this.running === 0 && Queue.sizeUnsafe(this.ready) === 0)) {
      // a negative position tells a worker to stop
      for (let w = 0; w < this.workers; w++) Queue.offerUnsafe(this.ready, -1)
    }
  }

  private skipDownstream(failed: number): void {
    const stack = [failed]
    while (stack.length > 0) {
      const from = stack.pop()!
      for (const j of this.plan.steps[from]!.downstream) {
        if (this.state[j] !== WAITING) continue
        this.state[j] = SKIPPED
        this.finished++
        this.skipStep(j, failed)
        stack.push(j)
      }
    }
  }
}

/**
 * Walks a plan: at most `concurrency` steps at a time, each started by
 * `runStep` as soon as its upstreams are done; a failed step's downstream is
 * skipped through `dispatch.skipStep`. Long-lived workers take ready steps from
 * a queue: a fiber per step and a wake-up of a coordinating fiber per
 * completion cost more than a small asset's whole step.
 *
 * @since 0.1.0
 */
export const walk = (
  plan: ExecutionPlan,
  dispatch: Dispatch,
  concurrency: number,
  runStep: (position: number) => Effect.Effect<StepOutcome>
): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (plan.steps.length === 0) return Effect.void
    return Effect.flatMap(Queue.unbounded<number>(), (ready) => {
      const workers = Math.min(Math.max(1, concurrency), plan.steps.length)
      const state = new Walk(plan, ready, workers, dispatch.skipStep)
      const worker: Effect.Effect<void> = Effect.flatMap(Queue.take(ready), (position) => {
        if (position < 0) return Effect.void
        if (!state.start(position)) return worker
        return Effect.flatMap(runStep(position), (outcome) => {
          state.complete(position, outcome)
          return next
        })
      })
      // built once: the same effect after every step
      const next = Effect.andThen(dispatch.afterBatch, worker)
      return Effect.flatMap(
        Effect.forEach(Array.from({ length: workers }), () => Effect.forkChild(worker)),
        (fibers) => Effect.asVoid(Fiber.joinAll(fibers))
      )
    })
  })

/**
 * The in-process executor: steps run as fibers of the run, at most
 * `concurrency` at a time. Interrupting the run interrupts running steps.
 *
 * @since 0.1.0
 */
export const inProcess: ExecutorShape = {
  name: "in-process",
  execute: (plan, dispatch, options) => walk(plan, dispatch, options.concurrency, (position) => dispatch.runStep(position))
}

/**
 * Provides the in-process executor.
 *
 * @since 0.1.0
 */
export const layerInProcess: Layer.Layer<Executor> = Layer.succeed(Executor, inProcess)

/**
 * An executor that runs every attempt through `via` (another process, a
 * queue), with the same scheduling as the in-process one.
 *
 * @since 0.1.0
 */
export const remote = (name: string, via: RemoteStep): ExecutorShape => ({
  name,
  execute: (plan, dispatch, options) => walk(plan, dispatch, options.concurrency, (position) => dispatch.runStep(position, via))
})
