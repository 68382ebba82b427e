/**
 * The automation daemon: evaluates the project's conditions, schedules and
 * sensors and launches runs through the runtime's launcher.
 *
 * - **Event-driven.** It sleeps until the instance reports new events
 *   (`instance.automation.watchEvents`: in-process notification, SQLite file
 *   watching, Postgres LISTEN/NOTIFY), the next cron tick or sensor interval
 *   is due, or a fallback timer (default 5 s) fires. It then reads the event
 *   log after its cursor and re-evaluates only the assets those events can
 *   affect (the assets they name and everything downstream).
 * - **One daemon per instance.** It acts only while it holds the `daemon`
 *   lease (TTL default 10 s, renewed every third of it); a second daemon waits
 *   and takes over once a killed daemon's lease lapses. Every tick is recorded
 *   fenced by the lease, with a deterministic id, before its runs launch under
 *   the recorded ids: a tick is never launched twice, and a tick recorded by a
 *   daemon that died before launching is launched by the next one.
 * - **Why.** Each conditions tick stores, per evaluated asset, whether it was
 *   requested and the result of every operand (`strata automation why`).
 * - **Freshness.** Each cycle evaluates the freshness policies; an asset that
 *   turned late or fresh again is recorded as a `freshness/<asset>/<at>` tick
 *   (with the verdict) and its condition evaluated (`freshnessLate`,
 *   `onLate()`); it wakes when the next fresh asset turns late.
 * - **Run queue.** Requested runs are recorded `queued` and started when the
 *   project's `runQueue` limits allow (`RunQueue`: max concurrent runs, tag
 *   limits, priorities); each cycle starts what a run that ended made room
 *   for, and ends queued runs whose cancel was requested.
 * - **Graceful shutdown.** Closing its scope stops evaluating and releases the
 *   lease at once, so another daemon takes over without waiting for the TTL.
 *
 * Per-partition evaluation is the next step once partitions land (conditions
 * are evaluated per asset today).
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { AutomationEvaluation } from "@strata/core"
import { Clock, Effect, Fiber, Latch, type Scope } from "effect"
import type { ConditionsCursor } from "./internal/daemon/conditions.ts"
import { conditionsTick, CURSOR_KEY, touchedKeys } from "./internal/daemon/conditions.ts"
import { freshnessTick } from "./internal/daemon/freshness.ts"
import { queueTick } from "./internal/daemon/queue.ts"
import { schedulesTick } from "./internal/daemon/schedules.ts"
import { runStatusTick, sensorsTick } from "./internal/daemon/sensors.ts"
import type { Cycle } from "./internal/daemon/ticks.ts"
import { LEASE, LeaseLost, recoverRequested } from "./internal/daemon/ticks.ts"
import type { Generation } from "./ProjectHost.ts"
import type { Runtime } from "./Runtime.ts"

export { LEASE } from "./internal/daemon/ticks.ts"

/**
 * Options of {@link start}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** How long the lease lasts without renewal, in ms (default 10 000). A killed daemon is replaced within it. */
  readonly leaseTtlMs?: number | undefined
  /** Read the event log at least this often even without a notification, in ms (default 5 000). */
  readonly fallbackMs?: number | undefined
  /** How this daemon names itself in the lease (default `host:pid:random`). */
  readonly holder?: string | undefined
  /** Ticks older than this are pruned (default 7 days), keeping the newest 100 of each schedule and sensor. */
  readonly retentionMs?: number | undefined
}

/**
 * A running daemon.
 *
 * @since 0.1.0
 */
export interface Daemon {
  readonly holder: string
  /** Whether it holds the lease (and acts) now. */
  readonly isActive: () => boolean
  /** Evaluates now, as if new events had arrived. */
  readonly wake: () => void
  /** How many evaluation cycles it ran (for tests and the catalog). */
  readonly cycles: () => number
}

const EVENTS_PER_CYCLE = 10_000

/** The daemon's loop state, as one value mutated only by the loop and the lease renewal. */
class Loop {
  readonly runtime: Runtime
  readonly holder: string
  readonly ttlMs: number
  readonly fallbackMs: number
  readonly retentionMs: number
  readonly latch = Latch.makeUnsafe(false)
  active = false
  lost = false
  cycles = 0
  lastPrune = 0
  /** Each asset's outcome in the latest recorded evaluation: only changes are explained again. */
  readonly outcomes = new Map<string, boolean>()
  /** The generation those outcomes are of: a reload (new conditions) explains everything again. */
  outcomesOf: Generation | undefined

  constructor(runtime: Runtime, options: Options | undefined) {
    this.runtime = runtime
    this.holder = options?.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
    this.ttlMs = Math.max(100, options?.leaseTtlMs ?? 10_000)
    this.fallbackMs = Math.max(10, options?.fallbackMs ?? 5_000)
    this.retentionMs = options?.retentionMs ?? 7 * 24 * 3_600_000
  }

  get instance() {
    return this.runtime.host.current.instance
  }

  acquire(now: number) {
    return this.instance.automation.acquireLease({ name: LEASE, holder: this.holder, now, ttlMs: this.ttlMs })
  }
}

/** Waits until this daemon holds the lease. */
const waitForLease = (loop: Loop) =>
  Effect.gen(function*() {
    while (true) {
      const now = yield* Clock.currentTimeMillis
      const answer = yield* loop.acquire(now)
      if (answer.acquired) return
      yield* Effect.logDebug(`daemon ${loop.holder} waits: ${answer.lease.holder} holds the lease until ${new Date(answer.lease.expiresAt).toISOString()}`)
      yield* Effect.sleep(Math.max(50, Math.min(loop.ttlMs / 3, answer.lease.expiresAt - now + 10)))
    }
  })

/** Renews the lease every third of its TTL; marks the loop lost (and wakes it) when renewal is refused. */
const renewal = (loop: Loop) =>
  Effect.gen(function*() {
    while (!loop.lost) {
      yield* Effect.sleep(loop.ttlMs / 3)
      const answer = yield* loop.acquire(yield* Clock.currentTimeMillis).pipe(
        Effect.catch((error) => Effect.as(Effect.logWarning(`daemon lease renewal failed: ${error.message}`), { acquired: true }))
      )
      if (!answer.acquired) {
        loop.lost = true
        loop.latch.openUnsafe()
      }
    }
  })

const minimum = (...values: ReadonlyArray<number | undefined>): number | undefined => {
  const defined = values.filter((value): value is number => value !== undefined)
  return defined.length === 0 ? undefined : Math.min(...defined)
}

/** One pass: events since `from` → run-status sensors, conditions, schedules, sensors. Returns the new cursor and when to wake. */
const cycleOnce = (loop: Loop, generation: Generation, from: ConditionsCursor, first: boolean) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const instance = generation.instance
    const cycle: Cycle = { generation, launcher: loop.runtime.launcher, holder: loop.holder, now, switches: yield* instance.automation.enabled() }
    if (loop.lost) return yield* new LeaseLost({ holder: loop.holder })
    const events = yield* instance.events({ after: from.eventId, limit: EVENTS_PER_CYCLE })
    const to: ConditionsCursor = { eventId: events.at(-1)?.id ?? from.eventId, at: now }
    const project = generation.project
    let candidates: Set<string> | undefined
    if (!first) {
      candidates = AutomationEvaluation.affected(project, yield* touchedKeys(cycle, events))
      for (const key of AutomationEvaluation.cronDue(project, from.at, now)) candidates.add(key)
    }
    yield* runStatusTick(cycle, events)
    // an asset turning late (or fresh again) is recorded, and its condition evaluated in this cycle
    const freshness = yield* freshnessTick(cycle)
    if (candidates !== undefined) for (const key of AutomationEvaluation.affected(project, freshness.changed)) candidates.add(key)
    if (loop.outcomesOf !== generation) {
      loop.outcomes.clear()
      loop.outcomesOf = generation
    }
    yield* conditionsTick(cycle, from, to, candidates, loop.outcomes)
    const nextSchedule = yield* schedulesTick(cycle)
    const nextSensor = yield* sensorsTick(cycle)
    // runs that wait for a slot (freed by a run that ended) or were queued by another process
    yield* queueTick(generation, loop.runtime.launcher, now)
    if (now - loop.lastPrune > 3_600_000) {
      loop.lastPrune = now
      yield* instance.automation.pruneTicks({ before: now - loop.retentionMs, keep: 100 })
    }
    loop.cycles++
    const wakeAt = minimum(nextSchedule, nextSensor, AutomationEvaluation.nextCronTick(project, now), freshness.nextCheck, now + loop.fallbackMs)!
    // more events than one cycle reads: go on at once
    return { to, wakeAt: events.length === EVENTS_PER_CYCLE ? now : wakeAt }
  })

/** Where the conditions tick resumes: its stored cursor, or the end of the log for a first daemon. */
const startCursor = (loop: Loop) =>
  Effect.gen(function*() {
    const stored = yield* loop.instance.automation.cursor(CURSOR_KEY)
    if (stored !== undefined) {
      try {
        const parsed = JSON.parse(stored) as ConditionsCursor
        if (typeof parsed.eventId === "number" && typeof parsed.at === "number") return parsed
      } catch {
        // an unreadable cursor: start from the end of the log, evaluating everything
      }
    }
    return { eventId: yield* loop.instance.lastEventId(), at: yield* Clock.currentTimeMillis }
  })

/** Acts while it holds the lease: recovers unlaunched ticks, evaluates everything once, then reacts. */
const act = (loop: Loop) =>
  Effect.scoped(Effect.gen(function*() {
    loop.lost = false
    loop.active = true
    // another daemon may have acted meanwhile: explain everything once again
    loop.outcomes.clear()
    loop.outcomesOf = undefined
    yield* Effect.forkScoped(renewal(loop))
    yield* Effect.addFinalizer(() => Effect.sync(() => (loop.active = false)))
    let from = yield* startCursor(loop)
    let first = true
    while (true) {
      const generation = loop.runtime.host.current
      loop.latch.closeUnsafe()
      if (first) yield* recoverRequested({ generation, launcher: loop.runtime.launcher, holder: loop.holder, now: from.at, switches: new Map() })
      const { to, wakeAt } = yield* loop.runtime.host.hold(generation, cycleOnce(loop, generation, from, first))
      from = to
      first = false
      const wait = Math.max(0, wakeAt - (yield* Clock.currentTimeMillis))
      yield* Effect.raceFirst(loop.latch.await, Effect.sleep(wait))
    }
  }))

/** Watches the current generation's instance for new events, and each later generation's. */
const watch = (loop: Loop) =>
  Effect.gen(function*() {
    let stop: (() => void) | undefined
    const subscribe = (generation: Generation) =>
      generation.instance.automation.watchEvents(() => loop.latch.openUnsafe()).pipe(
        Effect.map((next) => {
          stop?.()
          stop = next
        }),
        Effect.catch((error) => Effect.logWarning(`the daemon cannot watch for new events (${error.message}); it reads the log every ${loop.fallbackMs} ms`))
      )
    yield* subscribe(loop.runtime.host.current)
    loop.runtime.host.onReload(subscribe)
    yield* Effect.addFinalizer(() => Effect.sync(() => stop?.()))
  })

/** Waits for the lease, acts until it is lost (or the scope closes), and again. */
const main = (loop: Loop) =>
  Effect.forever(Effect.gen(function*() {
    yield* waitForLease(loop)
    yield* Effect.logInfo(`daemon ${loop.holder} holds the lease and evaluates automation`)
    yield* act(loop).pipe(
      Effect.catchTag("LeaseLost", () => Effect.logWarning(`daemon ${loop.holder} lost the lease; waiting to win it again`)),
      Effect.catch((error) => Effect.logError(`daemon cycle failed: ${error instanceof Error ? error.message : String(error)}`).pipe(Effect.andThen(Effect.sleep(1_000))))
    )
  }))

/**
 * Starts the daemon on a runtime, in the caller's scope. Closing the scope
 * stops it and releases its lease.
 *
 * @since 0.1.0
 */
export const start = (runtime: Runtime, options?: Options): Effect.Effect<Daemon, never, Scope.Scope> =>
  Effect.gen(function*() {
    const loop = new Loop(runtime, options)
    yield* watch(loop)
    const fiber = yield* Effect.forkScoped(main(loop))
    yield* Effect.addFinalizer(() =>
      Fiber.interrupt(fiber).pipe(
        Effect.andThen(loop.instance.automation.releaseLease(LEASE, loop.holder)),
        Effect.ignore
      )
    )
    return {
      holder: loop.holder,
      isActive: () => loop.active && !loop.lost,
      wake: () => void loop.latch.openUnsafe(),
      cycles: () => loop.cycles
    }
  })
