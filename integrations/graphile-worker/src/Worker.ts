/**
 * A worker process: takes step jobs from graphile-worker and runs them with
 * `Step.executeIn` against the project and the services of the environment it
 * built once (resources, I/O managers, `Metadata.MaxBytes`). Its events go to
 * the shared instance through the {@link EventWriter}'s group commits. A
 * heartbeat keeps its lease; missing it for longer than the lease hands its
 * steps to other workers. `strata worker` is this, with flags.
 *
 * - A job already recorded (its worker died after committing, before
 *   graphile-worker heard of it) is not run again; a job of a run that ended
 *   or was asked to cancel is dropped.
 * - A job delivered more than `maxDeliveries` times (its workers kept dying)
 *   records a `WorkerLost` failure instead of running.
 * - Canceling a run interrupts its steps here (the coordinator's notification,
 *   or the cancel request seen at the next heartbeat).
 * - Interrupting `run` (SIGTERM, Ctrl-C) stops taking jobs, lets running steps
 *   finish for `shutdownTimeoutMs`, then interrupts them and hands their jobs
 *   back to the queue.
 *
 * @since 0.1.0
 */
import { EventEmitter } from "node:events"
import { hostname } from "node:os"
import type { Event, Project } from "@strata/core"
import { Instance, Step, StepRequest } from "@strata/core"
import { PgClient } from "@strata/postgres"
import { Context, Deferred, Effect, Exit, Fiber, Logger, Schema } from "effect"
import type { Scope } from "effect"
import type pg from "pg"
import type { JobHelpers, Runner, WorkerEvents } from "graphile-worker"
import { run as runGraphile } from "graphile-worker"
import { EventWriter, WorkerFenced } from "./internal/eventWriter.ts"
import { heartbeat, reap, register, unregister, type WorkerIdentity } from "./internal/leases.ts"
import { ensurePoolHandlers } from "./internal/listener.ts"
import { graphileLogger, type LogLine } from "./internal/logging.ts"
import { RunChecks } from "./internal/runChecks.ts"
import { migrate } from "./internal/schema.ts"
import type { JobPayload } from "./QueueExecutor.ts"
import * as WorkerQueue from "./WorkerQueue.ts"

export type { LogLine }

/**
 * Options of {@link run}.
 *
 * @since 0.1.0
 */
export interface Options {
  readonly project: Project.Project<unknown>
  /** The environment's services, built once (`ProjectLoader.buildEnvironment` in the CLI). */
  readonly services: Context.Context<never>
  /** Steps run at once. Default 4. */
  readonly concurrency?: number | undefined
  /** Take this queue's steps instead of the environment's queue. */
  readonly queue?: string | undefined
  /** How long running steps may finish after a shutdown begins. Default 25 s. */
  readonly shutdownTimeoutMs?: number | undefined
  /** How often a `health` line is logged. Default 30 s. */
  readonly healthIntervalMs?: number | undefined
  readonly log?: ((line: LogLine) => void) | undefined
}

/**
 * The worker cannot start, or had to stop.
 *
 * @since 0.1.0
 */
export class WorkerError extends Schema.TaggedError<WorkerError>()("@strata/graphile-worker/WorkerError", {
  message: Schema.String
}) {}

interface Stats {
  completed: number
  failed: number
  skipped: number
  /** graphile-worker's fetches of jobs, and how many of them found none (another worker had taken them). */
  fetches: number
  emptyFetches: number
}

/** What the job handler needs: one value, built once the pool exists. */
interface WorkerState {
  readonly options: Options
  readonly settings: WorkerQueue.Settings
  readonly client: PgClient["Service"]
  readonly identity: WorkerIdentity
  readonly writer: EventWriter
  readonly checks: RunChecks
  readonly running: Map<string, Set<Fiber.Fiber<void, unknown>>>
  readonly stats: Stats
  readonly log: (line: LogLine) => void
}

const fail = (message: string) => new WorkerError({ message })

const requireServices = (options: Options) =>
  Effect.gen(function*() {
    const services = options.services as Context.Context<unknown>
    const queue = Context.getOption(services, WorkerQueue.WorkerQueue)
    if (queue._tag === "None") {
      return yield* fail("this environment does not run steps on workers: add QueueExecutor.layer() from @strata/graphile-worker to its Layer")
    }
    const client = Context.getOption(services, PgClient)
    if (client._tag === "None") return yield* fail("this environment provides no PgClient (@strata/postgres): workers need the queue's Postgres")
    const instance = Context.getOption(services, Instance.Instance)
    if (instance._tag === "None" || !instance.value.capabilities.multiProcess) {
      return yield* fail("this environment's instance is not shared: workers record steps in a PostgresInstance on the queue's database")
    }
    let settings = queue.value
    if (options.queue !== undefined && options.queue !== settings.queue) {
      settings = yield* Effect.try({
        try: () => WorkerQueue.settings({ ...settings, queue: options.queue }),
        catch: (error) => fail((error as Error).message)
      })
    }
    return { settings, client: client.value }
  })

/**
 * Runs the worker until interrupted (then shuts down gracefully) or until it
 * must stop (fenced off, its pool failed): then it fails with a
 * {@link WorkerError} saying why.
 *
 * @since 0.1.0
 */
export const run = (options: Options): Effect.Effect<never, WorkerError> =>
  Effect.scoped(Effect.gen(function*() {
    const log = options.log ?? (() => {})
    const { client, settings } = yield* requireServices(options)
    yield* client.query("select 1").pipe(Effect.mapError((error) =>
      fail(`cannot reach Postgres at ${client.info.host}:${client.info.port}/${client.info.database}: ${error.message}`)
    ))
    yield* migrate(client, settings, log).pipe(Effect.mapError((error) => fail(`cannot prepare the queue's tables: ${error.message}`)))
    const concurrency = options.concurrency ?? 4
    const ready = yield* Deferred.make<WorkerState>()
    const stats: Stats = { completed: 0, failed: 0, skipped: 0, fetches: 0, emptyFetches: 0 }
    const runner = yield* startGraphile(settings, client, concurrency, options, ready, stats, log)
    const identity: WorkerIdentity = { id: runner.poolId, host: hostname(), pid: process.pid, queue: settings.queue, concurrency }
    yield* register(client, settings, identity).pipe(Effect.mapError((error) => fail(`cannot register the worker: ${error.message}`)))
    yield* Effect.addFinalizer(() => Effect.ignore(unregister(client, settings, identity.id)))
    const writer = yield* EventWriter.make(client, settings, identity.id)
    yield* Effect.forkScoped(writer.loop())
    const state: WorkerState = { options, settings, client, identity, writer, checks: new RunChecks(client, settings), running: new Map(), stats, log }
    // the runner stops first (finalizers run in reverse): running steps still write through the writer
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => log({ event: "worker-stopping", level: "info", worker: identity.id, message: "no new steps; running ones may finish" })).pipe(
        Effect.andThen(Effect.promise(() => runner.runner.stop().catch(() => {}))),
        Effect.andThen(Effect.sync(() => log({ event: "worker-stopped", level: "info", worker: identity.id, ...state.stats })))
      ))
    Deferred.doneUnsafe(ready, Exit.succeed(state))
    yield* Effect.promise(() => runner.cancelListening)
    log({ event: "worker-started", level: "info", worker: identity.id, host: identity.host, pid: identity.pid, queue: settings.queue, concurrency, leaseMs: settings.leaseMs })
    const lease = yield* Effect.forkScoped(leaseLoop(state))
    yield* Effect.forkScoped(healthLoop(state, options.healthIntervalMs ?? 30_000))
    const poolEnded = Effect.flatMap(Effect.promise(() => runner.runner.promise.then(() => "ended", (e) => String(e))), (why) =>
      Effect.fail(fail(`graphile-worker's pool stopped: ${why}`)))
    return yield* Effect.raceFirst(Fiber.join(lease), poolEnded)
  }))

/**
 * graphile-worker's own connections (its fetches, job completions and `LISTEN`), with `synchronous_commit` off: a
 * fetch that locks jobs and a completion that deletes them then commit without waiting for a disk flush, which
 * was a flush on the way from enqueue to start. Nothing depends on those commits surviving a crash of the server:
 * a step's events and outcome are written durably by the worker's own statement (on the environment's pool)
 * before its job completes, and that flush covers every earlier commit; a lost lock or completion only means
 * that the job is taken again, and a job already recorded is not run twice. Same server and pg as `PgClient`'s
 * pool (its constructor and settings).
 */
const graphilePool = (client: PgClient["Service"]): Effect.Effect<pg.Pool, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const Pool = client.pool.constructor as new(config: pg.PoolConfig) => pg.Pool
      const base = client.pool.options as pg.PoolConfig
      const pool = new Pool({
        ...base,
        // a fetch, a completion batch and the `LISTEN` connection at once, and one spare
        max: 4,
        options: `${base.options ?? ""} -c synchronous_commit=off`.trim()
      })
      ensurePoolHandlers(pool)
      return pool
    }),
    (pool) => Effect.promise(() => pool.end().catch(() => {}))
  )

const startGraphile = (
  settings: WorkerQueue.Settings,
  client: PgClient["Service"],
  concurrency: number,
  options: Options,
  ready: Deferred.Deferred<WorkerState>,
  stats: Stats,
  log: (line: LogLine) => void
): Effect.Effect<{ readonly runner: Runner; readonly poolId: string; readonly cancelListening: Promise<void> }, WorkerError, Scope.Scope> =>
  Effect.flatMap(graphilePool(client), (pgPool) => Effect.tryPromise({
    try: async () => {
      const waitReady = Effect.runPromise(Deferred.await(ready))
      const { events, pool, cancelListening } = graphileEvents(settings, stats, waitReady, log)
      const runner = await runGraphile({
        pgPool,
        schema: settings.graphileSchema,
        concurrency,
        noHandleSignals: true,
        pollInterval: settings.pollIntervalMs,
        logger: graphileLogger(log),
        events,
        parsedCronItems: [],
        gracefulShutdownAbortTimeout: options.shutdownTimeoutMs ?? 25_000,
        // each fetch locks up to `concurrency` jobs for this process's slots, and completions are sent in batches:
        // one query per batch instead of one per step (graphile-worker's "batching")
        preset: { worker: { localQueue: { size: concurrency, ttl: settings.leaseMs }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
        taskList: {
          [settings.task]: async (payload, helpers) => handle(await waitReady, payload as JobPayload, helpers)
        }
      })
      if (pool.id === undefined) throw new Error("graphile-worker created no worker pool")
      return { runner, poolId: pool.id, cancelListening }
    },
    catch: (error) => fail(`cannot start graphile-worker: ${error instanceof Error ? error.message : String(error)}`)
  }))

/**
 * What the worker hears from graphile-worker: its pool's id, its fetches (counted), and its `LISTEN` connection,
 * which also listens on the cancel channel. Every notification in the database wakes every listening connection
 * of the database (Postgres signals them all, whatever the channel, and each reads the notification queue in a
 * transaction of its own), so a worker keeps one listening connection, not two.
 */
const graphileEvents = (settings: WorkerQueue.Settings, stats: Stats, waitReady: Promise<WorkerState>, log: (line: LogLine) => void) => {
  const events: WorkerEvents = new EventEmitter() as WorkerEvents
  const pool: { id?: string } = {}
  const cancel = WorkerQueue.channels(settings).cancel
  let listened: () => void = () => {}
  const cancelListening = new Promise<void>((resolve) => (listened = resolve))
  events.on("pool:create", ({ workerPool }) => {
    pool.id = workerPool.id
  })
  events.on("localQueue:getJobs:complete", ({ jobs }) => {
    stats.fetches++
    if (jobs.length === 0) stats.emptyFetches++
  })
  // on every (re)connection of graphile-worker's listening client; a failure breaks that client, and graphile-worker
  // connects again (a cancel missed meanwhile is seen by the heartbeat's look at the runs of running steps)
  events.on("pool:listen:success", ({ client }) => {
    client.query(`listen "${cancel}"`).then(() => listened(), (error) => log({ event: "listen-error", level: "warn", message: String(error) }))
  })
  // graphile-worker gives that client back to its pool once done with it (after its own `UNLISTEN`s)
  events.on("pool:listen:release", ({ client }) => {
    client.query(`unlisten "${cancel}"`).catch(() => {})
  })
  events.on("pool:listen:notification", ({ message }) => {
    if (message.channel !== cancel) return
    const runId = message.payload ?? ""
    void waitReady.then((state) => {
      state.checks.stopped(runId, "its run is being canceled")
      interruptRun(state, runId, "the run was canceled")
    })
  })
  return { events, pool, cancelListening }
}

const decodeRequest = Schema.decodeUnknownSync(StepRequest.StepRequestSchema)

/** The job handler: runs the step in a fiber the cancel and shutdown paths can interrupt. */
const handle = async (state: WorkerState, payload: JobPayload, helpers: JobHelpers): Promise<void> => {
  let request: StepRequest.StepRequest
  try {
    request = decodeRequest(payload.request)
  } catch (error) {
    // a payload this worker cannot read (a newer coordinator): dropped, and said so
    state.log({ event: "bad-job", level: "error", job: helpers.job.id, message: String(error) })
    return
  }
  const fiber = Effect.runForkWith(state.options.services)(runJob(state, request, payload, helpers.job.attempts))
  const fibers = state.running.get(request.runId) ?? new Set()
  fibers.add(fiber)
  state.running.set(request.runId, fibers)
  let handedBack = false
  const onAbort = () => {
    handedBack = true
    fiber.interruptUnsafe()
  }
  helpers.abortSignal.addEventListener("abort", onAbort)
  try {
    // the fiber's own observer (no second fiber per job to await it)
    const exit = await new Promise<Exit.Exit<void, unknown>>((resolve) => fiber.addObserver(resolve))
    if (handedBack) throw new Error("the worker shut down before the step ended; the step goes back to the queue")
    if (Exit.isFailure(exit) && !Exit.hasInterrupts(exit)) {
      throw new Error(`the step's events could not be recorded: ${String(exit.cause)}`)
    }
  } finally {
    helpers.abortSignal.removeEventListener("abort", onAbort)
    fibers.delete(fiber)
    if (fibers.size === 0) state.running.delete(request.runId)
  }
}

const interruptRun = (state: WorkerState, runId: string, why: string): void => {
  const fibers = state.running.get(runId)
  if (fibers === undefined) return
  state.log({ event: "steps-interrupted", level: "info", runId, steps: fibers.size, message: why })
  for (const fiber of fibers) fiber.interruptUnsafe()
}

/** How long a step runs before its `step-started` is written on its own. */
const startedWriteDelayMs = 100

const runJob = (state: WorkerState, request: StepRequest.StepRequest, payload: JobPayload, delivery: number) =>
  Effect.gen(function*() {
    const { settings, identity, writer } = state
    const jobKey = WorkerQueue.jobKey(request)
    const skip = yield* state.checks.skipReason({ runId: request.runId, jobKey, mayHaveRun: delivery > 1 || payload.again === true })
    if (skip !== undefined) {
      state.stats.skipped++
      state.log({ event: "step-dropped", level: "info", runId: request.runId, asset: request.assetKey, attempt: request.attempt, message: skip })
      return
    }
    const started = Date.now()
    const partition = request.partitions[0]
    const startedEvent: Event.StrataEvent = {
      type: "step-started",
      runId: request.runId,
      timestamp: started,
      assetKey: request.assetKey,
      partition,
      attempt: request.attempt,
      worker: { id: identity.id, host: identity.host, pid: identity.pid }
    }
    state.log({ event: "step-started", level: "debug", runId: request.runId, asset: request.assetKey, attempt: request.attempt, delivery, queuedMs: started - payload.enqueuedAt })
    if (delivery > settings.maxDeliveries) {
      yield* writer.commit([startedEvent, workerLost(request, started, delivery - 1, settings)], { jobKey, runId: request.runId })
      state.stats.failed++
      return
    }
    // a step still running after `startedWriteDelayMs` shows as started (with this worker) in the instance; a
    // shorter one writes its start with its end, in one transaction instead of two
    const collected: Array<Event.StrataEvent> = [startedEvent]
    let startedWritten = false
    const timer = setTimeout(() => {
      startedWritten = true
      writer.push([startedEvent])
    }, startedWriteDelayMs)
    const emit = (event: Event.StrataEvent) => {
      if (event.type !== "step-started") collected.push(event)
    }
    const result = yield* Step.executeIn({ project: state.options.project, services: state.options.services, emit, now: Date.now }, request).pipe(
      Effect.provideService(Logger.CurrentLoggers, new Set([Step.logCapture(emit)])),
      Effect.ensuring(Effect.sync(() => clearTimeout(timer)))
    )
    yield* writer.commit(startedWritten ? collected.slice(1) : collected, { jobKey, runId: request.runId })
    if (result.status === "succeeded") state.stats.completed++
    else state.stats.failed++
    state.log({ event: "step-ended", level: "debug", runId: request.runId, asset: request.assetKey, attempt: request.attempt, status: result.status, ms: Date.now() - started })
  })

const workerLost = (request: StepRequest.StepRequest, at: number, deliveries: number, settings: WorkerQueue.Settings): Event.StrataEvent =>
  Step.failedEvent(request, at, 0, {
    tag: "@strata/graphile-worker/WorkerLost",
    message: `the step was given to a worker ${deliveries} time${deliveries === 1 ? "" : "s"} and each worker stopped ` +
      `(killed, crashed, or silent for longer than the lease of ${settings.leaseMs} ms) before it ended; it is not given out again`
  }, false)

/** Heartbeats; interrupts the steps of runs asked to cancel; releases the steps of dead workers. Fails once fenced off. */
const leaseLoop = (state: WorkerState): Effect.Effect<never, WorkerError> =>
  Effect.forever(Effect.gen(function*() {
    yield* Effect.sleep(state.settings.heartbeatMs)
    const { client, settings } = state
    if (state.writer.fenced !== undefined) return yield* fail(state.writer.fenced.message)
    const alive = yield* heartbeat(client, settings, state.identity.id).pipe(Effect.catch((error) => {
      state.log({ event: "heartbeat-failed", level: "warn", message: error.message })
      return Effect.succeed(true)
    }))
    if (!alive) return yield* fail(new WorkerFenced({ message: `worker ${state.identity.id} was taken for dead (no heartbeat for ${settings.leaseMs} ms)` }).message)
    const runIds = [...state.running.keys()]
    if (runIds.length > 0) {
      const ended = yield* client.query<{ run_id: string }>(
        `select run_id from ${settings.instanceSchema}.runs where run_id = any($1::text[])
         and (status in ('succeeded', 'failed', 'canceled') or cancel_requested_at is not null)`,
        [runIds]
      ).pipe(Effect.orElseSucceed(() => []))
      for (const { run_id } of ended) {
        state.checks.stopped(run_id, "its run ended or is being canceled")
        interruptRun(state, run_id, "the run ended or was asked to cancel")
      }
    }
    const dead = yield* reap(client, settings).pipe(Effect.orElseSucceed(() => [] as Array<string>))
    if (dead.length > 0) state.log({ event: "workers-reaped", level: "warn", workers: dead, message: `released the steps of ${dead.length} dead worker(s)` })
  }))

const healthLoop = (state: WorkerState, everyMs: number) =>
  Effect.forever(Effect.andThen(Effect.sleep(everyMs), Effect.sync(() => {
    let running = 0
    for (const fibers of state.running.values()) running += fibers.size
    state.log({ event: "health", level: "info", worker: state.identity.id, running, ...state.stats })
  })))
