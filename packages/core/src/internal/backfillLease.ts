/**
 * Who runs a backfill: the process executing it holds the instance lease
 * `backfill/<id>` (holder `host:pid:nonce`), renewed every third of its TTL
 * and given back when it ends. A `running` backfill whose lease is free
 * (never taken, given back, or expired after a crash), or held by a process
 * of this host that no longer exists, has lost its executor: it reads as
 * `interrupted`, and can be resumed.
 */
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { Effect, Fiber } from "effect"
import type { Lease } from "../AutomationStore.ts"
import type { InstanceError, InstanceShape } from "../Instance.ts"
import { isProcessAlive } from "./instanceRules.ts"

/** How long a backfill's lease lasts without renewal (ms). */
export const TTL_MS = 30_000

export const leaseName = (backfillId: string): string => `backfill/${backfillId}`

/** A holder name for this process. */
export const holderName = (): string => `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`

/** Whether the lease's holder may still be running the backfill at `now`. */
export const isHeld = (lease: Lease | undefined, now: number): boolean => {
  if (lease === undefined || lease.expiresAt <= now) return false
  const [host, pid] = lease.holder.split(":")
  // a holder on this host whose process is gone (SIGKILL) is known dead before its lease expires
  return !(host === hostname() && pid !== undefined && /^\d+$/.test(pid) && !isProcessAlive(Number(pid)))
}

/** Renews the lease every third of its TTL. */
const renew = (instance: InstanceShape, name: string, holder: string, now: () => number) =>
  Effect.forever(
    Effect.andThen(
      Effect.sleep(Math.floor(TTL_MS / 3)),
      Effect.ignore(instance.automation.acquireLease({ name, holder, now: now(), ttlMs: TTL_MS }))
    )
  )

/**
 * Runs `body` holding the backfill's lease; `refused` is the error when a
 * live process holds it.
 */
export const withLease = <A, E, R, E2>(
  instance: InstanceShape,
  backfillId: string,
  now: () => number,
  refused: (lease: Lease) => E2,
  body: Effect.Effect<A, E, R>
): Effect.Effect<A, E | E2 | InstanceError, R> => {
  const name = leaseName(backfillId)
  const holder = holderName()
  const take = Effect.gen(function*() {
    const current = yield* instance.automation.lease(name)
    // a dead holder's lease (same host, process gone) is given up for it, so it is taken over at once
    if (current !== undefined && !isHeld(current, now())) yield* instance.automation.releaseLease(name, current.holder)
    const answer = yield* instance.automation.acquireLease({ name, holder, now: now(), ttlMs: TTL_MS })
    if (!answer.acquired) return yield* Effect.fail(refused(answer.lease))
    return yield* Effect.forkDetach(renew(instance, name, holder, now))
  })
  return Effect.acquireUseRelease(
    take,
    () => body,
    (fiber) => Effect.andThen(Fiber.interrupt(fiber), Effect.ignore(instance.automation.releaseLease(name, holder)))
  )
}

/** The lease of each backfill, to tell which `running` ones lost their executor. */
export const leaseOf = (instance: InstanceShape, backfillId: string): Effect.Effect<Lease | undefined, InstanceError> =>
  instance.automation.lease(leaseName(backfillId))
