/**
 * The queue executor: the run coordinator's steps run on worker processes
 * (`strata worker`) through graphile-worker, with Postgres as the shared
 * instance. Scheduling is core's (`Executor.walk`: the plan's order, the run's
 * concurrency limit, downstream of a failure skipped); each attempt of a step
 * becomes one job whose payload is the `StepRequest` and whose key is run +
 * step + attempt, so enqueuing the same attempt twice makes one job. The
 * worker appends the step's events itself and notifies; the coordinator
 * follows the run's event log from a cursor (`RunTail`) and learns the
 * outcome from the step's end event. Retries are the asset's policy's: a
 * failed attempt that may be retried is enqueued again as the next attempt.
 *
 * Interrupting the run (a cancel request, Ctrl-C) removes the jobs not yet
 * taken and tells the workers running the run's steps to interrupt them.
 *
 * @since 0.1.0
 */
import { hostname } from "node:os"
import type { Event, StepRequest } from "@strata/core"
import { Executor, Instance, StepRequest as StepRequestModule } from "@strata/core"
import { PgClient } from "@strata/postgres"
import { Context, Deferred, Effect, Layer, Schema } from "effect"
import { Enqueuer } from "./internal/enqueuer.ts"
import { listen } from "./internal/listener.ts"
import { reap } from "./internal/leases.ts"
import { warnIfNoWorker } from "./internal/noWorker.ts"
import { RunTail } from "./internal/runTail.ts"
import { migrate } from "./internal/schema.ts"
import * as WorkerQueue from "./WorkerQueue.ts"

type StepResult = StepRequest.StepResult

/**
 * The queue cannot be used: the instance is not shared, or Postgres refused
 * the migrations or the notification connection.
 *
 * @since 0.1.0
 */
export class QueueSetupError extends Schema.TaggedError<QueueSetupError>()("@strata/graphile-worker/QueueSetupError", {
  message: Schema.String
}) {}

/**
 * A job's payload: the step request, and when it was enqueued (for the
 * worker's latency figures).
 *
 * @since 0.1.0
 */
export interface JobPayload {
  readonly request: unknown
  readonly enqueuedAt: number
  /** Enqueued again after the coordinator lost its connection: the attempt may already be recorded. */
  readonly again?: boolean | undefined
}

/** The runs with steps on workers, by run id, for the notifications to reach. */
class Tails {
  readonly byRun = new Map<string, RunTail>()

  wake(runId: string): void {
    this.byRun.get(runId)?.wake()
  }

  wakeAll(): void {
    for (const tail of this.byRun.values()) tail.wake()
  }

  /**
   * After the notification connection was lost: enqueues again every attempt still awaited, in case the
   * connection broke because the server crashed and lost an enqueue not yet flushed (see the enqueuer).
   * A job that exists is kept (same key); an attempt already recorded is skipped by its worker.
   */
  enqueueAgain(enqueuer: Enqueuer): void {
    for (const tail of this.byRun.values()) for (const job of tail.jobs()) {
      enqueuer.push(JSON.stringify({ ...job.payload, again: true }), job.key)
    }
  }
}

const setupError = (what: string) => (error: unknown) =>
  new QueueSetupError({ message: `${what}: ${error instanceof Error ? error.message : String((error as { message?: unknown })?.message ?? error)}` })

/**
 * The executor (and the queue's settings, which `strata worker` reads from the
 * same environment). Needs `PgClient` and a shared `Instance`
 * (`PostgresInstance`) on the same database. Migrates graphile-worker's
 * schema and this package's when built.
 *
 * @since 0.1.0
 */
export const layer = (
  options?: WorkerQueue.Options
): Layer.Layer<Executor.Executor | WorkerQueue.WorkerQueue, QueueSetupError, PgClient | Instance.Instance> =>
  Layer.effectContext(Effect.gen(function*() {
    const settings = yield* Effect.try({ try: () => WorkerQueue.settings(options), catch: setupError("invalid queue options") })
    const client = yield* PgClient
    const instance = yield* Instance.Instance
    if (!instance.capabilities.multiProcess) {
      return yield* new QueueSetupError({
        message: `steps on workers need an instance the workers share (PostgresInstance on the queue's database); this environment's is ${instance.describe}`
      })
    }
    yield* migrate(client, settings, () => {}).pipe(Effect.mapError(setupError("cannot prepare the queue's tables")))
    const tails = new Tails()
    const enqueuer = yield* Enqueuer.make(client, settings)
    yield* Effect.forkScoped(enqueuer.loop())
    const channels = WorkerQueue.channels(settings)
    yield* listen({
      pool: client.pool,
      channels: [channels.events],
      onNotification: (_channel, runId) => tails.wake(runId),
      onReconnect: () => {
        tails.enqueueAgain(enqueuer)
        tails.wakeAll()
      },
      onError: () => {}
    }).pipe(Effect.mapError(setupError("cannot listen for step events")))
    // once per heartbeat period while runs wait on workers: release the steps of dead workers, read every run's
    // tail in case a notification was missed, and warn the runs waiting on a queue no live worker serves
    yield* Effect.forkScoped(Effect.forever(Effect.andThen(
      Effect.sleep(settings.heartbeatMs),
      Effect.suspend(() => {
        if (tails.byRun.size === 0) return Effect.void
        tails.wakeAll()
        return Effect.andThen(Effect.ignore(reap(client, settings)), Effect.ignore(warnIfNoWorker(client, instance, settings, tails.byRun.values())))
      })
    )))
    const shape: Executor.ExecutorShape = {
      name: `graphile-worker (queue ${settings.queue})`,
      execute: (plan, dispatch, { concurrency }) =>
        Effect.scoped(Effect.gen(function*() {
          const tail = yield* RunTail.make(client, settings)
          yield* Effect.forkScoped(tail.follow())
          yield* Effect.addFinalizer(() => Effect.sync(() => tail.runId !== undefined && tails.byRun.delete(tail.runId)))
          const via = (request: StepRequest.StepRequest) => attemptOnWorker(client, enqueuer, instance, settings, tails, tail, request)
          yield* Executor.walk(plan, dispatch, concurrency, (position) => dispatch.runStep(position, via))
        })).pipe(Effect.orDie)
    }
    return Context.make(Executor.Executor, shape).pipe(Context.add(WorkerQueue.WorkerQueue, settings))
  }))

/** Enqueues one attempt and waits for its end event; interrupted, it takes the job back or tells the worker. */
const attemptOnWorker = (
  client: PgClient["Service"],
  enqueuer: Enqueuer,
  instance: Instance.InstanceShape,
  settings: WorkerQueue.Settings,
  tails: Tails,
  tail: RunTail,
  request: StepRequest.StepRequest
): Effect.Effect<StepResult> =>
  Effect.suspend(() => {
    if (tail.runId === undefined) {
      tail.runId = request.runId
      tails.byRun.set(request.runId, tail)
    }
    const key = WorkerQueue.jobKey(request)
    return Effect.flatMap(Deferred.make<StepResult>(), (deferred) => {
      const payload = payloadOf(request)
      tail.expect(request, { key, payload }, deferred)
      return enqueuer.add(JSON.stringify(payload), key).pipe(
        Effect.andThen(Deferred.await(deferred)),
        Effect.onInterrupt(() => takeBack(client, settings, request.runId, key)),
        Effect.catch((error) => recordFailure(instance, request, error)),
        Effect.ensuring(Effect.sync(() => tail.forget(request.assetKey, request.partitions[0])))
      )
    })
  })

const encodeRequest = Schema.encodeSync(StepRequestModule.StepRequestSchema)

const payloadOf = (request: StepRequest.StepRequest): JobPayload => ({
  request: encodeRequest(request),
  enqueuedAt: Date.now()
})

/** A canceled step: its job is removed when no worker took it yet, and the run's workers are told. */
const takeBack = (client: PgClient["Service"], settings: WorkerQueue.Settings, runId: string, key: string) =>
  Effect.ignore(client.query(
    `select ${settings.graphileSchema}.remove_job($1), pg_notify($2, $3)`,
    [key, WorkerQueue.channels(settings).cancel, runId]
  ))

/** The step could not be handed to a worker (Postgres refused the job): the coordinator records its failure. */
const recordFailure = (instance: Instance.InstanceShape, request: StepRequest.StepRequest, error: { readonly message: string }) =>
  Effect.gen(function*() {
    const at = Date.now()
    const partition = request.partitions[0]
    const events: Array<Event.StrataEvent> = [
      { type: "step-started", runId: request.runId, timestamp: at, assetKey: request.assetKey, partition, attempt: request.attempt },
      {
        type: "step-failed",
        runId: request.runId,
        timestamp: at,
        assetKey: request.assetKey,
        partition,
        attempt: request.attempt,
        durationMs: 0,
        error: { tag: "@strata/graphile-worker/EnqueueFailed", message: `cannot enqueue the step on ${hostname()}: ${error.message}` },
        willRetry: false
      }
    ]
    yield* Effect.ignore(instance.appendEvents(events))
    const end = events[1] as Event.StepFailed
    return { status: "failed", error: end.error, willRetry: false, events } satisfies StepResult as StepResult
  })
