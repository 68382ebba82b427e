/**
 * The coordinator's view of one run's steps on workers: the attempts it waits
 * for, and the run's event log tailed from a cursor. Workers append a step's
 * events and notify the run's channel in the same transaction; each
 * notification (and the periodic tick, in case one was missed) wakes the tail,
 * which reads the run's events after its cursor (one indexed query per wake,
 * however many steps ended) and ends the attempts whose end event arrived.
 */
import type { Event, Instance, StepRequest } from "@strata/core"
import { Deferred, Effect, Queue } from "effect"

type StoredEvent = Event.StoredEvent
type StepResult = StepRequest.StepResult

interface Waiter {
  readonly attempt: number
  readonly events: Array<StoredEvent>
  readonly deferred: Deferred.Deferred<StepResult>
}

const pageSize = 1_000

export const stepKey = (assetKey: string, partition: string | undefined): string => `${assetKey}\u0000${partition ?? ""}`

export class RunTail {
  runId: string | undefined
  cursor: number
  /** When the run was last warned that no worker serves its queue. */
  warnedAt: number | undefined = undefined
  readonly waiting = new Map<string, Waiter>()
  readonly signal: Queue.Queue<void>
  private readonly instance: Instance.InstanceShape

  constructor(instance: Instance.InstanceShape, cursor: number, signal: Queue.Queue<void>) {
    this.instance = instance
    this.cursor = cursor
    this.signal = signal
  }

  static make = (instance: Instance.InstanceShape): Effect.Effect<RunTail, Instance.InstanceError> =>
    Effect.gen(function*() {
      // events of steps enqueued from now on are appended after this id (ids follow commit order)
      const cursor = yield* instance.lastEventId()
      return new RunTail(instance, cursor, yield* Queue.unbounded<void>())
    })

  wake(): void {
    Queue.offerUnsafe(this.signal, undefined)
  }

  /** Waits for the end of this attempt (the caller enqueues it after calling this). */
  expect(request: StepRequest.StepRequest, deferred: Deferred.Deferred<StepResult>): void {
    this.waiting.set(stepKey(request.assetKey, request.partitions[0]), { attempt: request.attempt, events: [], deferred })
  }

  forget(assetKey: string, partition: string | undefined): void {
    this.waiting.delete(stepKey(assetKey, partition))
  }

  /** Reads the events after the cursor, whenever woken, until the scope closes. */
  follow(): Effect.Effect<never> {
    const self = this
    return Effect.forever(
      Effect.gen(function*() {
        yield* Queue.take(self.signal)
        yield* Queue.clear(self.signal)
        const runId = self.runId
        if (runId === undefined || self.waiting.size === 0) return
        for (;;) {
          const events = yield* self.instance.runEvents(runId, { after: self.cursor, limit: pageSize })
          for (const event of events) self.accept(event)
          if (events.length < pageSize) return
        }
      }).pipe(Effect.catch(() => Effect.sleep(100)))
    )
  }

  private accept(event: StoredEvent): void {
    this.cursor = event.id
    if (!("assetKey" in event) || event.assetKey === undefined) return
    const waiter = this.waiting.get(stepKey(event.assetKey, event.partition))
    if (waiter === undefined) return
    if ((event.type === "step-succeeded" || event.type === "step-failed") && event.attempt === waiter.attempt) {
      waiter.events.push(event)
      this.forget(event.assetKey, event.partition)
      Deferred.doneUnsafe(waiter.deferred, Effect.succeed(resultOf(waiter.events, event)))
    } else if (event.type === "step-started" ? event.attempt === waiter.attempt : true) {
      waiter.events.push(event)
    }
  }
}

const resultOf = (events: ReadonlyArray<StoredEvent>, end: StoredEvent): StepResult => {
  if (end.type === "step-failed") return { status: "failed", error: end.error, willRetry: end.willRetry, events }
  const recorded = events.find((event) => event.type === "asset-materialized" || event.type === "asset-observed")
  return {
    status: "succeeded",
    dataVersion: recorded !== undefined && "dataVersion" in recorded ? recorded.dataVersion : undefined,
    willRetry: false,
    events
  }
}
