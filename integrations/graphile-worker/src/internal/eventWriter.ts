/**
 * A worker's writes, committed in groups: each write takes every entry
 * queued meanwhile (the `step-started` of steps that began, the events of
 * steps that ended), writes each entry's events as one row of `step_events`
 * for the run's coordinator to append to the instance (workers never take the
 * instance's append lock) and records the ended jobs in `step_outcomes`, so
 * that a step's events and its outcome row commit together; then it notifies
 * each run's coordinator. The notification is a statement of its own, after
 * the commit: Postgres serializes the commits of notifying transactions (a
 * database-wide lock held through the WAL flush), so a notifying write could
 * not share its disk flush with any other, while a plain one joins the next
 * group flush. A notification lost with a worker that dies just after its
 * commit is made up by the coordinator's periodic read. The write first takes a share lock on the worker's own row:
 * a worker that was taken for dead (its row deleted, its steps handed to
 * another) can no longer record anything, and learns it here.
 */
import type { Event } from "@strata/core"
import type { PgClient } from "@strata/postgres"
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

  /** One statement (one round trip, one commit), then the notifications. */
  private write(batch: ReadonlyArray<Entry>) {
    const { client, settings, workerId } = this
    const outcomes = batch.flatMap((entry) => entry.outcome === undefined ? [] : [entry.outcome])
    const rows = batch.filter((entry) => entry.events.length > 0)
    const runIds = [...new Set(rows.map((entry) => entry.events[0]!.runId))]
    // `for key share` on the worker's own row: a concurrent heartbeat (an update of a non-key column) does not wait
    // for this statement, a reaper's delete of the row does; a row already deleted writes nothing. The events go to
    // the run's coordinator, which appends them to the instance (no instance-wide lock here).
    const written = client.query<{ mine: number }>(
      `with mine as (select worker_id from ${settings.schema}.workers where worker_id = $1 for key share),
       outcomes as (
         insert into ${settings.schema}.step_outcomes (job_key, run_id, worker_id)
         select key, run, $1 from unnest($2::text[], $3::text[]) as o(key, run) where exists (select 1 from mine)
         on conflict do nothing
       ),
       events as (
         insert into ${settings.schema}.step_events (run_id, events)
         select run, events from unnest($4::text[], $5::json[]) with ordinality as r(run, events, position)
         where exists (select 1 from mine) order by position
       )
       select count(*)::int as mine from mine`,
      [
        workerId,
        outcomes.map((o) => o.jobKey),
        outcomes.map((o) => o.runId),
        rows.map((entry) => entry.events[0]!.runId),
        rows.map((entry) => JSON.stringify(entry.events))
      ]
    )
    return Effect.flatMap(written, ([row]) =>
      row!.mine === 0
        ? Effect.fail(
          new WorkerFenced({
            message: `worker ${workerId} missed its heartbeats for longer than the lease (${settings.leaseMs} ms) and was taken ` +
              "for dead; its steps were given to other workers, and this one stops without recording them"
          })
        )
        : Effect.ignore(client.query(`select pg_notify($1, run) from unnest($2::text[]) as r(run)`, [channels(settings).events, runIds])))
  }
}
