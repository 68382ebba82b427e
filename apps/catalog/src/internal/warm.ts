/**
 * The graph page's first answers prepared before anyone asks: the shape
 * (`GET /api/graph`), the statuses (`GET /api/statuses`) and the overview
 * (`GET /api/graph/overview`) of a generation as soon as it is loaded, and
 * the statuses and overview again once the event log has settled (no run of
 * this process going, and no new event since the last look, 500 ms before):
 * after this server's runs, and after the runs of other processes sharing
 * the instance. At 50,000 assets computing them takes a few hundred
 * milliseconds, which a first visit would otherwise wait for. While events
 * keep arriving nothing is computed ahead (the status stream computes for
 * the pages that follow it).
 */
import type { ProjectHost } from "@strata/runtime"
import { Effect } from "effect"
import * as Overview from "./overview.ts"
import * as Statuses from "./statuses.ts"

/** How often the event log's newest id is looked at (one small instance read). */
export const intervalMs = 500

/** The statuses version the last look saw; `undefined` while a run of this process goes. */
interface Seen {
  readonly version: string | undefined
}

const look = (cache: Statuses.Cache, host: ProjectHost.ProjectHost, seen: Seen) =>
  Effect.gen(function*() {
    if (cache.launcher.size > 0) return { version: undefined }
    const g = host.current
    Statuses.structure(cache, g)
    const version = yield* Statuses.versionOf(cache, g)
    const settled = version === seen.version || cache.snapshot?.generation !== g.number
    // a storage error now is answered to the request that meets it
    if (settled && cache.snapshot?.version !== version) {
      yield* Effect.ignore(Statuses.snapshotBody(cache, g))
      yield* Effect.ignore(Overview.body(cache, g))
    }
    return { version }
  }).pipe(Effect.orElseSucceed((): Seen => ({ version: undefined })))

const loop = (cache: Statuses.Cache, host: ProjectHost.ProjectHost, seen: Seen): Effect.Effect<never> =>
  Effect.flatMap(look(cache, host, seen), (next) => Effect.delay(loop(cache, host, next), intervalMs))

/** Keeps the answers warm until the scope closes. */
export const keepWarm = (cache: Statuses.Cache, host: ProjectHost.ProjectHost) =>
  Effect.forkScoped(loop(cache, host, { version: undefined }))
