/**
 * The headless runtime: what a long-lived Strata process runs, apart from any
 * interface. The loaded project and its reloads ({@link ProjectHost}), the runs
 * it launches and cancels ({@link RunLauncher}), and, when asked, observing the
 * sources whose files change ({@link SourceWatching}). The catalog's HTTP
 * handlers and the CLI's `strata dev` use it; a daemon runs on it.
 *
 * @example
 * ```ts
 * import { Asset, FileSystemIO, ExecutionPlan, Instance, Project } from "@strata/core"
 * import { Runtime } from "@strata/runtime"
 * import { Effect, Layer } from "effect"
 *
 * const a = Asset.make("a", {}, () => Effect.succeed(1))
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const runtime = yield* Runtime.make({
 *     load: () => Promise.resolve({ project: Project.make({ assets: [a] }), layer: FileSystemIO.layer() }),
 *     instance: Instance.layerMemory
 *   })
 *   const generation = runtime.host.current
 *   const runId = yield* runtime.launcher.launch(generation, ExecutionPlan.makeSync(generation.project), {})
 *   return runId
 * }))
 * ```
 *
 * @since 0.1.0
 */
import { Effect, type Layer, type Scope } from "effect"
import type { Instance } from "@strata/core"
import type { Loaded, ProjectLoadError } from "./ProjectHost.ts"
import { ProjectHost } from "./ProjectHost.ts"
import { RunLauncher } from "./RunLauncher.ts"
import { SourceWatching } from "./SourceWatch.ts"

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 */
export interface Options {
  readonly load: () => Promise<Loaded> | Effect.Effect<Loaded, unknown>
  /** The instance, when the project's layer does not provide one. */
  readonly instance?: Layer.Layer<Instance.Instance, unknown> | undefined
  /** Steps running at once in each run. Default 4. */
  readonly concurrency?: number | undefined
  /** Observe the sources whose files change (see {@link SourceWatching}). Default false. */
  readonly watchSources?: boolean | undefined
  /** How the process names itself in the reason of the runs it cancels (`the catalog`). */
  readonly name?: string | undefined
}

/**
 * A running runtime.
 *
 * @since 0.1.0
 */
export interface Runtime {
  readonly host: ProjectHost
  readonly launcher: RunLauncher
  readonly watching: SourceWatching | undefined
}

/**
 * Loads the project and starts the runtime in the caller's scope: closing it
 * interrupts the runs it executes (they end `canceled`), stops watching, and
 * releases every generation.
 *
 * @since 0.1.0
 */
export const make = (options: Options): Effect.Effect<Runtime, ProjectLoadError, Scope.Scope> =>
  Effect.gen(function*() {
    const host = yield* ProjectHost.make(options)
    const launcher = new RunLauncher(host, yield* Effect.scope, { concurrency: options.concurrency, name: options.name })
    yield* Effect.addFinalizer(() => launcher.interruptAll)
    const watching = options.watchSources === true ? yield* SourceWatching.start(host) : undefined
    return { host, launcher, watching }
  })
