/**
 * Materializing: plan a selection, record a run, execute its steps, record
 * every state change as events in the instance.
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
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { formatWithOptions } from "node:util"
import { Cause, Clock, Context, Effect, Exit, Fiber, Logger, Option, Schema, Semaphore } from "effect"
import type { AnyNode, Any as AnyAsset, AssetContext, Node } from "./Asset.ts"
import type { AssetKey } from "./AssetKey.ts"
import type { ErrorInfo, LogLevel, SkipKind, StrataEvent } from "./Event.ts"
import { errorInfo } from "./Event.ts"
import * as ExecutionPlan from "./ExecutionPlan.ts"
import type { Hooks, StepOutcome } from "./Executor.ts"
import { Executor, inProcess } from "./Executor.ts"
import * as InMemoryIO from "./InMemoryIO.ts"
import type { AssetRecord, InstanceError } from "./Instance.ts"
import { Instance, makeMemory } from "./Instance.ts"
import type { IOManager, StoreResult } from "./IOManager.ts"
import * as Metadata from "./Metadata.ts"
import * as Output from "./Output.ts"
import type { Project } from "./Project.ts"
import * as RetryPolicy from "./RetryPolicy.ts"
import type { SelectionParseError, SelectionResolveError } from "./Selection.ts"
import type { Any as AnySource } from "./SourceAsset.ts"
import * as Staleness from "./Staleness.ts"
import * as Version from "./Version.ts"

/**
 * Options of {@link materialize}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** What to materialize, in the selection syntax. Default `*`. */
  readonly selection?: string | undefined
  /** Only materialize assets that are stale or missing; record a skip with the reason for the others. */
  readonly staleOnly?: boolean | undefined
  /** Steps running at once. Default 4. */
  readonly concurrency?: number | undefined
  readonly partition?: string | undefined
  readonly tags?: Readonly<Record<string, string>> | undefined
  /** Use this run id instead of a random one. */
  readonly runId?: string | undefined
  /** Observe the sources read by the selected assets first. Default true. */
  readonly observeSources?: boolean | undefined
  /** Called synchronously for every event, before it is written: for live progress. */
  readonly onEvent?: ((event: StrataEvent) => void) | undefined
  /** Re-execute an earlier run: everything (`all`) or only what did not succeed (`failure`, the default). */
  readonly reexecute?: { readonly runId: string; readonly from?: "failure" | "all" | undefined } | undefined
}

/**
 * What a run did.
 *
 * @since 0.1.0
 */
export interface RunResult {
  readonly runId: string
  readonly status: "succeeded" | "failed" | "canceled"
  readonly materialized: ReadonlyArray<AssetKey>
  readonly observed: ReadonlyArray<AssetKey>
  readonly skipped: ReadonlyArray<{ readonly key: AssetKey; readonly kind: SkipKind; readonly reason: string }>
  readonly failed: ReadonlyArray<{ readonly key: AssetKey; readonly error: ErrorInfo }>
  readonly durationMs: number
  /** Why the run failed or was canceled (as recorded on the run); absent when it succeeded. */
  readonly reason?: string | undefined
}

/**
 * A run cannot be re-executed.
 *
 * @since 0.1.0
 */
export class ReexecutionError extends Schema.TaggedError<ReexecutionError>()("@strata/core/ReexecutionError", {
  runId: Schema.String,
  message: Schema.String
}) {}

/**
 * Errors that stop a run from being planned or recorded (a failing asset is
 * not one: it is reported in {@link RunResult}).
 *
 * @since 0.1.0
 */
export type MaterializeError = SelectionParseError | SelectionResolveError | InstanceError | ReexecutionError

/**
 * The asset being computed by the current fiber, for log capture.
 *
 * @since 0.1.0
 */
export const CurrentStep = Context.Reference<{ readonly key: string; readonly partition: string | undefined } | undefined>(
  "@strata/core/CurrentStep",
  { defaultValue: () => undefined }
)

class StepFailure extends Schema.TaggedError<StepFailure>()("@strata/core/StepFailure", {
  key: Schema.String,
  message: Schema.String,
  isRetryable: Schema.Boolean
}) {}

const logLevels: Record<string, LogLevel> = {
  Trace: "trace",
  Debug: "debug",
  Info: "info",
  Warn: "warn",
  Error: "error",
  Fatal: "fatal"
}

const formatLog = (message: unknown, cause: Cause.Cause<unknown>): string => {
  const parts = Array.isArray(message) ? message : [message]
  let text = parts.map((part) => typeof part === "string" ? part : formatWithOptions({ depth: 4, breakLength: Infinity }, "%O", part)).join(" ")
  if (cause.reasons.length > 0) text += `\n${Cause.pretty(cause)}`
  return text
}

// see the comment on the event buffer in `materialize`
const flushIntervalMs = 25
const flushEvents = 2048
// the ticker runs every 200 ms; a cancel request is looked for every other tick
const cancelPollTicks = 2

const causeError = (cause: Cause.Cause<unknown>): unknown => Cause.squash(cause)

interface Reexecution {
  readonly selection: string
  readonly partition: string | undefined
  readonly only: ReadonlySet<string> | undefined
}

const planReexecution = (
  runId: string,
  from: "failure" | "all"
): Effect.Effect<Reexecution, InstanceError | ReexecutionError, Instance> =>
  Effect.gen(function*() {
    const instance = yield* Instance
    const parent = yield* instance.getRun(runId)
    if (parent === undefined) {
      return yield* new ReexecutionError({ runId, message: `run ${runId} does not exist; list runs with 'strata runs'` })
    }
    if (parent.status === "queued" || parent.status === "started") {
      return yield* new ReexecutionError({ runId, message: `run ${runId} is still ${parent.status}; wait for it to finish or cancel it` })
    }
    if (from === "all") return { selection: parent.selection, partition: parent.partition, only: new Set(parent.assetKeys) }
    const done = new Set<string>()
    for (const event of yield* instance.runEvents(runId)) {
      if (event.type === "asset-materialized") done.add(event.assetKey)
    }
    const only = new Set(parent.assetKeys.filter((key) => !done.has(key)))
    if (only.size === 0) {
      return yield* new ReexecutionError({ runId, message: `run ${runId} has no failed or skipped step to re-execute` })
    }
    return { selection: parent.selection, partition: parent.partition, only }
  })

/**
 * Materializes a selection of a project (everything by default) and records
 * the run in the instance. Succeeds with the {@link RunResult} even when
 * assets fail; fails only when the run cannot be planned or recorded.
 * Interrupting the effect cancels the run: running steps are interrupted and
 * the run is recorded as canceled. So does a cancel request recorded in the
 * instance by any process (`Instance.requestCancel`, the catalog's Cancel
 * button, `strata runs cancel`): it is seen within about 400 ms, and the
 * effect then succeeds with a `canceled` result whose reason is the request's.
 *
 * @since 0.1.0
 */
export const materialize = <R>(
  project: Project<R>,
  options?: Options
): Effect.Effect<RunResult, MaterializeError, R | Instance> =>
  Effect.gen(function*() {
    const instance = yield* Instance
    const clock = yield* Clock.Clock
    const services = yield* Effect.context<never>()
    const executor = Option.getOrElse(yield* Effect.serviceOption(Executor), () => inProcess)
    const graph = project.graph
    const now = () => clock.currentTimeMillisUnsafe()

    let selection = options?.selection ?? "*"
    let partition = options?.partition
    let only: ReadonlySet<string> | undefined
    if (options?.reexecute !== undefined) {
      const plan = yield* planReexecution(options.reexecute.runId, options.reexecute.from ?? "failure")
      selection = plan.selection
      partition = plan.partition
      only = plan.only
    }
    const plan = yield* ExecutionPlan.make(project, {
      selection,
      partition,
      observeSources: options?.observeSources,
      only
    })
    const steps = plan.steps
    const runId = options?.runId ?? randomUUID()
    const staleOnly = options?.staleOnly ?? false
    const startedAt = now()
    yield* instance.createRun({
      runId,
      selection,
      assetKeys: steps.map((step) => step.key),
      partition,
      staleOnly,
      parentRunId: options?.reexecute?.runId,
      tags: options?.tags ?? {},
      createdAt: startedAt,
      host: hostname(),
      pid: process.pid
    })

    // What the run reads from the asset index: the current versions of the
    // upstreams it does not rebuild itself. A planned upstream's version is set
    // by this run before any downstream reads it (a downstream runs only after
    // its upstreams succeeded), so only `staleOnly` runs, which compare planned
    // assets with their previous materializations, read the planned ones too.
    // Reading all of them made re-running a 10k-asset project decode 10k records.
    const graphIndex = new Int32Array(steps.length)
    const planned = new Uint8Array(graph.nodes.length)
    for (let p = 0; p < steps.length; p++) {
      const i = graph.index.get(steps[p]!.key)!
      graphIndex[p] = i
      planned[i] = 1
    }
    const wanted = new Set<string>()
    for (let p = 0; p < steps.length; p++) {
      if (staleOnly) wanted.add(steps[p]!.key)
      for (const j of graph.upstream[graphIndex[p]!]!) {
        if (staleOnly || planned[j] === 0) wanted.add(graph.nodes[j]!.key)
      }
    }
    const records: ReadonlyMap<string, AssetRecord> = wanted.size === 0 ? new Map() : yield* instance.assets([...wanted])
    const versions = new Map<string, string>()
    for (const [key, record] of records) {
      const version = Staleness.currentVersion(record)
      if (version !== undefined) versions.set(key, version)
    }

    // Events are buffered and written in batches: after a batch of finished steps
    // when `flushIntervalMs` (real time) has passed since the last write or
    // `flushEvents` are waiting, every 200 ms, and at the end. Writing after every
    // finished step made a run of 10k small assets 10k instance transactions.
    let buffer: Array<StrataEvent> = []
    let lastFlush = performance.now()
    const onEvent = options?.onEvent
    const emit = (event: StrataEvent) => {
      buffer.push(event)
      if (onEvent !== undefined) onEvent(event)
    }
    const writeLock = yield* Semaphore.make(1)
    let fatal: InstanceError | undefined
    const flush = writeLock.withPermits(1)(Effect.suspend(() => {
      if (buffer.length === 0) return Effect.void
      const batch = buffer
      buffer = []
      lastFlush = performance.now()
      return instance.appendEvents(batch)
    }))
    const flushSafely = flush.pipe(Effect.catch((error) => Effect.sync(() => {
      fatal ??= error
    })))
    const flushIfDue = Effect.suspend(() =>
      buffer.length >= flushEvents || performance.now() - lastFlush >= flushIntervalMs ? flushSafely : Effect.void
    )

    const materialized: Array<AssetKey> = []
    const observed: Array<AssetKey> = []
    const skipped: Array<{ key: AssetKey; kind: SkipKind; reason: string }> = []
    const failed: Array<{ key: AssetKey; error: ErrorInfo }> = []
    // 0 pending, 1 running, 2 finished
    const stepState = new Uint8Array(steps.length)

    const upstreamKeysOf = (p: number): ReadonlyArray<string> =>
      graph.upstream[graphIndex[p]!]!.map((j) => graph.nodes[j]!.key)

    const failStep = (key: AssetKey, attempt: number, started: number, error: unknown, willRetry: boolean) => {
      const info = errorInfo(error)
      emit({
        type: "step-failed",
        runId,
        timestamp: now(),
        assetKey: key,
        partition,
        attempt,
        durationMs: now() - started,
        error: info,
        willRetry
      })
      if (!willRetry) failed.push({ key, error: info })
    }

    const observeStep = (source: AnySource): Effect.Effect<StepOutcome> =>
      Effect.gen(function*() {
        const started = now()
        emit({ type: "step-started", runId, timestamp: started, assetKey: source.key, partition, attempt: 1 })
        const exit = yield* Effect.exit(
          source.observe as Effect.Effect<{ dataVersion: string; metadata?: Metadata.Metadata | undefined }, unknown>
        )
        if (Exit.isFailure(exit)) {
          if (Cause.hasInterruptsOnly(exit.cause)) return yield* Effect.interrupt
          failStep(source.key, 1, started, causeError(exit.cause), false)
          return "failed" as const
        }
        const observation = exit.value
        versions.set(source.key, observation.dataVersion)
        const at = now()
        emit({
          type: "asset-observed",
          runId,
          timestamp: at,
          assetKey: source.key,
          partition,
          dataVersion: observation.dataVersion,
          metadata: observation.metadata ?? Metadata.empty
        })
        emit({ type: "step-succeeded", runId, timestamp: at, assetKey: source.key, partition, attempt: 1, durationMs: at - started })
        observed.push(source.key)
        return "succeeded" as const
      })

    const loadInput = (dep: AnyNode, downstream: AssetKey): Effect.Effect<unknown, unknown> => {
      if (dep.kind === "source") {
        const load = (dep as AnySource).load!
        return load({ key: dep.key, partition, downstream }) as Effect.Effect<unknown, unknown>
      }
      const io = Context.getUnsafe(services, (dep as AnyAsset).io) as IOManager<unknown>
      return io.load({ key: dep.key, partition, downstream, definitionMetadata: dep.spec.metadata })
    }

    // The per-step path below is built from Effect combinators rather than
    // Effect.gen: a generator per step (and per attempt) cost several µs each,
    // which on small assets was most of the orchestration overhead.

    const loadInputs = (
      asset: AnyAsset,
      names: ReadonlyArray<string>,
      inputs: Record<string, unknown>,
      k: number
    ): Effect.Effect<void, unknown> => {
      if (k === names.length) return Effect.void
      const name = names[k]!
      return Effect.flatMap(loadInput(asset.deps[name]!, asset.key), (value) => {
        inputs[name] = value
        return loadInputs(asset, names, inputs, k + 1)
      })
    }

    const storeOutput = (asset: AnyAsset, result: unknown) => {
      const output = Output.isOutput(result) ? result : undefined
      const io = Context.getUnsafe(services, asset.io) as IOManager<unknown>
      return Effect.map(
        Metadata.limitStore(
          { key: asset.key, partition },
          output?.metadata,
          io.store(
            { key: asset.key, partition, runId, definitionMetadata: asset.spec.metadata },
            output === undefined ? result : output.value
          )
        ),
        (stored: StoreResult) => ({
          metadata: Metadata.merge(stored.metadata, output?.metadata),
          dataVersion: output?.dataVersion ?? stored.dataVersion ??
            Version.hash(`${runId}\u0000${asset.key}\u0000${partition ?? ""}`)
        })
      )
    }

    const attemptOnce = (asset: AnyAsset, context: AssetContext) =>
      Effect.suspend(() => {
        const inputs: Record<string, unknown> = {}
        return Effect.flatMap(
          loadInputs(asset, Object.keys(asset.deps), inputs, 0),
          () =>
            Effect.flatMap(
              asset.compute(inputs, context) as Effect.Effect<unknown, unknown>,
              (result) => storeOutput(asset, result)
            )
        )
      })

    const succeeded = Effect.succeed("succeeded" as const)
    const failedOutcome = Effect.succeed("failed" as const)

    const attemptStep = (
      asset: AnyAsset,
      upstreamKeys: ReadonlyArray<string>,
      attempt: number
    ): Effect.Effect<StepOutcome> =>
      Effect.suspend(() => {
        const started = now()
        emit({ type: "step-started", runId, timestamp: started, assetKey: asset.key, partition, attempt })
        const missing = upstreamKeys.find((key) => !versions.has(key))
        if (missing !== undefined) {
          const kind = graph.nodes[graph.index.get(missing)!]!.kind
          failStep(asset.key, attempt, started, new StepFailure({
            key: asset.key,
            message: kind === "source"
              ? `upstream source ${missing} has never been observed; include it in the run (observeSources) or observe it first`
              : `upstream ${missing} has never been materialized; select it too (--select +${asset.key}) or materialize it first`,
            isRetryable: false
          }), false)
          return failedOutcome
        }
        return Effect.matchCauseEffect(attemptOnce(asset, { key: asset.key, partition, runId, attempt }), {
          onSuccess: (value): Effect.Effect<StepOutcome> => {
            const at = now()
            const inputVersions: Record<string, string> = {}
            for (const key of upstreamKeys) inputVersions[key] = versions.get(key)!
            versions.set(asset.key, value.dataVersion)
            emit({
              type: "asset-materialized",
              runId,
              timestamp: at,
              assetKey: asset.key,
              partition,
              metadata: value.metadata,
              dataVersion: value.dataVersion,
              codeVersion: Version.ofAsset(asset),
              inputVersions
            })
            emit({ type: "step-succeeded", runId, timestamp: at, assetKey: asset.key, partition, attempt, durationMs: at - started })
            materialized.push(asset.key)
            return succeeded
          },
          onFailure: (cause): Effect.Effect<StepOutcome> => {
            if (Cause.hasInterruptsOnly(cause)) return Effect.interrupt
            const policy = asset.spec.retry
            const error = causeError(cause)
            const willRetry = policy !== undefined && attempt <= policy.maxRetries && RetryPolicy.isRetryable(error)
            failStep(asset.key, attempt, started, error, willRetry)
            if (!willRetry) return failedOutcome
            let delay = RetryPolicy.delayMs(policy, attempt)
            if (policy.jitter) delay *= 0.5 + Math.random()
            const next = attemptStep(asset, upstreamKeys, attempt + 1)
            return delay > 0 ? Effect.andThen(Effect.sleep(delay), next) : next
          }
        })
      })

    const materializeStep = (asset: AnyAsset, p: number): Effect.Effect<StepOutcome> =>
      Effect.suspend(() => {
        const upstreamKeys = upstreamKeysOf(p)
        if (staleOnly) {
          const reasons = Staleness.localReasons(asset, upstreamKeys, records.get(asset.key), (key) => versions.get(key))
          if (reasons.length === 0) {
            const latest = records.get(asset.key)!.materialization!
            const reason = `up to date: code and inputs unchanged since run ${latest.runId}`
            emit({ type: "step-skipped", runId, timestamp: now(), assetKey: asset.key, partition, kind: "not-stale", reason })
            skipped.push({ key: asset.key, kind: "not-stale", reason })
            return Effect.succeed("skipped" as const)
          }
        }
        return attemptStep(asset, upstreamKeys, 1)
      })

    const hooks: Hooks = {
      runStep: (p) =>
        Effect.suspend(() => {
          if (fatal !== undefined) return Effect.succeed("failed" as const)
          stepState[p] = 1
          const step = steps[p]!
          const node = graph.nodes[graphIndex[p]!]!
          const run = step.kind === "observe" ? observeStep(node as AnySource) : materializeStep(node as AnyAsset, p)
          return Effect.map(Effect.provideService(run, CurrentStep, { key: node.key, partition }), (outcome) => {
            stepState[p] = 2
            return outcome
          })
        }),
      skipStep: (p, because) => {
        stepState[p] = 2
        const key = steps[p]!.key
        const reason = `upstream ${steps[because]!.key} failed`
        emit({ type: "step-skipped", runId, timestamp: now(), assetKey: key, partition, kind: "upstream-failed", reason })
        skipped.push({ key, kind: "upstream-failed", reason })
      },
      afterBatch: flushIfDue
    }

    const stepLogger = Logger.make((entry) => {
      const level = logLevels[entry.logLevel]
      if (level === undefined) return
      const step = entry.fiber.getRef(CurrentStep)
      emit({
        type: "log",
        runId,
        timestamp: entry.date.getTime(),
        assetKey: step?.key,
        partition: step?.partition,
        level,
        message: formatLog(entry.message, entry.cause)
      })
    })

    const finish = (status: RunResult["status"], reason: string | undefined): RunResult => {
      const endedAt = now()
      if (status === "succeeded") emit({ type: "run-succeeded", runId, timestamp: endedAt })
      else if (status === "failed") emit({ type: "run-failed", runId, timestamp: endedAt, reason: reason! })
      else emit({ type: "run-canceled", runId, timestamp: endedAt, reason: reason! })
      const durationMs = endedAt - startedAt
      return reason === undefined
        ? { runId, status, materialized, observed, skipped, failed, durationMs }
        : { runId, status, materialized, observed, skipped, failed, durationMs, reason }
    }

    // set when another process (or this one, through the instance) asked to cancel the run
    let cancelReason: string | undefined
    let canceled: RunResult | undefined
    // the reason of a cancel request recorded before the interruption (the catalog records one for the
    // runs it executes itself), read only when the run is canceled
    const requestedReason = Effect.suspend(() =>
      cancelReason !== undefined
        ? Effect.succeed(cancelReason)
        : instance.cancelRequest(runId).pipe(Effect.map((request) => request?.reason), Effect.orElseSucceed(() => undefined))
    )
    const onCancel = Effect.flatMap(requestedReason, (requested) => {
      const at = now()
      for (let p = 0; p < steps.length; p++) {
        const key = steps[p]!.key
        if (stepState[p] === 1) {
          const info: ErrorInfo = { tag: "Interrupted", message: "the run was canceled while this step was running" }
          emit({ type: "step-failed", runId, timestamp: at, assetKey: key, partition, attempt: 1, durationMs: 0, error: info, willRetry: false })
          failed.push({ key, error: info })
        } else if (stepState[p] === 0) {
          const reason = "the run was canceled before this step started"
          emit({ type: "step-skipped", runId, timestamp: at, assetKey: key, partition, kind: "canceled", reason })
          skipped.push({ key, kind: "canceled", reason })
        }
      }
      canceled = finish("canceled", requested ?? "the run was canceled")
      return flush
    }).pipe(Effect.ignore)

    emit({ type: "run-started", runId, timestamp: startedAt })
    yield* flush
    // The steps run in their own fiber so that a cancel request seen by the
    // ticker can interrupt them the way interrupting `materialize` does, and
    // the run then ends with a `canceled` result instead of an interruption.
    const execution = yield* Effect.forkChild(
      executor.execute(plan, hooks, { concurrency: options?.concurrency ?? 4 }).pipe(
        Effect.updateService(Logger.CurrentLoggers, (loggers) => new Set([...loggers, stepLogger])),
        Effect.onInterrupt(() => onCancel)
      )
    )
    // Every 200 ms: write what is buffered; every 400 ms: look for a cancel
    // request (one indexed read; a run shorter than that never polls);
    // every 10 s: heartbeat.
    const ticker = yield* Effect.forkChild(
      Effect.gen(function*() {
        for (let tick = 1;; tick++) {
          yield* Effect.sleep(200)
          yield* flushSafely
          if (tick % 50 === 0) yield* instance.heartbeat(runId, now()).pipe(Effect.ignore)
          if (tick % cancelPollTicks === 0) {
            const request = yield* instance.cancelRequest(runId).pipe(Effect.orElseSucceed(() => undefined))
            if (request !== undefined) {
              cancelReason = request.reason ?? `cancel requested at ${new Date(request.at).toISOString()}`
              yield* Fiber.interrupt(execution)
              return
            }
          }
        }
      })
    )
    // interrupting `materialize` (Ctrl-C, a server stopping) interrupts the
    // steps and waits for the run to be recorded as canceled
    const exit = yield* Fiber.await(execution).pipe(Effect.onInterrupt(() => Fiber.interrupt(execution)))
    yield* Fiber.interrupt(ticker)
    if (fatal !== undefined) return yield* Effect.fail(fatal)
    if (Exit.isFailure(exit)) {
      if (canceled !== undefined && Cause.hasInterruptsOnly(exit.cause)) return canceled
      return yield* Effect.failCause(exit.cause)
    }
    const result = failed.length > 0
      ? finish("failed", `${failed.length} step${failed.length === 1 ? "" : "s"} failed: ${failed.map((f) => f.key).join(", ")}`)
      : finish("succeeded", undefined)
    yield* flush
    return result
  }) as Effect.Effect<RunResult, MaterializeError, R | Instance>

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
