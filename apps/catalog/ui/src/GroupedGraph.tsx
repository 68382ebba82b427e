/**
 * A big graph by groups: drawn at once as one box per group from the
 * server's overview (sizes, statuses, edges between groups), before the
 * graph's shape and every asset's status are read (`full`); a group opened
 * (click, or zoom into it) is laid out on its own in a worker, kept in
 * IndexedDB under the graph's content hash, and drawn inside its box. A
 * group opened before the shape is there shows as laying out, and is laid
 * out when it arrives. A graph with a single group opens that group.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks"
import type { CheckModels, Models } from "./api.ts"
import { Graph } from "./Graph.tsx"
import type { BoxView } from "./GroupBoxes.ts"
import type { Layout } from "./layout.ts"
import { layoutVersion } from "./layout.ts"
import { cachedLayout, keepLayout, layoutOffThread } from "./layoutClient.ts"
import type { Shape } from "./groups.ts"
import { arrange, groupInput, groupsOfOverview, membersOf } from "./groups.ts"
import type {} from "./probes.ts"

interface Props {
  /** The groups, their sizes, statuses and edges (`GET /api/graph/overview`) of the graph `hash` names. */
  readonly overview: Models.GraphOverview
  /** The shape and every asset with its status, indexed like it; `undefined` until they are read. */
  readonly full: { readonly shape: Shape; readonly assets: ReadonlyArray<Models.AssetNode> } | undefined
  /** The graph's content hash (from its ETag): names the cached layouts. */
  readonly hash: string
  /** Check results by asset key (failing ones counted on the boxes, badges on the assets). */
  readonly checks: ReadonlyMap<string, CheckModels.AssetCheckSummary>
  readonly selected: ReadonlySet<string>
  readonly highlighted: ReadonlySet<string> | undefined
  readonly onOpen: (key: string) => void
  readonly onToggle: (key: string) => void
  /** Called once the first drawing is on screen. */
  readonly onPainted?: (() => void) | undefined
}

/** A highlight of at most this many assets opens their groups. */
const highlightOpenLimit = 5_000

export const GroupedGraph = ({ overview, full, hash, checks, selected, highlighted, onOpen, onToggle, onPainted }: Props) => {
  const groups = useMemo(() => groupsOfOverview(overview), [overview])
  const shape = full?.shape
  const members = useMemo(() => shape === undefined ? undefined : membersOf(shape, groups), [shape, groups])
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(() => new Set(groups.names.length === 1 ? [0] : []))
  const [layouts, setLayouts] = useState<ReadonlyMap<number, Layout>>(new Map())
  const [focus, setFocus] = useState<{ x: number; y: number; w: number; h: number } | undefined>(undefined)
  /** Groups whose layout has been asked for (from the cache or the worker). */
  const requested = useRef(new Set<number>())

  const load = useCallback((group: number) => {
    if (shape === undefined || members === undefined || requested.current.has(group)) return
    requested.current.add(group)
    const started = performance.now()
    const name = groups.names[group]!
    // named by the layout's rules too: a layout kept by an older catalog is laid out again
    const prefix = `${hash} ${layoutVersion}`
    const key = `${prefix} ${name}`
    const record = (source: "cache" | "worker", layoutMs?: number) =>
      (window.__strataGroupLayouts ??= []).push({
        group: name,
        source,
        ms: performance.now() - started,
        ...(layoutMs === undefined ? {} : { layoutMs })
      })
    void cachedLayout(key).then(async (cached) => {
      if (cached !== undefined) {
        record("cache")
        return cached
      }
      const { layout, ms } = await layoutOffThread(groupInput(shape, members, group))
      record("worker", ms)
      void keepLayout(key, prefix, layout)
      return layout
    }).then((layout) => setLayouts((previous) => new Map(previous).set(group, layout)))
  }, [groups, members, hash, shape])

  // groups opened before the shape was there (and a single group) are laid out once it is
  useEffect(() => {
    for (const group of expanded) if (!layouts.has(group)) load(group)
  }, [expanded, load]) // eslint-disable-line react-hooks/exhaustive-deps

  const toggle = useCallback((group: number) => {
    const next = new Set(expanded)
    if (next.has(group)) next.delete(group)
    else next.add(group)
    setExpanded(next)
  }, [expanded])

  // a highlight (a selection, a search) opens the groups holding it, up to a size that still draws well
  useEffect(() => {
    if (shape === undefined || members === undefined) return
    if (highlighted === undefined || highlighted.size === 0 || highlighted.size > highlightOpenLimit) return
    const wanted = new Set(expanded)
    for (let i = 0; i < shape.keys.length; i++) if (highlighted.has(shape.keys[i]!)) wanted.add(members.groupOf[i]!)
    if (wanted.size === expanded.size) return
    setExpanded(wanted)
  }, [highlighted, members]) // eslint-disable-line react-hooks/exhaustive-deps

  const arrangement = useMemo(() => arrange(groups, members, expanded, layouts), [groups, members, expanded, layouts])
  // when a group's layout arrives, bring its box into view
  const [lastExpanded, setLastExpanded] = useState<number | undefined>(undefined)
  useEffect(() => {
    const box = lastExpanded === undefined ? undefined : arrangement.boxes[lastExpanded]
    if (box !== undefined && box.expanded && !box.pending) {
      setFocus({ x: box.x, y: box.y, w: box.w, h: box.h })
      setLastExpanded(undefined)
    }
  }, [arrangement, lastExpanded])

  const assets = full?.assets
  const visibleAssets = useMemo(() => assets === undefined ? [] : Array.from(arrangement.visible, (i) => assets[i]!), [arrangement, assets])
  const boxes = useMemo(() => {
    const fromOverview = { counts: overview.groups.map((group) => group.counts), failing: overview.groups.map((group) => group.failingChecks) }
    const counted = assets === undefined || members === undefined ? fromOverview : countByGroup(assets, members.groupOf, groups.names.length, checks)
    // failing checks from the overview until the check summary is read (empty: none yet, or no checks at all)
    const { counts, failing } = checks.size === 0 ? { counts: counted.counts, failing: fromOverview.failing } : counted
    const list: Array<BoxView> = arrangement.boxes.map((box) => ({ ...box, counts: counts[box.group]!, failingChecks: failing[box.group]! }))
    return { list, edges: arrangement.boxEdges }
  }, [arrangement, assets, members, groups, overview, checks])

  const onBox = (group: number) => {
    if (!expanded.has(group)) setLastExpanded(group)
    toggle(group)
  }
  return (
    <div style={{ flex: 1, display: "flex", position: "relative", minHeight: 0 }}>
      <Graph
        assets={visibleAssets}
        geometry={arrangement.geometry}
        boxes={boxes}
        onBox={onBox}
        fitKey={hash}
        focus={focus}
        checks={checks}
        selected={selected}
        highlighted={highlighted}
        onOpen={onOpen}
        onToggle={onToggle}
        onPainted={onPainted}
      />
      <nav aria-label="groups" data-testid="groups" style={groupList}>
        {boxes.list.map((box) => (
          <button
            key={box.name}
            type="button"
            data-group={box.name}
            aria-pressed={box.expanded}
            title={box.expanded ? "collapse this group" : "lay out this group's assets"}
            onClick={() => onBox(box.group)}
            style={{ display: "block", width: "100%", textAlign: "left", marginBottom: "2px" }}
          >
            {box.expanded ? "▾" : "▸"} {box.name} ({box.count.toLocaleString("en")}){box.pending ? " …" : ""}
          </button>
        ))}
      </nav>
    </div>
  )
}

/** Each group's assets by status, and how many have a failing check. */
const countByGroup = (
  assets: ReadonlyArray<Models.AssetNode>,
  groupOf: Int32Array,
  count: number,
  checks: ReadonlyMap<string, CheckModels.AssetCheckSummary>
) => {
  const counts = Array.from({ length: count }, () => ({} as Record<string, number>))
  const failing = new Int32Array(count)
  for (let i = 0; i < assets.length; i++) {
    const own = counts[groupOf[i]!]!
    own[assets[i]!.status] = (own[assets[i]!.status] ?? 0) + 1
    if ((checks.get(assets[i]!.key)?.failed ?? 0) > 0) failing[groupOf[i]!]!++
  }
  return { counts, failing }
}

const groupList = {
  position: "absolute",
  right: "12px",
  top: "12px",
  maxHeight: "40%",
  overflowY: "auto",
  padding: "6px",
  background: "rgba(255, 255, 255, 0.92)",
  border: "1px solid #c5ccd8",
  borderRadius: "6px",
  fontSize: "12px"
} as const
