/**
 * Instance storage in one SQLite file, the embedded default: runs, the
 * append-only event log and the maintained asset index survive the process,
 * so `strata runs` and the catalog show every run after a restart.
 *
 * - One file (default `.strata/instance.db`, its folder created), WAL mode so
 *   that readers (the CLI, the catalog) are never blocked by a running
 *   executor, `synchronous=NORMAL`, a busy timeout for writers of other
 *   processes.
 * - Each `appendEvents` batch is one transaction of prepared statements.
 * - The schema is versioned (`PRAGMA user_version`) and migrated on open; a
 *   newer version fails with reason `unsupported-version`, a file that is not
 *   a Strata database with reason `corrupt`, and neither is modified.
 * - Opening reaps runs orphaned by a crashed process (and keeps doing so every
 *   minute while open); their unfinished steps are closed as failed.
 *
 * @example
 * ```ts
 * import { FileSystemIO, Materialize } from "@strata/core"
 * import { SqliteInstance } from "@strata/sqlite"
 * import { Effect, Layer } from "effect"
 *
 * Materialize.materialize(project).pipe(
 *   Effect.provide(Layer.mergeAll(FileSystemIO.layer(), SqliteInstance.layer()))
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import { hostname } from "node:os"
import * as nodePath from "node:path"
import { Instance } from "@strata/core"
import type { Scope } from "effect"
import { Clock, Config, Effect, Layer } from "effect"
import { type Database, openNodeSqlite, toInstanceError, unavailable } from "./internal/database.ts"
import { probe } from "./internal/probe.ts"
import { migrate } from "./internal/schema.ts"
import { makeStore } from "./internal/store.ts"

/**
 * Options of {@link layer} and {@link make}.
 *
 * @since 0.1.0
 */
export interface Options {
  /**
   * The database file. Default `.strata/instance.db` (relative to the working
   * directory); its folder is created. `":memory:"` gives a private
   * in-memory database (not persistent), for tests.
   */
  readonly path?: string | undefined
  /** How long a write waits for another process holding the write lock, in ms. Default 5000. */
  readonly busyTimeoutMs?: number | undefined
  /**
   * Reaping of orphaned runs on open (runs left `queued`/`started` by a
   * process that is gone): `false` turns it off. A run of this host whose pid
   * is dead is failed at once; any run silent for `heartbeatTimeoutMs`
   * (default 1 hour) is failed too. The executor beats every 10 s, but a
   * step computing synchronously blocks its event loop and its heartbeat:
   * the long default keeps such a live run from being failed by another
   * process opening the database, while a crash on this host is caught at
   * once by the pid check.
   */
  readonly reapOrphans?:
    | false
    | {
      readonly heartbeatTimeoutMs?: number | undefined
      /** Reap again every `intervalMs` while the instance is open (default 60 000; 0 turns it off). */
      readonly intervalMs?: number | undefined
    }
    | undefined
}

/**
 * The default database file, relative to the working directory.
 *
 * @since 0.1.0
 */
export const defaultPath = ".strata/instance.db"

const openDatabase = (path: string, busyTimeoutMs: number): Effect.Effect<Database, Instance.InstanceError, Scope.Scope> =>
  Effect.gen(function*() {
    const memory = path === ":memory:"
    if (!memory) {
      yield* Effect.try({
        try: () => fs.mkdirSync(nodePath.dirname(nodePath.resolve(path)), { recursive: true }),
        catch: (error) => unavailable(path, "create the folder", error)
      })
      // a damaged, foreign or newer database must not be modified, not even switched to WAL or given a -wal file
      const probed = probe(path, busyTimeoutMs)
      if (probed instanceof Instance.InstanceError) return yield* probed
    }
    const db = yield* Effect.acquireRelease(
      Effect.try({
        try: () => openNodeSqlite(path, { readOnly: false, timeoutMs: busyTimeoutMs }),
        catch: (error) => toInstanceError("open", path, error)
      }),
      (db) =>
        // keep the query planner's statistics fresh for the next process; best effort
        Effect.try(() => db.exec("PRAGMA optimize")).pipe(
          Effect.ignore,
          Effect.andThen(Effect.sync(() => db.close()))
        )
    )
    yield* Effect.try({
      try: () => {
        db.exec("PRAGMA journal_mode = WAL")
        db.exec("PRAGMA synchronous = NORMAL")
        db.exec("PRAGMA temp_store = MEMORY")
        return migrate(db, path)
      },
      catch: (error) => toInstanceError("open", path, error)
    }).pipe(Effect.flatMap((result) => result === undefined ? Effect.void : Effect.fail(result)))
    return db
  })

/**
 * Opens (creating or migrating) the instance database; closed with the scope.
 *
 * @since 0.1.0
 */
export const make: (options?: Options) => Effect.Effect<Instance.InstanceShape, Instance.InstanceError, Scope.Scope> =
  Effect.fn("SqliteInstance.make")(function*(options?: Options) {
    const path = options?.path ?? defaultPath
    const db = yield* openDatabase(path, options?.busyTimeoutMs ?? 5000)
    const instance = makeStore(db, { path, persistent: path !== ":memory:" })
    if (options?.reapOrphans !== false) {
      const heartbeatTimeoutMs = options?.reapOrphans?.heartbeatTimeoutMs ?? 60 * 60_000
      const host = hostname()
      const reap = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const reaped = yield* instance.reapOrphanedRuns({ now, heartbeatTimeoutMs, host })
        if (reaped.length > 0) {
          yield* Effect.logWarning(`marked ${reaped.length} orphaned run(s) as failed`).pipe(
            Effect.annotateLogs({ runs: reaped.map((run) => `${run.runId}: ${run.reason}`) })
          )
        }
      })
      yield* reap
      const intervalMs = options?.reapOrphans?.intervalMs ?? 60_000
      if (intervalMs > 0) {
        // long-lived processes (the catalog, the daemon) also notice runs whose process died after we opened
        yield* Effect.forkScoped(
          Effect.sleep(intervalMs).pipe(
            Effect.andThen(reap.pipe(Effect.catch((error) => Effect.logDebug("reaping orphaned runs failed", error)))),
            Effect.forever
          )
        )
      }
    }
    return instance
  })

/**
 * The SQLite instance as a layer providing core's `Instance` service.
 *
 * @example
 * ```ts
 * import { SqliteInstance } from "@strata/sqlite"
 *
 * const InstanceLive = SqliteInstance.layer({ path: ".strata/instance.db" })
 * ```
 *
 * @since 0.1.0
 */
export const layer = (options?: Options): Layer.Layer<Instance.Instance, Instance.InstanceError> =>
  Layer.effect(Instance.Instance, make(options))

/**
 * The options read from configuration (environment variables by default):
 * `STRATA_SQLITE_PATH` (default `.strata/instance.db`) and
 * `STRATA_SQLITE_BUSY_TIMEOUT_MS` (default 5000).
 *
 * @since 0.1.0
 */
export const config: Config.Config<Options> = Config.all({
  path: Config.String("STRATA_SQLITE_PATH").pipe(Config.withDefault(defaultPath)),
  busyTimeoutMs: Config.Int("STRATA_SQLITE_BUSY_TIMEOUT_MS").pipe(Config.withDefault(5000))
})

/**
 * The SQLite instance with its options read from `Config` ({@link config} by
 * default), for deployments configured by environment variables.
 *
 * @example
 * ```ts
 * import { SqliteInstance } from "@strata/sqlite"
 *
 * // STRATA_SQLITE_PATH=/var/lib/strata/instance.db
 * const InstanceLive = SqliteInstance.layerConfig()
 * ```
 *
 * @since 0.1.0
 */
export const layerConfig = (
  options: Config.Config<Options> = config
): Layer.Layer<Instance.Instance, Instance.InstanceError | Config.ConfigError> =>
  Layer.effect(Instance.Instance, Effect.flatMap(options, make))
