import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks"
import type { Models } from "./api.ts"
import { api, ApiFailure } from "./api.ts"
import * as BigAnswers from "./bigAnswers.ts"
import { Graph, recordFullGraph } from "./Graph.tsx"
import { fetchGraph, yieldToPage } from "./graphShape.ts"
import type { GraphShape } from "./graphShape.ts"
import { GroupedGraph } from "./GroupedGraph.tsx"
import { collapseFrom } from "./groups.ts"
import { useCheckSummary } from "./checkSummary.tsx"
import { assetPath, navigate, runPath } from "./router.ts"
import { paths } from "@strata/protocol"
import { Schema } from "effect"

const statuses: ReadonlyArray<Models.AssetStatus> = ["fresh", "stale", "missing", "failed", "check-failed", "running"]

/** The graph's shape (kept while the generation is the same) with the latest statuses. */
interface GraphData {
  readonly generation: number
  readonly structure: GraphShape
  /** The shape's content hash (from the ETag), naming cached layouts. */
  readonly hash: string
  readonly statuses: Models.StatusSnapshot
  readonly assets: ReadonlyArray<Models.AssetNode>
}

let lastStructure: { readonly structure: GraphShape; readonly hash: string } | undefined
let lastStatuses: { readonly statuses: Models.StatusSnapshot; readonly assets: ReadonlyArray<Models.AssetNode> } | undefined

/** Asset `i` of `structure` with its status and time: each node is built once, with both. */
const nodeOf = (
  structure: GraphShape,
  i: number,
  status: Models.AssetStatus | undefined,
  at: number | null | undefined
): Models.AssetNode => {
  const { keys } = structure
  const node: { -readonly [K in keyof Models.AssetNode]: Models.AssetNode[K] } = {
    key: keys[i]!,
    kind: structure.kind[i]!,
    group: structure.group[i]!,
    kinds: structure.kinds[i]!,
    tags: {},
    owners: [],
    upstream: structure.upstream[i]!.map((j) => keys[j]!),
    status: status ?? "missing",
    reasons: []
  }
  if (at !== null && at !== undefined) node.lastMaterializedAt = at
  return node
}

/**
 * The shape (`/api/graph`, revalidated with its ETag: a 304 while the project
 * is the same) and the statuses (`/api/statuses`), merged into nodes. A
 * status snapshot equal to the previous one keeps the previous nodes; one
 * that differs rebuilds only the nodes whose status or time changed.
 */
const loadGraph = async (): Promise<GraphData> => {
  for (let attempt = 0; ; attempt++) {
    const [{ structure, hash }, statuses] = await Promise.all([fetchGraph(), api.statuses()])
    // a task of its own for the nodes (tens of ms at 50,000 assets): frames go between
    await yieldToPage()
    // a reload between the two answers: ask again
    if (structure.generation !== statuses.generation && attempt < 3) continue
    if (lastStructure?.structure.generation !== structure.generation) {
      lastStructure = { structure, hash }
      lastStatuses = undefined
    }
    const previous = lastStatuses
    if (previous === undefined) {
      lastStatuses = {
        statuses,
        assets: structure.keys.map((_, i) => nodeOf(structure, i, statuses.status[i], statuses.lastMaterializedAt[i]))
      }
    } else {
      let assets: Array<Models.AssetNode> | undefined
      for (let i = 0; i < statuses.status.length; i++) {
        const at = statuses.lastMaterializedAt[i]
        if (statuses.status[i] === previous.statuses.status[i] && at === previous.statuses.lastMaterializedAt[i]) continue
        assets ??= previous.assets.slice()
        assets[i] = nodeOf(lastStructure.structure, i, statuses.status[i], at)
      }
      if (assets !== undefined) lastStatuses = { statuses, assets }
    }
    return {
      generation: structure.generation,
      structure: lastStructure.structure,
      hash: lastStructure.hash,
      statuses: lastStatuses!.statuses,
      assets: lastStatuses!.assets
    }
  }
}

const decodeDelta = Schema.decodeUnknownSync(BigAnswers.StatusDelta)

/** Applies a delta to the latest statuses; `"reload"` when it is of another generation than the shape held. */
const applyDelta = (delta: Models.StatusDelta): Omit<GraphData, "hash"> | "reload" => {
  const shape = lastStructure
  if (shape === undefined || shape.structure.generation !== delta.generation) return "reload"
  const previous = lastStatuses
  // the full snapshot a (re)opened stream starts with is usually what the page already has:
  // keep the same nodes, so the view neither re-renders nor redraws its cached drawing
  if (delta.full && previous !== undefined && previous.statuses.generation === delta.generation &&
    previous.statuses.status.length === delta.status.length &&
    delta.status.every((value, i) => value === previous.statuses.status[i]) &&
    delta.lastMaterializedAt.every((value, i) => value === previous.statuses.lastMaterializedAt[i])) {
    return { generation: delta.generation, structure: shape.structure, statuses: previous.statuses, assets: previous.assets }
  }
  const size = shape.structure.keys.length
  const status = delta.full || previous === undefined ? new Array(size).fill("missing") : previous.statuses.status.slice()
  const times = delta.full || previous === undefined ? new Array(size).fill(null) : previous.statuses.lastMaterializedAt.slice()
  const fresh = delta.full || previous === undefined
  const assets: Array<Models.AssetNode> = fresh ? new Array(size) : previous.assets.slice()
  for (let n = 0; n < delta.index.length; n++) {
    const i = delta.index[n]!
    status[i] = delta.status[n]!
    times[i] = delta.lastMaterializedAt[n]!
    assets[i] = nodeOf(shape.structure, i, status[i], times[i])
  }
  // a full delta names every asset; any it left out is missing
  if (fresh) for (let i = 0; i < size; i++) assets[i] ??= nodeOf(shape.structure, i, "missing", null)
  lastStatuses = { statuses: { generation: delta.generation, status, lastMaterializedAt: times }, assets }
  return { generation: delta.generation, structure: shape.structure, statuses: lastStatuses.statuses, assets }
}

/** Follows `GET /api/statuses/stream`; returns a function that stops. */
const followStatuses = (onData: (data: Omit<GraphData, "hash"> | "reload") => void): (() => void) => {
  const source = new EventSource(paths.statusStream)
  source.onmessage = (message) => onData(applyDelta(decodeDelta(JSON.parse(message.data))))
  return () => source.close()
}

/** A task after the next frame: what the page draws now is on screen before the work that follows. */
const afterFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve)))

/** Waits for `painted` (the overview's first drawing on screen), at most `limitMs` (a safety net: the graph always reports it). */
const waitFor = (painted: Promise<void>, limitMs: number) =>
  Promise.race([painted, new Promise<void>((resolve) => setTimeout(resolve, limitMs))])

export const GraphPage = ({ hidden = false }: { readonly hidden?: boolean }) => {
  /** The overview (`GET /api/graph/overview`): a big graph's first screen is drawn from it alone. */
  const [overview, setOverview] = useState<Models.GraphOverview | undefined>()
  const [project, setProject] = useState<Models.ProjectInfo | undefined>(undefined)
  const [list, setList] = useState<GraphData | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  /** Resolves the promise the load waits on before reading the shape: the overview's drawing is on screen. */
  const painted = useRef<(() => void) | undefined>(undefined)
  /** The content hash of the graph last drawn from an overview. */
  const drawnHash = useRef<string | undefined>(undefined)
  const onPainted = useCallback(() => {
    painted.current?.()
    painted.current = undefined
  }, [])
  // the highlighted selection lives in the URL (`/?select=+gold_user_metrics`), so a view can be shared
  const [selection, setSelection] = useState(() => new URLSearchParams(window.location.search).get("select") ?? "")
  const [selectionError, setSelectionError] = useState<{ message: string; position: number | undefined } | undefined>()
  const [highlighted, setHighlighted] = useState<ReadonlySet<string> | undefined>(undefined)
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set())
  const [launching, setLaunching] = useState(false)
  const [staleOnly, setStaleOnly] = useState(false)
  /** Lay out the highlighted assets on their own (a lineage view) instead of dimming the rest. */
  const [only, setOnly] = useState(false)
  /** The selection text behind `highlighted`: a run of exactly those assets records it instead of their keys. */
  const applied = useRef("")
  const checks = useCheckSummary()

  /**
   * The overview first; for a big graph (drawn from it, collapsed) the shape and statuses are read only
   * once that drawing is on screen. They were asked for by index.html already; reading them (parse,
   * check, merge) is the main thread's longest work of the visit.
   */
  const load = useCallback(() => {
    const loadAll = async (attempt: number): Promise<void> => {
      const [overview, project] = await Promise.all([api.overview(), api.project()])
      setProject(project)
      setOverview(overview)
      // a graph drawn from this overview for the first time (not a reload of the same shape): on screen first
      if (overview.assets >= collapseFrom && drawnHash.current !== overview.hash) {
        drawnHash.current = overview.hash
        await waitFor(new Promise<void>((resolve) => (painted.current = resolve)), 10_000)
      }
      const value = await loadGraph()
      // a reload between the overview and the shape: both again
      if (value.generation !== overview.generation && attempt < 3) return loadAll(attempt + 1)
      setList((previous) => previous?.structure === value.structure && previous.statuses === value.statuses ? previous : value)
      setError(undefined)
    }
    loadAll(0).catch((failure: unknown) => setError(String(failure instanceof Error ? failure.message : failure)))
  }, [])
  // when every asset is there: drawn in the next frame (the benchmark's `fullGraphMs`)
  const full = list !== undefined
  useEffect(() => {
    if (full) void afterFrame().then(recordFullGraph)
  }, [full])
  // kept mounted while another page is shown (see routes.tsx): no refresh while hidden, one when shown again
  useEffect(() => {
    if (hidden) return
    // shown again through a link that carries a selection (`/?select=2+key+1` from an asset's lineage)
    const wanted = new URLSearchParams(window.location.search).get("select")
    if (wanted !== null && wanted !== selection) {
      setSelection(wanted)
      void applySelection(wanted)
    }
  }, [hidden, load]) // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(load, [load])
  useEffect(() => {
    if (selection.trim() !== "") void applySelection(selection)
  }, []) // eslint-disable-line react-hooks/exhaustive-deps
  // live statuses: deltas pushed over SSE while the page is shown (a full snapshot first, so nothing is missed
  // while it was hidden); a new generation (a reload) loads the shape again. The stream is opened after the
  // frame that shows the page: that snapshot (every asset's status) is read outside a way back's frames.
  const loaded = list !== undefined
  useEffect(() => {
    if (hidden || !loaded) return
    let stop: (() => void) | undefined
    let ended = false
    void afterFrame().then(() => {
      if (ended) return
      stop = followStatuses((data) => {
        if (data === "reload") load()
        else {
          setList((previous) =>
            previous === undefined || previous.assets === data.assets ? previous : { ...data, hash: previous.hash })
        }
      })
    })
    return () => {
      ended = true
      stop?.()
    }
  }, [hidden, loaded, load])
  useEffect(() => {
    window.addEventListener("strata:reloaded", load)
    return () => window.removeEventListener("strata:reloaded", load)
  }, [load])

  const applySelection = async (text: string) => {
    const url = text.trim() === "" ? window.location.pathname : `${window.location.pathname}?select=${encodeURIComponent(text)}`
    window.history.replaceState(null, "", url)
    if (text.trim() === "") {
      setHighlighted(undefined)
      setSelectionError(undefined)
      return
    }
    try {
      const result = await api.select(text)
      applied.current = text
      setHighlighted(new Set(result.keys))
      setSelectionError(undefined)
    } catch (failure) {
      const body = failure instanceof ApiFailure ? failure.body : undefined
      setSelectionError({
        message: body !== undefined && "problem" in body ? body.problem : String(failure),
        position: body !== undefined && "position" in body ? body.position : undefined
      })
      setHighlighted(new Set())
    }
  }

  const toggle = useCallback((key: string) => {
    setSelected((previous) => {
      const next = new Set(previous)
      if (next.has(key)) next.delete(key)
      else next.add(key)
      return next
    })
  }, [])
  const open = useCallback((key: string) => navigate(assetPath(key)), [])

  const shown = useMemo(
    () => only && highlighted !== undefined && highlighted.size > 0 && list !== undefined
      ? list.assets.filter((asset) => highlighted.has(asset.key))
      : list?.assets ?? [],
    [only, highlighted, list]
  )

  const counts = useMemo(() => {
    const result: Record<string, number> = {}
    if (list === undefined) {
      for (const group of overview?.groups ?? []) {
        for (const [status, count] of Object.entries(group.counts)) result[status] = (result[status] ?? 0) + count
      }
    }
    for (const asset of list?.assets ?? []) result[asset.status] = (result[asset.status] ?? 0) + 1
    return result
  }, [list, overview])

  const materialize = async () => {
    setLaunching(true)
    try {
      const same = highlighted !== undefined && highlighted.size === selected.size && [...selected].every((key) => highlighted.has(key))
      const launched = await api.launch(same ? applied.current : [...selected].join(", "), staleOnly)
      navigate(runPath(launched.runId))
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure))
    } finally {
      setLaunching(false)
    }
  }

  const lineage = only && highlighted !== undefined && highlighted.size > 0 && list !== undefined
  /**
   * The overview a big graph is drawn from, collapsed by groups: before its shape is read and after, with
   * it. `undefined` for a small graph and for the highlighted assets laid out on their own (`only`).
   */
  const grouped = !lineage && overview !== undefined && overview.assets >= collapseFrom ? overview : undefined

  return (
    <div className="graph-page">
      <div className="toolbar">
        <form
          className="selection"
          onSubmit={(event) => {
            event.preventDefault()
            void applySelection(selection)
          }}
        >
          <input
            name="selection"
            placeholder="Selection: +gold_user_metrics, group:silver, tag:tier=gold"
            value={selection}
            spellcheck={false}
            onInput={(event) => setSelection(event.currentTarget.value)}
          />
          <button type="submit">Highlight</button>
          {highlighted !== undefined && highlighted.size > 0
            ? (
              <button type="button" onClick={() => setSelected(new Set(highlighted))}>
                Select {highlighted.size}
              </button>
            )
            : null}
          {highlighted !== undefined && highlighted.size > 0
            ? (
              <label className="check" title="lay out the highlighted assets on their own">
                <input type="checkbox" name="only" checked={only} onChange={(event) => setOnly(event.currentTarget.checked)} /> only these
              </label>
            )
            : null}
        </form>
        <button className="primary" disabled={selected.size === 0 || launching} onClick={() => void materialize()}>
          Materialize selected ({selected.size})
        </button>
        <label className="check" title="skip selected assets whose code and inputs did not change">
          <input type="checkbox" checked={staleOnly} onChange={(event) => setStaleOnly(event.currentTarget.checked)} /> stale only
        </label>
        {selected.size > 0 ? <button onClick={() => setSelected(new Set())}>Clear</button> : null}
        <div className="legend">
          {statuses.map((status) => (
            <span key={status} className={`badge status-${status}`}>{status} {counts[status] ?? 0}</span>
          ))}
        </div>
      </div>
      {selectionError !== undefined
        ? (
          <div className="selection-error" role="alert">
            {selectionError.position !== undefined
              ? (
                <pre>
                  {selection}
                  {"\n"}
                  {" ".repeat(selectionError.position)}^
                </pre>
              )
              : null}
            {selectionError.message}
          </div>
        )
        : null}
      {error !== undefined ? <div className="error" role="alert">{error}</div> : null}
      {project?.loadError !== undefined
        ? <div className="error" role="alert">Reload failed: {project.loadError}</div>
        : null}
      {grouped !== undefined
        ? (
          <GroupedGraph
            key={grouped.hash}
            overview={grouped}
            full={list !== undefined && list.hash === grouped.hash ? { shape: list.structure, assets: list.assets } : undefined}
            hash={grouped.hash}
            checks={checks}
            selected={selected}
            highlighted={highlighted}
            onOpen={open}
            onToggle={toggle}
            onPainted={onPainted}
          />
        )
        : list === undefined || (!lineage && list.assets.length >= collapseFrom)
        ? <div className="loading">Loading the asset graph…</div>
        : (
          <Graph
            assets={shown}
            structureKey={only ? undefined : `generation ${list.generation}`}
            selected={selected}
            highlighted={highlighted}
            onOpen={open}
            onToggle={toggle}
            checks={checks}
          />
        )}
      <div className="hint">
        {grouped !== undefined && (list === undefined || list.hash !== grouped.hash)
          ? <span data-testid="graph-loading">Reading {grouped.assets.toLocaleString("en")} assets… · </span>
          : null}
        Click an asset to open it · shift-click or tick to select · drag to pan · wheel to zoom
      </div>
    </div>
  )
}
