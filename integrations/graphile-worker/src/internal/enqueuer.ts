/**
 * The coordinator's enqueues, in groups: every step request that became ready
 * while the previous statement ran goes into the next one, one call of
 * graphile-worker's `add_jobs` (one round trip, one commit and one
 * notification for the group). Each job has the attempt's key: an attempt
 * enqueued again (after a reconnect, below) goes through `add_job` with
 * `job_key_mode => 'unsafe_dedupe'`, which adds nothing when the attempt has
 * a job (waiting, running or failed).
 *
 * The statement commits with `synchronous_commit` off. `add_jobs` notifies
 * (`jobs:insert`), and Postgres serializes the commits of notifying
 * transactions, each holding a database-wide lock through its WAL flush: a
 * durable enqueue cost one disk flush that no other enqueue or step write
 * could share (about 5-7 ms here, the largest cost of a step). An enqueue
 * that is not yet flushed is lost only if the Postgres server itself crashes
 * within a fraction of a second; that breaks the coordinator's `LISTEN`
 * connection, and on reconnecting it enqueues again every attempt it still
 * waits for ({@link Enqueuer.push}; deduplicated by job key, and a worker
 * skips an attempt already recorded).
 */
import type { PgClient } from "@strata/postgres"
import { Deferred, Effect, Exit, Queue } from "effect"
import type { PgError } from "@strata/postgres"
import type { Settings } from "../WorkerQueue.ts"

interface Entry {
  readonly payload: string
  readonly key: string
  readonly done?: Deferred.Deferred<void, PgError> | undefined
  /** Enqueued again: a job with this key may exist. */
  readonly again?: boolean
}

export class Enqueuer {
  private pending: Array<Entry> = []
  private readonly signal: Queue.Queue<void>
  private readonly client: PgClient["Service"]
  private readonly settings: Settings

  constructor(client: PgClient["Service"], settings: Settings, signal: Queue.Queue<void>) {
    this.client = client
    this.settings = settings
    this.signal = signal
  }

  static make = (client: PgClient["Service"], settings: Settings) =>
    Effect.map(Queue.unbounded<void>(), (signal) => new Enqueuer(client, settings, signal))

  /** Enqueues a job again without waiting (after a reconnect; a job that exists is kept). */
  push(payload: string, key: string): void {
    this.pending.push({ payload, key, again: true })
    Queue.offerUnsafe(this.signal, undefined)
  }

  /** Enqueues a job; succeeds once it is committed. */
  add(payload: string, key: string): Effect.Effect<void, PgError> {
    return Effect.flatMap(Deferred.make<void, PgError>(), (done) => {
      this.pending.push({ payload, key, done })
      Queue.offerUnsafe(this.signal, undefined)
      return Deferred.await(done)
    })
  }

  loop(): Effect.Effect<never> {
    const self = this
    return Effect.forever(Effect.gen(function*() {
      yield* Queue.take(self.signal)
      yield* Queue.clear(self.signal)
      const batch = self.pending
      if (batch.length === 0) return
      self.pending = []
      const fresh = batch.filter((entry) => !entry.again)
      const again = batch.filter((entry) => entry.again)
      const exit = yield* Effect.exit(Effect.andThen(self.addFresh(fresh), self.addAgain(again)))
      const result = Exit.asVoid(exit)
      for (const entry of batch) if (entry.done !== undefined) Deferred.doneUnsafe(entry.done, result)
    }))
  }

  /**
   * Attempts enqueued for the first time: no job has their key, so graphile-worker's `add_jobs` takes them all
   * in one call (one `jobs:insert` notification for the group, where `add_job` sends one per job and wakes every
   * worker for each).
   */
  private addFresh(entries: ReadonlyArray<Entry>): Effect.Effect<void, PgError> {
    if (entries.length === 0) return Effect.void
    const { settings } = this
    return Effect.asVoid(this.client.query(
      `select count(*) from (select set_config('synchronous_commit', 'off', true)) as unflushed,
         ${settings.graphileSchema}.add_jobs(array(
           select row($1, job.payload, null, null, $2::smallint, job.key, null, null)::${settings.graphileSchema}.job_spec
           from unnest($3::json[], $4::text[]) with ordinality as job(payload, key, position) order by position
         ))`,
      // one more delivery than the budget: the last one records that the step's workers kept dying
      [settings.task, settings.maxDeliveries + 1, entries.map((e) => e.payload), entries.map((e) => e.key)]
    ))
  }

  /** Attempts enqueued again: `unsafe_dedupe` keeps a job that exists (waiting, running or failed). */
  private addAgain(entries: ReadonlyArray<Entry>): Effect.Effect<void, PgError> {
    if (entries.length === 0) return Effect.void
    const { settings } = this
    return Effect.asVoid(this.client.query(
      `select (${settings.graphileSchema}.add_job(identifier => $1, payload => job.payload, max_attempts => $2::int,
         job_key => job.key, job_key_mode => 'unsafe_dedupe')).id
       from (select set_config('synchronous_commit', 'off', true)) as unflushed,
         unnest($3::json[], $4::text[]) with ordinality as job(payload, key, position) order by position`,
      [settings.task, settings.maxDeliveries + 1, entries.map((e) => e.payload), entries.map((e) => e.key)]
    ))
  }
}
