/**
 * The catalog's backfill handlers: list, one backfill with its status per
 * partition range, launch, cancel and resume. A backfill launched or resumed
 * here runs in the server (core's `Backfill.run`, its runs one after another)
 * on the generation it was launched from; its progress is always derived from
 * the assets' partition status ranges, so a backfill another process runs
 * (`strata backfill`) shows the same way.
 */
import { Backfill, PartitionStates, Partitions } from "@strata/core"
import type { BackfillStore, Instance } from "@strata/core"
import { Errors, Models } from "@strata/protocol"
import type { PartitionModels } from "@strata/protocol"
import type { ProjectHost } from "@strata/runtime"
import { Clock, type Context, Effect, Logger, type Scope } from "effect"
import * as PartitionStaleness from "./partitionStaleness.ts"
import * as AssetPartitions from "./partitions.ts"
import * as View from "./partitionView.ts"

type Generation = ProjectHost.Generation

const storageError = (error: Instance.InstanceError) => new Errors.StorageError({ operation: error.operation, message: error.message })

/** The backfills this server runs now (by id), and where it runs them; `memo` keeps the staleness inputs of "backfill stale" and of the backfill pages. */
export interface Runner {
  readonly host: ProjectHost.ProjectHost
  readonly scope: Scope.Scope
  readonly executing: Set<string>
  readonly memo: PartitionStaleness.Memo
}

export const makeRunner = (host: ProjectHost.ProjectHost, scope: Scope.Scope, memo: PartitionStaleness.Memo): Runner => ({
  host,
  scope,
  executing: new Set(),
  memo
})

/** Runs a recorded backfill in the server's scope, on `generation`, until it ends. */
const start = (runner: Runner, generation: Generation, backfillId: string) =>
  Effect.gen(function*() {
    runner.executing.add(backfillId)
    const program = Backfill.run(generation.project, backfillId).pipe(
      Effect.provideContext(generation.context as Context.Context<never>),
      Effect.provideService(Logger.CurrentLoggers, new Set()),
      Effect.catchCause((cause) => Effect.logError(`backfill ${backfillId} stopped`, cause)),
      Effect.ensuring(Effect.sync(() => runner.executing.delete(backfillId)))
    ) as Effect.Effect<unknown>
    yield* Effect.forkIn(runner.host.hold(generation, program), runner.scope)
  })

/**
 * The states of a backfill's requested partitions over its reference assets,
 * now: stale partitions are those stale now and, for a rebuild backfill, the
 * materialized ones its runs have not written yet (still to rebuild).
 */
const statesOf = (generation: Generation, memo: PartitionStaleness.Memo, record: BackfillStore.BackfillRecord, now: number) =>
  // `assess`, not `plan`: cutting runs names each run's partitions, which costs a key per range end
  Effect.map(
    Backfill.assess(generation.project, generation.instance, {
      ...Backfill.requestOf(record),
      now,
      staleness: (keys) => PartitionStaleness.inputsOf(generation, keys, memo)
    }),
    (plan) => ({ space: plan.space, requested: plan.requested, states: plan.states })
  )

type View = Effect.Success<ReturnType<typeof statesOf>>
type ViewResult = { readonly _tag: "Success"; readonly success: View } | { readonly _tag: "Failure"; readonly failure: { readonly message: string } }

const summary = (generation: Generation, runner: Runner, record: BackfillStore.BackfillRecord, now: number) =>
  Effect.flatMap(Effect.result(statesOf(generation, runner.memo, record, now)), (result) =>
    Effect.map(readStatus(generation, record, now), (status) => summaryOf(runner, record, status, result)))

/** The status as read: a `running` backfill whose executor is gone (a server stopped) is `interrupted` (see `Backfill.statusOf`). */
const readStatus = (generation: Generation, record: BackfillStore.BackfillRecord, now: number) =>
  Backfill.statusOf(generation.instance, record, now).pipe(Effect.mapError(storageError))

const summaryOf = (
  runner: Runner,
  record: BackfillStore.BackfillRecord,
  status: Backfill.ReadStatus,
  result: ViewResult
): PartitionModels.Backfill => ({
  backfillId: record.backfillId,
  selection: record.selection,
  partitions: record.partitions,
  policy: record.policy,
  rebuild: record.rebuild === true,
  assetKeys: record.assetKeys,
  status,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt,
  runCount: record.runIds.length,
  ...(record.reason === undefined ? {} : { reason: record.reason }),
  ...(record.cancelRequestedAt === undefined ? {} : { cancelRequestedAt: record.cancelRequestedAt }),
  executing: runner.executing.has(record.backfillId),
  // a backfill of assets no longer in the project still lists, with why its progress is unknown
  ...(result._tag === "Success" ? { progress: PartitionStates.counts(result.success.states) } : { progressError: result.failure.message })
})

const find = (generation: Generation, backfillId: string) =>
  Effect.flatMap(generation.instance.backfills.get(backfillId).pipe(Effect.mapError(storageError)), (record) =>
    record === undefined
      ? Effect.fail(new Errors.BackfillNotFound({ backfillId, message: `backfill ${backfillId} does not exist` }))
      : Effect.succeed(record))

/** `GET /api/backfills`: newest first (default 50). */
export const list = (generation: Generation, runner: Runner, limit: number | undefined) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const records = yield* generation.instance.backfills.list({ limit: limit ?? 50 }).pipe(Effect.mapError(storageError))
    return { backfills: yield* Effect.forEach(records, (record) => summary(generation, runner, record, now)) }
  })

/** `GET /api/backfills/:id`: the backfill, its segments by state (default 500 from `offset`), a bar of 400 buckets, its newest 200 runs. */
export const detail = (generation: Generation, runner: Runner, backfillId: string, query: { readonly offset?: number | undefined; readonly limit?: number | undefined }) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const record = yield* find(generation, backfillId)
    const result = yield* Effect.result(statesOf(generation, runner.memo, record, now))
    const backfill = summaryOf(runner, record, yield* readStatus(generation, record, now), result)
    const view = result._tag === "Success" ? { _tag: "Some" as const, value: result.success } : { _tag: "None" as const }
    const offset = query.offset ?? 0
    const segments = view._tag === "Some"
      ? View.segments(view.value.states, offset, query.limit ?? 500, view.value.space.keyAt)
      : { total: 0, page: [] }
    const runs = yield* Effect.forEach(record.runIds.slice(-200).reverse(), (runId) =>
      Effect.map(generation.instance.getRun(runId).pipe(Effect.mapError(storageError)), (run) =>
        run === undefined ? [] : [{ runId, status: run.status, createdAt: run.createdAt, ...(run.partition === undefined ? {} : { partition: run.partition }) }]))
    const requested = view._tag === "Some" ? view.value.requested : Partitions.Ranges.empty
    const from = requested[0]?.[0]
    const to = requested[requested.length - 1]?.[1]
    return {
      backfill,
      segments: segments.page,
      segmentCount: segments.total,
      offset,
      ...(view._tag === "None" || from === undefined || to === undefined
        ? {}
        : { buckets: View.buckets(view.value.states, from, to, 400, view.value.space.keyAt) }),
      runs: runs.flat()
    } satisfies PartitionModels.BackfillDetail
  })

const planError = (error: Backfill.PlanError) => {
  switch (error._tag) {
    case "@strata/core/InstanceError":
      return storageError(error)
    case "@strata/core/SelectionParseError":
    case "@strata/core/SelectionResolveError":
      return new Errors.BadSelection({ selection: error.selection, problem: error.problem, suggestions: [], message: error.message })
    default:
      return new Errors.InvalidRequest({ part: "Payload", message: error.message })
  }
}

/**
 * "Backfill stale": the stale partitions, now, of the one partitioned asset
 * the request selects, among those it asks for, as a rebuild request.
 */
const staleRequest = (generation: Generation, memo: PartitionStaleness.Memo, request: PartitionModels.LaunchBackfill) =>
  Effect.gen(function*() {
    const key = request.selection
    const { space, states } = yield* AssetPartitions.load(generation, key, memo).pipe(
      Effect.catchTag("@strata/protocol/AssetNotFound", () =>
        Effect.fail(new Errors.InvalidRequest({ part: "Payload", message: `a stale backfill selects one partitioned asset by its key; ${key} is none` })))
    )
    const asked = Partitions.parseSelection(space, request.partitions, { asset: key })
    if (asked instanceof Partitions.InvalidPartitionKey) return yield* new Errors.InvalidRequest({ part: "Payload", message: asked.message })
    const stale = Partitions.Ranges.intersection(states.stale, asked)
    if (stale.length === 0) {
      return yield* new Errors.InvalidRequest({ part: "Payload", message: `asset ${key} has no stale partition in ${request.partitions}` })
    }
    return { ...request, partitions: Partitions.selection(space, stale), rebuild: true }
  })

/**
 * `POST /api/backfills`: records the backfill (checking that it plans), then
 * runs it in the server; a stale one is first narrowed to the stale partitions.
 */
export const launch = (generation: Generation, runner: Runner, asked: PartitionModels.LaunchBackfill) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const request = asked.stale === true ? yield* staleRequest(generation, runner.memo, asked) : asked
    const create = Backfill.create(generation.project, {
      selection: request.selection,
      partitions: request.partitions,
      policy: request.policy ?? "per-partition",
      rebuild: request.rebuild,
      now
    })
    const context = generation.context as Context.Context<Instance.Instance>
    const record = yield* create.pipe(Effect.provideContext(context), Effect.mapError(planError))
    yield* start(runner, generation, record.backfillId)
    return yield* summary(generation, runner, record, now)
  })

/** The backfill's newest run, when it has not ended: the run a cancel must stop too. */
const activeRun = (generation: Generation, record: BackfillStore.BackfillRecord) => {
  const last = record.runIds[record.runIds.length - 1]
  if (last === undefined) return Effect.succeed(undefined)
  return Effect.map(generation.instance.getRun(last).pipe(Effect.mapError(storageError)), (run) =>
    run !== undefined && !Models.isTerminal(run.status) ? run : undefined)
}

/** `POST /api/backfills/:id/cancel`: no further run starts, and the running one is canceled (in whichever process runs it). */
export const cancel = (generation: Generation, runner: Runner, backfillId: string) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const record = yield* find(generation, backfillId)
    if (record.status === "completed" || record.status === "canceled" || record.status === "failed") {
      return yield* new Errors.BackfillConflict({ backfillId, message: `backfill ${backfillId} has already ended (${record.status})` })
    }
    const updated = yield* generation.instance.backfills.requestCancel(backfillId, now).pipe(Effect.mapError(storageError))
    const run = yield* activeRun(generation, record)
    if (run !== undefined) {
      yield* generation.instance.requestCancel(run.runId, { at: now, reason: `backfill ${backfillId} canceled from the catalog` }).pipe(Effect.ignore)
    }
    // a backfill recorded but run by no process (its process died) ends here
    if (!runner.executing.has(backfillId) && run === undefined) {
      const ended = yield* generation.instance.backfills.setStatus(backfillId, { status: "canceled", at: now, reason: "a cancel was requested" })
        .pipe(Effect.mapError(storageError))
      return yield* summary(generation, runner, ended, now)
    }
    return yield* summary(generation, runner, updated ?? record, now)
  })

/** `POST /api/backfills/:id/resume`: runs again what is not materialized yet, in the server. */
export const resume = (generation: Generation, runner: Runner, backfillId: string) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const record = yield* find(generation, backfillId)
    if (runner.executing.has(backfillId)) {
      return yield* new Errors.BackfillConflict({ backfillId, message: `backfill ${backfillId} is running in this server` })
    }
    const run = yield* activeRun(generation, record)
    if (run !== undefined) {
      return yield* new Errors.BackfillConflict({
        backfillId,
        message: `backfill ${backfillId} has run ${run.runId} still going (in another process?); cancel it or wait for it to end`
      })
    }
    if (record.status === "completed") {
      return yield* new Errors.BackfillConflict({ backfillId, message: `backfill ${backfillId} is completed: every partition is materialized` })
    }
    yield* Effect.mapError(statesOf(generation, runner.memo, record, now), (error) =>
      error._tag === "@strata/core/InstanceError" ? storageError(error) : new Errors.InvalidRequest({ part: "Params", message: error.message }))
    yield* start(runner, generation, backfillId)
    return yield* summary(generation, runner, record, now)
  })
