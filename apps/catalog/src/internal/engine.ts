/**
 * The catalog's queries and actions over the headless runtime
 * (`@strata/runtime`): the runtime holds the loaded project and its reloads,
 * launches and cancels runs and watches sources; the engine's modules turn
 * its state and the instance into the protocol's models, and the runtime's
 * and core's errors into the protocol's: `statuses.ts` (the shared statuses
 * snapshot, the graph's shape, the status stream), `assets.ts`, `runs.ts`,
 * and beside them `automation.ts`, `partitions.ts` and `backfills.ts`. HTTP
 * handlers are thin wrappers over this.
 */
import type { Instance } from "@strata/core"
import type { Errors, Models } from "@strata/protocol"
import { ProjectHost, Runtime } from "@strata/runtime"
import type { Layer } from "effect"
import { Effect } from "effect"
import * as Assets from "./assets.ts"
import { loadError, projectInfo } from "./convert.ts"
import * as Overview from "./overview.ts"
import * as Runs from "./runs.ts"
import * as Statuses from "./statuses.ts"
import * as Warm from "./warm.ts"

/** What a `load` function returns. */
export type Loaded = ProjectHost.Loaded

export interface EngineOptions {
  /** A runtime already running (`strata dev` starts one and serves it); when absent the engine starts its own. */
  readonly runtime?: Runtime.Runtime | undefined
  readonly load: () => Promise<Loaded> | Effect.Effect<Loaded, unknown>
  readonly instance?: Layer.Layer<Instance.Instance, unknown> | undefined
  readonly concurrency?: number | undefined
  /** Observe the sources whose files change (see `Options.watchSources`). */
  readonly watchSources?: boolean | undefined
}

/** Builds the engine inside the caller's scope: runs are interrupted and layers released when it closes. */
export const makeEngine = Effect.fnUntraced(function*(options: EngineOptions) {
  const runtime = options.runtime ?? (yield* Runtime.make({ ...options, name: "the catalog" }).pipe(Effect.mapError(loadError)))
  const { host, launcher } = runtime
  // where work launched from the catalog outlives its request (backfills)
  const scope = yield* Effect.scope
  const generation = Effect.sync(() => host.current)
  const cache = Statuses.makeCache(launcher)
  yield* Warm.keepWarm(cache, host)
  const reader: Assets.Reader = { host, cache }
  const on = <A, E>(f: (g: ProjectHost.Generation) => Effect.Effect<A, E>) => Effect.flatMap(generation, f)
  const reload: Effect.Effect<Models.ProjectInfo, Errors.ProjectLoadError> = Effect.map(
    host.reload.pipe(Effect.mapError(loadError)),
    (g) => projectInfo(host, g)
  )
  return {
    reload,
    /** The current generation (the automation handlers read its instance). */
    generation,
    info: Effect.map(generation, (g) => projectInfo(host, g)),
    listAssets: (selection: string | undefined) => on((g) => Assets.list(reader, g, selection)),
    assetPage: (query: Assets.PageQuery) => on((g) => Assets.page(reader, g, query)),
    statusVersion: on((g) => Statuses.versionOf(cache, g)),
    graphStructure: Effect.map(generation, (g) => Statuses.structure(cache, g)),
    /** `GET /api/graph/overview` as JSON bytes (encoded once per snapshot). */
    overviewBody: () => on((g) => Overview.body(cache, g)),
    /** `GET /api/statuses` as JSON bytes (encoded once per snapshot). */
    statusBody: () => on((g) => Statuses.snapshotBody(cache, g)),
    statusStream: Effect.fn("Catalog.statusStream")(function*() {
      yield* generation
      return Statuses.stream(cache, generation)
    }),
    getAsset: (key: string, refs?: number) => on((g) => Assets.get(reader, g, key, refs)),
    history: (key: string, limit: number | undefined, before: number | undefined) => on((g) => Assets.history(g, key, limit, before)),
    checks: (key: string, limit: number | undefined) => on((g) => Assets.checks(g, key, limit)),
    checkSummary: () => on(Assets.summary),
    select: (selection: string) => on((g) => Assets.select(g, selection)),
    listRuns: (query: Runs.RunQuery) => on((g) => Runs.list(launcher, g, query)),
    getRun: (runId: string) => on((g) => Runs.get(launcher, g, runId)),
    followRun: (runId: string, after: number | undefined) => on((g) => Runs.follow(launcher, g, runId, after)),
    launch: (request: Models.LaunchRequest) => on((g) => Runs.launch(launcher, g, request)),
    reexecute: (parentRunId: string, from: "failure" | "all" | undefined) => on((g) => Runs.reexecute(launcher, g, parentRunId, from)),
    cancel: (runId: string) => on((g) => Runs.cancel(launcher, g, runId)),
    activeRuns: () => launcher.size,
    host,
    scope
  }
})

/** The engine's interface. */
export type Engine = Effect.Success<ReturnType<typeof makeEngine>>
