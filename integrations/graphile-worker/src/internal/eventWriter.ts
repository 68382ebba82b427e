/**
 * A worker's writes, committed in groups: each transaction takes every entry
 * queued meanwhile (the `step-started` of steps that began, the events of
 * steps that ended), appends their events to the instance in order, records
 * the ended jobs in `step_outcomes` and notifies each run's coordinator, so
 * that a step's events, its outcome row and the notification commit
 * together. The transaction first takes a share lock on the worker's own row:
 * a worker that was taken for dead (its row deleted, its steps handed to
 * another) can no longer record anything, and learns it here.
 */
import type { Event } from "@strata/core"
import type { PgClient, PgConnection } from "@strata/postgres"
import { PostgresInstance } from "@strata/postgres"
import { Deferred, Effect, Exit, Queue, Schema } from "effect"
import type { Settings } from "../WorkerQueue.ts"
import { channels } from "../WorkerQueue.ts"

/**
 * This worker was taken for dead (it missed its heartbeats for longer than the
 * lease) and its steps were given to others: it must stop.
 */
export class WorkerFenced extends Schema.TaggedError<WorkerFenced>()("@strata/graphile-worker/WorkerFenced", {
  message: Schema.String
}) {}

interface Entry {
  readonly events: ReadonlyArray<Event.StrataEvent>
  readonly outcome?: { readonly jobKey: string; readonly runId: string } | undefined
  readonly done?: Deferred.Deferred<void, unknown> | undefined
}

export class EventWriter {
  private pending: Array<Entry> = []
  private readonly signal: Queue.Queue<void>
  private readonly client: PgClient["Service"]
  private readonly settings: Settings
  private readonly workerId: string
  /** Set once a write found the worker fenced off. */
  fenced: WorkerFenced | undefined

  constructor(client: PgClient["Service"], settings: Settings, workerId: string, signal: Queue.Queue<void>) {
    this.client = client
    this.settings = settings
    this.workerId = workerId
    this.signal = signal
  }

  static make = (client: PgClient["Service"], settings: Settings, workerId: string) =>
    Effect.map(Queue.unbounded<void>(), (signal) => new EventWriter(client, settings, workerId, signal))

  /** Queues events to be written soon, without waiting. */
  push(events: ReadonlyArray<Event.StrataEvent>): void {
    this.pending.push({ events })
    Queue.offerUnsafe(this.signal, undefined)
  }

  /** Writes a step's remaining events with its outcome; succeeds once they are committed. */
  commit(events: ReadonlyArray<Event.StrataEvent>, outcome: { readonly jobKey: string; readonly runId: string }): Effect.Effect<void, unknown> {
    return Effect.flatMap(Deferred.make<void, unknown>(), (done) => {
      this.pending.push({ events, outcome, done })
      Queue.offerUnsafe(this.signal, undefined)
      return Deferred.await(done)
    })
  }

  /** The writing loop: one transaction per wake-up, for everything queued. */
  loop(): Effect.Effect<never> {
    const self = this
    return Effect.forever(Effect.gen(function*() {
      yield* Queue.take(self.signal)
      yield* Queue.clear(self.signal)
      const batch = self.pending
      if (batch.length === 0) return
      self.pending = []
      const exit = yield* Effect.exit(self.write(batch))
      if (Exit.isFailure(exit)) {
        const error = exit.cause.reasons.map((reason) => (reason as { error?: unknown }).error).find((e) => e instanceof WorkerFenced)
        if (error !== undefined) self.fenced = error
      }
      for (const entry of batch) if (entry.done !== undefined) Deferred.doneUnsafe(entry.done, exit)
    }))
  }

  private write(batch: ReadonlyArray<Entry>) {
    const { client, settings, workerId } = this
    const events = batch.flatMap((entry) => entry.events)
    const outcomes = batch.flatMap((entry) => entry.outcome === undefined ? [] : [entry.outcome])
    const runIds = [...new Set(outcomes.map((outcome) => outcome.runId))]
    return client.transaction((connection) =>
      Effect.gen(function*() {
        // `for key share`: a concurrent heartbeat (an update of a non-key column) does not wait for this
        // transaction, a reaper's delete of the row does
        const mine = yield* connection.query(`select 1 from ${settings.schema}.workers where worker_id = $1 for key share`, [workerId])
        if (mine.length === 0) {
          return yield* new WorkerFenced({
            message: `worker ${workerId} missed its heartbeats for longer than the lease (${settings.leaseMs} ms) and was taken ` +
              "for dead; its steps were given to other workers, and this one stops without recording them"
          })
        }
        // the outcome rows and the notifications first: the instance's append lock, taken by `appendIn`, is then
        // held for the append's own statements only (notifications are sent at commit whatever their order)
        if (outcomes.length > 0) {
          yield* connection.query(
            `insert into ${settings.schema}.step_outcomes (job_key, run_id, worker_id)
             select key, run, $3 from unnest($1::text[], $2::text[]) as o(key, run) on conflict do nothing`,
            [outcomes.map((o) => o.jobKey), outcomes.map((o) => o.runId), workerId]
          )
          yield* connection.query(`select pg_notify($1, run) from unnest($2::text[]) as r(run)`, [channels(settings).events, runIds])
        }
        const kept = yield* dropStartsOfEndedRuns(client, connection, settings, batch, events)
        yield* PostgresInstance.appendIn(client, connection, kept, { schema: settings.instanceSchema })
      })
    )
  }
}

/**
 * The `step-started` of a long step is written on its own, ahead of its end. If the step's run was asked to
 * cancel (or ended) meanwhile, the coordinator records the step's failure itself: a start written after it
 * would show the step running in a run that is over. So such starts are checked under the append lock (the
 * cancel request commits before the coordinator's failure, which appends under that lock) and dropped.
 */
const dropStartsOfEndedRuns = (
  client: PgClient["Service"],
  connection: PgConnection,
  settings: Settings,
  batch: ReadonlyArray<Entry>,
  events: ReadonlyArray<Event.StrataEvent>
) =>
  Effect.gen(function*() {
    const starts = batch.filter((entry) => entry.outcome === undefined)
    if (starts.length === 0) return events
    yield* PostgresInstance.lockAppends(client, connection, { schema: settings.instanceSchema })
    const runIds = [...new Set(starts.flatMap((entry) => entry.events.map((event) => event.runId)))]
    const over = yield* connection.query<{ run_id: string }>(
      `select run_id from ${settings.instanceSchema}.runs where run_id = any($1::text[])
       and (status in ('succeeded', 'failed', 'canceled') or cancel_requested_at is not null)`,
      [runIds]
    )
    if (over.length === 0) return events
    const ended = new Set(over.map((row) => row.run_id))
    return batch.flatMap((entry) => entry.outcome === undefined && entry.events.some((e) => ended.has(e.runId)) ? [] : entry.events)
  })
