/**
 * Materializing: the one call that plans a selection and runs it. It is
 * `ExecutionPlan.make` (or `ExecutionPlan.fromRun` to re-execute a run)
 * followed by `RunCoordinator.execute`; callers that already hold a plan (the
 * CLI after `--dry-run`, the catalog, the daemon) call the coordinator
 * directly.
 *
 * {@link materialize} needs the project's services (`R`: resources and I/O
 * managers) and an `Instance`. {@link materializeInMemory} provides an
 * in-memory instance and in-memory I/O managers, for tests.
 *
 * @example
 * ```ts
 * import { Asset, FileSystemIO, Instance, Materialize, Project } from "@strata/core"
 * import { Effect, Layer } from "effect"
 *
 * const a = Asset.make("a", {}, () => Effect.succeed(1))
 * const project = Project.make({ assets: [a] })
 * const result = await Effect.runPromise(
 *   Materialize.materialize(project).pipe(
 *     Effect.provide(Layer.mergeAll(FileSystemIO.layer(), Instance.layerMemory))
 *   )
 * )
 * ```
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Node } from "./Asset.ts"
import * as DynamicPartitionStore from "./DynamicPartitionStore.ts"
import * as ExecutionPlan from "./ExecutionPlan.ts"
import * as InMemoryIO from "./InMemoryIO.ts"
import type { InstanceError } from "./Instance.ts"
import { Instance, makeMemory } from "./Instance.ts"
import type { IOManager } from "./IOManager.ts"
import type { InvalidPartitionKey } from "./PartitionKey.ts"
import type { Project } from "./Project.ts"
import type * as Partitions from "./Partitions.ts"
import * as RunCoordinator from "./RunCoordinator.ts"
import type { SelectionParseError, SelectionResolveError } from "./Selection.ts"
import * as Step from "./Step.ts"

/**
 * Options of {@link materialize}.
 *
 * @since 0.1.0
 */
export interface Options extends RunCoordinator.Options {
  /** What to materialize, in the selection syntax. Default `*`. */
  readonly selection?: string | undefined
  /** Only materialize assets that are stale or missing; record a skip with the reason for the others. */
  readonly staleOnly?: boolean | undefined
  /** The partitions to materialize: a key, or a selection `A...B,C` (required when a selected asset is partitioned). */
  readonly partition?: string | undefined
  /** The instant partitions are resolved at (default: now): time windows exist once they are over. */
  readonly now?: number | undefined
  /** Keys of dynamic partitions by name, by ordinal. */
  readonly dynamicKeys?: Readonly<Record<string, ReadonlyArray<string | null>>> | undefined
  /** Observe the sources read by the selected assets first. Default true. */
  readonly observeSources?: boolean | undefined
  /** The selected assets' checks: after their asset (`with`, the default), alone (`only`), or not at all (`none`). */
  readonly checks?: ExecutionPlan.Options["checks"]
  /** Re-execute an earlier run: everything (`all`) or only what is not done (`failure`, the default). */
  readonly reexecute?: { readonly runId: string; readonly from?: ExecutionPlan.ReexecuteFrom | undefined } | undefined
}

/**
 * What a run did.
 *
 * @since 0.1.0
 */
export type RunResult = RunCoordinator.RunResult

/**
 * A run cannot be re-executed.
 *
 * @since 0.1.0
 */
export const ReexecutionError = ExecutionPlan.ReexecutionError

/**
 * A run cannot be re-executed.
 *
 * @since 0.1.0
 */
export type ReexecutionError = ExecutionPlan.ReexecutionError

/**
 * Errors that stop a run from being planned or recorded (a failing asset is
 * not one: it is reported in {@link RunResult}).
 *
 * @since 0.1.0
 */
export type MaterializeError =
  | SelectionParseError
  | SelectionResolveError
  | InvalidPartitionKey
  | InstanceError
  | ReexecutionError
  | Partitions.InvalidPartitionKey

/**
 * The step being computed by the current fiber, for log capture.
 *
 * @since 0.1.0
 */
export const CurrentStep = Step.CurrentStep

/**
 * The plan {@link materialize} runs for these options: `ExecutionPlan.make`,
 * or `ExecutionPlan.fromRun` for a re-execution.
 *
 * @since 0.1.0
 */
export const plan = (
  project: Project<unknown>,
  options?: Options
): Effect.Effect<ExecutionPlan.ExecutionPlan, MaterializeError, Instance> => {
  const reexecute = options?.reexecute
  if (reexecute === undefined) {
    return Effect.gen(function*() {
      // dynamic partition keys come from the instance unless given
      const dynamicKeys = options?.dynamicKeys ?? (yield* DynamicPartitionStore.keysFor(project, yield* Instance))
      const plan = yield* ExecutionPlan.make(project, {
        selection: options?.selection,
        partition: options?.partition,
        now: options?.now,
        dynamicKeys,
        observeSources: options?.observeSources,
        staleOnly: options?.staleOnly,
        checks: options?.checks
      })
      return yield* ExecutionPlan.narrowToStale(project, plan)
    })
  }
  return Effect.gen(function*() {
    const instance = yield* Instance
    const parent = yield* instance.getRun(reexecute.runId)
    const events = parent === undefined ? [] : yield* instance.runEvents(reexecute.runId)
    const plan = yield* ExecutionPlan.fromRun(project, parent, events, reexecute.from ?? "failure", reexecute.runId)
    return options?.staleOnly === true ? { ...plan, staleOnly: true } : plan
  })
}

/**
 * Materializes a selection of a project (everything by default) and records
 * the run in the instance: {@link plan}, then `RunCoordinator.execute`.
 * Succeeds with the {@link RunResult} even when assets fail; fails only when
 * the run cannot be planned or recorded. Interrupting the effect cancels the
 * run; so does a cancel request recorded in the instance by any process
 * (`Instance.requestCancel`, the catalog's Cancel button, `strata runs
 * cancel`): it is seen within about 400 ms, and the effect then succeeds with
 * a `canceled` result whose reason is the request's.
 *
 * @since 0.1.0
 */
export const materialize = <R>(
  project: Project<R>,
  options?: Options
): Effect.Effect<RunResult, MaterializeError, R | Instance> =>
  Effect.flatMap(plan(project as Project<unknown>, options), (planned) => RunCoordinator.execute(project, planned, options))

/**
 * The I/O manager keys among a project's requirements.
 *
 * @since 0.1.0
 */
export type IOManagerKeys<R> = R extends { readonly Service: IOManager<any> } ? R : never

/**
 * The result of {@link materializeInMemory}: the run and the values computed.
 *
 * @since 0.1.0
 */
export interface InMemoryResult extends RunResult {
  /** The value an asset produced in this run (`undefined` if it did not). */
  readonly value: <A>(asset: Node<A, unknown>) => A | undefined
}

/**
 * Materializes with an in-memory instance and in-memory I/O managers in
 * place of every I/O manager the project names. Only the project's other
 * services (resources) remain to be provided.
 *
 * @example
 * ```ts
 * import { Asset, Materialize, Project } from "@strata/core"
 * import { Effect } from "effect"
 *
 * const a = Asset.make("a", {}, () => Effect.succeed(2))
 * const b = Asset.make("b", { deps: { a } }, ({ a }) => Effect.succeed(a * 10))
 * const result = await Effect.runPromise(Materialize.materializeInMemory(Project.make({ assets: [a, b] })))
 * result.value(b) // 20
 * ```
 * @since 0.1.0
 */
export const materializeInMemory = <R>(
  project: Project<R>,
  options?: Options
): Effect.Effect<InMemoryResult, MaterializeError, Exclude<R, IOManagerKeys<R> | Instance>> =>
  Effect.suspend(() => {
    const managers = new Map<string, InMemoryIO.InMemoryIO<unknown>>()
    let program: Effect.Effect<RunResult, MaterializeError, unknown> = materialize(project, options)
    for (const node of project.graph.nodes) {
      if (node.kind !== "asset" || node.io === undefined || managers.has(node.io.key)) continue
      const manager = InMemoryIO.make()
      managers.set(node.io.key, manager)
      program = Effect.provideService(program, node.io, manager)
    }
    program = Effect.provideService(program, Instance, makeMemory())
    return Effect.map(program, (result): InMemoryResult => ({
      ...result,
      value: <A>(asset: Node<A, unknown>) => {
        const node = project.get(asset.key)
        if (node === undefined || node.io === undefined) return undefined
        return managers.get(node.io.key)?.get(asset.key, options?.partition) as A | undefined
      }
    }))
  }) as Effect.Effect<InMemoryResult, MaterializeError, Exclude<R, IOManagerKeys<R> | Instance>>
