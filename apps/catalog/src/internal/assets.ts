/**
 * The catalog's asset queries: the paged and filtered list, the full list
 * (optionally a selection), one asset's detail, its history and checks, and
 * a selection resolved to keys. Statuses come from the shared snapshot
 * (`statuses.ts`).
 */
import { AssetGraph, Selection, Version } from "@strata/core"
import { Errors, Models } from "@strata/protocol"
import type { ProjectHost } from "@strata/runtime"
import { Context, Effect, Option } from "effect"
import * as AssetIndex from "./assetIndex.ts"
import { assetChecks, checkSummary } from "./checks.ts"
import { badSelection, projectInfo, storageError, stripUndefined } from "./convert.ts"
import { readDefinition } from "./source.ts"
import * as Statuses from "./statuses.ts"

type Generation = ProjectHost.Generation

/** Where the asset queries read: the host (its load error) and the shared statuses. */
export interface Reader {
  readonly host: ProjectHost.ProjectHost
  readonly cache: Statuses.Cache
}

export type PageQuery = Omit<AssetIndex.PageQuery, "status" | "offset" | "limit"> & {
  readonly status?: string | undefined
  readonly offset?: number | undefined
  readonly limit?: number | undefined
}

/** The statuses of `status` (comma-separated), or a 400 naming the unknown one. */
const statusFilter = (text: string | undefined) =>
  Effect.gen(function*() {
    const status = text === undefined || text.trim() === "" ? undefined : text.split(",").map((s) => s.trim())
    for (const value of status ?? []) {
      if (!(Models.AssetStatus.literals as ReadonlyArray<string>).includes(value)) {
        return yield* new Errors.InvalidRequest({
          part: "Query",
          message: `unknown asset status ${JSON.stringify(value.slice(0, 40))}; use ${Models.AssetStatus.literals.join(", ")}`
        })
      }
    }
    return status
  })

export const page = Effect.fn("Catalog.assetPage")(function*(reader: Reader, g: Generation, query: PageQuery) {
  const status = yield* statusFilter(query.status)
  if ((query.q?.length ?? 0) > 1000) {
    return yield* new Errors.InvalidRequest({ part: "Query", message: "the search q is longer than 1,000 characters" })
  }
  const current = yield* Statuses.current(reader.cache, g)
  const assets = Statuses.assetsOf(current)
  const index = Statuses.searchIndex(reader.cache, g, assets)
  const orders = current.orders ??= AssetIndex.makeStatusOrders(index, assets)
  const offset = query.offset ?? 0
  const result = AssetIndex.page({ ...query, status, offset, limit: query.limit ?? 100 }, index, orders, assets, current)
  return { project: projectInfo(reader.host, g), offset, ...result } satisfies Models.AssetPage
})

export const list = Effect.fn("Catalog.listAssets")(function*(reader: Reader, g: Generation, selection: string | undefined) {
  const keep = selection === undefined || selection.trim() === ""
    ? undefined
    : new Set(yield* Selection.resolve(g.project, selection).pipe(Effect.mapError(badSelection)))
  const current = yield* Statuses.current(reader.cache, g)
  const keys = g.project.graph.nodes.map((node) => node.key)
  const indexes = keep === undefined ? keys.map((_, i) => i) : keys.flatMap((key, i) => keep.has(key) ? [i] : [])
  return {
    project: projectInfo(reader.host, g),
    size: indexes.length,
    /** The nodes of list positions `start` to `end` (excluded), built now and not kept. */
    slice: (start: number, end: number) => indexes.slice(start, end).map((i) => Statuses.nodeOf(current, i))
  }
})

/** A 404 for `key`, with the keys it may have meant. */
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

/** The asset's partitions: how many, and the 50 materialized last. */
const partitionsOf = (g: Generation, key: string) =>
  Effect.map(g.instance.partitions(key).pipe(Effect.mapError(storageError)), (partitionMap) =>
    partitionMap.size === 0 ? undefined : {
      count: partitionMap.size,
      latest: [...partitionMap.entries()]
        .sort((a, b) => b[1].timestamp - a[1].timestamp)
        .slice(0, 50)
        .map(([partition, m]) => ({ partition, timestamp: m.timestamp, runId: m.runId, dataVersion: m.dataVersion }))
    })

/** The definition's source text, or why it cannot be shown. */
type Source = { readonly code?: Models.SourceCode; readonly error?: string }
const sourceOf = (location: { readonly file: string; readonly line: number; readonly column: number } | undefined) =>
  location === undefined
    ? Effect.succeed<Source>({ error: "the definition's location is unknown" })
    : readDefinition(location).pipe(
      Effect.map((code): Source => ({ code })),
      Effect.catch((error) => Effect.succeed<Source>({ error }))
    )

/** How many assets an asset's answer lists in each of its lists unless asked for more: what its page shows. */
export const refsByDefault = 100

/** The first `limit` of the assets at `indexes` as refs. */
const refsOf = (indexes: ReadonlyArray<number>, limit: number, ref: (j: number) => Models.AssetRef) => {
  const refs: Array<Models.AssetRef> = []
  for (let n = 0; n < indexes.length && refs.length < limit; n++) refs.push(ref(indexes[n]!))
  return refs
}

/** The first `limit` assets downstream of `i`, transitively, in graph order, and how many there are. */
const affectedOf = (graph: AssetGraph.AssetGraph, i: number, limit: number, ref: (j: number) => Models.AssetRef) => {
  const closure = AssetGraph.downstreamClosure(graph, [i])
  const refs: Array<Models.AssetRef> = []
  let count = 0
  for (let j = 0; j < closure.length; j++) {
    if (closure[j] !== 1 || j === i) continue
    count++
    if (refs.length < limit) refs.push(ref(j))
  }
  return { refs, count }
}

export const get = Effect.fn("Catalog.getAsset")(function*(reader: Reader, g: Generation, key: string, refs = refsByDefault) {
  const graph = g.project.graph
  const i = graph.index.get(key)
  if (i === undefined) return yield* notFound(g, key)
  const current = yield* Statuses.current(reader.cache, g)
  const node = graph.nodes[i]!
  const spec = node.spec
  const record = current.records.get(key)
  const ref = (j: number): Models.AssetRef => ({ key: graph.nodes[j]!.key, kind: graph.nodes[j]!.kind, status: current.states[j]!.status })
  const affected = affectedOf(graph, i, refs, ref)
  const location = spec.location
  const source = yield* sourceOf(location)
  const materialization = record?.materialization
  return stripUndefined({
    node: Statuses.nodeOf(current, i),
    codeVersion: spec.codeVersion,
    currentCodeVersion: node.kind === "asset" ? Version.ofAsset(node as Parameters<typeof Version.ofAsset>[0]) : undefined,
    io: spec.io,
    ioName: ioNameOf(g.context, node),
    metadata: spec.metadata,
    retry: spec.retry === undefined
      ? undefined
      : { maxRetries: spec.retry.maxRetries, delayMs: spec.retry.delayMs, backoff: spec.retry.backoff },
    location: location === undefined ? undefined : { file: location.file, line: location.line, column: location.column },
    source: source.code,
    sourceError: source.error,
    latest: materialization === undefined ? undefined : stripUndefined({ ...materialization }),
    observation: record?.observation === undefined ? undefined : stripUndefined({ ...record.observation }),
    failure: record?.failure === undefined ? undefined : stripUndefined(record.failure),
    partitions: yield* partitionsOf(g, key),
    upstream: refsOf(graph.upstream[i]!, refs, ref),
    upstreamCount: graph.upstream[i]!.length,
    downstream: refsOf(graph.downstream[i]!, refs, ref),
    downstreamCount: graph.downstream[i]!.length,
    affected: affected.refs,
    affectedCount: affected.count
  }) satisfies Models.AssetDetail
})

export const history = Effect.fn("Catalog.history")(function*(
  g: Generation,
  key: string,
  limit: number | undefined,
  before: number | undefined
) {
  if (!g.project.graph.index.has(key)) return yield* notFound(g, key)
  const list = yield* g.instance.history(key, { limit: limit ?? 200, before }).pipe(Effect.mapError(storageError))
  return { key, materializations: list.map((m) => stripUndefined({ ...m })) } satisfies Models.AssetHistory
})

export const checks = Effect.fn("Catalog.checks")(function*(g: Generation, key: string, limit: number | undefined) {
  if (!g.project.graph.index.has(key)) return yield* notFound(g, key)
  return yield* assetChecks(g.project, g.instance, key, limit).pipe(Effect.mapError(storageError))
})

export const summary = Effect.fn("Catalog.checkSummary")(function*(g: Generation) {
  return yield* checkSummary(g.project, g.instance).pipe(Effect.mapError(storageError))
})

export const select = Effect.fn("Catalog.select")(function*(g: Generation, selection: string) {
  const keys = yield* Selection.resolve(g.project, selection).pipe(Effect.mapError(badSelection))
  return { selection, keys } satisfies Models.SelectionResult
})
