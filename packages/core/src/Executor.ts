/**
 * Executors decide where and when the steps of a plan run. The in-process
 * executor (the default) runs steps as fibers in this process with a
 * concurrency limit; another executor could hand each step (a serialisable
 * run id, asset key, partition and attempt) to workers on other machines
 * through a queue engine, without changing asset code.
 *
 * An executor receives hooks from the run: `runStep` runs one step and never
 * fails (failures are outcomes); `skipStep` records a step that cannot run
 * because an upstream failed; `afterBatch` flushes buffered events.
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
    Effect.gen(function*() {
      const steps = plan.steps
      const total = steps.length
      if (total === 0) return
      const concurrency = Math.max(1, options.concurrency)
      const waiting = new Int32Array(total)
      // 0 waiting, 1 running, 2 done, 3 skipped because an upstream failed
      const state = new Uint8Array(total)
      const ready = new Int32Array(total)
      let readyHead = 0
      let readyTail = 0
      for (let i = 0; i < total; i++) {
        waiting[i] = steps[i]!.upstream.length
        if (waiting[i] === 0) ready[readyTail++] = i
      }
      const completions = yield* Queue.unbounded<readonly [number, StepOutcome]>()
      const fibers = new Set<Fiber.Fiber<void>>()
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

      while (finished < total) {
        while (running < concurrency && readyHead < readyTail) {
          const position = ready[readyHead++]!
          if (state[position] !== 0) continue
          state[position] = 1
          running++
          const fiber = yield* Effect.forkChild(
            Effect.map(hooks.runStep(position), (outcome) => {
              Queue.offerUnsafe(completions, [position, outcome] as const)
            })
          )
          fibers.add(fiber)
          fiber.addObserver(() => fibers.delete(fiber))
        }
        if (running === 0) break
        const batch = yield* Queue.takeAll(completions)
        for (const [position, outcome] of batch) {
          running--
          finished++
          state[position] = 2
          if (outcome === "failed") {
            skipDownstream(position)
            continue
          }
          for (const j of steps[position]!.downstream) {
            if (--waiting[j]! === 0 && state[j] === 0) ready[readyTail++] = j
          }
        }
        yield* hooks.afterBatch
      }
    })
}

/**
 * Provides the in-process executor.
 *
 * @since 0.1.0
 */
export const layerInProcess: Layer.Layer<Executor> = Layer.succeed(Executor, inProcess)
