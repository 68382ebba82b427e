/**
 * The catalog's state: the loaded project (swapped atomically on reload), the
 * runs this process executes, and the queries behind every endpoint. HTTP
 * handlers are thin wrappers over this.
 */
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { AssetGraph, Instance, Materialize, Observe, Project, Selection, Staleness, Version } from "@strata/core"
import type { Event as CoreEvent } from "@strata/core"
import { Errors, Models } from "@strata/protocol"
import { Cause, Context, Effect, Exit, Fiber, Layer, Logger, Option, Queue, Scope, Semaphore, Stream } from "effect"
import { readDefinition } from "./source.ts"
import type { SourceWatcher } from "./sourceWatch.ts"
import { watchedSources, watchSourceFiles } from "./sourceWatch.ts"

type AnyProject = Project.Project<unknown>
type InstanceShape = Instance.InstanceShape

/** What a `load` function returns. */
export interface Loaded {
  readonly project: AnyProject
  readonly layer?: Layer.Layer<never, unknown, never> | undefined
}

export interface EngineOptions {
  readonly load: () => Promise<Loaded> | Effect.Effect<Loaded, unknown>
  readonly instance?: Layer.Layer<Instance.Instance, unknown> | undefined
  readonly concurrency?: number | undefined
  /** Observe the sources whose files change (see `Options.watchSources`). */
  readonly watchSources?: boolean | undefined
}

interface Generation {
  readonly number: number
  readonly project: AnyProject
  readonly context: Context.Context<never>
  readonly instance: InstanceShape
  readonly scope: Scope.Closeable
  readonly loadedAt: number
  activeRuns: number
  superseded: boolean
}

interface ActiveRun {
  readonly runId: string
  readonly generation: Generation
  /** Keys planned and not finished yet: shown as `running`. */
  readonly pending: Set<string>
  fiber: Fiber.Fiber<unknown, unknown> | undefined
}

const message = (error: unknown): string => {
  if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") {
    return error.message
  }
  return String(error)
}

const storageError = (error: Instance.InstanceError): Errors.StorageError =>
  new Errors.StorageError({ operation: error.operation, message: error.message })

const badSelection = (error: Selection.SelectionParseError | Selection.SelectionResolveError): Errors.BadSelection =>
  error._tag === "@strata/core/SelectionParseError"
    ? new Errors.BadSelection({
      selection: error.selection,
      position: error.position,
      problem: error.problem,
      suggestions: [],
      message: error.message
    })
    : new Errors.BadSelection({
      selection: error.selection,
      term: error.term,
      problem: error.problem,
      suggestions: error.suggestions,
      message: error.message
    })

const reason = (r: Staleness.StaleReason): Models.StaleReason =>
  "upstream" in r ? { type: r.type, upstream: r.upstream, text: Staleness.describe(r) } : { type: r.type, text: Staleness.describe(r) }

/** Drops `undefined` fields (deeply in plain objects), so that JSON bodies omit them instead of carrying nulls. */
const stripUndefined = <A extends object>(value: A): A => {
  const result: Record<string, unknown> = {}
  for (const key in value) {
    const field: unknown = value[key]
    if (field === undefined) continue
    result[key] = typeof field === "object" && field !== null && Object.getPrototypeOf(field) === Object.prototype
      ? stripUndefined(field)
      : field
  }
  return result as A
}

/** Builds the engine inside the caller's scope: runs are interrupted and layers released when it closes. */
export const makeEngine = Effect.fnUntraced(function*(options: EngineOptions) {
  const serverScope = yield* Effect.scope
  const baseContext: Context.Context<never> = options.instance === undefined
    ? Context.empty()
    : (yield* Layer.build(options.instance).pipe(
      Effect.mapError((error) => new Errors.ProjectLoadError({ message: `cannot open the instance: ${message(error)}` }))
    )) as Context.Context<never>
  const reloadLock = yield* Semaphore.make(1)
  const runs = new Map<string, ActiveRun>()
  let current: Generation | undefined
  let generationCounter = 0
  let loadError: string | undefined

  const callLoad: Effect.Effect<Loaded, Errors.ProjectLoadError> = Effect.suspend(() => {
    let result: Promise<Loaded> | Effect.Effect<Loaded, unknown>
    try {
      result = options.load()
    } catch (error) {
      return Effect.fail(new Errors.ProjectLoadError({ message: message(error) }))
    }
    const effect: Effect.Effect<Loaded, unknown> = Effect.isEffect(result)
      ? result
      : Effect.tryPromise({ try: () => result as Promise<Loaded>, catch: (error) => error })
    return Effect.mapError(effect, (error) => new Errors.ProjectLoadError({ message: message(error) }))
  })

  // source files changed, reported by the watcher of the generation that was current then
  const sourceChanges = yield* Queue.unbounded<{ readonly generation: Generation; readonly keys: ReadonlyArray<string> }>()
  const services = yield* Effect.context<never>()
  let sourceWatcher: SourceWatcher | undefined

  /** Watches the files of the generation's sources, in place of the previous generation's. */
  const watchGeneration = (g: Generation) =>
    Effect.sync(() => {
      sourceWatcher?.close()
      sourceWatcher = undefined
      if (options.watchSources !== true) return
      const sources = watchedSources(g.project.graph.nodes)
      if (sources.length === 0) return
      sourceWatcher = watchSourceFiles(
        sources,
        (keys) => Queue.offerUnsafe(sourceChanges, { generation: g, keys }),
        (text) => Effect.runForkWith(services)(Effect.logWarning(text))
      )
    })

  const releaseIfIdle = (generation: Generation) =>
    generation.superseded && generation.activeRuns === 0 ? Scope.close(generation.scope, Exit.void) : Effect.void

  const loadGeneration: Effect.Effect<Generation, Errors.ProjectLoadError> = Effect.gen(function*() {
    const loaded = yield* callLoad
    if (typeof loaded !== "object" || loaded === null || !Project.isProject(loaded.project)) {
      return yield* new Errors.ProjectLoadError({
        message: "load() must return { project, layer } where project is made by Project.make"
      })
    }
    const scope = yield* Scope.make()
    const built = loaded.layer === undefined
      ? Context.empty()
      : yield* Layer.buildWithScope(loaded.layer, scope).pipe(
        Effect.mapError((error) => new Errors.ProjectLoadError({ message: `cannot build the project's layer: ${message(error)}` })),
        Effect.onError(() => Scope.close(scope, Exit.void))
      )
    const context = Context.merge(baseContext, built as Context.Context<never>)
    const instance = Context.getOption(context, Instance.Instance)
    if (Option.isNone(instance)) {
      yield* Scope.close(scope, Exit.void)
      return yield* new Errors.ProjectLoadError({
        message: "no instance: the project's layer does not provide Instance and no `instance` option was given"
      })
    }
    generationCounter++
    return {
      number: generationCounter,
      project: loaded.project,
      context,
      instance: instance.value,
      scope,
      loadedAt: Date.now(),
      activeRuns: 0,
      superseded: false
    } satisfies Generation
  })

  const info = (generation: Generation): Models.ProjectInfo =>
    stripUndefined({
      generation: generation.number,
      loadedAt: generation.loadedAt,
      assetCount: generation.project.graph.nodes.length,
      instance: generation.instance.describe,
      loadError
    })

  /** Loads the project again; on failure the previous one stays and the error is reported. */
  const reload: Effect.Effect<Models.ProjectInfo, Errors.ProjectLoadError> = reloadLock.withPermits(1)(
    Effect.gen(function*() {
      const exit = yield* Effect.exit(loadGeneration)
      if (Exit.isFailure(exit)) {
        const error = Cause.squash(exit.cause)
        loadError = message(error)
        return yield* Effect.failCause(exit.cause)
      }
      const previous = current
      current = exit.value
      loadError = undefined
      yield* watchGeneration(exit.value)
      if (previous !== undefined) {
        previous.superseded = true
        yield* releaseIfIdle(previous)
      }
      return info(exit.value)
    })
  )

  yield* reload
  yield* Effect.addFinalizer(() =>
    Effect.gen(function*() {
      sourceWatcher?.close()
      sourceWatcher = undefined
      for (const run of runs.values()) if (run.fiber !== undefined) yield* Fiber.interrupt(run.fiber)
      if (current !== undefined) {
        current.superseded = true
        yield* releaseIfIdle(current)
      }
    })
  )

  const generation = Effect.sync(() => current!)

  const runningKeys = (): Set<string> => {
    const keys = new Set<string>()
    for (const run of runs.values()) for (const key of run.pending) keys.add(key)
    return keys
  }

  /** Statuses of every node, indexed like `project.graph.nodes`. */
  const statuses = (g: Generation) =>
    Effect.gen(function*() {
      const graph = g.project.graph
      const records = yield* g.instance.assets(graph.nodes.map((node) => node.key)).pipe(Effect.mapError(storageError))
      const computed = Staleness.compute(g.project, records)
      const running = runningKeys()
      // runs of other processes sharing the instance (`strata materialize` in a terminal):
      // their assets not yet materialized or failed by that run are running too
      const others = yield* g.instance.listRuns({ status: ["queued", "started"], limit: 20 }).pipe(
        Effect.mapError(storageError)
      )
      for (const run of others) {
        if (runs.has(run.runId)) continue
        for (const key of run.assetKeys) {
          const record = records.get(key)
          if (record?.materialization?.runId === run.runId || record?.failure?.runId === run.runId) continue
          running.add(key)
        }
      }
      const nodes: Array<Models.AssetNode> = new Array(graph.nodes.length)
      for (let i = 0; i < graph.nodes.length; i++) {
        const node = graph.nodes[i]!
        const spec = node.spec
        const record = records.get(node.key)
        const status = computed[i]!
        const latest = record?.materialization ?? record?.observation
        const value: Models.AssetStatus = running.has(node.key)
          ? "running"
          : record?.failure !== undefined
          ? "failed"
          : status.status
        nodes[i] = stripUndefined({
          key: node.key,
          kind: node.kind,
          group: spec.group,
          kinds: spec.kinds,
          tags: spec.tags,
          owners: spec.owners,
          description: spec.description,
          upstream: graph.upstream[i]!.map((j) => graph.nodes[j]!.key),
          status: value,
          reasons: status.reasons.map(reason),
          lastMaterializedAt: latest?.timestamp,
          lastRunId: latest?.runId
        })
      }
      return { nodes, records }
    })

  const listAssets = Effect.fn("Catalog.listAssets")(function*(selection: string | undefined) {
    const g = yield* generation
    const keep = selection === undefined || selection.trim() === ""
      ? undefined
      : new Set(yield* Selection.resolve(g.project, selection).pipe(Effect.mapError(badSelection)))
    const { nodes } = yield* statuses(g)
    return {
      project: info(g),
      assets: keep === undefined ? nodes : nodes.filter((node) => keep.has(node.key))
    } satisfies Models.AssetList
  })

  const notFound = (g: Generation, key: string) => {
    const suggestions = Selection.resolve(g.project, key).pipe(
      Effect.flip,
      Effect.map((error) => "suggestions" in error ? error.suggestions : []),
      Effect.orElseSucceed((): ReadonlyArray<string> => [])
    )
    return Effect.flatMap(suggestions, (list) =>
      Effect.fail(
        new Errors.AssetNotFound({
          key,
          suggestions: list,
          message: `no asset has the key ${JSON.stringify(key)}${list.length > 0 ? `; did you mean ${list.join(", ")}?` : ""}`
        })
      ))
  }

  // which implementation the loaded layer provides for the asset's I/O manager key
  const ioNameOf = (context: Context.Context<never>, node: unknown): string | undefined => {
    const io = (node as { readonly io?: Context.Key<unknown, { readonly name?: unknown }> | undefined }).io
    if (io === undefined) return undefined
    const manager = Context.getOption(context as Context.Context<unknown>, io)
    return Option.isSome(manager) && typeof manager.value.name === "string" ? manager.value.name : undefined
  }

  const getAsset = Effect.fn("Catalog.getAsset")(function*(key: string) {
    const g = yield* generation
    const graph = g.project.graph
    const i = graph.index.get(key)
    if (i === undefined) return yield* notFound(g, key)
    const { nodes, records } = yield* statuses(g)
    const node = graph.nodes[i]!
    const spec = node.spec
    const record = records.get(key)
    const ref = (j: number): Models.AssetRef => ({ key: nodes[j]!.key, kind: nodes[j]!.kind, status: nodes[j]!.status })
    const closure = AssetGraph.downstreamClosure(graph, [i])
    const affected: Array<Models.AssetRef> = []
    for (let j = 0; j < closure.length; j++) if (closure[j] === 1 && j !== i) affected.push(ref(j))
    const location = spec.location
    const source = location === undefined
      ? { error: "the definition's location is unknown" }
      : yield* readDefinition(location).pipe(
        Effect.map((code) => ({ code })),
        Effect.catch((error) => Effect.succeed({ error }))
      )
    const materialization = record?.materialization
    const partitionMap = yield* g.instance.partitions(key).pipe(Effect.mapError(storageError))
    const partitions = partitionMap.size === 0 ? undefined : {
      count: partitionMap.size,
      latest: [...partitionMap.entries()]
        .sort((a, b) => b[1].timestamp - a[1].timestamp)
        .slice(0, 50)
        .map(([partition, m]) => ({ partition, timestamp: m.timestamp, runId: m.runId, dataVersion: m.dataVersion }))
    }
    return stripUndefined({
      node: nodes[i]!,
      codeVersion: spec.codeVersion,
      currentCodeVersion: node.kind === "asset" ? Version.ofAsset(node as Parameters<typeof Version.ofAsset>[0]) : undefined,
      io: spec.io,
      ioName: ioNameOf(g.context, node),
      metadata: spec.metadata,
      retry: spec.retry === undefined
        ? undefined
        : { maxRetries: spec.retry.maxRetries, delayMs: spec.retry.delayMs, backoff: spec.retry.backoff },
      location: location === undefined ? undefined : { file: location.file, line: location.line, column: location.column },
      source: "code" in source ? source.code : undefined,
      sourceError: "error" in source ? source.error : undefined,
      latest: materialization === undefined ? undefined : stripUndefined({ ...materialization }),
      observation: record?.observation === undefined ? undefined : stripUndefined({ ...record.observation }),
      failure: record?.failure === undefined ? undefined : stripUndefined(record.failure),
      partitions,
      upstream: graph.upstream[i]!.map(ref),
      downstream: graph.downstream[i]!.map(ref),
      affected
    }) satisfies Models.AssetDetail
  })

  const history = Effect.fn("Catalog.history")(function*(key: string, limit: number | undefined, before: number | undefined) {
    const g = yield* generation
    if (!g.project.graph.index.has(key)) return yield* notFound(g, key)
    const list = yield* g.instance.history(key, { limit: limit ?? 200, before }).pipe(Effect.mapError(storageError))
    return { key, materializations: list.map((m) => stripUndefined({ ...m })) } satisfies Models.AssetHistory
  })

  const select = Effect.fn("Catalog.select")(function*(selection: string) {
    const g = yield* generation
    const keys = yield* Selection.resolve(g.project, selection).pipe(Effect.mapError(badSelection))
    return { selection, keys } satisfies Models.SelectionResult
  })

  const toRun = (record: Instance.RunRecord): Models.Run =>
    stripUndefined({
      runId: record.runId,
      selection: record.selection,
      assetKeys: record.assetKeys,
      partition: record.partition,
      staleOnly: record.staleOnly,
      parentRunId: record.parentRunId,
      tags: record.tags,
      createdAt: record.createdAt,
      status: record.status,
      startedAt: record.startedAt,
      endedAt: record.endedAt,
      reason: record.reason,
      cancelable: runs.has(record.runId) || !Models.isTerminal(record.status),
      cancelRequestedAt: record.cancelRequestedAt,
      cancelReason: record.cancelReason
    })

  const listRuns = Effect.fn("Catalog.listRuns")(function*(
    query: { readonly status?: string | undefined; readonly limit?: number | undefined; readonly before?: string | undefined }
  ) {
    const g = yield* generation
    let status: Array<Models.RunStatus> | undefined
    if (query.status !== undefined && query.status.trim() !== "") {
      status = []
      for (const part of query.status.split(",")) {
        const value = part.trim()
        if (!(Models.RunStatus.literals as ReadonlyArray<string>).includes(value)) {
          return yield* new Errors.InvalidRequest({
            part: "Query",
            message: `unknown run status ${JSON.stringify(value)}; use ${Models.RunStatus.literals.join(", ")}`
          })
        }
        status.push(value as Models.RunStatus)
      }
    }
    const limit = query.limit ?? 50
    const list = yield* g.instance.listRuns({ status, limit: limit + 1, before: query.before }).pipe(
      Effect.mapError(storageError)
    )
    const page = list.slice(0, limit).map(toRun)
    return stripUndefined({ runs: page, next: list.length > limit ? page[page.length - 1]!.runId : undefined }) satisfies
      Models.RunList
  })

  const findRun = (g: Generation, runId: string) =>
    Effect.flatMap(g.instance.getRun(runId).pipe(Effect.mapError(storageError)), (run) =>
      run === undefined
        ? Effect.fail(new Errors.RunNotFound({ runId, message: `no run has the id ${runId}` }))
        : Effect.succeed(run))

  const events = (g: Generation, runId: string, after?: number) =>
    g.instance.runEvents(runId, after === undefined ? undefined : { after }).pipe(
      Effect.map((list) => list.map((event) => stripUndefined({ ...event }) as Models.Event)),
      Effect.mapError(storageError)
    )

  const getRun = Effect.fn("Catalog.getRun")(function*(runId: string) {
    const g = yield* generation
    const run = yield* findRun(g, runId)
    return { run: toRun(run), events: yield* events(g, runId) } satisfies Models.RunDetail
  })

  /** Follows a run's events until it ends: the SSE endpoint. */
  const followRun = Effect.fn("Catalog.followRun")(function*(runId: string, after: number | undefined) {
    const g = yield* generation
    yield* findRun(g, runId)
    return Stream.paginate({ cursor: after ?? 0, first: true }, (state) =>
      Effect.gen(function*() {
        if (!state.first) yield* Effect.sleep(150)
        const run = yield* g.instance.getRun(runId).pipe(Effect.mapError(storageError))
        const batch = yield* events(g, runId, state.cursor)
        const cursor = batch.length > 0 ? batch[batch.length - 1]!.id : state.cursor
        const finished = run !== undefined && Models.isTerminal(run.status) && !runs.has(runId)
        // a finished run's events are all stored: one more read cannot find new ones
        return [batch, finished ? Option.none() : Option.some({ cursor, first: false })] as const
      }))
  })

  const startRun = (
    g: Generation,
    pending: ReadonlyArray<string>,
    materializeOptions: Omit<Materialize.Options, "onEvent" | "runId">
  ) =>
    Effect.gen(function*() {
      const runId = randomUUID()
      const active: ActiveRun = { runId, generation: g, pending: new Set(pending), fiber: undefined }
      let markStarted!: () => void
      const started = new Promise<void>((resolve) => {
        markStarted = resolve
      })
      const onEvent = (event: CoreEvent.StrataEvent) => {
        switch (event.type) {
          case "run-started":
            markStarted()
            break
          case "step-succeeded":
          case "step-skipped":
            active.pending.delete(event.assetKey)
            break
          case "step-failed":
            if (!event.willRetry) active.pending.delete(event.assetKey)
            break
          case "run-succeeded":
          case "run-failed":
          case "run-canceled":
            active.pending.clear()
        }
      }
      const program = Materialize.materialize(g.project, {
        ...materializeOptions,
        runId,
        onEvent,
        concurrency: options.concurrency
      }).pipe(
        Effect.provideContext(g.context as Context.Context<unknown>),
        // step logs are recorded in the event log and shown by the UI, not printed by the server
        Effect.provideService(Logger.CurrentLoggers, new Set()),
        Effect.ensuring(Effect.suspend(() => {
          runs.delete(runId)
          g.activeRuns--
          return releaseIfIdle(g)
        }))
      ) as Effect.Effect<Materialize.RunResult, Materialize.MaterializeError>
      g.activeRuns++
      runs.set(runId, active)
      const fiber = yield* Effect.forkIn(program, serverScope)
      active.fiber = fiber
      // the run id is returned once the run is recorded, or the planning error if it fails first
      yield* Effect.raceFirst(
        Effect.promise(() => started),
        Effect.flatMap(Fiber.join(fiber), () => Effect.void)
      ).pipe(
        Effect.catchTags({
          "@strata/core/SelectionParseError": (error) => Effect.fail(badSelection(error)),
          "@strata/core/SelectionResolveError": (error) => Effect.fail(badSelection(error)),
          "@strata/core/InstanceError": (error) => Effect.fail(storageError(error)),
          "@strata/core/ReexecutionError": (error) => Effect.fail(new Errors.RunConflict({ runId: error.runId, message: error.message }))
        })
      )
      return runId
    })

  /**
   * Observes the sources whose files changed, recording only new data versions
   * (`Observe.sources`). A source that cannot be observed (its file was
   * deleted), or that is shown failed and can be observed again, goes through
   * the Observe button's path instead, a run of the source, so that its
   * failure (or its recovery) is recorded and shown the same way.
   */
  const observeChanged = (g: Generation, changed: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const keys = changed.filter((key) => g.project.graph.index.has(key))
      if (keys.length === 0) return
      const result = yield* (Observe.sources(g.project, { selection: keys.join(", ") }).pipe(
        Effect.provideContext(g.context as Context.Context<unknown>)
      ) as Effect.Effect<Observe.ObserveResult, unknown>)
      const records = yield* g.instance.assets(keys)
      const failed = new Set<string>(result.failed.map((entry) => entry.key))
      const unchanged = new Set<string>(result.unchanged)
      const again = keys.filter((key) =>
        // a source shown failed whose file is back unchanged: a run records the observation, which clears the failure
        failed.has(key) || (unchanged.has(key) && records.get(key)?.failure !== undefined)
      )
      if (again.length > 0 && g === current) {
        yield* startRun(g, again, { selection: again.join(", "), tags: { source: "catalog", ...Observe.runTags } })
      }
    }).pipe(
      // the layer stays until the observation is over, even if a reload supersedes the generation meanwhile
      (observe) =>
        Effect.suspend(() => {
          // a reload since: the new generation's watcher reports its own changes
          if (g !== current) return Effect.void
          g.activeRuns++
          return Effect.ensuring(observe, Effect.suspend(() => {
            g.activeRuns--
            return releaseIfIdle(g)
          }))
        }),
      Effect.catchCause((cause) =>
        Cause.hasInterruptsOnly(cause)
          ? Effect.interrupt
          : Effect.logWarning(`cannot observe the changed sources ${changed.join(", ")}: ${message(Cause.squash(cause))}`)
      )
    )

  // one observation at a time, in the order the changes came
  yield* Effect.forkIn(
    Effect.forever(Effect.flatMap(Queue.take(sourceChanges), (batch) => observeChanged(batch.generation, batch.keys))),
    serverScope
  )

  const launch = Effect.fn("Catalog.launch")(function*(request: Models.LaunchRequest) {
    const g = yield* generation
    const keys = yield* Selection.resolve(g.project, request.selection).pipe(Effect.mapError(badSelection))
    const graph = g.project.graph
    const planned = keys.filter((key) => graph.nodes[graph.index.get(key)!]!.kind !== "external")
    const runId = yield* startRun(g, planned, {
      selection: request.selection,
      staleOnly: request.staleOnly,
      partition: request.partition,
      tags: { source: "catalog", ...request.tags }
    })
    return { runId, assetKeys: planned } satisfies Models.Launched
  })

  const reexecute = Effect.fn("Catalog.reexecute")(function*(parentRunId: string, from: "failure" | "all" | undefined) {
    const g = yield* generation
    const parent = yield* findRun(g, parentRunId)
    if (!Models.isTerminal(parent.status) || runs.has(parentRunId)) {
      return yield* new Errors.RunConflict({
        runId: parentRunId,
        message: `run ${parentRunId} is still ${parent.status}; wait for it to finish or cancel it`
      })
    }
    const parentEvents = yield* events(g, parentRunId)
    const succeeded = new Set<string>()
    for (const event of parentEvents) if (event.type === "step-succeeded") succeeded.add(event.assetKey)
    const pending = (from ?? "failure") === "all"
      ? parent.assetKeys
      : parent.assetKeys.filter((key) => !succeeded.has(key))
    const runId = yield* startRun(g, pending, {
      reexecute: { runId: parentRunId, from: from ?? "failure" },
      tags: { source: "catalog", ...parent.tags }
    })
    return { runId, assetKeys: pending } satisfies Models.Launched
  })

  const canceledHere = `canceled from the catalog (pid ${process.pid} on ${hostname()})`

  const cancel = Effect.fn("Catalog.cancel")(function*(runId: string) {
    const g = yield* generation
    const active = runs.get(runId)
    if (active === undefined || active.fiber === undefined) {
      // another process executes it (a terminal, another server): record the
      // request in the instance; that process polls for it and cancels the run
      yield* findRun(g, runId)
      const run = yield* g.instance.requestCancel(runId, { at: Date.now(), reason: canceledHere }).pipe(
        Effect.catchTag("@strata/core/CancelRequestError", (error) =>
          Effect.fail(
            error.reason === "not-found"
              ? new Errors.RunNotFound({ runId, message: error.message })
              : new Errors.RunConflict({ runId, message: error.message })
          )),
        Effect.mapError((error) => error._tag === "@strata/core/InstanceError" ? storageError(error) : error)
      )
      return { runId, status: run.status, requested: true, run: toRun(run) } satisfies Models.Canceled
    }
    // a run this server executes: the request names the catalog in the run's reason; the interruption
    // stops it at once instead of at the next poll
    yield* active.generation.instance.requestCancel(runId, { at: Date.now(), reason: canceledHere }).pipe(Effect.ignore)
    yield* Fiber.interrupt(active.fiber)
    const run = yield* findRun(active.generation, runId)
    return { runId, status: run.status, requested: false, run: toRun(run) } satisfies Models.Canceled
  })

  return {
    reload,
    info: Effect.map(generation, info),
    listAssets,
    getAsset,
    history,
    select,
    listRuns,
    getRun,
    followRun,
    launch,
    reexecute,
    cancel,
    activeRuns: () => runs.size
  }
})

/** The engine's interface. */
export type Engine = Effect.Success<ReturnType<typeof makeEngine>>
