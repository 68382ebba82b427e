/**
 * Concurrency pools: at most `limit` steps of the assets in a pool run at
 * once, across every run and process sharing the instance.
 *
 * An asset names its pool (`Asset.make(key, { pool: "warehouse" }, ...)`,
 * kept as the tag `strata/pool`); the project declares the limits beside the
 * run queue's (`Project.make({ automation: { runQueue: { pools: { warehouse: 2 } } } })`).
 * A step of an asset in a pool takes a slot before it runs and gives it back
 * when it ends (succeeded, failed, interrupted or canceled).
 *
 * A slot is a lease in the instance (`instance.automation.acquireLease`,
 * named `pool/<pool>/<slot>`, one per slot) with a TTL that the holder renews
 * while its step runs. A holder that dies without giving the slot back (a
 * SIGKILLed process) stops renewing it, and the slot is free again once its
 * lease expires: no slot can be held forever, so pools cannot deadlock.
 * A step waiting for a slot logs `waiting for pool <pool> (<held>/<limit> held)`.
 *
 * @since 0.1.0
 */
import type { Effect as EffectType } from "effect"
import { Effect, Fiber } from "effect"
import type { AutomationStore } from "./AutomationStore.ts"
import type { InstanceError } from "./Instance.ts"

/** The tag in which an asset's pool is kept. @since 0.1.0 */
export const POOL_TAG = "strata/pool"

/** How long a slot's lease lasts without renewal, by default (ms). @since 0.1.0 */
export const DEFAULT_TTL_MS = 30_000

/** How often, at most, a step waiting for a slot tries again (ms). @since 0.1.0 */
export const POLL_MS = 200

/** The pool an asset's tags name, if any. @since 0.1.0 */
export const poolOf = (tags: Readonly<Record<string, string>>): string | undefined => tags[POOL_TAG]

/** The lease name of slot `slot` of `pool`. @since 0.1.0 */
export const slotLease = (pool: string, slot: number): string => `pool/${pool}/${slot}`

/**
 * Validates pool limits: whole numbers >= 1 (a pool of 0 would never run).
 * Throws a `TypeError` naming the pool.
 *
 * @since 0.1.0
 */
export const validateLimits = (pools: Readonly<Record<string, number>>): void => {
  for (const [name, limit] of Object.entries(pools)) {
    if (name.length === 0) throw new TypeError("run queue: a pool needs a non-empty name")
    if (!Number.isInteger(limit) || limit < 1) {
      throw new TypeError(`run queue: the limit of pool ${name} must be a whole number >= 1, got ${String(limit)}`)
    }
  }
}

/**
 * What a slot request is about.
 *
 * @since 0.1.0
 */
export interface SlotRequest {
  readonly pool: string
  readonly limit: number
  /** Unique to the step that holds the slot (run id, asset, partition). */
  readonly holder: string
  readonly ttlMs: number
  /** How often a waiting step tries again (ms). */
  readonly pollMs: number
  readonly now: () => number
}

/** What one pass over the slots found: the slot taken, or how many are held by others. */
export type TryAnswer = { readonly slot: number } | { readonly held: number }

/**
 * Tries the pool's slots in order and takes the first free one.
 *
 * @since 0.1.0
 */
export const tryAcquire = (
  store: AutomationStore,
  request: SlotRequest
): EffectType.Effect<TryAnswer, InstanceError> =>
  Effect.gen(function*() {
    let held = 0
    for (let slot = 0; slot < request.limit; slot++) {
      const answer = yield* store.acquireLease({
        name: slotLease(request.pool, slot),
        holder: request.holder,
        now: request.now(),
        ttlMs: request.ttlMs
      })
      if (answer.acquired) return { slot }
      held++
    }
    return { held }
  })

/** Waits until a slot is free and takes it; `onWait` is told once, the first time it has to wait. */
const acquire = (
  store: AutomationStore,
  request: SlotRequest,
  onWait: (held: number) => EffectType.Effect<void>
): EffectType.Effect<number, InstanceError> =>
  Effect.gen(function*() {
    let told = false
    for (;;) {
      const answer = yield* tryAcquire(store, request)
      if ("slot" in answer) return answer.slot
      if (!told) {
        told = true
        yield* onWait(answer.held)
      }
      yield* Effect.sleep(request.pollMs)
    }
  })

/** Renews the slot's lease every third of its TTL while the step runs. */
const heartbeat = (store: AutomationStore, request: SlotRequest, slot: number) =>
  Effect.forever(
    Effect.andThen(
      Effect.sleep(Math.max(1, Math.floor(request.ttlMs / 3))),
      Effect.ignore(store.acquireLease({ name: slotLease(request.pool, slot), holder: request.holder, now: request.now(), ttlMs: request.ttlMs }))
    )
  )

/**
 * Runs `body` holding a slot of the pool: waits for one, renews its lease
 * while `body` runs, and gives it back when `body` ends, however it ends.
 *
 * @since 0.1.0
 */
export const withSlot = <A, E, R>(
  store: AutomationStore,
  request: SlotRequest,
  onWait: (held: number) => EffectType.Effect<void>,
  body: EffectType.Effect<A, E, R>
): EffectType.Effect<A, E | InstanceError, R> =>
  Effect.acquireUseRelease(
    Effect.flatMap(acquire(store, request, onWait), (slot) =>
      Effect.map(Effect.forkDetach(heartbeat(store, request, slot)), (fiber) => ({ slot, fiber }))),
    () => body,
    ({ fiber, slot }) =>
      Effect.andThen(
        Fiber.interrupt(fiber),
        Effect.ignore(store.releaseLease(slotLease(request.pool, slot), request.holder))
      )
  )
