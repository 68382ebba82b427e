/**
 * Executors decide where and when the steps of a plan run. The in-process
 * executor (the default) runs steps as fibers in this process with a
 * concurrency limit; another executor could hand each step (a serialisable
 * run id, asset key, partition and attempt) to workers on other machines
 * through a queue engine, without changing asset code.
 *
 * An executor receives hooks from the run: `runStep` runs one step and never
 * fails (failures are outcomes); `skipStep` records a step that cannot run
 * because an upstream failed; `afterBatch`, called after steps finish, lets
 * the run write its buffered events (the run decides whether enough time or
 * events have accumulated).
 *
 * @since 0.1.0
 */
import { Context, Effect, Fiber, Layer, Queue } from "effect"
import type { ExecutionPlan } from "./ExecutionPlan.ts"

/**
 * How a step ended. `skipped` steps (not stale) let their downstreams run;
 * `failed` steps skip their downstreams.
 *
 * @since 0.1.0
 */
export type StepOutcome = "succeeded" | "skipped" | "failed"

/**
 * What the run gives the executor.
 *
 * @since 0.1.0
 */
export interface Hooks {
  readonly runStep: (position: number) => Effect.Effect<StepOutcome>
  readonly skipStep: (position: number, failedUpstream: number) => void
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
    hooks: Hooks,
    options: { readonly concurrency: number }
  ) => Effect.Effect<void>
}

/**
 * The executor service.
 *
 * @since 0.1.0
 */
export class Executor extends Context.Service<Executor, ExecutorShape>()("@strata/core/Executor") {}

/**
 * The in-process executor: steps run as fibers of the run, at most
 * `concurrency` at a time, in topological order; a step starts as soon as its
 * upstreams are done. A failed step skips everything downstream of it while
 * independent branches go on. Interrupting the run interrupts running steps.
 *
 * @since 0.1.0
 */
export const inProcess: ExecutorShape = {
  name: "in-process",
  execute: (plan, hooks, options) =>
    Effect.suspend(() => plan.steps.length === 0 ? Effect.void : Effect.flatMap(Queue.unbounded<number>(), (ready) => {
      const steps = plan.steps
      const total = steps.length
      // `concurrency` long-lived workers take ready steps from a queue; a fiber
      // per step and a wake-up of a coordinating fiber per completion cost more
      // than a small asset's whole step
      const workerCount = Math.min(Math.max(1, options.concurrency), total)
      const waiting = new Int32Array(total)
      // 0 waiting, 1 running, 2 done, 3 skipped because an upstream failed
      const state = new Uint8Array(total)
      for (let i = 0; i < total; i++) {
        waiting[i] = steps[i]!.upstream.length
        if (waiting[i] === 0) Queue.offerUnsafe(ready, i)
      }
      let running = 0
      let finished = 0

      const skipDownstream = (failed: number) => {
        const stack = [failed]
        while (stack.length > 0) {
          const from = stack.pop()!
          for (const j of steps[from]!.downstream) {
            if (state[j] !== 0) continue
            state[j] = 3
            finished++
            hooks.skipStep(j, failed)
            stack.push(j)
          }
        }
      }

      // a negative position tells a worker to stop
      const stopWorkers = () => {
        for (let w = 0; w < workerCount; w++) Queue.offerUnsafe(ready, -1)
      }

      const complete = (position: number, outcome: StepOutcome) => {
        running--
        finished++
        state[position] = 2
        if (outcome === "failed") {
          skipDownstream(position)
        } else {
          for (const j of steps[position]!.downstream) {
            if (--waiting[j]! === 0 && state[j] === 0) Queue.offerUnsafe(ready, j)
          }
        }
        if (finished >= total || (running === 0 && Queue.sizeUnsafe(ready) === 0)) stopWorkers()
      }

      const worker: Effect.Effect<void> = Effect.flatMap(Queue.take(ready), (position) => {
        if (position < 0) return Effect.void
        if (state[position] !== 0) return worker
        state[position] = 1
        running++
        return Effect.flatMap(hooks.runStep(position), (outcome) => {
          complete(position, outcome)
          return Effect.andThen(hooks.afterBatch, worker)
        })
      })

      return Effect.flatMap(
        Effect.forEach(Array.from({ length: workerCount }), () => Effect.forkChild(worker)),
        (fibers) => Effect.asVoid(Fiber.joinAll(fibers))
      )
    }))
}

/**
 * Provides the in-process executor.
 *
 * @since 0.1.0
 */
export const layerInProcess: Layer.Layer<Executor> = Layer.succeed(Executor, inProcess)
