/**
 * The catalog's queries and actions over the headless runtime
 * (`@strata/runtime`): the runtime holds the loaded project and its reloads,
 * launches and cancels runs and watches sources; this module turns its state
 * and the instance into the protocol's models, and the runtime's and core's
 * errors into the protocol's. HTTP handlers are thin wrappers over this.
 */
import { createHash } from "node:crypto"
import { AssetGraph, AssetState, ExecutionPlan, Instance, type Partitions, Selection, Staleness, Version } from "@strata/core"
import { Errors, Models } from "@strata/protocol"
import { ProjectHost, Runtime } from "@strata/runtime"
import { Context, Effect, Layer, Option, Stream } from "effect"
import { assetChecks, checkSummary } from "./checks.ts"
import * as AssetIndex from "./assetIndex.ts"
import * as RunFilter from "./runFilter.ts"
import { readDefinition } from "./source.ts"

type Generation = ProjectHost.Generation

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

const message = (error: unknown): string => {
  if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") {
    return error.message
  }
  return String(error)
}

const storageError = (error: Instance.InstanceError): Errors.StorageError =>
  new Errors.StorageError({ operation: error.operation, message: error.message })

const badSelection = (
  error: Selection.SelectionParseError | Selection.SelectionResolveError | Partitions.InvalidPartitionKey
): Errors.BadSelection =>
  error._tag === "@strata/core/InvalidPartitionKey"
    ? new Errors.BadSelection({ selection: error.key, problem: error.reason, suggestions: [], message: error.message })
    : error._tag === "@strata/core/SelectionParseError"
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

const loadError = (error: ProjectHost.ProjectLoadError) => new Errors.ProjectLoadError({ message: error.message })

/** Builds the engine inside the caller's scope: runs are interrupted and layers released when it closes. */
export const makeEngine = Effect.fnUntraced(function*(options: EngineOptions) {
  const runtime = options.runtime ?? (yield* Runtime.make({ ...options, name: "the catalog" }).pipe(Effect.mapError(loadError)))
  const { host, launcher } = runtime
  // where work launched from the catalog outlives its request (backfills)
  const scope = yield* Effect.scope
  const generation = Effect.sync(() => host.current)

  const info = (g: Generation): Models.ProjectInfo =>
    stripUndefined({
      generation: g.number,
      loadedAt: g.loadedAt,
      assetCount: g.project.graph.nodes.length,
      instance: g.instance.describe,
      loadError: host.loadError
    })

  const reload: Effect.Effect<Models.ProjectInfo, Errors.ProjectLoadError> = Effect.map(
    host.reload.pipe(Effect.mapError(loadError)),
    info
  )

  /** Statuses of every node, indexed like `project.graph.nodes`. */
  const computeStatuses = (g: Generation) =>
    Effect.gen(function*() {
      const graph = g.project.graph
      const records = yield* g.instance.assets(graph.nodes.map((node) => node.key)).pipe(Effect.mapError(storageError))
      // runs of other processes sharing the instance (`strata materialize` in a terminal): their assets not yet
      // materialized or failed by that run are running too; this process's runs give their pending steps exactly
      const others = yield* g.instance.listRuns({ status: ["queued", "started"], limit: AssetState.activeRunLimit }).pipe(
        Effect.mapError(storageError)
      )
      const running = AssetState.runningSteps(records, others, (runId) => launcher.isExecuting(runId))
      for (const [key, runId] of launcher.runningSteps()) running.set(key, runId)
      // the states `strata status` shows too: one function in core
      const failedChecks = yield* AssetState.latestBlockingChecks(g.project, records).pipe(
        Effect.provideService(Instance.Instance, g.instance),
        Effect.mapError(storageError)
      )
      const states = AssetState.combine(Staleness.compute(g.project, records), records, running, failedChecks)
      const nodes: Array<Models.AssetNode> = new Array(graph.nodes.length)
      for (let i = 0; i < graph.nodes.length; i++) {
        const node = graph.nodes[i]!
        const spec = node.spec
        const record = records.get(node.key)
        const status = states[i]!
        const latest = record?.materialization ?? record?.observation
        nodes[i] = stripUndefined({
          key: node.key,
          kind: node.kind,
          group: spec.group,
          kinds: spec.kinds,
          tags: spec.tags,
          owners: spec.owners,
          description: spec.description,
          upstream: graph.upstream[i]!.map((j) => graph.nodes[j]!.key),
          status: status.status,
          reasons: status.reasons.map(reason),
          failedChecks: status.failedChecks,
          lastMaterializedAt: latest?.timestamp,
          lastRunId: latest?.runId
        })
      }
      return { nodes, records: records as ReadonlyMap<string, Instance.AssetRecord> }
    })

  /**
   * The latest statuses snapshot, reused while nothing it depends on changed:
   * the generation, the event log's newest id (every materialization,
   * observation, failure and run start or end appends one) and the runs this
   * process executes. At 50,000 assets computing statuses takes far longer
   * than serving a page, so concurrent and repeated requests share one.
   */
  let snapshot:
    | {
      readonly version: string
      readonly nodes: ReadonlyArray<Models.AssetNode>
      readonly records: ReadonlyMap<string, Instance.AssetRecord>
      orders?: AssetIndex.StatusOrders
      counts?: Record<string, number>
      compact?: Models.StatusSnapshot
    }
    | undefined
  let searchIndex: { readonly generation: number; readonly index: AssetIndex.SearchIndex } | undefined
  /** What the statuses snapshot depends on; answers computed from a snapshot may be reused while it is the same. */
  const versionOf = (g: Generation) =>
    Effect.map(g.instance.lastEventId().pipe(Effect.mapError(storageError)), (last) => `${g.number}:${last}:${launcher.size}`)
  const statusVersion = Effect.flatMap(generation, versionOf)
  const statuses = (g: Generation) =>
    Effect.gen(function*() {
      const version = yield* versionOf(g)
      if (snapshot?.version === version) return snapshot
      const computed = yield* computeStatuses(g)
      snapshot = { version, ...computed }
      return snapshot
    })
  const indexOf = (g: Generation, nodes: ReadonlyArray<Models.AssetNode>) => {
    if (searchIndex?.generation !== g.number) searchIndex = { generation: g.number, index: AssetIndex.makeSearchIndex(nodes) }
    return searchIndex.index
  }

  const assetPage = Effect.fn("Catalog.assetPage")(function*(query: Omit<AssetIndex.PageQuery, "status" | "offset" | "limit"> & {
    readonly status?: string | undefined
    readonly offset?: number | undefined
    readonly limit?: number | undefined
  }) {
    const g = yield* generation
    const status = query.status === undefined || query.status.trim() === "" ? undefined : query.status.split(",").map((s) => s.trim())
    for (const value of status ?? []) {
      if (!(Models.AssetStatus.literals as ReadonlyArray<string>).includes(value)) {
        return yield* new Errors.InvalidRequest({
          part: "Query",
          message: `unknown asset status ${JSON.stringify(value.slice(0, 40))}; use ${Models.AssetStatus.literals.join(", ")}`
        })
      }
    }
    if ((query.q?.length ?? 0) > 1000) {
      return yield* new Errors.InvalidRequest({ part: "Query", message: "the search q is longer than 1,000 characters" })
    }
    const current = yield* statuses(g)
    const index = indexOf(g, current.nodes)
    const orders = current.orders ??= AssetIndex.makeStatusOrders(index, current.nodes)
    const offset = query.offset ?? 0
    const result = AssetIndex.page({ ...query, status, offset, limit: query.limit ?? 100 }, index, orders, current.nodes, current)
    return { project: info(g), offset, ...result } satisfies Models.AssetPage
  })

  /** The graph's shape, serialized once per generation, for `GET /api/graph`. */
  let structure: { readonly generation: number; readonly body: string; readonly hash: string } | undefined
  const graphStructure = Effect.map(generation, (g) => {
    if (structure?.generation === g.number) return structure
    const graph = g.project.graph
    const value: Models.GraphStructure = {
      generation: g.number,
      keys: graph.nodes.map((node) => node.key),
      kind: graph.nodes.map((node) => node.kind),
      group: graph.nodes.map((node) => node.spec.group),
      kinds: graph.nodes.map((node) => node.spec.kinds),
      upstream: graph.nodes.map((_, i) => graph.upstream[i]!)
    }
    const { generation: _, ...shape } = value
    // the shape's content (not the generation) names cached layouts in the browser: same graph, same hash
    const hash = createHash("sha256").update(JSON.stringify(shape)).digest("hex").slice(0, 16)
    structure = { generation: g.number, body: JSON.stringify(value), hash }
    return structure
  })

  const statusSnapshot = Effect.fn("Catalog.statusSnapshot")(function*() {
    const g = yield* generation
    const current = yield* statuses(g)
    return current.compact ??= {
      generation: g.number,
      status: current.nodes.map((node) => node.status),
      lastMaterializedAt: current.nodes.map((node) => node.lastMaterializedAt ?? null)
    }
  })

  /**
   * Status changes as they happen: a full snapshot first (and after a
   * reload), then every 250 ms the assets whose status or time changed
   * (nothing when none did). Recomputing is shared by every follower, see
   * `statuses`. Ends when the client goes away.
   */
  const statusStream = Effect.fn("Catalog.statusStream")(function*() {
    yield* generation
    return Stream.paginate({ previous: undefined as Models.StatusSnapshot | undefined }, (state) =>
      Effect.gen(function*() {
        if (state.previous !== undefined) yield* Effect.sleep(250)
        const next = yield* statusSnapshot()
        const previous = state.previous
        if (previous === undefined || previous.generation !== next.generation) {
          const index = next.status.map((_, i) => i)
          const full: Models.StatusDelta = { ...next, full: true, index }
          return [[full], Option.some({ previous: next })] as const
        }
        if (previous === next) return [[], Option.some({ previous: next })] as const
        const index: Array<number> = []
        for (let i = 0; i < next.status.length; i++) {
          if (next.status[i] !== previous.status[i] || next.lastMaterializedAt[i] !== previous.lastMaterializedAt[i]) index.push(i)
        }
        const delta: Models.StatusDelta = {
          generation: next.generation,
          full: false,
          index,
          status: index.map((i) => next.status[i]!),
          lastMaterializedAt: index.map((i) => next.lastMaterializedAt[i]!)
        }
        return [index.length === 0 ? [] : [delta], Option.some({ previous: next })] as const
      }))
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

  const checks = Effect.fn("Catalog.checks")(function*(key: string, limit: number | undefined) {
    const g = yield* generation
    if (!g.project.graph.index.has(key)) return yield* notFound(g, key)
    return yield* assetChecks(g.project, g.instance, key, limit).pipe(Effect.mapError(storageError))
  })

  const summary = Effect.fn("Catalog.checkSummary")(function*() {
    const g = yield* generation
    return yield* checkSummary(g.project, g.instance).pipe(Effect.mapError(storageError))
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
      cancelable: launcher.isExecuting(record.runId) || !Models.isTerminal(record.status),
      cancelRequestedAt: record.cancelRequestedAt,
      cancelReason: record.cancelReason
    })

  const listRuns = Effect.fn("Catalog.listRuns")(function*(
    query: { readonly status?: string | undefined; readonly limit?: number | undefined; readonly before?: string | undefined } &
      RunFilter.RunFilter
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
    if (!RunFilter.isEmpty(query)) {
      const result = yield* RunFilter.filtered(g.instance.listRuns, { status, before: query.before, limit }, query).pipe(
        Effect.mapError(storageError)
      )
      return stripUndefined({ runs: result.runs.map(toRun), next: result.next }) satisfies Models.RunList
    }
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
        const finished = run !== undefined && Models.isTerminal(run.status) && !launcher.isExecuting(runId)
        // a finished run's events are all stored: one more read cannot find new ones
        return [batch, finished ? Option.none() : Option.some({ cursor, first: false })] as const
      }))
  })

  const launchError = (error: Instance.InstanceError | ExecutionPlan.ReexecutionError) =>
    error._tag === "@strata/core/InstanceError"
      ? storageError(error)
      : new Errors.RunConflict({ runId: error.runId, message: error.message })

  const launch = Effect.fn("Catalog.launch")(function*(request: Models.LaunchRequest) {
    const g = yield* generation
    // planned once: the plan's steps are the run's
    const plan = yield* ExecutionPlan.make(g.project, {
      selection: request.selection,
      staleOnly: request.staleOnly,
      partition: request.partition
    }).pipe(Effect.mapError((error) =>
      error._tag === "@strata/core/InvalidPartitionKey"
        ? new Errors.InvalidRequest({ part: "Payload", message: error.message })
        : badSelection(error)
    ))
    const runId = yield* launcher.launch(g, plan, { source: "catalog", ...request.tags }).pipe(Effect.mapError(launchError))
    return { runId, assetKeys: plan.steps.map((step) => step.key) } satisfies Models.Launched
  })

  const reexecute = Effect.fn("Catalog.reexecute")(function*(parentRunId: string, from: "failure" | "all" | undefined) {
    const g = yield* generation
    const parent = yield* findRun(g, parentRunId)
    const launched = yield* launcher.reexecute(parentRunId, from ?? "failure", { source: "catalog", ...parent.tags }).pipe(
      Effect.mapError(launchError)
    )
    return { runId: launched.runId, assetKeys: launched.plan.steps.map((step) => step.key) } satisfies Models.Launched
  })

  const cancel = Effect.fn("Catalog.cancel")(function*(runId: string) {
    const g = yield* generation
    yield* findRun(g, runId)
    const canceled = yield* launcher.cancel(g.instance, runId).pipe(
      Effect.catchTag("@strata/core/CancelRequestError", (error) =>
        Effect.fail(
          error.reason === "not-found"
            ? new Errors.RunNotFound({ runId, message: error.message })
            : new Errors.RunConflict({ runId, message: error.message })
        )),
      Effect.mapError((error) => error._tag === "@strata/core/InstanceError" ? storageError(error) : error)
    )
    const run = canceled.run
    return { runId, status: run.status, requested: canceled.requested, run: toRun(run) } satisfies Models.Canceled
  })

  return {
    reload,
    /** The current generation (the automation handlers read its instance). */
    generation,
    info: Effect.map(generation, info),
    listAssets,
    assetPage,
    statusVersion,
    graphStructure,
    statusSnapshot,
    statusStream,
    getAsset,
    history,
    checks,
    checkSummary: summary,
    select,
    listRuns,
    getRun,
    followRun,
    launch,
    reexecute,
    cancel,
    activeRuns: () => launcher.size,
    host,
    scope
  }
})

/** The engine's interface. */
export type Engine = Effect.Success<ReturnType<typeof makeEngine>>
