/**
 * The catalog's run queries and actions: the run list (filtered), one run
 * with its events, following a run's events, and launch, re-execute and
 * cancel through the runtime's launcher.
 */
import { ExecutionPlan, Instance as InstanceValues } from "@strata/core"
import type { Instance } from "@strata/core"
import { Errors, Models } from "@strata/protocol"
import type { ProjectHost, RunLauncher } from "@strata/runtime"
import { Effect, Option, Stream } from "effect"
import { badSelection, storageError, stripUndefined } from "./convert.ts"
import * as RunFilter from "./runFilter.ts"

type Generation = ProjectHost.Generation

export type RunQuery =
  & { readonly status?: string | undefined; readonly limit?: number | undefined; readonly before?: string | undefined }
  & RunFilter.RunFilter

/** What the run page and the runs list both say of a run, after its selection and keys. */
const runFields = (launcher: RunLauncher.RunLauncher, run: Instance.RunSummary | Instance.RunRecord) => ({
  partition: run.partition,
  staleOnly: run.staleOnly,
  parentRunId: run.parentRunId,
  tags: run.tags,
  createdAt: run.createdAt,
  status: run.status,
  startedAt: run.startedAt,
  endedAt: run.endedAt,
  reason: run.reason,
  cancelable: launcher.isExecuting(run.runId) || !Models.isTerminal(run.status),
  cancelRequestedAt: run.cancelRequestedAt,
  cancelReason: run.cancelReason
})

const toRun = (launcher: RunLauncher.RunLauncher, record: Instance.RunRecord): Models.Run =>
  stripUndefined({ runId: record.runId, selection: record.selection, assetKeys: record.assetKeys, ...runFields(launcher, record) })

/** The run statuses of `text` (comma-separated), or a 400 naming the unknown one. */
const statusFilter = (text: string | undefined) =>
  Effect.gen(function*() {
    if (text === undefined || text.trim() === "") return undefined
    const status: Array<Models.RunStatus> = []
    for (const part of text.split(",")) {
      const value = part.trim()
      if (!(Models.RunStatus.literals as ReadonlyArray<string>).includes(value)) {
        return yield* new Errors.InvalidRequest({
          part: "Query",
          message: `unknown run status ${JSON.stringify(value)}; use ${Models.RunStatus.literals.join(", ")}`
        })
      }
      status.push(value as Models.RunStatus)
    }
    return status
  })

/** A run as the runs list carries it: no keys, their count. */
const toSummary = (launcher: RunLauncher.RunLauncher, summary: Instance.RunSummary): Models.RunSummary =>
  stripUndefined({
    runId: summary.runId,
    selection: summary.selection,
    selectionLength: summary.selectionLength,
    assetCount: summary.assetCount,
    ...runFields(launcher, summary)
  })

/**
 * The runs that pass `filter`: summaries read as such, except with an asset
 * filter, which reads each scanned run's keys (on the server; the answer
 * still carries summaries).
 */
const filteredSummaries = (
  g: Generation,
  query: { readonly status: ReadonlyArray<Instance.RunStatus> | undefined; readonly before: string | undefined; readonly limit: number },
  filter: RunFilter.RunFilter
) =>
  filter.asset === undefined
    ? RunFilter.filtered(g.instance.listRunSummaries, query, filter, (run) => RunFilter.matches(filter, run))
    : RunFilter.filtered(g.instance.listRuns, query, filter, (run) => RunFilter.matchesWithAsset(filter, run)).pipe(
      Effect.map((result) => ({ runs: result.runs.map(InstanceValues.summarize), next: result.next }))
    )

export const list = Effect.fn("Catalog.listRuns")(function*(launcher: RunLauncher.RunLauncher, g: Generation, query: RunQuery) {
  const status = yield* statusFilter(query.status)
  const limit = query.limit ?? 50
  if (!RunFilter.isEmpty(query)) {
    const result = yield* filteredSummaries(g, { status, before: query.before, limit }, query).pipe(Effect.mapError(storageError))
    return stripUndefined({ runs: result.runs.map((run) => toSummary(launcher, run)), next: result.next }) satisfies Models.RunList
  }
  const list = yield* g.instance.listRunSummaries({ status, limit: limit + 1, before: query.before }).pipe(
    Effect.mapError(storageError)
  )
  const page = list.slice(0, limit).map((run) => toSummary(launcher, run))
  return stripUndefined({ runs: page, next: list.length > limit ? page[page.length - 1]!.runId : undefined }) satisfies
    Models.RunList
})

const findRun = (g: Generation, runId: string) =>
  Effect.flatMap(g.instance.getRun(runId).pipe(Effect.mapError(storageError)), (run) =>
    run === undefined
      ? Effect.fail(new Errors.RunNotFound({ runId, message: `no run has the id ${runId}` }))
      : Effect.succeed(run))

const events = (g: Generation, runId: string, after?: number, limit?: number) =>
  g.instance.runEvents(runId, after === undefined && limit === undefined ? undefined : { after, limit }).pipe(
    Effect.map((list) => list.map((event) => stripUndefined({ ...event }) as Models.Event)),
    Effect.mapError(storageError)
  )

export const get = Effect.fn("Catalog.getRun")(function*(launcher: RunLauncher.RunLauncher, g: Generation, runId: string) {
  const run = yield* findRun(g, runId)
  return { run: toRun(launcher, run), events: yield* events(g, runId) } satisfies Models.RunDetail
})

/**
 * Events sent per read while following a run: a big run's backlog (75,000
 * events for 25,000 steps) goes out in bounded batches, one after another
 * without a pause, instead of being read, copied and encoded at once.
 */
export const followBatch = 1000

/** Follows a run's events until it ends: the SSE endpoint. */
export const follow = Effect.fn("Catalog.followRun")(function*(
  launcher: RunLauncher.RunLauncher,
  g: Generation,
  runId: string,
  after: number | undefined
) {
  yield* findRun(g, runId)
  return Stream.paginate({ cursor: after ?? 0, first: true }, (state) =>
    Effect.gen(function*() {
      if (!state.first) yield* Effect.sleep(150)
      const run = yield* g.instance.getRun(runId).pipe(Effect.mapError(storageError))
      const batch = yield* events(g, runId, state.cursor, followBatch)
      const cursor = batch.length > 0 ? batch[batch.length - 1]!.id : state.cursor
      // a full batch: more are stored, read them at once
      const more = batch.length === followBatch
      const finished = !more && run !== undefined && Models.isTerminal(run.status) && !launcher.isExecuting(runId)
      // a finished run's events are all stored: one more read cannot find new ones
      return [batch, finished ? Option.none() : Option.some({ cursor, first: more })] as const
    }))
})

const launchError = (error: Instance.InstanceError | ExecutionPlan.ReexecutionError) =>
  error._tag === "@strata/core/InstanceError"
    ? storageError(error)
    : new Errors.RunConflict({ runId: error.runId, message: error.message })

export const launch = Effect.fn("Catalog.launch")(function*(
  launcher: RunLauncher.RunLauncher,
  g: Generation,
  request: Models.LaunchRequest
) {
  // planned once: the plan's steps are the run's
  const plan = yield* ExecutionPlan.make(g.project, {
    selection: request.selection,
    staleOnly: request.staleOnly,
    partition: request.partition
  }).pipe(Effect.mapError((error) =>
    error._tag === "@strata/core/InvalidPartitionKey"
      ? new Errors.InvalidRequest({ part: "Payload", message: error.message })
      : badSelection(error)
  ))
  const runId = yield* launcher.launch(g, plan, { source: "catalog", ...request.tags }).pipe(Effect.mapError(launchError))
  return { runId, assetKeys: plan.steps.map((step) => step.key) } satisfies Models.Launched
})

export const reexecute = Effect.fn("Catalog.reexecute")(function*(
  launcher: RunLauncher.RunLauncher,
  g: Generation,
  parentRunId: string,
  from: "failure" | "all" | undefined
) {
  const parent = yield* findRun(g, parentRunId)
  const launched = yield* launcher.reexecute(parentRunId, from ?? "failure", { source: "catalog", ...parent.tags }).pipe(
    Effect.mapError(launchError)
  )
  return { runId: launched.runId, assetKeys: launched.plan.steps.map((step) => step.key) } satisfies Models.Launched
})

export const cancel = Effect.fn("Catalog.cancel")(function*(launcher: RunLauncher.RunLauncher, g: Generation, runId: string) {
  yield* findRun(g, runId)
  const canceled = yield* launcher.cancel(g.instance, runId).pipe(
    Effect.catchTag("@strata/core/CancelRequestError", (error) =>
      Effect.fail(
        error.reason === "not-found"
          ? new Errors.RunNotFound({ runId, message: error.message })
          : new Errors.RunConflict({ runId, message: error.message })
      )),
    Effect.mapError((error) => error._tag === "@strata/core/InstanceError" ? storageError(error) : error)
  )
  const run = canceled.run
  return { runId, status: run.status, requested: canceled.requested, run: toRun(launcher, run) } satisfies Models.Canceled
})
