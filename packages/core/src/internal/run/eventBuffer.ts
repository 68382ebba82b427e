/**
 * A run's event buffer. Events are written to the instance in batches: after a
 * batch of finished steps when `flushIntervalMs` (real time) has passed since
 * the last write or `flushEvents` are waiting, every tick of the run's ticker,
 * and at the end. Writing after every finished step made a run of 10k small
 * assets 10k instance transactions.
 *
 * A batch taken from the buffer is written whole before anything else can
 * happen to the fiber writing it: the write is uninterruptible. The run's
 * ticker is interrupted when the steps are done, possibly while it is writing
 * (on Postgres an append can wait on other processes' appends); an interrupted
 * write lost the batch, and the run was recorded as succeeded without the
 * events of its last steps (issue 14). Waiting for a flush to get the lock
 * stays interruptible: nothing has been taken then.
 */
import { Effect, Semaphore } from "effect"
import type { StrataEvent } from "../../Event.ts"
import type { InstanceError, InstanceShape } from "../../Instance.ts"

const flushIntervalMs = 25
const flushEvents = 2048

export class EventBuffer {
  private buffer: Array<StrataEvent> = []
  private lastFlush = performance.now()
  /** The first write that failed: the run stops dispatching steps and fails with it. */
  fatal: InstanceError | undefined
  /** Writes what is buffered, in order; fails with the instance's error. */
  readonly flush: Effect.Effect<void, InstanceError>
  /** {@link flush}, keeping a failure in `fatal` instead of failing. */
  readonly flushSafely: Effect.Effect<void>
  readonly flushIfDue: Effect.Effect<void>

  constructor(instance: InstanceShape, lock: Semaphore.Semaphore) {
    this.flush = lock.withPermits(1)(Effect.uninterruptible(Effect.suspend(() => {
      if (this.buffer.length === 0) return Effect.void
      const batch = this.buffer
      this.buffer = []
      this.lastFlush = performance.now()
      return instance.appendEvents(batch)
    })))
    this.flushSafely = this.flush.pipe(Effect.catch((error) => Effect.sync(() => {
      this.fatal ??= error
    })))
    this.flushIfDue = Effect.suspend(() =>
      this.buffer.length >= flushEvents || performance.now() - this.lastFlush >= flushIntervalMs ? this.flushSafely : Effect.void
    )
  }

  static make = (instance: InstanceShape): Effect.Effect<EventBuffer> =>
    Effect.map(Semaphore.make(1), (lock) => new EventBuffer(instance, lock))

  push(event: StrataEvent): void {
    this.buffer.push(event)
  }
}
