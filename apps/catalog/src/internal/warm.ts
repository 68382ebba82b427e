/**
 * The graph page's first answers prepared before anyone asks: the shape
 * (`GET /api/graph`) and the statuses (`GET /api/statuses`) of a generation
 * as soon as it is loaded, and the statuses again once the runs this process
 * executes have all ended. At 50,000 assets computing them takes a few
 * hundred milliseconds, which a first visit would otherwise wait for.
 * While runs go nothing is computed ahead (the status stream computes for
 * the pages that follow it); changes made by other processes sharing the
 * instance are computed on the next request, as before.
 */
import type { ProjectHost } from "@strata/runtime"
import { Effect } from "effect"
import * as Statuses from "./statuses.ts"

/** How often the generation and the runs of this process are looked at (in memory; no instance read). */
export const intervalMs = 500

/** What the last look saw. */
interface Seen {
  readonly generation: number
  readonly busy: boolean
}

const look = (cache: Statuses.Cache, host: ProjectHost.ProjectHost, seen: Seen) =>
  Effect.gen(function*() {
    const g = host.current
    const busy = cache.launcher.size > 0
    if (!busy && (g.number !== seen.generation || seen.busy)) {
      Statuses.structure(cache, g)
      // a storage error now is answered to the request that meets it
      yield* Effect.ignore(Statuses.snapshotBody(cache, g))
    }
    return { generation: g.number, busy }
  })

const loop = (cache: Statuses.Cache, host: ProjectHost.ProjectHost, seen: Seen): Effect.Effect<never> =>
  Effect.flatMap(look(cache, host, seen), (next) => Effect.delay(loop(cache, host, next), intervalMs))

/** Keeps the answers warm until the scope closes. */
export const keepWarm = (cache: Statuses.Cache, host: ProjectHost.ProjectHost) =>
  Effect.forkScoped(loop(cache, host, { generation: -1, busy: false }))
