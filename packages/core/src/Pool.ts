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
 * A holder that cannot renew its slot stops treating it as held: when a
 * renewal is refused (the lease lapsed, e.g. the process was paused past the
 * TTL, and another step took the slot) or renewals keep failing until the
 * lease's TTL has passed (the instance is unreachable), the step is
 * interrupted and fails with {@link SlotLost}. It fails rather than
 * re-acquiring: by then another step may be running in the slot, and a step
 * that went on (or took the slot back) would overlap it; a failed step is
 * visible and is retried by its retry policy under a fresh slot.
 *
 * @since 0.1.0
 */
import type { Effect as EffectType } from "effect"
import { Effect, Exit, Fiber, Schema } from "effect"
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

/**
 * The run, step and partition a slot's holder names (`<runId>/<step>/<partition>`,
 * as the run coordinator writes it; a step key may hold `/`).
 *
 * @since 0.1.0
 */
export const parseHolder = (holder: string): { readonly runId: string; readonly step: string; readonly partition?: string | undefined } => {
  const first = holder.indexOf("/")
  const last = holder.lastIndexOf("/")
  if (first < 0 || last === first) return { runId: holder, step: "" }
  const partition = holder.slice(last + 1)
  return { runId: holder.slice(0, first), step: holder.slice(first + 1, last), ...(partition === "" ? {} : { partition }) }
}

/**
 * The live holders of a pool's slots (expired leases are free slots).
 *
 * @since 0.1.0
 */
export const holders = (
  store: AutomationStore,
  pool: string,
  limit: number,
  now: number
): EffectType.Effect<Array<{ readonly slot: number; readonly holder: string; readonly expiresAt: number }>, InstanceError> =>
  Effect.gen(function*() {
    const out: Array<{ slot: number; holder: string; expiresAt: number }> = []
    for (let slot = 0; slot < limit; slot++) {
      const lease = yield* store.lease(slotLease(pool, slot))
      if (lease !== undefined && lease.expiresAt > now) out.push({ slot, holder: lease.holder, expiresAt: lease.expiresAt })
    }
    return out
  })

/** The lease name of slot `slot` of `pool`. @since 0.1.0 */
export const slotLease = (pool: string, slot: number): string => `pool/${pool}/${slot}`

/**
 * A step lost its pool slot while running: the renewal of the slot's lease
 * was refused (`taken`: another holder has it) or kept failing past the TTL
 * (`expired`).
 *
 * @since 0.1.0
 */
export class SlotLost extends Schema.TaggedError<SlotLost>()("@strata/core/PoolSlotLost", {
  pool: Schema.String,
  slot: Schema.Number,
  holder: Schema.String,
  reason: Schema.Literals(["taken", "expired"]),
  detail: Schema.String
}) {
  override get message(): string {
    return `lost slot ${this.slot} of pool ${this.pool}: ${this.detail}; the step was stopped so that it does not overlap the slot's new holder`
  }
}

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

/**
 * Renews the slot's lease every third of its TTL while the step runs; fails
 * with {@link SlotLost} when a renewal is refused, or when renewals failed
 * until the lease has expired (a failed renewal before that is retried).
 */
const heartbeat = (store: AutomationStore, request: SlotRequest, slot: number): EffectType.Effect<never, SlotLost> =>
  Effect.gen(function*() {
    const name = slotLease(request.pool, slot)
    let renewedAt = request.now()
    let lastError = ""
    for (;;) {
      yield* Effect.sleep(Math.max(1, Math.floor(request.ttlMs / 3)))
      const now = request.now()
      const exit = yield* Effect.exit(store.acquireLease({ name, holder: request.holder, now, ttlMs: request.ttlMs }))
      const lost = (reason: "taken" | "expired", detail: string) =>
        new SlotLost({ pool: request.pool, slot, holder: request.holder, reason, detail })
      if (Exit.isSuccess(exit)) {
        if (!exit.value.acquired) {
          return yield* lost("taken", `its lease lapsed and ${exit.value.lease.holder} holds it now`)
        }
        renewedAt = now
        continue
      }
      lastError = Exit.isFailure(exit) ? String(exit.cause) : ""
      if (now >= renewedAt + request.ttlMs) {
        return yield* lost("expired", `renewals failed for ${now - renewedAt} ms, past the ${request.ttlMs} ms TTL (${lastError.slice(0, 200)})`)
      }
    }
  })

/**
 * Runs `body` holding a slot of the pool: waits for one, renews its lease
 * while `body` runs, and gives it back when `body` ends, however it ends.
 * When the slot is lost while `body` runs, `body` is interrupted and the
 * result is a {@link SlotLost} failure.
 *
 * @since 0.1.0
 */
export const withSlot = <A, E, R>(
  store: AutomationStore,
  request: SlotRequest,
  onWait: (held: number) => EffectType.Effect<void>,
  body: EffectType.Effect<A, E, R>
): EffectType.Effect<A, E | InstanceError | SlotLost, R> =>
  Effect.acquireUseRelease(
    Effect.flatMap(acquire(store, request, onWait), (slot) =>
      Effect.map(Effect.forkDetach(heartbeat(store, request, slot)), (fiber) => ({ slot, fiber }))),
    // the first to end wins: the body, or the heartbeat failing because the slot is lost (the body is interrupted)
    ({ fiber }) => Effect.raceFirst(body, Fiber.join(fiber)),
    ({ fiber, slot }) =>
      Effect.andThen(
        Fiber.interrupt(fiber),
        Effect.ignore(store.releaseLease(slotLease(request.pool, slot), request.holder))
      )
  )
