/**
 * The loaded project, and its reloads. Each load is a {@link Generation}: the
 * project, the services its layer built (resources, I/O managers, the
 * instance) and the scope they live in. A reload builds the next generation
 * and swaps it in atomically; the previous one is released once nothing holds
 * it any more (runs started on it finish on it). A load that fails leaves the
 * current generation in place and is reported as `loadError`.
 *
 * @since 0.1.0
 */
import { Instance, Project } from "@strata/core"
import { Cause, Context, Effect, Exit, Layer, Option, Schema, Scope, Semaphore } from "effect"

/**
 * What a load returns: the project, and the Layer providing what its assets
 * need (the environment's services; an instance too, unless the host was
 * given one).
 *
 * @since 0.1.0
 */
export interface Loaded {
  readonly project: Project.Project<unknown>
  readonly layer?: Layer.Layer<never, unknown, never> | undefined
}

/**
 * The project could not be loaded (or its layer built).
 *
 * @since 0.1.0
 */
export class ProjectLoadError extends Schema.TaggedError<ProjectLoadError>()("@strata/runtime/ProjectLoadError", {
  message: Schema.String
}) {}

/**
 * One load of the project.
 *
 * @since 0.1.0
 */
export interface Generation {
  readonly number: number
  readonly project: Project.Project<unknown>
  /** The services built by the load's layer (and the host's instance). */
  readonly context: Context.Context<never>
  readonly instance: Instance.InstanceShape
  readonly scope: Scope.Closeable
  /** Milliseconds since the epoch. */
  readonly loadedAt: number
}

/**
 * Options of {@link ProjectHost.make}.
 *
 * @since 0.1.0
 */
export interface Options {
  readonly load: () => Promise<Loaded> | Effect.Effect<Loaded, unknown>
  /** The instance, when the project's layer does not provide one. */
  readonly instance?: Layer.Layer<Instance.Instance, unknown> | undefined
}

const message = (error: unknown): string =>
  typeof error === "object" && error !== null && "message" in error && typeof error.message === "string"
    ? error.message
    : String(error)

/**
 * The host of the loaded project.
 *
 * @since 0.1.0
 */
export class ProjectHost {
  private generation: Generation
  /** Why the last reload failed, until one succeeds. */
  loadError: string | undefined
  private readonly options: Options
  private readonly base: Context.Context<never>
  private readonly lock: Semaphore.Semaphore
  private readonly holds = new Map<Generation, number>()
  private readonly listeners: Array<(generation: Generation) => Effect.Effect<void>> = []
  private counter = 0

  private constructor(options: Options, base: Context.Context<never>, lock: Semaphore.Semaphore) {
    this.options = options
    this.base = base
    this.lock = lock
    this.generation = undefined as unknown as Generation
  }

  /** Opens the instance (when given), loads the project once, and releases every generation when the scope closes. */
  static make = (options: Options): Effect.Effect<ProjectHost, ProjectLoadError, Scope.Scope> =>
    Effect.gen(function*() {
      const base = options.instance === undefined
        ? Context.empty()
        : (yield* Layer.build(options.instance).pipe(
          Effect.mapError((error) => new ProjectLoadError({ message: `cannot open the instance: ${message(error)}` }))
        )) as Context.Context<never>
      const host = new ProjectHost(options, base, yield* Semaphore.make(1))
      host.generation = yield* host.load
      yield* Effect.addFinalizer(() => host.releaseIfIdle(host.generation, true))
      return host
    })

  /** The current generation. */
  get current(): Generation {
    return this.generation
  }

  /** Calls `listener` with each new generation a reload swaps in. */
  onReload(listener: (generation: Generation) => Effect.Effect<void>): void {
    this.listeners.push(listener)
  }

  /** Loads the project again; on failure the previous generation stays and the error is reported. */
  get reload(): Effect.Effect<Generation, ProjectLoadError> {
    return this.lock.withPermits(1)(Effect.gen({ self: this }, function*() {
      const exit = yield* Effect.exit(this.load)
      if (Exit.isFailure(exit)) {
        this.loadError = message(Cause.squash(exit.cause))
        return yield* Effect.failCause(exit.cause)
      }
      const previous = this.generation
      this.generation = exit.value
      this.loadError = undefined
      for (const listener of this.listeners) yield* listener(exit.value)
      yield* this.releaseIfIdle(previous, false)
      return exit.value
    }))
  }

  /** Runs `effect` keeping `generation`'s services alive until it ends, even if a reload supersedes it. */
  hold<A, E, R>(generation: Generation, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Effect.suspend(() => {
      this.holds.set(generation, (this.holds.get(generation) ?? 0) + 1)
      return Effect.ensuring(effect, Effect.suspend(() => {
        this.holds.set(generation, this.holds.get(generation)! - 1)
        return this.releaseIfIdle(generation, false)
      }))
    })
  }

  /** Closes a generation's scope once it is not current (or the host closes) and nothing holds it. */
  private releaseIfIdle(generation: Generation, closing: boolean): Effect.Effect<void> {
    if (!closing && generation === this.generation) return Effect.void
    if ((this.holds.get(generation) ?? 0) > 0) return Effect.void
    this.holds.delete(generation)
    return Scope.close(generation.scope, Exit.void)
  }

  private get load(): Effect.Effect<Generation, ProjectLoadError> {
    return Effect.gen({ self: this }, function*() {
      const loaded = yield* callLoad(this.options.load)
      const scope = yield* Scope.make()
      const built = loaded.layer === undefined
        ? Context.empty()
        : yield* Layer.buildWithScope(loaded.layer, scope).pipe(
          Effect.mapError((error) => new ProjectLoadError({ message: `cannot build the project's layer: ${message(error)}` })),
          Effect.onError(() => Scope.close(scope, Exit.void))
        )
      const context = Context.merge(this.base, built as Context.Context<never>)
      const instance = Context.getOption(context, Instance.Instance)
      if (Option.isNone(instance)) {
        yield* Scope.close(scope, Exit.void)
        return yield* new ProjectLoadError({
          message: "no instance: the project's layer does not provide Instance and no `instance` option was given"
        })
      }
      return { number: ++this.counter, project: loaded.project, context, instance: instance.value, scope, loadedAt: Date.now() }
    })
  }
}

const callLoad = (load: Options["load"]): Effect.Effect<Loaded, ProjectLoadError> =>
  Effect.suspend(() => {
    let result: Promise<Loaded> | Effect.Effect<Loaded, unknown>
    try {
      result = load()
    } catch (error) {
      return Effect.fail(new ProjectLoadError({ message: message(error) }))
    }
    const effect: Effect.Effect<Loaded, unknown> = Effect.isEffect(result)
      ? result
      : Effect.tryPromise({ try: () => result as Promise<Loaded>, catch: (error) => error })
    return effect.pipe(
      Effect.mapError((error) => new ProjectLoadError({ message: message(error) })),
      Effect.flatMap((loaded) =>
        typeof loaded === "object" && loaded !== null && Project.isProject(loaded.project)
          ? Effect.succeed(loaded)
          : Effect.fail(new ProjectLoadError({ message: "load() must return { project, layer } where project is made by Project.make" }))
      )
    )
  })
