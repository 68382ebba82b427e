/**
 * Steps: one attempt of one step, from a {@link StepRequest}. `execute` loads
 * the asset's inputs through the I/O managers (or the sources' loaders),
 * computes, stores through the asset's I/O manager and appends the step's
 * events; for an observation step it observes the source. It needs a
 * {@link StepEnvironment}: the loaded project, the services its assets use,
 * and where events go. The run coordinator provides one in its process; a
 * worker process provides its own, so the same request runs anywhere.
 *
 * A step never fails: a failure is a {@link StepResult} (and a `step-failed`
 * event). Interruption (a canceled run) is not caught. The step runs in its
 * caller's fiber, whose context must hold the project's services (resources
 * the compute functions use, `Metadata.MaxBytes`): the coordinator's does; a
 * worker process provides the services it built (`Effect.provideContext`).
 *
 * @since 0.1.0
 */
import { formatWithOptions } from "node:util"
import { Cause, Context, Effect, Logger, Schema } from "effect"
import type { AnyNode, Any as AnyAsset, AssetContext } from "./Asset.ts"
import * as AssetGraph from "./AssetGraph.ts"
import type { AssetKey } from "./AssetKey.ts"
import type { AssetMaterialized, ErrorInfo, LogLevel, StrataEvent } from "./Event.ts"
import { errorInfo } from "./Event.ts"
import type { InputContext, IOManager, OutputContext, StoreResult } from "./IOManager.ts"
import type { StepPartitions } from "./partitions/stepPartitions.ts"
import * as StepInputs from "./partitions/stepInputs.ts"
import * as PartitionVersions from "./partitions/versions.ts"
import * as Metadata from "./Metadata.ts"
import * as Output from "./Output.ts"
import type { Project } from "./Project.ts"
import * as RetryPolicy from "./RetryPolicy.ts"
import type { Any as AnySource, Observation } from "./SourceAsset.ts"
import { SourceError } from "./SourceAsset.ts"
import { observedPartitions } from "./partitions/observedPartitions.ts"
import type { StepRequest, StepResult } from "./StepRequest.ts"
import * as Version from "./Version.ts"
import { executeCheck } from "./internal/checks/evaluate.ts"
import type { SharedLoads } from "./internal/checks/sharedLoads.ts"

/**
 * What a step runs against.
 *
 * @since 0.1.0
 */
export interface StepEnvironmentShape {
  readonly project: Project<unknown>
  /** The services the project's assets use: resources and I/O managers. */
  readonly services: Context.Context<never>
  /** Receives every event of the step, in order (the coordinator's buffer, or a worker's). */
  readonly emit: (event: StrataEvent) => void
  /** Milliseconds since the epoch. */
  readonly now: () => number
  /**
   * Shares the values the checks of a run load (one load per asset and data
   * version for all its checks). Absent: each check step loads on its own.
   */
  readonly checkLoads?: SharedLoads | undefined
}

/**
 * The environment steps run in.
 *
 * @since 0.1.0
 */
export class StepEnvironment extends Context.Service<StepEnvironment, StepEnvironmentShape>()(
  "@strata/core/StepEnvironment"
) {}

/**
 * The step the current fiber runs, for log capture.
 *
 * @since 0.1.0
 */
export const CurrentStep = Context.Reference<
  { readonly runId?: string | undefined; readonly key: string; readonly partition: string | undefined } | undefined
>("@strata/core/CurrentStep", { defaultValue: () => undefined })

type StepIdentity = NonNullable<Context.Service.Shape<typeof CurrentStep>>

/**
 * `effect` with {@link CurrentStep} set to `step`: what `Effect.provideService(effect, CurrentStep, step)` does,
 * without the curried function that `provideService` builds on every call (once per step).
 */
const withStep = <A, E>(effect: Effect.Effect<A, E>, step: StepIdentity): Effect.Effect<A, E> =>
  Effect.updateContext(effect, (context: Context.Context<never>) => Context.add(context, CurrentStep, step))

/**
 * A step that cannot run for a reason of its own (an upstream never
 * materialized, an asset the project does not define).
 *
 * @since 0.1.0
 */
export class StepError extends Schema.TaggedError<StepError>()("@strata/core/StepFailure", {
  key: Schema.String,
  message: Schema.String,
  isRetryable: Schema.Boolean
}) {}

/**
 * The process running a step loaded another version of the asset than the
 * project that planned the run (a worker started on older or newer code):
 * the step fails instead of running code the run did not plan. `planned` is
 * the request's code version, `loaded` this process's (`Version.ofAsset`).
 *
 * @since 0.1.0
 */
export class VersionSkew extends Schema.TaggedError<VersionSkew>()("@strata/core/VersionSkew", {
  key: Schema.String,
  planned: Schema.String,
  loaded: Schema.String,
  message: Schema.String
}) {}

const versionSkew = (key: string, planned: string, loaded: string) =>
  new VersionSkew({
    key,
    planned,
    loaded,
    message: `asset ${key}: the run was planned with code version ${planned}, but the process running this step loaded ` +
      `code version ${loaded} (another version of the project); restart it on the same strata.config.ts`
  })

/**
 * Runs one attempt of the step a request names.
 *
 * @since 0.1.0
 */
export const execute = (request: StepRequest): Effect.Effect<StepResult, never, StepEnvironment> =>
  Effect.flatMap(Effect.service(StepEnvironment), (environment) => executeIn(environment, request))

/**
 * {@link execute} with the environment given (no service lookup: the in-process executor calls this per step).
 *
 * @since 0.1.0
 */
export const executeIn = (environment: StepEnvironmentShape, given: StepRequest): Effect.Effect<StepResult> =>
  Effect.suspend(() => executeNow(environment, given))

/**
 * {@link executeIn}, started now: emits `step-started` when called, for a
 * caller already running lazily (the run coordinator, once per attempt).
 *
 * @since 0.1.0
 */
export const executeNow = (environment: StepEnvironmentShape, given: StepRequest): Effect.Effect<StepResult> => {
  const graph = environment.project.graph
  const index = graph.index.get(given.assetKey)
  const partitions = index === undefined ? undefined : StepInputs.partitionsOf(graph.nodes[index]!, given)
  // the events' `partition` is the key, or first...last for a range
  const request = partitions === undefined ? given : { ...given, partitions: [StepInputs.partitionText(partitions)] }
  if (request.stepKind === "check") return checkStep(environment, request)
  const partition = request.partitions[0]
  const step = { runId: request.runId, key: request.assetKey, partition }
  const started = environment.now()
  environment.emit(withSet({
    type: "step-started",
    runId: request.runId,
    timestamp: started,
    assetKey: request.assetKey,
    partition,
    attempt: request.attempt
  }, request))
  if (index === undefined) {
    return Effect.succeed(failed(environment, request, started, unknownAsset(request), false))
  }
  const node = graph.nodes[index]!
  if (request.codeVersion !== undefined && request.stepKind === "materialize") {
    const loaded = Version.ofAsset(node as AnyAsset)
    if (loaded !== request.codeVersion) {
      return Effect.succeed(failed(environment, request, started, versionSkew(request.assetKey, request.codeVersion, loaded), false))
    }
  }
  const run = request.stepKind === "observe"
    ? observe(environment, request, node as AnySource, started)
    : materialize(environment, request, node as AnyAsset, AssetGraph.upstreamKeysOf(graph)[index]!, started, partitions)
  return withStep(run, step)
}

/** A check step: `check-evaluated` only (no `step-*` events: the asset's step has those). */
const checkStep = (environment: StepEnvironmentShape, request: StepRequest): Effect.Effect<StepResult> => {
  const check = environment.project.checksOf(request.assetKey).find((check) => check.spec.name === request.check)
  if (check === undefined) {
    const error = errorInfo(new StepError({
      key: request.assetKey,
      message: `the project has no check ${request.check} of asset ${request.assetKey} (the process running this step ` +
        `loaded another version of the project than the one that planned the run)`,
      isRetryable: false
    }))
    return Effect.succeed({ status: "failed", error, willRetry: false })
  }
  const step = { runId: request.runId, key: request.assetKey, partition: request.partitions[0] }
  return withStep(executeCheck(environment, request, check), step)
}

/**
 * A step's event with the request's `partitionSet` (a partitioned step's) as its last field. Unpartitioned steps
 * get the literal as it is: a spread in the literal, even of an empty object, is a runtime call per event in
 * unoptimized code, and a property after a spread is defined by a slower instruction than one in the template.
 */
const withSet = <E extends StrataEvent>(event: E, request: Pick<StepRequest, "partitionSet">): E =>
  request.partitionSet === undefined ? event : { ...event, partitionSet: request.partitionSet }

const unknownAsset = (request: StepRequest) =>
  new StepError({
    key: request.assetKey,
    message: `the project has no asset ${request.assetKey} (the process running this step loaded another version of ` +
      `the project than the one that planned the run); restart it on the same strata.config.ts`,
    isRetryable: false
  })

/** Records a failed attempt; whether another follows is the asset's retry policy's call. */
const failed = (
  environment: StepEnvironmentShape,
  request: StepRequest,
  started: number,
  error: unknown,
  retryable: boolean
): StepResult => {
  const info = errorInfo(error)
  const at = environment.now()
  environment.emit(failedEvent(request, at, at - started, info, retryable))
  return { status: "failed", error: info, willRetry: retryable }
}

/**
 * The `step-failed` event of an attempt of `request` (the run coordinator
 * builds the same for a step it ends from outside: canceled, or its pool slot lost).
 *
 * @since 0.1.0
 */
export const failedEvent = (
  request: Pick<StepRequest, "runId" | "assetKey" | "partitions" | "partitionSet" | "attempt">,
  at: number,
  durationMs: number,
  error: ErrorInfo,
  willRetry: boolean
): StrataEvent =>
  withSet({
    type: "step-failed",
    runId: request.runId,
    timestamp: at,
    assetKey: request.assetKey,
    partition: request.partitions[0],
    attempt: request.attempt,
    durationMs,
    error,
    willRetry
  }, request)

/** Whether an attempt that failed with `error` is retried under the asset's policy. */
const willRetry = (node: AnyNode, attempt: number, error: unknown): boolean => {
  const policy = node.spec.retry
  return policy !== undefined && attempt <= policy.maxRetries && RetryPolicy.isRetryable(error)
}

const succeeded = (
  environment: StepEnvironmentShape,
  request: StepRequest,
  started: number,
  recorded: StrataEvent & { readonly dataVersion: string }
): StepResult => {
  environment.emit(recorded)
  environment.emit(withSet({
    type: "step-succeeded",
    runId: request.runId,
    timestamp: recorded.timestamp,
    assetKey: request.assetKey,
    partition: request.partitions[0],
    attempt: request.attempt,
    durationMs: recorded.timestamp - started
  }, request))
  return { status: "succeeded", dataVersion: recorded.dataVersion, willRetry: false }
}

const observe = (
  environment: StepEnvironmentShape,
  request: StepRequest,
  source: AnySource,
  started: number
): Effect.Effect<StepResult> =>
  Effect.matchCauseEffect(source.observe as Effect.Effect<Observation, unknown>, {
    onFailure: (cause) =>
      Cause.hasInterruptsOnly(cause)
        ? Effect.interrupt
        : Effect.succeed(failed(environment, request, started, Cause.squash(cause), false)),
    onSuccess: (observation) => {
      // a partitioned source reports its partitions' versions: the event carries them as ranges
      const resolution = { now: request.resolvedAt ?? environment.now(), dynamicKeys: request.dynamicKeys }
      const observed = observedPartitions(source, resolution, observation.partitions)
      if (observed instanceof SourceError) return Effect.succeed(failed(environment, request, started, observed, false))
      return Effect.succeed(succeeded(environment, request, started, {
        type: "asset-observed",
        runId: request.runId,
        timestamp: environment.now(),
        assetKey: request.assetKey,
        // a partitioned source is observed whole (its partitions are in the event), not for the run's partition
        partition: source.partitions === undefined ? request.partitions[0] : undefined,
        dataVersion: observation.dataVersion,
        metadata: observation.metadata ?? Metadata.empty,
        ...observed
      }))
    }
  })

// The materialize path is built from Effect combinators rather than Effect.gen: a generator per step cost
// several µs, which on small assets was most of the orchestration overhead.

const materialize = (
  environment: StepEnvironmentShape,
  request: StepRequest,
  asset: AnyAsset,
  upstreamKeys: ReadonlyArray<string>,
  started: number,
  partitions: StepPartitions | undefined
): Effect.Effect<StepResult> => {
  let missing: string | undefined
  for (let i = 0; i < upstreamKeys.length && missing === undefined; i++) {
    if (request.inputVersions[upstreamKeys[i]!] === undefined) missing = upstreamKeys[i]
  }
  if (missing !== undefined) {
    const graph = environment.project.graph
    const error = missingInput(asset.key, missing, graph.nodes[graph.index.get(missing)!]!.kind === "source")
    return Effect.succeed(failed(environment, request, started, error, false))
  }
  const partition = request.partitions[0]
  const context: AssetContext = partitions === undefined
    ? { key: asset.key, partition, runId: request.runId, attempt: request.attempt }
    : { key: asset.key, partition, runId: request.runId, attempt: request.attempt, partitions }
  return Effect.matchCauseEffect(computeAndStore(environment, request, asset, context), {
    onFailure: (cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.interrupt
      const error = Cause.squash(cause)
      return Effect.succeed(failed(environment, request, started, error, willRetry(asset, request.attempt, error)))
    },
    onSuccess: (stored) => {
      const inputVersions = inputVersionsOf(request, upstreamKeys)
      const event = withSet<AssetMaterialized>({
        type: "asset-materialized",
        runId: request.runId,
        timestamp: environment.now(),
        assetKey: asset.key,
        partition,
        metadata: stored.metadata,
        dataVersion: stored.dataVersion,
        codeVersion: Version.ofAsset(asset),
        inputVersions
      }, request)
      return Effect.succeed(succeeded(
        environment,
        request,
        started,
        stored.partitionDataVersions === undefined ? event : { ...event, partitionDataVersions: stored.partitionDataVersions }
      ))
    }
  })
}

/** The request's input versions, reused when they are exactly the upstreams' (as the coordinator builds them). */
const inputVersionsOf = (request: StepRequest, upstreamKeys: ReadonlyArray<string>): Record<string, string> => {
  if (Object.keys(request.inputVersions).length === upstreamKeys.length) return request.inputVersions
  const inputVersions: Record<string, string> = Object.create(null)
  for (const key of upstreamKeys) inputVersions[key] = request.inputVersions[key]!
  return inputVersions
}

const missingInput = (key: AssetKey, missing: string, isSource: boolean) =>
  new StepError({
    key,
    message: isSource
      ? `upstream source ${missing} has never been observed; include it in the run (observeSources) or observe it first`
      : `upstream ${missing} has never been materialized; select it too (--select +${key}) or materialize it first`,
    isRetryable: false
  })

const computeAndStore = (
  environment: StepEnvironmentShape,
  request: StepRequest,
  asset: AnyAsset,
  context: AssetContext
) =>
  Effect.suspend(() => {
    const services = environment.services
    const inputs: Record<string, unknown> = {}
    return loadInputs(environment, request, asset, context, Object.keys(asset.deps), inputs, 0, () =>
      Effect.flatMap(
        asset.compute(inputs, context) as Effect.Effect<unknown, unknown>,
        (result) => store(services, asset, context, result)
      ))
  })

/**
 * Loads the inputs from the `k`-th on into `inputs`, one after the other, then
 * continues with `then()` (the last load's continuation: no effect of its own).
 */
const loadInputs = <A>(
  environment: StepEnvironmentShape,
  request: StepRequest,
  asset: AnyAsset,
  context: AssetContext,
  names: ReadonlyArray<string>,
  inputs: Record<string, unknown>,
  k: number,
  then: () => Effect.Effect<A, unknown>
): Effect.Effect<A, unknown> => {
  if (k === names.length) return then()
  const name = names[k]!
  const dep = asset.deps[name]!
  const input = StepInputs.inputContext(environment.project, request, asset, dep, context)
  return Effect.flatMap(loadInput(environment.services, dep, input), (value) => {
    inputs[name] = value
    return loadInputs(environment, request, asset, context, names, inputs, k + 1, then)
  })
}

const loadInput = (services: Context.Context<never>, dep: AnyNode, context: InputContext): Effect.Effect<unknown, unknown> => {
  if (dep.kind === "source") {
    const load = (dep as AnySource).load!
    return load({ key: dep.key, partition: context.partition, downstream: context.downstream }) as Effect.Effect<unknown, unknown>
  }
  const io = Context.getUnsafe(services, (dep as AnyAsset).io) as IOManager<unknown>
  return io.load(context)
}

const store = (services: Context.Context<never>, asset: AnyAsset, context: AssetContext, result: unknown) => {
  const output = Output.isOutput(result) ? result : undefined
  const io = Context.getUnsafe(services, asset.io) as IOManager<unknown>
  const unpartitioned: OutputContext = { key: asset.key, partition: context.partition, runId: context.runId, definitionMetadata: asset.spec.metadata }
  // `partitions` only for a partitioned step (no spread of an empty object)
  const outputContext = context.partitions === undefined ? unpartitioned : { ...unpartitioned, partitions: context.partitions }
  return Metadata.limitStoreMap(
    context, // the subject checked: its key and partition
    output?.metadata,
    io.store(outputContext, output === undefined ? result : output.value),
    (stored: StoreResult) => ({
      // no merge (a copy) when there is nothing to merge
      metadata: stored.metadata === undefined && output?.metadata === undefined
        ? Metadata.empty
        : Metadata.merge(stored.metadata, output?.metadata),
      dataVersion: output?.dataVersion ?? stored.dataVersion ??
        Version.hash(`${context.runId}\u0000${asset.key}\u0000${context.partition ?? ""}`),
      // a data version given by the compute function covers every partition of the step
      partitionDataVersions: output?.dataVersion !== undefined || context.partitions === undefined || context.partitions.count < 2
        ? undefined
        : PartitionVersions.byIndex(context.partitions.ranges, stored.partitionVersions)
    })
  )
}

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
  let text = parts.map((part) => typeof part === "string" ? part : formatWithOptions({ depth: 4, breakLength: Infinity }, "%O", part))
    .join(" ")
  if (cause.reasons.length > 0) text += `\n${Cause.pretty(cause)}`
  return text
}

/**
 * A logger that records log lines as `log` events: of the step running in the
 * fiber that logs ({@link CurrentStep}), else of `runId` (when given).
 *
 * @since 0.1.0
 */
export const logCapture = (emit: (event: StrataEvent) => void, runId?: string): Logger.Logger<unknown, void> =>
  Logger.make((entry) => {
    const level = logLevels[entry.logLevel]
    if (level === undefined) return
    const step = entry.fiber.getRef(CurrentStep)
    const owner = step?.runId ?? runId
    if (owner === undefined) return
    emit({
      type: "log",
      runId: owner,
      timestamp: entry.date.getTime(),
      assetKey: step?.key,
      partition: step?.partition,
      level,
      message: formatLog(entry.message, entry.cause)
    })
  })
