/**
 * Every asset's status, computed from the instance and shared: a snapshot is
 * reused while nothing it depends on changed (the generation, the event log's
 * newest id, the runs this process executes). At 50,000 assets computing
 * statuses takes far longer than serving a page, so concurrent and repeated
 * requests share one. Also the graph's shape (once per generation) and the
 * status stream the graph page follows.
 */
import { createHash } from "node:crypto"
import { AssetState, Instance, Staleness } from "@strata/core"
import type { Errors } from "@strata/protocol"
import { Models } from "@strata/protocol"
import type { ProjectHost, RunLauncher } from "@strata/runtime"
import { Effect, Fiber, Option, Schema, Stream } from "effect"
import * as AssetIndex from "./assetIndex.ts"
import type * as Overview from "./overview.ts"
import { reason, storageError, stripUndefined } from "./convert.ts"

type Generation = ProjectHost.Generation

/**
 * A statuses snapshot and the answers derived from it (filled when first
 * asked). `states` and `records` are computed; the protocol's nodes (with
 * tags, owners, upstream keys and reasons) are built from them as they are
 * written out (`nodeOf`), a page or a slice of the list at a time, and not
 * kept: `GET /api/statuses` and an asset page never build them.
 */
export interface Snapshot {
  readonly version: string
  readonly generation: number
  /** The graph `states` is in the order of. */
  readonly graph: Generation["project"]["graph"]
  readonly states: ReadonlyArray<AssetState.AssetState>
  readonly records: ReadonlyMap<string, Instance.AssetRecord>
  orders?: AssetIndex.StatusOrders
  counts?: Record<string, number>
  compact?: Models.StatusSnapshot
  /** `compact` as the JSON bytes of `GET /api/statuses`. */
  body?: Uint8Array
  /** The JSON bytes of `GET /api/graph/overview` (see overview.ts). */
  overview?: Uint8Array
}

/** What the engine keeps between requests: the latest snapshot, search index and serialized shape. */
export interface Cache {
  readonly launcher: RunLauncher.RunLauncher
  snapshot: Snapshot | undefined
  /** The computation of a snapshot under way (or the last one), by version. */
  computing: { readonly version: string; readonly fiber: Fiber.Fiber<Snapshot, Errors.StorageError> } | undefined
  searchIndex: { readonly generation: number; readonly index: AssetIndex.SearchIndex } | undefined
  structure: Structure | undefined
  /** The groups of the current generation's graph, for `GET /api/graph/overview`. */
  groups: Overview.Groups | undefined
}

/** The graph's shape serialized for `GET /api/graph`, and its content hash. */
export interface Structure {
  readonly generation: number
  readonly body: string
  readonly hash: string
}

export const makeCache = (launcher: RunLauncher.RunLauncher): Cache => ({
  launcher,
  snapshot: undefined,
  computing: undefined,
  searchIndex: undefined,
  structure: undefined,
  groups: undefined
})

/** The states of every node, indexed like `project.graph.nodes`, and the asset records they come from. */
const compute = (launcher: RunLauncher.RunLauncher, g: Generation) =>
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
    return { generation: g.number, graph, states, records: records as ReadonlyMap<string, Instance.AssetRecord> }
  })

/** The latest materialization or observation of asset `i`. */
const latestOf = (snapshot: Snapshot, i: number) => {
  const record = snapshot.records.get(snapshot.graph.nodes[i]!.key)
  return record?.materialization ?? record?.observation
}

/** Asset `i` of the snapshot as the protocol's node. */
export const nodeOf = (snapshot: Snapshot, i: number): Models.AssetNode => {
  const { graph } = snapshot
  const node = graph.nodes[i]!
  const spec = node.spec
  const state = snapshot.states[i]!
  const latest = latestOf(snapshot, i)
  return stripUndefined({
    key: node.key,
    kind: node.kind,
    group: spec.group,
    kinds: spec.kinds,
    tags: spec.tags,
    owners: spec.owners,
    description: spec.description,
    upstream: graph.upstream[i]!.map((j) => graph.nodes[j]!.key),
    status: state.status,
    reasons: state.reasons.map(reason),
    failedChecks: state.failedChecks,
    lastMaterializedAt: latest?.timestamp,
    lastRunId: latest?.runId
  })
}

/** The snapshot as the catalog's index reads it (definitions from the graph, statuses and times from the compact snapshot). */
export const assetsOf = (snapshot: Snapshot): AssetIndex.Assets => {
  const compact = compactOf(snapshot)
  const nodes = snapshot.graph.nodes
  return {
    size: nodes.length,
    key: (i) => nodes[i]!.key,
    definition: (i) => nodes[i]!.spec,
    status: (i) => compact.status[i]!,
    time: (i) => compact.lastMaterializedAt[i] ?? undefined,
    node: (i) => nodeOf(snapshot, i)
  }
}

/** What the statuses snapshot depends on; answers computed from a snapshot may be reused while it is the same. */
export const versionOf = (cache: Cache, g: Generation): Effect.Effect<string, Errors.StorageError> =>
  Effect.map(g.instance.lastEventId().pipe(Effect.mapError(storageError)), (last) => `${g.number}:${last}:${cache.launcher.size}`)

/**
 * The latest snapshot of `g`, computed again only when its version moved.
 * Requests that arrive while it is computed (the first visit while the
 * server computes ahead, two tabs opening at once) wait for that one
 * computation; it runs in a fiber of its own, so a request that goes away
 * does not interrupt it for the others.
 */
export const current = (cache: Cache, g: Generation): Effect.Effect<Snapshot, Errors.StorageError> =>
  Effect.gen(function*() {
    const version = yield* versionOf(cache, g)
    if (cache.snapshot?.version === version) return cache.snapshot
    if (cache.computing?.version !== version) {
      const fiber = yield* Effect.forkDetach(computeAs(cache, g, version))
      cache.computing = { version, fiber }
    }
    return yield* Fiber.join(cache.computing!.fiber)
  })

const computeAs = (cache: Cache, g: Generation, version: string) =>
  compute(cache.launcher, g).pipe(
    Effect.map((computed): Snapshot => {
      const snapshot: Snapshot = { version, ...computed }
      // an older computation ending after a newer one started does not replace what that one gives
      if (cache.computing?.version === version) cache.snapshot = snapshot
      return snapshot
    }),
    // a failure is not kept for the next request of the same version
    Effect.onExit((exit) => Effect.sync(() => {
      if (exit._tag === "Failure" && cache.computing?.version === version) cache.computing = undefined
    }))
  )

/** The search index of `g`'s assets (built once per generation). */
export const searchIndex = (cache: Cache, g: Generation, assets: AssetIndex.Assets): AssetIndex.SearchIndex => {
  if (cache.searchIndex?.generation !== g.number) {
    cache.searchIndex = { generation: g.number, index: AssetIndex.makeSearchIndex(assets) }
  }
  return cache.searchIndex.index
}

/** The graph's shape with its per-asset lists flat (see `Models.GraphStructure`). */
const structureOf = (g: Generation): Models.GraphStructure => {
  const graph = g.project.graph
  const kindLists: Array<ReadonlyArray<string>> = []
  const listIndex = new Map<string, number>()
  const kinds = graph.nodes.map((node) => {
    const name = JSON.stringify(node.spec.kinds)
    let at = listIndex.get(name)
    if (at === undefined) listIndex.set(name, at = kindLists.push(node.spec.kinds) - 1)
    return at
  })
  const upstreamStarts = new Array<number>(graph.nodes.length + 1)
  const upstream: Array<number> = []
  for (let i = 0; i < graph.nodes.length; i++) {
    upstreamStarts[i] = upstream.length
    for (const j of graph.upstream[i]!) upstream.push(j)
  }
  upstreamStarts[graph.nodes.length] = upstream.length
  return {
    generation: g.number,
    keys: graph.nodes.map((node) => node.key),
    kind: graph.nodes.map((node) => node.kind),
    group: graph.nodes.map((node) => node.spec.group),
    kindLists,
    kinds,
    upstreamStarts,
    upstream
  }
}

/** The graph's shape, serialized once per generation, for `GET /api/graph`. */
export const structure = (cache: Cache, g: Generation): Structure => {
  if (cache.structure?.generation === g.number) return cache.structure
  const value = structureOf(g)
  const { generation: _, ...shape } = value
  // the shape's content (not the generation) names cached layouts in the browser: same graph, same hash
  const hash = createHash("sha256").update(JSON.stringify(shape)).digest("hex").slice(0, 16)
  cache.structure = { generation: g.number, body: JSON.stringify(value), hash }
  return cache.structure
}

/** Statuses and times as two arrays indexed like the shape (`GET /api/statuses`). */
export const compactOf = (latest: Snapshot): Models.StatusSnapshot =>
  latest.compact ??= {
    generation: latest.generation,
    status: latest.states.map((state) => state.status),
    lastMaterializedAt: latest.states.map((_, i) => latestOf(latest, i)?.timestamp ?? null)
  }

export const snapshot = Effect.fn("Catalog.statusSnapshot")(function*(cache: Cache, g: Generation) {
  return compactOf(yield* current(cache, g))
})

const encodeSnapshot = Schema.encodeSync(Models.StatusSnapshot)

/** `GET /api/statuses` as JSON bytes, encoded once per snapshot. */
export const snapshotBody = Effect.fn("Catalog.statusSnapshotBody")(function*(cache: Cache, g: Generation) {
  const latest = yield* current(cache, g)
  return latest.body ??= new TextEncoder().encode(JSON.stringify(encodeSnapshot(compactOf(latest))))
})

/** The assets whose status or time changed from `previous` to `next` (same generation). */
const deltaOf = (previous: Models.StatusSnapshot, next: Models.StatusSnapshot): Models.StatusDelta => {
  const index: Array<number> = []
  for (let i = 0; i < next.status.length; i++) {
    if (next.status[i] !== previous.status[i] || next.lastMaterializedAt[i] !== previous.lastMaterializedAt[i]) index.push(i)
  }
  return {
    generation: next.generation,
    full: false,
    index,
    status: index.map((i) => next.status[i]!),
    lastMaterializedAt: index.map((i) => next.lastMaterializedAt[i]!)
  }
}

/**
 * Status changes as they happen: a full snapshot first (and after a
 * reload), then every 250 ms the assets whose status or time changed
 * (nothing when none did). Recomputing is shared by every follower, see
 * `current`. Ends when the client goes away.
 */
export const stream = (cache: Cache, generation: Effect.Effect<Generation>) =>
  Stream.paginate({ previous: undefined as Models.StatusSnapshot | undefined }, (state) =>
    Effect.gen(function*() {
      if (state.previous !== undefined) yield* Effect.sleep(250)
      const next = yield* snapshot(cache, yield* generation)
      const previous = state.previous
      if (previous === undefined || previous.generation !== next.generation) {
        const full: Models.StatusDelta = { ...next, full: true, index: next.status.map((_, i) => i) }
        return [[full], Option.some({ previous: next })] as const
      }
      if (previous === next) return [[], Option.some({ previous: next })] as const
      const delta = deltaOf(previous, next)
      return [delta.index.length === 0 ? [] : [delta], Option.some({ previous: next })] as const
    }))
