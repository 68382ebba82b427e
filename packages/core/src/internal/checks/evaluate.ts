/**
 * A check step: reads the materialization it checks (and the one before) from
 * the instance, has the asset's I/O manager measure the table in place for a
 * measured check (the built-ins) when it can, else loads the asset's value
 * through it (shared with the run's other checks of the asset), evaluates the check and emits one `check-evaluated` event. A check
 * that raises, or whose value cannot be loaded, is recorded as failed with the
 * error. A failed `error` check is a failed step (its asset's downstream is
 * skipped); a `warn` check's step always succeeds.
 */
import { Cause, Context, Effect, Option } from "effect"
import type { Any as AnyAsset } from "../../Asset.ts"
import type * as Check from "../../Check.ts"
import { normalize } from "../../Check.ts"
import type { CheckEvaluated, ErrorInfo } from "../../Event.ts"
import { errorInfo } from "../../Event.ts"
import type { MaterializationRecord } from "../../Instance.ts"
import { Instance } from "../../Instance.ts"
import type { InputContext, IOError, IOManager } from "../../IOManager.ts"
import * as Metadata from "../../Metadata.ts"
import type { StepEnvironmentShape } from "../../Step.ts"
import type { StepRequest, StepResult } from "../../StepRequest.ts"

interface Verdict {
  readonly result: Check.CheckResult
  readonly error?: ErrorInfo | undefined
  /** The materialization checked. */
  readonly checked?: MaterializationRecord | undefined
}

/** The latest materialization of the asset (and partition) and the one before, from the instance when there is one. */
const materializations = (
  services: Context.Context<never>,
  key: string,
  partition: string | undefined
): Effect.Effect<ReadonlyArray<MaterializationRecord>, unknown> => {
  const instance = Context.getOption(services, Instance)
  if (Option.isNone(instance)) return Effect.succeed([])
  return instance.value.history(key, { partition, limit: 2 }).pipe(
    Effect.map((records) => partition === undefined ? records.filter((record) => record.partition === undefined) : records)
  )
}

/**
 * The asset's value for a check: through the run's shared loads when the
 * environment has them (one load per asset, partition and data version for
 * all the checks of the run), else straight from its I/O manager.
 */
const loadValue = (
  environment: StepEnvironmentShape,
  asset: AnyAsset,
  partition: string | undefined,
  checked: MaterializationRecord | undefined,
  runId: string
): Effect.Effect<unknown, IOError> => {
  const io = Context.getUnsafe(environment.services, asset.io) as IOManager<unknown>
  const load = Effect.suspend(() => io.load(inputOf(asset, partition)))
  const loads = environment.checkLoads
  if (loads === undefined) return load
  // every check that may load: with a manager that measures in place, the measured checks load only when it
  // declines, so the value may then be held until the run ends (an entry exists only once something loaded)
  const users = environment.project.checksOf(asset.key).filter((check) => check.load).length
  return loads.get(`${runId}\u0000${asset.key}\u0000${partition ?? ""}\u0000${checked?.dataVersion ?? ""}`, users, load)
}

const inputOf = (asset: AnyAsset, partition: string | undefined): InputContext => ({
  key: asset.key,
  partition,
  downstream: asset.key,
  definitionMetadata: asset.spec.metadata
})

/**
 * Runs the check: a measured check asks the I/O manager to measure in place
 * first (its result then records `pushed_down_to`: the manager's name); any
 * other, or when the manager cannot, loads the value and evaluates it.
 */
const runCheck = (
  environment: StepEnvironmentShape,
  asset: AnyAsset,
  check: Check.Any,
  context: Check.CheckContext
): Effect.Effect<Check.CheckResult | boolean, unknown, unknown> => {
  const loadAndEvaluate = check.load
    ? Effect.flatMap(loadValue(environment, asset, context.partition, context.materialization, context.runId), (value) =>
      check.evaluate(value, context))
    : check.evaluate(undefined, context)
  const measured = check.measured
  if (measured === undefined) return loadAndEvaluate
  const io = Option.getOrUndefined(Context.getOption(environment.services, asset.io)) as IOManager<unknown> | undefined
  if (io?.measure === undefined) return loadAndEvaluate
  return Effect.flatMap(io.measure(inputOf(asset, context.partition), measured.measures), (results) => {
    if (results === undefined) return loadAndEvaluate
    const result = measured.verdict(results, context)
    return Effect.succeed({ ...result, metadata: { ...result.metadata, pushed_down_to: io.name } })
  })
}

const evaluate = (environment: StepEnvironmentShape, request: StepRequest, check: Check.Any): Effect.Effect<Verdict> => {
  const partition = request.partitions[0]
  const asset = check.asset as AnyAsset
  return Effect.flatMap(
    Effect.result(materializations(environment.services, asset.key, partition)),
    (history): Effect.Effect<Verdict> => {
      const [current, previous] = history._tag === "Success" ? history.success : []
      if (current === undefined && history._tag === "Success" && Context.getOption(environment.services, Instance)._tag === "Some") {
        return Effect.succeed({ result: { passed: false, message: `asset ${asset.key} has never been materialized; nothing to check` } })
      }
      const context: Check.CheckContext = {
        assetKey: asset.key,
        check: check.spec.name,
        partition,
        runId: request.runId,
        materialization: current,
        previous
      }
      const run = runCheck(environment, asset, check, context) as Effect.Effect<Check.CheckResult | boolean, unknown>
      return Effect.matchCauseEffect(Effect.provideContext(run, environment.services), {
        onFailure: (cause) => {
          if (Cause.hasInterruptsOnly(cause)) return Effect.interrupt
          const error = errorInfo(Cause.squash(cause))
          return Effect.succeed<Verdict>({ result: { passed: false, message: `the check could not be evaluated: ${error.message}` }, error, checked: current })
        },
        onSuccess: (result) => Effect.succeed<Verdict>({ result: normalize(result), checked: current })
      })
    }
  )
}

/** Runs one check step. */
export const executeCheck = (environment: StepEnvironmentShape, request: StepRequest, check: Check.Any): Effect.Effect<StepResult> =>
  Effect.map(evaluate(environment, request, check), (verdict) => {
    const { result } = verdict
    const metadata = result.metadata ?? Metadata.empty
    const event: CheckEvaluated = {
      type: "check-evaluated",
      runId: request.runId,
      timestamp: environment.now(),
      assetKey: request.assetKey,
      partition: request.partitions[0],
      check: check.spec.name,
      passed: result.passed,
      severity: check.spec.severity,
      message: result.passed ? undefined : result.message ?? `check ${check.spec.name} failed`,
      metadata,
      dataVersion: verdict.checked?.dataVersion ?? request.inputVersions[request.assetKey],
      error: verdict.error
    }
    environment.emit(event)
    if (result.passed || check.spec.severity === "warn") return { status: "succeeded", willRetry: false }
    return { status: "failed", willRetry: false, error: verdict.error ?? { tag: "CheckFailed", message: event.message! } }
  })
