/**
 * Serving the catalog: one process serves the HTTP API (`@strata/protocol`'s
 * `CatalogApi`) and the built web UI, runs the materializations launched
 * from it, reloads the project when asked or when a watched file changes,
 * and observes the sources whose files change (`watchSources`).
 *
 * @example
 * ```ts
 * import { serveCatalog } from "@strata/catalog"
 * import { Asset, FileSystemIO, Instance, Project } from "@strata/core"
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Effect, Layer } from "effect"
 *
 * const users = Asset.make("users", {}, () => Effect.succeed([{ id: 1 }]))
 * serveCatalog({
 *   load: () => Promise.resolve({
 *     project: Project.make({ assets: [users] }),
 *     layer: Layer.mergeAll(FileSystemIO.layer(), Instance.layerMemory)
 *   }),
 *   port: 3000
 * }).pipe(Effect.andThen(Effect.never), Effect.scoped, NodeRuntime.runMain)
 * ```
 *
 * @since 0.1.0
 */
import { watch as watchFile } from "node:fs"
import type { FSWatcher } from "node:fs"
import { basename, dirname, resolve as resolvePath } from "node:path"
import { fileURLToPath } from "node:url"
import { NodeHttpServer } from "@effect/platform-node"
import type { Instance, Project } from "@strata/core"
import type { Runtime } from "@strata/runtime"
import type { Errors, Models } from "@strata/protocol"
import { Cause, Context, Effect, Exit, Layer, Schema, Scope } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import type { HttpServerError } from "effect/http"
import type { PlatformError } from "effect/PlatformError"
import { makeEngine } from "./internal/engine.ts"
import { makeNodeServer, routes } from "./internal/http.ts"

/**
 * A project and the layer that provides what it needs: its resources and I/O
 * managers and, unless {@link Options.instance} is given, the `Instance`.
 * Build one with {@link loaded} to have the compiler check that the layer
 * provides everything the project needs.
 *
 * @since 0.1.0
 */
export interface LoadedProject {
  readonly project: Project.Project<unknown>
  readonly layer?: Layer.Layer<never, unknown, never> | undefined
}

/**
 * Pairs a project with its layer, checking at compile time that the layer
 * provides every service the project's assets need.
 *
 * @since 0.1.0
 */
export const loaded = <R, E>(project: Project.Project<R>, layer: Layer.Layer<R, E, never>): LoadedProject => ({
  project,
  layer: layer as Layer.Layer<never, unknown, never>
})

/**
 * Options of {@link serveCatalog}.
 *
 * @since 0.1.0
 */
export interface Options {
  /**
   * A runtime already running (`@strata/runtime`'s `Runtime.make`): the
   * catalog serves it (its project, runs and watching) instead of starting its
   * own; `load`, `instance`, `concurrency` and `watchSources` are then the
   * runtime's business. `strata dev` starts one runtime and serves it.
   */
  readonly runtime?: Runtime.Runtime | undefined
  /**
   * Loads (or reloads) the project: called once at start, on
   * `POST /api/project/reload` and when a {@link watch}ed file changes. A
   * Promise or an Effect. Each call's layer is built anew; the previous one
   * is released once the runs started under it have finished.
   */
  readonly load: () => Promise<LoadedProject> | Effect.Effect<LoadedProject, unknown>
  /** Default 3000. `0` picks a free port (read it from {@link CatalogServer.port}). */
  readonly port?: number | undefined
  /**
   * Default `127.0.0.1`. Requests are answered only when their `Host` header
   * names the server: `127.0.0.1`, `localhost` or `[::1]` with its port, this
   * address, or one of {@link allowedHosts} (bound to `0.0.0.0` or `::`: also
   * this machine's addresses and host name). Others get a 421, which keeps a
   * web page from reaching the catalog through DNS rebinding.
   */
  readonly host?: string | undefined
  /** More host names to answer to, on any port: the public name behind a reverse proxy. */
  readonly allowedHosts?: ReadonlyArray<string> | undefined
  /** Files whose change reloads the project (debounced by 100 ms). */
  readonly watch?: ReadonlyArray<string> | undefined
  /**
   * Watch the files the loaded project's sources read (`SourceAsset.file`)
   * and observe a source when its file is created, changed, replaced or
   * deleted (debounced by 250 ms), as `Observe.sources` does: a new data
   * version is recorded in a run tagged `strata/kind: observe` and the
   * assets downstream turn stale; the same bytes record nothing. A source
   * that cannot be observed (its file was deleted) is shown failed, as by
   * its "Observe" button. The watch follows reloads. Default `false`;
   * `strata dev` turns it on (`--no-watch` turns it off).
   *
   * @since 0.1.0
   */
  readonly watchSources?: boolean | undefined
  /**
   * The instance, built once for the server's life, used when the project's
   * layer does not provide `Instance` itself. Give it here when `load`
   * rebuilds its layer on every reload and the instance should survive
   * (an in-memory instance, a database connection pool).
   */
  readonly instance?: Layer.Layer<Instance.Instance, unknown> | undefined
  /** Steps running at once in each run. Default 4. */
  readonly concurrency?: number | undefined
  /** The built UI. Default: `ui-dist` of this package. */
  readonly uiDir?: string | undefined
}

/**
 * A running catalog.
 *
 * @since 0.1.0
 */
export interface CatalogServer {
  /** `http://127.0.0.1:3000` */
  readonly url: string
  readonly port: number
  /** Reloads the project now (what a file change does). */
  readonly reload: Effect.Effect<Models.ProjectInfo, Errors.ProjectLoadError>
}

/**
 * The server cannot listen: the port is taken, the host is not an address of
 * this machine. Pick another `port` (or `0` for a free one).
 *
 * @since 0.1.0
 */
export class ListenError extends Schema.TaggedError<ListenError>()("@strata/catalog/ListenError", {
  host: Schema.String,
  port: Schema.Number,
  message: Schema.String
}) {}

/**
 * Where `vite build` puts the UI: `ui-dist/` beside `src/` and `dist/`.
 *
 * @since 0.1.0
 */
export const defaultUiDir: string = fileURLToPath(new URL("../ui-dist", import.meta.url))

/**
 * Starts the catalog in the current scope: it serves until the scope closes,
 * which interrupts (cancels) the runs still going and releases the project's
 * layer. Fails when the first load fails or the port is taken.
 *
 * @since 0.1.0
 */
export const serveCatalog = (
  options: Options
): Effect.Effect<CatalogServer, Errors.ProjectLoadError | ListenError | PlatformError, Scope.Scope> =>
  Effect.gen(function*() {
    const engine = yield* makeEngine(options)
    const host = options.host ?? "127.0.0.1"
    const serverLayer = HttpRouter.serve(
      routes(engine, options.uiDir ?? defaultUiDir, { host, allowedHosts: options.allowedHosts ?? [] }),
      { disableLogger: true, disableListenLog: true }
    ).pipe(
      Layer.provideMerge(NodeHttpServer.layer(makeNodeServer, { port: options.port ?? 3000, host }))
    )
    const requestedPort = options.port ?? 3000
    const context = yield* Layer.build(serverLayer).pipe(
      Effect.catchTag("ServeError", (error: HttpServerError.ServeError) => {
        const cause = error.cause as { code?: unknown; message?: unknown } | undefined
        const reason = cause?.code === "EADDRINUSE"
          ? `port ${requestedPort} is already in use; stop the other server or pass another port (0 picks a free one)`
          : typeof cause?.message === "string"
          ? cause.message
          : String(error.cause)
        return Effect.fail(
          new ListenError({ host, port: requestedPort, message: `cannot listen on ${host}:${requestedPort}: ${reason}` })
        )
      })
    )
    const address = Context.get(context, HttpServer.HttpServer).address
    const port = "port" in address ? address.port : options.port ?? 3000
    const reload = engine.reload
    if (options.watch !== undefined && options.watch.length > 0) yield* watchFiles(options.watch, reload)
    return { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`, port, reload }
  })

const watchFiles = (
  files: ReadonlyArray<string>,
  reload: Effect.Effect<unknown, unknown>
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    let timer: ReturnType<typeof setTimeout> | undefined
    const trigger = () => {
      if (timer !== undefined) clearTimeout(timer)
      // editors write a file in several steps; one reload after they settle
      timer = setTimeout(() => {
        timer = undefined
        Effect.runFork(Effect.ignore(reload))
      }, 100)
    }
    // watch the folders, not the files: editors and formatters often save by writing a new file
    // and renaming it over the old one, which ends a watch on the old file
    const byFolder = new Map<string, Set<string>>()
    for (const file of files) {
      const absolute = resolvePath(file)
      const names = byFolder.get(dirname(absolute)) ?? new Set<string>()
      names.add(basename(absolute))
      byFolder.set(dirname(absolute), names)
    }
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        const list: Array<FSWatcher> = []
        for (const [folder, names] of byFolder) {
          try {
            list.push(watchFile(folder, (_event, name) => {
              if (name === null || names.has(String(name))) trigger()
            }))
          } catch {
            // a folder that does not exist cannot be watched; the others still are
          }
        }
        return list
      }),
      (list) =>
        Effect.sync(() => {
          if (timer !== undefined) clearTimeout(timer)
          for (const watcher of list) watcher.close()
        })
    )
  })

/**
 * A catalog started from code outside Effect (scripts, tests).
 *
 * @since 0.1.0
 */
export interface RunningCatalog {
  readonly url: string
  readonly port: number
  readonly reload: () => Promise<Models.ProjectInfo>
  /** Stops serving, cancels running runs and releases the project's layer. */
  readonly close: () => Promise<void>
}

/**
 * {@link serveCatalog} as a Promise.
 *
 * @example
 * ```ts
 * import { startCatalog } from "@strata/catalog"
 * declare const load: () => Promise<import("@strata/catalog").LoadedProject>
 * const catalog = await startCatalog({ load, port: 0 })
 * console.log(catalog.url)
 * await catalog.close()
 * ```
 * @since 0.1.0
 */
export const startCatalog = async (options: Options): Promise<RunningCatalog> => {
  const scope = Effect.runSync(Scope.make())
  const exit = await Effect.runPromiseExit(Scope.provide(serveCatalog(options), scope))
  if (Exit.isFailure(exit)) {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    throw Cause.squash(exit.cause)
  }
  const server = exit.value
  return {
    url: server.url,
    port: server.port,
    reload: () => Effect.runPromise(server.reload),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
