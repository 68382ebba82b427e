/**
 * The coordinator's view of one run's steps on workers: the attempts it waits
 * for, and the step events workers wrote for the run (`step_events`). Workers
 * write a step's events, then notify the run's channel; each
 * notification (and the periodic tick, in case one was missed) wakes the tail,
 * which takes the run's rows and appends their events to the instance in one
 * transaction (the rows are deleted in it: each event is appended once), then
 * ends the attempts whose end event arrived. The instance's append lock is
 * taken by the run's coordinator only, once per wake however many steps
 * ended, never by the workers. The automation daemons watching the instance
 * are notified after each move (at most once per 100 ms).
 *
 * Events of a step the coordinator no longer waits for (its run was canceled
 * and the coordinator recorded the step's failure; an attempt superseded) are
 * dropped: a start written after the step's recorded end would show it
 * running in a run that is over.
 */
import type { Event, StepRequest } from "@strata/core"
import type { PgClient } from "@strata/postgres"
import { PostgresInstance, quoteLiteral } from "@strata/postgres"
import { Deferred, Effect, Queue } from "effect"
import type { Settings } from "../WorkerQueue.ts"

type StrataEvent = Event.StrataEvent
type StepResult = StepRequest.StepResult

interface Waiter {
  readonly attempt: number
  /** The attempt's job, to enqueue again after a reconnect. */
  readonly job: QueuedJob
  readonly events: Array<StrataEvent>
  readonly deferred: Deferred.Deferred<StepResult>
}

const pageSize = 2_000
const notifyEveryMs = 100

/** A job as the coordinator enqueued it: its key and payload. */
export interface QueuedJob {
  readonly key: string
  readonly payload: object
}

export const stepKey = (assetKey: string, partition: string | undefined): string => `${assetKey}\u0000${partition ?? ""}`

export class RunTail {
  runId: string | undefined = undefined
  private notifyPending = false
  private notifiedAt = 0
  /** When the run was last warned that no worker serves its queue. */
  warnedAt: number | undefined = undefined
  readonly waiting = new Map<string, Waiter>()
  readonly signal: Queue.Queue<void>
  private readonly client: PgClient["Service"]
  private readonly settings: Settings

  constructor(client: PgClient["Service"], settings: Settings, signal: Queue.Queue<void>) {
    this.client = client
    this.settings = settings
    this.signal = signal
  }

  static make = (client: PgClient["Service"], settings: Settings): Effect.Effect<RunTail> =>
    Effect.map(Queue.unbounded<void>(), (signal) => new RunTail(client, settings, signal))

  wake(): void {
    Queue.offerUnsafe(this.signal, undefined)
  }

  /** Waits for the end of this attempt (the caller enqueues it after calling this). */
  expect(request: StepRequest.StepRequest, job: QueuedJob, deferred: Deferred.Deferred<StepResult>): void {
    this.waiting.set(stepKey(request.assetKey, request.partitions[0]), { attempt: request.attempt, job, events: [], deferred })
  }

  /** The jobs of the attempts still awaited. */
  jobs(): ReadonlyArray<QueuedJob> {
    return [...this.waiting.values()].map((waiter) => waiter.job)
  }

  forget(assetKey: string, partition: string | undefined): void {
    this.waiting.delete(stepKey(assetKey, partition))
  }

  /** Moves the run's step events into the instance whenever woken, until the scope closes. */
  follow(): Effect.Effect<never> {
    const self = this
    return Effect.forever(
      Effect.gen(function*() {
        yield* Queue.take(self.signal)
        yield* Queue.clear(self.signal)
        const runId = self.runId
        if (runId === undefined || self.waiting.size === 0) return
        for (;;) {
          const taken = yield* self.take(runId)
          if (taken < pageSize) return
        }
      }).pipe(Effect.catch(() => Effect.sleep(100)))
    )
  }

  /**
   * One transaction of three round trips: `begin`, the instance's append lock and the delete of up to a page of
   * the run's rows (one message); the append of the events still wanted (`appendIn`'s two statements); `commit`.
   * Then the attempts end, and the daemons watching the instance are told (a notification after the commit, so
   * that this commit does not queue behind other notifying ones).
   */
  private take(runId: string): Effect.Effect<number, unknown> {
    const { client, settings } = this
    const self = this
    return Effect.gen(function*() {
      const accepted: Array<{ readonly waiter: Waiter; readonly events: ReadonlyArray<StrataEvent> }> = []
      const first = `delete from ${settings.schema}.step_events where seq in (
          select seq from ${settings.schema}.step_events where run_id = ${quoteLiteral(runId)} order by seq limit ${pageSize}
        ) returning seq, events`
      const count = yield* PostgresInstance.appendTransaction(client, { schema: settings.instanceSchema, first }, (connection, taken) =>
        Effect.gen(function*() {
          accepted.length = 0
          const rows = taken as ReadonlyArray<{ seq: string; events: ReadonlyArray<StrataEvent> }>
          for (const row of [...rows].sort((a, b) => Number(a.seq) - Number(b.seq))) {
            const waiter = self.waiterOf(row.events)
            if (waiter !== undefined) accepted.push({ waiter, events: row.events })
          }
          const events = accepted.flatMap((entry) => entry.events)
          if (events.length > 0) {
            yield* PostgresInstance.appendIn(client, connection, events, { schema: settings.instanceSchema, locked: true })
          }
          return rows.length
        })
      )
      for (const { waiter, events } of accepted) self.deliver(waiter, events)
      if (accepted.length > 0) self.notifyWatchers()
      return count
    })
  }

  /**
   * Tells the daemons watching the instance (`automation.watchEvents`) that events were appended: at once, then at
   * most once per {@link notifyEveryMs} while moves go on (a daemon needs a wake-up, not one per move).
   */
  private notifyWatchers(): void {
    if (this.notifyPending) return
    this.notifyPending = true
    const wait = Math.max(0, this.notifiedAt + notifyEveryMs - Date.now())
    const channel = PostgresInstance.eventsChannel({ schema: this.settings.instanceSchema })
    Effect.runFork(Effect.sleep(wait).pipe(
      Effect.andThen(Effect.sync(() => {
        this.notifyPending = false
        this.notifiedAt = Date.now()
      })),
      Effect.andThen(Effect.ignore(this.client.query("select pg_notify($1, '')", [channel])))
    ))
  }

  /** The waiter a worker's row of events belongs to, if it still waits for that attempt. */
  private waiterOf(events: ReadonlyArray<StrataEvent>): Waiter | undefined {
    const first = events.find((event) => "assetKey" in event && event.assetKey !== undefined) as
      | (StrataEvent & { readonly assetKey: string; readonly partition?: string | undefined; readonly attempt?: number })
      | undefined
    if (first === undefined) return undefined
    const waiter = this.waiting.get(stepKey(first.assetKey, first.partition))
    if (waiter === undefined) return undefined
    const attempt = events.find((event): event is StrataEvent & { attempt: number } => "attempt" in event && typeof event.attempt === "number")
    return attempt === undefined || attempt.attempt === waiter.attempt ? waiter : undefined
  }

  private deliver(waiter: Waiter, events: ReadonlyArray<StrataEvent>): void {
    for (const event of events) {
      waiter.events.push(event)
      if (event.type === "step-succeeded" || event.type === "step-failed") {
        this.forget(event.assetKey, event.partition)
        Deferred.doneUnsafe(waiter.deferred, Effect.succeed(resultOf(waiter.events, event)))
        return
      }
    }
  }
}

const resultOf = (events: ReadonlyArray<StrataEvent>, end: StrataEvent): StepResult => {
  if (end.type === "step-failed") return { status: "failed", error: end.error, willRetry: end.willRetry, events }
  const recorded = events.find((event) => event.type === "asset-materialized" || event.type === "asset-observed")
  return {
    status: "succeeded",
    dataVersion: recorded !== undefined && "dataVersion" in recorded ? recorded.dataVersion : undefined,
    willRetry: false,
    events
  }
}
