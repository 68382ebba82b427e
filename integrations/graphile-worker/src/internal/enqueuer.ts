/**
 * The coordinator's enqueues, in groups: every step request that became ready
 * while the previous statement ran goes into the next one, a single
 * `add_job` per row of an `unnest` (one round trip and one commit for the
 * group). Each job keeps `job_key_mode => 'unsafe_dedupe'`: enqueuing an
 * attempt that already has a job (waiting, running or failed) adds nothing.
 */
import type { PgClient } from "@strata/postgres"
import { Deferred, Effect, Exit, Queue } from "effect"
import type { PgError } from "@strata/postgres"
import type { Settings } from "../WorkerQueue.ts"

interface Entry {
  readonly payload: string
  readonly key: string
  readonly done: Deferred.Deferred<void, PgError>
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
      const { settings } = self
      const exit = yield* Effect.exit(self.client.query(
        `select (${settings.graphileSchema}.add_job(identifier => $1, payload => job.payload, max_attempts => $2::int,
           job_key => job.key, job_key_mode => 'unsafe_dedupe')).id
         from unnest($3::json[], $4::text[]) with ordinality as job(payload, key, position) order by position`,
        // one more delivery than the budget: the last one records that the step's workers kept dying
        [settings.task, settings.maxDeliveries + 1, batch.map((e) => e.payload), batch.map((e) => e.key)]
      ))
      const result = Exit.asVoid(exit)
      for (const entry of batch) Deferred.doneUnsafe(entry.done, result)
    }))
  }
}
