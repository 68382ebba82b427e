/**
 * Backfills: materialize a range of partitions of a selection, cut into runs
 * by a policy, recorded in the instance (`instance.backfills`) and resumable.
 *
 * Everything is computed on ranges, never on partitions one by one:
 * - the *reference* definition is that of the first partitioned asset of the
 *   plan that takes the partition selection (as `ExecutionPlan` does);
 * - a partition is *done* when every selected asset of the reference
 *   definition has it materialized (the instance's status ranges); for a
 *   *rebuild* backfill (`rebuild: true`, what the catalog's "backfill stale"
 *   launches), when every such asset has it written by one of the backfill's
 *   runs (the run ids of the instance's partition versions), so materialized
 *   partitions run again, once;
 * - the *missing* partitions (requested minus done) are cut into runs by the
 *   policy with `Ranges.chunks`: `per-partition` (one each), `max-per-run=N`,
 *   or `single-run` (all of them, handed to one step per asset);
 * - progress is derived the same way, so it is right after a crash.
 *
 * {@link run} launches the runs one after another and stops after the current
 * run when a cancel was requested (`instance.backfills.requestCancel`).
 * Resuming (or starting again) plans again: only what is still missing runs.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import { Effect, Schema } from "effect"
import type { Lease } from "./AutomationStore.ts"
import type { BackfillRecord, BackfillStatus } from "./BackfillStore.ts"
import * as BackfillLease from "./internal/backfillLease.ts"
import * as DynamicPartitionStore from "./DynamicPartitionStore.ts"
import * as ExecutionPlan from "./ExecutionPlan.ts"
import { Instance } from "./Instance.ts"
import type { InstanceError, InstanceShape } from "./Instance.ts"
import * as PartitionKey from "./PartitionKey.ts"
import * as PartitionStates from "./PartitionStates.ts"
import * as Partitions from "./Partitions.ts"
import type { Project } from "./Project.ts"
import * as RunCoordinator from "./RunCoordinator.ts"
import type * as Selection from "./Selection.ts"
import * as Staleness from "./Staleness.ts"

const Ranges = Partitions.Ranges
type Ranges = Partitions.Ranges.Ranges

/**
 * How the missing partitions are cut into runs.
 *
 * @since 0.1.0
 */
export type Policy =
  | { readonly _tag: "per-partition" }
  | { readonly _tag: "single-run" }
  | { readonly _tag: "max-per-run"; readonly size: number }

/**
 * A backfill that cannot be planned or resumed: a bad policy, a selection
 * without partitioned assets, an unknown backfill.
 *
 * @since 0.1.0
 */
export class BackfillError extends Schema.TaggedError<BackfillError>()("@strata/core/BackfillError", {
  message: Schema.String,
  backfillId: Schema.optional(Schema.String)
}) {}

/**
 * Reads `per-partition`, `single-run` or `max-per-run=N` (N from 1 to 1,000,000).
 *
 * @since 0.1.0
 */
export const parsePolicy = (text: string): Policy | BackfillError => {
  if (text === "per-partition" || text === "single-run") return { _tag: text }
  const match = /^max-per-run=([1-9][0-9]{0,6})$/.exec(text)
  if (match !== null && Number(match[1]) <= 1_000_000) return { _tag: "max-per-run", size: Number(match[1]) }
  return new BackfillError({
    message: `unknown policy ${JSON.stringify(text.slice(0, 60))}: use per-partition, single-run or max-per-run=N (N from 1 to 1000000)`
  })
}

/** @since 0.1.0 */
export const formatPolicy = (policy: Policy): string => policy._tag === "max-per-run" ? `max-per-run=${policy.size}` : policy._tag

/**
 * A backfill's plan at an instant.
 *
 * @since 0.1.0
 */
export interface BackfillPlan {
  /** The selected asset keys, in plan order. */
  readonly assetKeys: ReadonlyArray<string>
  /** The assets whose status decides what is done (those of the reference definition). */
  readonly referenceKeys: ReadonlyArray<string>
  readonly space: Partitions.Space
  readonly requested: Ranges
  readonly done: Ranges
  readonly failed: Ranges
  readonly missing: Ranges
  /**
   * The requested partitions' five states over the reference assets (in progress, failed, stale,
   * materialized, missing), as the catalog and `strata backfills` count them.
   */
  readonly states: PartitionStates.States
  /** The runs to launch: each one's partitions, as ranges and as a selection. */
  readonly runs: ReadonlyArray<{ readonly ranges: Ranges; readonly selection: string }>
}

/**
 * Counts of a backfill's partitions (over its reference definition).
 *
 * @since 0.1.0
 */
export interface Progress {
  readonly total: number
  readonly materialized: number
  readonly failed: number
  readonly missing: number
}

/** @since 0.1.0 */
export const progressOf = (plan: Assessment): Progress => {
  const total = Ranges.count(plan.requested)
  const materialized = Ranges.count(plan.done)
  return { total, materialized, failed: Ranges.count(plan.failed), missing: total - materialized }
}

/** @since 0.1.0 */
export type PlanError =
  | BackfillError
  | InstanceError
  | Selection.SelectionParseError
  | Selection.SelectionResolveError
  | PartitionKey.InvalidPartitionKey
  | Partitions.InvalidPartitionKey

/**
 * What is requested, done and missing, without cutting runs: linear in the
 * number of ranges (what progress is computed from).
 *
 * @since 0.1.0
 */
export type Assessment = Omit<BackfillPlan, "runs">

/** The partitions of `key` whose current version was written by one of `runIds` (a rebuild backfill's done set). */
const writtenBy = (instance: InstanceShape, key: string, fingerprint: string, runIds: ReadonlySet<string>) =>
  Effect.map(instance.partitionVersions?.(key) ?? Effect.succeed(undefined), (versions): Ranges =>
    versions === undefined || versions.fingerprint !== fingerprint || runIds.size === 0
      ? Ranges.empty
      : Ranges.normalize(versions.segments.filter((s) => runIds.has(s.runId)).map((s): Partitions.Ranges.Range => [s.start, s.end])))

/**
 * What the steps are planned with: the selection itself, or its first key
 * when it is longer than a partition key may be (a run records its selection
 * as its partition). Each step parses the whole selection below.
 */
const planKey = (partitions: string): string =>
  [...partitions].length <= PartitionKey.MAX_LENGTH ? partitions : partitions.split(",")[0]!.split("...")[0]!.trim()

/**
 * What {@link assess} (and {@link plan}) is asked.
 *
 * @since 0.2.0
 */
export interface AssessRequest {
  readonly selection: string
  readonly partitions: string
  readonly now: number
  /** A rebuild backfill's runs so far: done is what they wrote, not what is materialized. */
  readonly rebuild?: { readonly runIds: ReadonlyArray<string> } | undefined
  /**
   * How the per-partition staleness of the reference assets is read: `true`
   * (the default) reads their ancestors' records and partition versions
   * (`Staleness.readPartitionInputs`); a function reads them its own way (the
   * catalog keeps them until the event log moves); `false` skips it, and
   * `states.stale` then holds only what a rebuild backfill has still to
   * rebuild (for callers that read {@link Progress} alone: the run loop after
   * each run).
   */
  readonly staleness?: boolean | StalenessReader | undefined
}

/**
 * Reads the per-partition staleness inputs of `keys` (see
 * `Staleness.readPartitionInputs`).
 *
 * @since 0.2.0
 */
export type StalenessReader = (keys: ReadonlyArray<string>) => Effect.Effect<Staleness.PartitionInputs, InstanceError>

/** The reference definition of a plan's steps: its space, the requested partitions and the assets of that definition. */
const referenceOf = (
  project: Project<unknown>,
  steps: ReadonlyArray<ExecutionPlan.ExecutionPlan["steps"][number]>,
  partitions: string,
  resolution: Partitions.Resolution
) => {
  let reference: { space: Partitions.Space; requested: Ranges } | undefined
  const referenceKeys: Array<string> = []
  for (const step of steps) {
    if (step.stepKind !== "materialize" || step.partitions === undefined) continue
    const space = Partitions.resolve(project.get(step.key)!.partitions!, resolution)
    if (reference === undefined) {
      const parsed = Partitions.parseSelection(space, partitions, { asset: step.key })
      if (parsed instanceof Partitions.InvalidPartitionKey) continue
      reference = { space, requested: parsed }
    }
    if (Partitions.fingerprint(space.definition) === Partitions.fingerprint(reference.space.definition)) referenceKeys.push(step.key)
  }
  return reference === undefined ? undefined : { ...reference, referenceKeys }
}

/**
 * The stale partitions of each reference asset now (core's per-partition
 * staleness, as `strata status` and the catalog's partition views compute
 * it), read once for all of them; none when `staleness` is off.
 */
const staleRangesOf = (
  project: Project<unknown>,
  instance: InstanceShape,
  referenceKeys: ReadonlyArray<string>,
  resolution: Partitions.Resolution,
  staleness: boolean | StalenessReader
): Effect.Effect<ReadonlyMap<string, Ranges>, InstanceError> => {
  if (staleness === false) return Effect.succeed(new Map())
  const read = staleness === true ? Staleness.readPartitionInputs(project, instance, referenceKeys) : staleness(referenceKeys)
  return Effect.map(read, (inputs) => {
    const all = Staleness.partitionsFrom(project, inputs, resolution)
    return new Map(referenceKeys.map((key) => [key, all.get(key)?.staleRanges ?? Ranges.empty] as const))
  })
}

/**
 * What is requested, done, failed and missing now, over the reference
 * definition, without cutting runs (what progress and the catalog's backfill
 * page are computed from): linear in the number of ranges (and, for the
 * stale partitions, in the partition versions' segments), and it names no
 * partition, so it stays cheap at a million partitions.
 *
 * @since 0.2.0
 */
export const assess = (
  project: Project<unknown>,
  instance: InstanceShape,
  request: AssessRequest
): Effect.Effect<Assessment, PlanError> =>
  Effect.gen(function*() {
    // dynamic definitions resolve with the keys stored in the instance
    const dynamicKeys = yield* DynamicPartitionStore.keysFor(project, instance)
    const resolution: Partitions.Resolution = { now: request.now, dynamic: (name) => dynamicKeys?.[name] }
    const executionPlan = yield* ExecutionPlan.make(project, {
      selection: request.selection,
      partition: planKey(request.partitions),
      now: request.now,
      dynamicKeys
    })
    const reference = referenceOf(project, executionPlan.steps, request.partitions, resolution)
    if (reference === undefined) {
      return yield* new BackfillError({ message: `--select ${JSON.stringify(request.selection)} selects no partitioned asset to backfill` })
    }
    const { referenceKeys, requested, space } = reference
    const fingerprint = Partitions.fingerprint(space.definition)
    const staleRanges = yield* staleRangesOf(project, instance, referenceKeys, resolution, request.staleness ?? true)
    let done = requested
    let failed: Ranges = Ranges.empty
    const rebuiltBy = request.rebuild === undefined ? undefined : new Set(request.rebuild.runIds)
    const perAsset: Array<PartitionStates.States> = []
    for (const key of referenceKeys) {
      const status = yield* (instance.partitionStatus?.(key) ?? Effect.succeed(undefined))
      perAsset.push(PartitionStates.withStale(PartitionStates.statesOf(space, status, requested), staleRanges.get(key) ?? Ranges.empty))
      const current = status?.fingerprint === fingerprint ? status : undefined
      const written = rebuiltBy === undefined ? current?.materialized ?? Ranges.empty : yield* writtenBy(instance, key, fingerprint, rebuiltBy)
      done = Ranges.intersection(done, written)
      failed = Ranges.union(failed, Ranges.intersection(requested, current?.failed ?? Ranges.empty))
    }
    return {
      // sources are observed by each run, not backfilled
      assetKeys: executionPlan.steps.filter((step) => step.stepKind !== "observe").map((step) => step.key),
      referenceKeys,
      space,
      requested,
      done,
      failed: Ranges.difference(failed, done),
      missing: Ranges.difference(requested, done),
      states: statesOf(perAsset, requested, rebuiltBy === undefined ? undefined : done)
    }
  })

/**
 * The requested partitions' states over the reference assets (as the catalog's backfill page and
 * `strata backfills` count them): a partition is stale when it is materialized and stale now for
 * any of them; for a rebuild backfill, the materialized partitions its runs have not written yet
 * (`rebuilt`) are stale too: still to rebuild.
 */
const statesOf = (perAsset: ReadonlyArray<PartitionStates.States>, requested: Ranges, rebuilt: Ranges | undefined) => {
  const combined = PartitionStates.combine(perAsset, requested)
  return rebuilt === undefined ? combined : PartitionStates.rebuilding(combined, rebuilt)
}

/** A range as a selection (`A...B`, or the key of one partition). */
const rangeText = (space: Partitions.Space, [s, e]: Partitions.Ranges.Range): string =>
  e - s === 1 ? space.keyAt(s) : `${space.keyAt(s)}...${space.keyAt(e - 1)}`

/**
 * A run's partitions cut further so that each run's selection is no longer
 * than a partition key (`PartitionKey.MAX_LENGTH` characters): a run records
 * its selection as its partition, and scattered ranges (a "backfill stale",
 * the missing days of a patchy history) make long ones. A range too long to
 * name alone (very long keys) runs key by key.
 */
const fitting = (space: Partitions.Space, ranges: Ranges): Array<{ ranges: Ranges; selection: string }> => {
  const out: Array<{ ranges: Ranges; selection: string }> = []
  let current: Array<Partitions.Ranges.Range> = []
  let text = ""
  const flush = () => {
    if (current.length > 0) out.push({ ranges: current, selection: text })
    current = []
    text = ""
  }
  const add = (range: Partitions.Ranges.Range, piece: string) => {
    const joined = text === "" ? piece : `${text},${piece}`
    if (text !== "" && [...joined].length > PartitionKey.MAX_LENGTH) {
      flush()
      current = [range]
      text = piece
    } else {
      current.push(range)
      text = joined
    }
  }
  for (const range of ranges) {
    const piece = rangeText(space, range)
    if ([...piece].length <= PartitionKey.MAX_LENGTH) add(range, piece)
    else for (let i = range[0]; i < range[1]; i++) add([i, i + 1], space.keyAt(i))
  }
  flush()
  return out
}

/**
 * Plans a backfill: the requested partitions of the reference definition that
 * are not done yet, cut into runs by the policy (and further where a run's
 * selection would be longer than a partition key, see `fitting`).
 *
 * @since 0.1.0
 */
export const plan = (
  project: Project<unknown>,
  instance: InstanceShape,
  request: AssessRequest & { readonly policy: Policy }
): Effect.Effect<BackfillPlan, PlanError> =>
  Effect.map(assess(project, instance, request), (assessment) => {
    const { missing, space } = assessment
    const size = request.policy._tag === "per-partition" ? 1 : request.policy._tag === "max-per-run" ? request.policy.size : Math.max(1, Ranges.count(missing))
    return { ...assessment, runs: Ranges.chunks(missing, size).flatMap((ranges) => fitting(space, ranges)) }
  })

/**
 * What {@link assess} is asked for a recorded backfill: its selection, its
 * partitions and, for a rebuild backfill, its runs so far.
 *
 * @since 0.2.0
 */
export const requestOf = (record: BackfillRecord) => ({
  selection: record.selection,
  partitions: record.partitions,
  rebuild: record.rebuild === true ? { runIds: record.runIds } : undefined
})

/**
 * The progress of a recorded backfill, derived from the status ranges now.
 *
 * @since 0.1.0
 */
export const progress = (
  project: Project<unknown>,
  instance: InstanceShape,
  record: BackfillRecord,
  now: number
): Effect.Effect<Progress, PlanError> => {
  const policy = parsePolicy(record.policy)
  if (policy instanceof BackfillError) return Effect.fail(new BackfillError({ message: policy.message, backfillId: record.backfillId }))
  return Effect.map(assess(project, instance, { ...requestOf(record), now, staleness: false }), progressOf)
}

/**
 * What {@link run} reports as it goes.
 *
 * @since 0.1.0
 */
export type Report =
  | { readonly _tag: "planned"; readonly plan: BackfillPlan }
  | { readonly _tag: "run-started"; readonly runId: string; readonly index: number; readonly of: number; readonly selection: string }
  | { readonly _tag: "run-ended"; readonly result: RunCoordinator.RunResult; readonly progress: Progress }

/**
 * How a backfill ended this time.
 *
 * @since 0.1.0
 */
export interface Outcome {
  readonly record: BackfillRecord
  readonly progress: Progress
  readonly runs: ReadonlyArray<{ readonly runId: string; readonly selection: string; readonly status: RunCoordinator.RunResult["status"] }>
}

/**
 * Runs a recorded backfill (new or resumed): plans what is missing, launches
 * the runs one after another (each run's id is recorded before it starts),
 * stops after the current run once a cancel was requested, and records the
 * final status: `completed` when every requested partition is done, else
 * `failed` (or `canceled`).
 *
 * @since 0.1.0
 */
export const run = <R>(
  project: Project<R>,
  backfillId: string,
  options?: {
    readonly concurrency?: number | undefined
    readonly onReport?: ((report: Report) => void) | undefined
    readonly now?: (() => number) | undefined
  }
): Effect.Effect<Outcome, PlanError, R | Instance> =>
  Effect.gen(function*() {
    const instance = yield* Instance
    const now = options?.now ?? Date.now
    const store = instance.backfills
    const record = yield* store.get(backfillId)
    if (record === undefined) {
      return yield* new BackfillError({ backfillId, message: `backfill ${backfillId} does not exist; list them with 'strata backfills'` })
    }
    const policy = parsePolicy(record.policy)
    if (policy instanceof BackfillError) return yield* policy
    // the process running a backfill holds its lease: a second executor is refused, a dead one is detected
    const refused = (lease: Lease) =>
      new BackfillError({
        backfillId,
        message: `backfill ${backfillId} is being run by another process (${lease.holder}); cancel it or wait for it to end`
      })
    return yield* BackfillLease.withLease(instance, backfillId, now, refused, execute(project, record, policy, options))
  })

/** {@link run}'s body, holding the backfill's lease. */
const execute = <R>(
  project: Project<R>,
  record: BackfillRecord,
  policy: Policy,
  options: Parameters<typeof run>[2]
): Effect.Effect<Outcome, PlanError, R | Instance> =>
  Effect.gen(function*() {
    const instance = yield* Instance
    const now = options?.now ?? Date.now
    const store = instance.backfills
    const backfillId = record.backfillId
    // a rebuild backfill's done set grows with its runs: read them again before each assessment
    const request = () => Effect.map(store.get(backfillId), (latest) => ({ ...requestOf(latest ?? record), policy }))
    const planned = yield* plan(project as Project<unknown>, instance, { ...(yield* request()), now: now() })
    options?.onReport?.({ _tag: "planned", plan: planned })
    yield* store.setStatus(backfillId, { status: "running", at: now(), resume: true })
    const runs: Array<Outcome["runs"][number]> = []
    let canceled = false
    for (const [index, piece] of planned.runs.entries()) {
      if ((yield* store.get(backfillId))?.cancelRequestedAt !== undefined) {
        canceled = true
        break
      }
      const runId = randomUUID()
      yield* store.addRun(backfillId, runId, now())
      options?.onReport?.({ _tag: "run-started", runId, index, of: planned.runs.length, selection: piece.selection })
      const executionPlan = yield* ExecutionPlan.make(project as Project<unknown>, {
        selection: record.selection,
        partition: piece.selection,
        now: now(),
        dynamicKeys: yield* DynamicPartitionStore.keysFor(project as Project<unknown>, instance)
      })
      const result = yield* RunCoordinator.execute(project, executionPlan, {
        runId,
        concurrency: options?.concurrency,
        tags: { "strata/kind": "backfill", "strata/backfill": backfillId }
      })
      runs.push({ runId, selection: piece.selection, status: result.status })
      // progress alone: the stale partitions are not needed, nor their partition versions read
      const after = yield* assess(project as Project<unknown>, instance, { ...(yield* request()), now: now(), staleness: false })
      options?.onReport?.({ _tag: "run-ended", result, progress: progressOf(after) })
    }
    const final = progressOf(yield* assess(project as Project<unknown>, instance, { ...(yield* request()), now: now(), staleness: false }))
    canceled ||= (yield* store.get(backfillId))?.cancelRequestedAt !== undefined && final.missing > 0
    const status = final.missing === 0 ? "completed" : canceled ? "canceled" : "failed"
    const reason = status === "completed" ? undefined : canceled ? "a cancel was requested" : `${final.missing} partition(s) not materialized`
    const ended = yield* store.setStatus(backfillId, { status, at: now(), reason })
    return { record: ended, progress: final, runs }
  })

/**
 * Records a new backfill (and checks that it plans) without running it.
 *
 * @since 0.1.0
 */
export const create = (
  project: Project<unknown>,
  request: {
    readonly selection: string
    readonly partitions: string
    readonly policy: string
    readonly now: number
    readonly backfillId?: string | undefined
    /** Rebuild every requested partition, materialized or not (`NewBackfill.rebuild`). */
    readonly rebuild?: boolean | undefined
  }
): Effect.Effect<BackfillRecord, PlanError, Instance> =>
  Effect.gen(function*() {
    const instance = yield* Instance
    const policy = parsePolicy(request.policy)
    if (policy instanceof BackfillError) return yield* policy
    const rebuild = request.rebuild === true ? { runIds: [] } : undefined
    const planned = yield* plan(project, instance, {
      selection: request.selection,
      partitions: request.partitions,
      policy,
      now: request.now,
      rebuild,
      staleness: false
    })
    return yield* instance.backfills.create({
      backfillId: request.backfillId ?? `bf-${randomUUID().slice(0, 8)}`,
      selection: request.selection,
      partitions: request.partitions,
      policy: formatPolicy(policy),
      ...(rebuild === undefined ? {} : { rebuild: true as const }),
      assetKeys: planned.assetKeys,
      createdAt: request.now
    })
  })

/**
 * A backfill's status as read: `interrupted` for one recorded `running`
 * whose executor is gone, else its
 * recorded status. The process running a backfill holds the instance lease
 * `backfill/<id>`, renewed every 10 s with a 30 s TTL; the executor is gone
 * when that lease is free or expired (a stopped server, a crash), or held
 * by a process of this host that no longer exists (a SIGKILL, seen at
 * once). An interrupted backfill resumes like a failed one.
 *
 * @since 0.1.0
 */
export type ReadStatus = BackfillStatus | "interrupted"

/**
 * The {@link ReadStatus} of a backfill at `now` (one lease read for a
 * running backfill).
 *
 * @since 0.1.0
 */
export const statusOf = (instance: InstanceShape, record: BackfillRecord, now: number): Effect.Effect<ReadStatus, InstanceError> => {
  if (record.status !== "running") return Effect.succeed(record.status)
  return Effect.map(BackfillLease.leaseOf(instance, record.backfillId), (lease) =>
    BackfillLease.isHeld(lease, now) ? record.status : "interrupted")
}
