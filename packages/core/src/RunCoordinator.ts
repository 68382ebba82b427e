/**
 * The run coordinator: runs a ready-made {@link ExecutionPlan} and records it.
 * It creates the run in the instance, hands the plan to the `Executor` (in
 * process by default) with a dispatch that turns each ready step into
 * {@link StepRequest}s (one per attempt, retried by the asset's policy),
 * skips what is up to date in `staleOnly` plans, buffers and writes events,
 * heartbeats, follows cancel requests, and finishes the run. Observation runs
 * take the same path.
 *
 * The run's state is a value, {@link ActiveRun}: the plan, the event buffer,
 * the versions it knows, the tally of what happened, and the other runs it
 * must not overtake on a shared asset. Every event goes through
 * `ActiveRun.emit`, which feeds all of them.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import type { Context } from "effect"
import { Cause, Clock, Effect, Exit, Fiber, Logger, Option } from "effect"
import type { Any as AnyAsset } from "./Asset.ts"
import * as AssetGraph from "./AssetGraph.ts"
import type { AssetKey } from "./AssetKey.ts"
import type { ErrorInfo, SkipKind, StrataEvent } from "./Event.ts"
import type { ExecutionPlan, PlanStep } from "./ExecutionPlan.ts"
import type { Dispatch, RemoteStep, StepOutcome } from "./Executor.ts"
import { Executor, inProcess } from "./Executor.ts"
import type { InstanceShape, NewRun } from "./Instance.ts"
import { Instance, InstanceError } from "./Instance.ts"
import { SharedLoads } from "./internal/checks/sharedLoads.ts"
import { EventBuffer } from "./internal/run/eventBuffer.ts"
import { RunTally } from "./internal/run/runTally.ts"
import { VersionBook } from "./internal/run/versionBook.ts"
import { WriteOrder } from "./internal/run/writeOrder.ts"
import * as Partitions from "./Partitions.ts"
import * as Pool from "./Pool.ts"
import type { Project } from "./Project.ts"
import * as RetryPolicy from "./RetryPolicy.ts"
import * as Staleness from "./Staleness.ts"
import * as Version from "./Version.ts"
import * as Step from "./Step.ts"
import type { StepRequest, StepResult } from "./StepRequest.ts"

/**
 * Options of {@link execute}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** Steps running at once. Default 4. */
  readonly concurrency?: number | undefined
  readonly tags?: Readonly<Record<string, string>> | undefined
  /** Use this run id instead of a random one. */
  readonly runId?: string | undefined
  /** Called synchronously for every event, before it is written: for live progress. */
  readonly onEvent?: ((event: StrataEvent) => void) | undefined
  /**
   * The run is recorded already, `queued` in the run queue (`RunQueue`), under
   * `runId`: it is started instead of created. Fails with `InstanceError`
   * `invalid` when no such queued run exists (started by someone else, or canceled).
   */
  readonly fromQueue?: boolean | undefined
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
  /** The checks evaluated, in order (a failed `error` check fails the run and skipped its asset's downstream). */
  readonly checks: ReadonlyArray<CheckOutcome>
  readonly durationMs: number
  /** Why the run failed or was canceled (as recorded on the run); absent when it succeeded. */
  readonly reason?: string | undefined
}

/**
 * One check evaluated by a run.
 *
 * @since 0.1.0
 */
export interface CheckOutcome {
  readonly key: AssetKey
  readonly check: string
  readonly passed: boolean
  readonly severity: "warn" | "error"
  readonly message?: string | undefined
}

/**
 * A run being executed: everything the coordinator's functions share, as one value.
 *
 * @since 0.1.0
 */
export class ActiveRun {
  readonly runId: string
  readonly project: Project<unknown>
  readonly plan: ExecutionPlan
  readonly instance: InstanceShape
  readonly buffer: EventBuffer
  readonly versions: VersionBook
  readonly writeOrder: WriteOrder
  readonly now: () => number
  readonly startedAt: number
  readonly tally: RunTally
  readonly environment: Step.StepEnvironmentShape
  /** Each graph node's upstream keys (`AssetGraph.upstreamKeysOf`), looked up once per run, not per step. */
  readonly upstreamKeys: ReadonlyArray<ReadonlyArray<string>>
  /** The pool of each planned step's asset, by plan position; `undefined` when the project declares no pool. */
  readonly pools: ReadonlyArray<string | undefined> | undefined
  /** Set when another process (or this one, through the instance) asked to cancel the run. */
  cancelReason: string | undefined
  /** Set once the run ended canceled. */
  canceled: RunResult | undefined
  private readonly onEvent: ((event: StrataEvent) => void) | undefined

  constructor(
    fields: {
      readonly runId: string
      readonly project: Project<unknown>
      readonly plan: ExecutionPlan
      readonly instance: InstanceShape
      readonly buffer: EventBuffer
      readonly versions: VersionBook
      readonly writeOrder: WriteOrder
      readonly now: () => number
      readonly startedAt: number
      readonly services: Context.Context<never>
      readonly onEvent: ((event: StrataEvent) => void) | undefined
    }
  ) {
    this.runId = fields.runId
    this.project = fields.project
    this.plan = fields.plan
    this.instance = fields.instance
    this.buffer = fields.buffer
    this.versions = fields.versions
    this.writeOrder = fields.writeOrder
    this.now = fields.now
    this.startedAt = fields.startedAt
    this.onEvent = fields.onEvent
    this.tally = new RunTally(fields.plan)
    this.pools = poolsOf(fields.project, fields.plan)
    this.upstreamKeys = AssetGraph.upstreamKeysOf(fields.project.graph)
    this.environment = {
      project: fields.project,
      services: fields.services,
      // bound, not wrapped: one function less on every event's path
      emit: this.emit.bind(this),
      now: fields.now,
      checkLoads: new SharedLoads()
    }
  }

  /** Buffers an event for the instance and learns from it. */
  emit(event: StrataEvent): void {
    this.buffer.push(event)
    this.learn(event)
  }

  /** Learns from an event without writing it (a step in another process wrote it). */
  learn(event: StrataEvent): void {
    // only materializations and observations carry versions: no call for the other events
    if (event.type === "asset-materialized" || event.type === "asset-observed") this.versions.record(event)
    this.tally.record(event)
    if (this.onEvent !== undefined) this.onEvent(event)
  }
}

/** The pool each step's asset names, read once per run (`Project.make` checked that each is declared). */
const poolsOf = (project: Project<unknown>, plan: ExecutionPlan): ReadonlyArray<string | undefined> | undefined => {
  const declared = project.automation.runQueue?.pools
  if (declared === undefined || Object.keys(declared).length === 0) return undefined
  return plan.steps.map((step) => {
    const node = project.get(step.key)
    return node === undefined ? undefined : Pool.poolOf(node.spec.tags)
  })
}

/**
 * Runs a plan and records it in the instance. Succeeds with the
 * {@link RunResult} even when steps fail; fails only when the run cannot be
 * recorded. Interrupting the effect cancels the run: running steps are
 * interrupted and the run is recorded as canceled. So does a cancel request
 * recorded in the instance by any process (`Instance.requestCancel`): it is
 * seen within about 400 ms, and the effect then succeeds with a `canceled`
 * result whose reason is the request's.
 *
 * @since 0.1.0
 */
export const execute = <R>(
  project: Project<R>,
  plan: ExecutionPlan,
  options?: Options
): Effect.Effect<RunResult, InstanceError, R | Instance> =>
  // Recording the run and forking its steps is not interrupted half-way: an interruption that comes meanwhile
  // is seen once the steps run, and ends the run `canceled` like any other (a run must never stay `queued`).
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const run = yield* start(project as Project<unknown>, plan, options)
      const executor = Option.getOrElse(yield* Effect.serviceOption(Executor), () => inProcess)
      const logs = Step.logCapture((event) => run.emit(event), run.runId)
      // the steps run in their own fiber so that a cancel request seen by the ticker can interrupt them the way
      // interrupting `execute` does, and the run then ends with a `canceled` result instead of an interruption
      const execution = yield* Effect.forkChild(
        restore(executor.execute(plan, dispatchOf(run), { concurrency: options?.concurrency ?? 4 })).pipe(
          Effect.updateService(Logger.CurrentLoggers, (loggers) => new Set([...loggers, logs])),
          Effect.onInterrupt(() => cancelRemaining(run))
        )
      )
      const ticker = yield* Effect.forkChild(restore(tick(run, execution)))
      // interrupting `execute` (Ctrl-C, a server stopping) interrupts the steps and waits for the run to be
      // recorded as canceled
      const exit = yield* restore(Fiber.await(execution)).pipe(
        // a step fiber interrupted before it began never ran its own handler: end the run here then
        Effect.onInterrupt(() => Effect.andThen(Fiber.interrupt(execution), Effect.suspend(() => run.canceled === undefined ? cancelRemaining(run) : Effect.void)))
      )
      yield* Fiber.interrupt(ticker)
      return yield* conclude(run, exit)
    })
  ) as Effect.Effect<RunResult, InstanceError, R | Instance>

/** Records the run, reads the versions it needs and the runs it must not overtake, and starts it. */
const start = (project: Project<unknown>, plan: ExecutionPlan, options: Options | undefined) =>
  Effect.gen(function*() {
    const instance = yield* Instance
    const clock = yield* Clock.Clock
    const services = yield* Effect.context<never>()
    const now = () => clock.currentTimeMillisUnsafe()
    const runId = options?.runId ?? randomUUID()
    const startedAt = now()
    if (options?.fromQueue === true) yield* queuedRun(instance, runId)
    else yield* instance.createRun(newRun(plan, runId, startedAt, options?.tags ?? {}))
    const versions = yield* VersionBook.read(instance, project, plan)
    const writeOrder = yield* WriteOrder.read(instance, runId, plan, options?.fromQueue === true)
    const buffer = yield* EventBuffer.make(instance)
    const run = new ActiveRun({ runId, project, plan, instance, buffer, versions, writeOrder, now, startedAt, services, onEvent: options?.onEvent })
    run.emit({ type: "run-started", runId, timestamp: startedAt })
    yield* buffer.flush
    return run
  })

/** The queued run a `fromQueue` execution starts: it must still be waiting, without a cancel request. */
const queuedRun = (instance: InstanceShape, runId: string) =>
  Effect.gen(function*() {
    const run = yield* instance.getRun(runId)
    if (run === undefined || run.status !== "queued" || run.cancelRequestedAt !== undefined) {
      return yield* new InstanceError({
        reason: "invalid",
        operation: "execute",
        message: `run ${runId} is not waiting in the run queue (${run === undefined ? "unknown" : run.cancelRequestedAt !== undefined ? "cancel requested" : run.status})`
      })
    }
    return run
  })

/**
 * The run record of a plan: the plan's steps in order and its options are
 * stored with the run.
 *
 * @since 0.1.0
 */
export const newRun = (
  plan: ExecutionPlan,
  runId: string,
  createdAt: number,
  tags: Readonly<Record<string, string>>
): NewRun => ({
  runId,
  selection: plan.selection,
  assetKeys: assetKeysOf(plan),
  partition: plan.partition,
  staleOnly: plan.staleOnly,
  parentRunId: plan.parentRunId,
  tags,
  createdAt,
  host: hostname(),
  pid: process.pid
})

/** The assets a plan's steps are about, in plan order, once each (a check step names its asset). */
const assetKeysOf = (plan: ExecutionPlan): Array<string> => {
  if (!plan.steps.some((step) => step.stepKind === "check")) return plan.steps.map((step) => step.key)
  return [...new Set(plan.steps.map((step) => step.key))]
}

const failedOutcome = Effect.succeed("failed" as const)
const skippedOutcome = Effect.succeed("skipped" as const)
const succeededOutcome = Effect.succeed("succeeded" as const)
const noPartitions: ReadonlyArray<string> = []

const dispatchOf = (run: ActiveRun): Dispatch => ({
  runStep: (position, via) =>
    Effect.suspend(() => {
      if (run.buffer.fatal !== undefined) return failedOutcome
      run.tally.started(position)
      return Effect.map(runStep(run, position, via), (outcome) => {
        run.tally.ended(position)
        return outcome
      })
    }),
  skipStep: (position, failedUpstream) => {
    run.tally.ended(position)
    const step = run.plan.steps[position]!
    if (step.stepKind === "check") return // a check of an asset that did not materialize records nothing
    const failed = run.plan.steps[failedUpstream]!
    const reason = failed.stepKind === "check"
      ? `blocking check ${failed.check} of ${failed.key} failed`
      : `upstream ${failed.key} failed`
    skip(run, step.key, "upstream-failed", reason)
  },
  afterBatch: run.buffer.flushIfDue
})

const skip = (run: ActiveRun, key: AssetKey, kind: SkipKind, reason: string) =>
  run.emit({ type: "step-skipped", runId: run.runId, timestamp: run.now(), assetKey: key, partition: run.plan.partition, kind, reason })

/** A step to its end: skipped when up to date, else its attempts once earlier runs are done with its asset. */
const runStep = (run: ActiveRun, position: number, via: RemoteStep | undefined): Effect.Effect<StepOutcome> => {
  const step = run.plan.steps[position]!
  if (step.stepKind === "check") return runCheck(run, step, via)
  const graph = run.project.graph
  const index = graph.index.get(step.key)!
  const upstreamKeys = run.upstreamKeys[index]!
  if (step.stepKind === "materialize" && run.plan.staleOnly) {
    // a partitioned step of a stale-only plan holds only its stale partitions (ExecutionPlan.narrowToStale)
    const reason = step.partitions !== undefined
      ? step.partitions.length === 0 ? "up to date: no partition is stale or missing" : undefined
      : upToDate(run, graph.nodes[index] as AnyAsset, upstreamKeys)
    if (reason !== undefined) {
      skip(run, step.key, "not-stale", reason)
      return skippedOutcome
    }
  }
  const pool = run.pools?.[position]
  if (pool !== undefined) return pooled(run, step, pool, attempt(run, step, upstreamKeys, 1, via))
  // `runStep` runs inside the dispatch's `Effect.suspend`: the first attempt is built now
  if (!run.writeOrder.contests(step.key)) return attemptNow(run, step, upstreamKeys, 1, via)
  return Effect.andThen(run.writeOrder.waitFor(step.key, run.now), attempt(run, step, upstreamKeys, 1, via)).pipe(
    Effect.catch((error) => failStep(run, error))
  )
}

/**
 * A step of an asset in a concurrency pool: its attempts run holding a slot
 * of the pool (see `Pool`), taken once earlier runs are done with its asset.
 * A pool the project declares no limit for does not limit.
 */
const pooled = (run: ActiveRun, step: PlanStep, pool: string, attempts: Effect.Effect<StepOutcome>): Effect.Effect<StepOutcome> => {
  const runQueue = run.project.automation.runQueue
  const limit = runQueue?.pools?.[pool]
  const ordered = run.writeOrder.contests(step.key) ? Effect.andThen(run.writeOrder.waitFor(step.key, run.now), attempts) : attempts
  if (limit === undefined) return ordered.pipe(Effect.catch((error) => failStep(run, error)))
  const ttlMs = runQueue?.poolLeaseTtlMs ?? Pool.DEFAULT_TTL_MS
  const request: Pool.SlotRequest = {
    pool,
    limit,
    holder: `${run.runId}/${step.key}/${run.plan.partition ?? ""}`,
    ttlMs,
    pollMs: Math.min(Pool.POLL_MS, Math.max(10, Math.floor(ttlMs / 10))),
    now: run.now
  }
  const onWait = (held: number) =>
    Effect.andThen(
      Effect.sync(() =>
        run.emit({
          type: "log",
          runId: run.runId,
          timestamp: run.now(),
          assetKey: step.key,
          partition: run.plan.partition,
          level: "info",
          message: `waiting for pool ${pool} (${held}/${limit} held)`
        })
      ),
      Effect.ignore(run.buffer.flush)
    )
  return Pool.withSlot(run.instance.automation, request, onWait, ordered).pipe(
    Effect.catch((error) => error instanceof Pool.SlotLost ? slotLost(run, step, error) : failStep(run, error))
  )
}

/** A step stopped because its pool slot was lost: a failed step (not a fatal run error), saying which slot and why. */
const slotLost = (run: ActiveRun, step: PlanStep, error: Pool.SlotLost) =>
  Effect.andThen(
    Effect.sync(() => {
      const at = run.now()
      run.emit({ type: "log", runId: run.runId, timestamp: at, assetKey: step.key, partition: run.plan.partition, level: "warn", message: error.message })
      run.emit(stepFailure(run, step, at, { tag: error._tag, message: error.message }))
    }),
    Effect.as(Effect.ignore(run.buffer.flush), "failed" as const)
  )

/** A `step-failed` event for a step ended from outside its attempt, with its partition set when partitioned. */
const stepFailure = (run: ActiveRun, step: PlanStep, at: number, error: ErrorInfo): StrataEvent => {
  // with its partition set, so that the partitions it had in progress are recorded failed, not left in progress
  const definition = run.project.get(step.key)?.partitions
  const ranges = step.partitions
  const partitionSet = run.plan.resolvedAt === undefined || ranges === undefined || definition === undefined
    ? undefined
    : { fingerprint: Partitions.fingerprint(definition), ranges }
  const partitions = run.plan.partition === undefined ? noPartitions : [run.plan.partition]
  return Step.failedEvent({ runId: run.runId, assetKey: step.key, partitions, partitionSet, attempt: 1 }, at, 0, error, false)
}

/** A step that could not run because the instance failed (waiting for its turn, or a pool slot): the run's fatal error. */
const failStep = (run: ActiveRun, error: InstanceError) =>
  Effect.sync(() => {
    run.buffer.fatal ??= error
    return "failed" as const
  })

/**
 * A check step: skipped silently when its asset was up to date in a
 * `staleOnly` run (nothing new to check); else, once the run's events so far
 * are written (the check reads the materialization it checks from the
 * instance), one attempt. A failed `error` check is a failed step.
 */
const runCheck = (run: ActiveRun, step: PlanStep, via: RemoteStep | undefined): Effect.Effect<StepOutcome> => {
  if (run.tally.isUpToDate(step.key)) return skippedOutcome
  return Effect.andThen(run.buffer.flush, attempt(run, step, [step.key], 1, via)).pipe(
    Effect.catch((error) => failStep(run, error))
  )
}

/** Why a `staleOnly` plan skips this asset, or `undefined` when it must run. */
const upToDate = (run: ActiveRun, asset: AnyAsset, upstreamKeys: ReadonlyArray<string>): string | undefined => {
  const record = run.versions.records.get(asset.key)
  const reasons = Staleness.localReasons(asset, upstreamKeys, record, (key) => run.versions.get(key))
  if (reasons.length > 0) return undefined
  return `up to date: code and inputs unchanged since run ${record!.materialization!.runId}`
}

/** One attempt, then the next one after the policy's delay when it failed and may be retried. */
const attempt = (
  run: ActiveRun,
  step: PlanStep,
  upstreamKeys: ReadonlyArray<string>,
  number: number,
  via: RemoteStep | undefined
): Effect.Effect<StepOutcome> =>
  Effect.suspend(() => attemptNow(run, step, upstreamKeys, number, via))

/** {@link attempt}, built now: for callers already running lazily (inside an `Effect.suspend` or a continuation). */
const attemptNow = (
  run: ActiveRun,
  step: PlanStep,
  upstreamKeys: ReadonlyArray<string>,
  number: number,
  via: RemoteStep | undefined
): Effect.Effect<StepOutcome> => {
  const key = step.key
  const plain: StepRequest = {
    runId: run.runId,
    assetKey: key,
    stepKind: step.stepKind,
    partitions: run.plan.partition === undefined ? noPartitions : [run.plan.partition],
    attempt: number,
    inputVersions: run.versions.inputsOf(upstreamKeys)
  }
  // only a partitioned plan's requests carry partition fields (no spread of an empty object on every step)
  const base: StepRequest = run.plan.resolvedAt === undefined ? plain : { ...plain, ...partitionFields(run.project, run.plan, step) }
  const withCheck: StepRequest = step.check === undefined ? base : { ...base, check: step.check }
  // a request sent to another process names the code version it was planned with (see `VersionSkew`)
  const request = via === undefined || step.stepKind !== "materialize" ? withCheck : { ...withCheck, codeVersion: codeVersionOf(run.project, key) }
  const result = via === undefined ? Step.executeNow(run.environment, request) : remoteAttempt(run, via, request)
  return Effect.flatMap(result, (result): Effect.Effect<StepOutcome> => {
    if (result.status === "succeeded") return succeededOutcome
    if (!result.willRetry) return failedOutcome
    const next = attempt(run, step, upstreamKeys, number + 1, via)
    const delay = retryDelay(run, key, number)
    return delay > 0 ? Effect.andThen(Effect.sleep(delay), next) : next
  })
}

const codeVersionOf = (project: Project<unknown>, key: AssetKey): string | undefined => {
  const node = project.get(key)
  return node === undefined || node.kind !== "asset" ? undefined : Version.ofAsset(node as AnyAsset)
}

/** A partitioned step's fields of its request: its ranges and what resolves its definition. */
const partitionFields = (project: Project<unknown>, plan: ExecutionPlan, planned: PlanStep) => {
  if (plan.resolvedAt === undefined) return {}
  const key = planned.key
  // a check step's ranges are its asset's step's (the first step of that key); no search for any other step
  const step = planned.stepKind === "check" ? plan.steps.find((candidate) => candidate.key === key) : planned
  const node = project.get(key)
  if (node?.kind === "source" && node.partitions !== undefined) {
    // a partitioned source is observed whole, at the plan's instant (its observation names its partitions)
    return { resolvedAt: plan.resolvedAt, ...(plan.dynamicKeys === undefined ? {} : { dynamicKeys: plan.dynamicKeys }) }
  }
  if (step?.partitions === undefined || node?.partitions === undefined) return {}
  return {
    partitionSet: { fingerprint: Partitions.fingerprint(node.partitions), ranges: step.partitions },
    resolvedAt: plan.resolvedAt,
    ...(plan.dynamicKeys === undefined ? {} : { dynamicKeys: plan.dynamicKeys })
  }
}

const remoteAttempt = (run: ActiveRun, via: RemoteStep, request: StepRequest): Effect.Effect<StepResult> =>
  Effect.map(via(request), (result) => {
    for (const event of result.events ?? []) run.learn(event)
    return result
  })

const retryDelay = (run: ActiveRun, key: AssetKey, attemptNumber: number): number => {
  const policy = run.project.get(key)?.spec.retry
  if (policy === undefined) return 0
  const delay = RetryPolicy.delayMs(policy, attemptNumber)
  return policy.jitter ? delay * (0.5 + Math.random()) : delay
}

// the ticker runs every 200 ms; a cancel request is looked for every other tick, a heartbeat every 50th
const tickMs = 200
const cancelPollTicks = 2
const heartbeatTicks = 50

/**
 * Every 200 ms: write what is buffered; every 400 ms: look for a cancel request
 * (one indexed read; a run shorter than that never polls); every 10 s: heartbeat.
 */
const tick = (run: ActiveRun, execution: Fiber.Fiber<void>) =>
  Effect.gen(function*() {
    for (let tick = 1;; tick++) {
      yield* Effect.sleep(tickMs)
      yield* run.buffer.flushSafely
      if (tick % heartbeatTicks === 0) yield* run.instance.heartbeat(run.runId, run.now()).pipe(Effect.ignore)
      if (tick % cancelPollTicks !== 0) continue
      const request = yield* run.instance.cancelRequest(run.runId).pipe(Effect.orElseSucceed(() => undefined))
      if (request !== undefined) {
        run.cancelReason = request.reason ?? `cancel requested at ${new Date(request.at).toISOString()}`
        yield* Fiber.interrupt(execution)
        return
      }
    }
  })

/**
 * Closes a canceled run: steps that were running are failed, steps that never
 * started are skipped, the run ends `canceled` with the reason of the request
 * (recorded by any process; read when this process was interrupted directly).
 */
const cancelRemaining = (run: ActiveRun): Effect.Effect<void> =>
  Effect.flatMap(requestedReason(run), (requested) => {
    const at = run.now()
    const steps = run.plan.steps
    const partition = run.plan.partition
    for (let p = 0; p < steps.length; p++) {
      const key = steps[p]!.key
      if (steps[p]!.stepKind === "check") continue // a check that did not finish records nothing
      if (run.tally.isRunning(p)) {
        run.emit(stepFailure(run, steps[p]!, at, { tag: "Interrupted", message: "the run was canceled while this step was running" }))
      } else if (run.tally.isPending(p)) {
        skip(run, key, "canceled", "the run was canceled before this step started")
      }
    }
    run.canceled = finish(run, "canceled", requested ?? "the run was canceled")
    return run.buffer.flush
  }).pipe(Effect.ignore)

const requestedReason = (run: ActiveRun): Effect.Effect<string | undefined> =>
  run.cancelReason !== undefined
    ? Effect.succeed(run.cancelReason)
    : run.instance.cancelRequest(run.runId).pipe(Effect.map((request) => request?.reason), Effect.orElseSucceed(() => undefined))

/** Emits the run's end and builds its result. */
const finish = (run: ActiveRun, status: RunResult["status"], reason: string | undefined): RunResult => {
  const endedAt = run.now()
  const runId = run.runId
  if (status === "succeeded") run.emit({ type: "run-succeeded", runId, timestamp: endedAt })
  else if (status === "failed") run.emit({ type: "run-failed", runId, timestamp: endedAt, reason: reason! })
  else run.emit({ type: "run-canceled", runId, timestamp: endedAt, reason: reason! })
  const { checks, failed, materialized, observed, skipped } = run.tally
  const durationMs = endedAt - run.startedAt
  return reason === undefined
    ? { runId, status, materialized, observed, skipped, failed, checks, durationMs }
    : { runId, status, materialized, observed, skipped, failed, checks, durationMs, reason }
}

/** The run's result once its steps are done (or it was canceled, or writing its events failed). */
const conclude = (run: ActiveRun, exit: Exit.Exit<void>): Effect.Effect<RunResult, InstanceError> =>
  Effect.suspend(() => {
    run.environment.checkLoads?.clear()
    if (run.buffer.fatal !== undefined) return Effect.fail(run.buffer.fatal)
    if (Exit.isFailure(exit)) {
      if (!Cause.hasInterruptsOnly(exit.cause)) return Effect.failCause(exit.cause)
      return run.canceled !== undefined ? Effect.succeed(run.canceled) : Effect.map(cancelRemaining(run), () => run.canceled!)
    }
    const reason = failureReason(run)
    const result = reason !== undefined ? finish(run, "failed", reason) : finish(run, "succeeded", undefined)
    return Effect.as(run.buffer.flush, result)
  })

/** Why a run whose steps are done failed: failed steps, then failed blocking checks; `undefined` when it succeeded. */
const failureReason = (run: ActiveRun): string | undefined => {
  const failed = run.tally.failed
  const blocking = run.tally.checks.filter((check) => !check.passed && check.severity === "error")
  const parts: Array<string> = []
  if (failed.length > 0) parts.push(`${failed.length} step${failed.length === 1 ? "" : "s"} failed: ${failed.map((f) => f.key).join(", ")}`)
  if (blocking.length > 0) {
    parts.push(
      `${blocking.length} blocking check${blocking.length === 1 ? "" : "s"} failed: ${blocking.map((c) => `${c.key}:${c.check}`).join(", ")}`
    )
  }
  return parts.length === 0 ? undefined : parts.join("; ")
}
