/**
 * A big graph by groups: drawn at once as one box per group, with no asset
 * laid out yet; a group opened (click, or zoom into it) is laid out on its
 * own in a worker, kept in IndexedDB under the graph's content hash, and
 * drawn inside its box. A graph with a single group opens that group.
 */
import { useCallback, useEffect, useMemo, useState } from "react"
import type { CheckModels, Models } from "./api.ts"
import { Graph } from "./Graph.tsx"
import type { BoxView } from "./GroupBoxes.ts"
import type { Layout } from "./layout.ts"
import { layoutVersion } from "./layout.ts"
import { cachedLayout, keepLayout, layoutOffThread } from "./layoutClient.ts"
import type { Shape } from "./groups.ts"
import { arrange, groupInput, groupsOf } from "./groups.ts"

declare global {
  interface Window {
    /** Per group opened: where its layout came from and how long it took (for the benchmark). */
    __strataGroupLayouts?: Array<{ group: string; source: "cache" | "worker"; ms: number; layoutMs?: number }>
  }
}

interface Props {
  readonly shape: Shape
  /** The graph's content hash (from its ETag): names the cached layouts. */
  readonly hash: string
  /** Every asset with its status, indexed like `shape`. */
  readonly assets: ReadonlyArray<Models.AssetNode>
  /** Check results by asset key (failing ones counted on the boxes, badges on the assets). */
  readonly checks: ReadonlyMap<string, CheckModels.AssetCheckSummary>
  readonly selected: ReadonlySet<string>
  readonly highlighted: ReadonlySet<string> | undefined
  readonly onOpen: (key: string) => void
  readonly onToggle: (key: string) => void
}

/** A highlight of at most this many assets opens their groups. */
const highlightOpenLimit = 5_000

export const GroupedGraph = ({ shape, hash, assets, checks, selected, highlighted, onOpen, onToggle }: Props) => {
  const groups = useMemo(() => groupsOf(shape), [shape])
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(() => new Set(groups.names.length === 1 ? [0] : []))
  const [layouts, setLayouts] = useState<ReadonlyMap<number, Layout>>(new Map())
  const [focus, setFocus] = useState<{ x: number; y: number; w: number; h: number } | undefined>(undefined)

  const load = useCallback((group: number) => {
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
      const { layout, ms } = await layoutOffThread(groupInput(shape, groups, group))
      record("worker", ms)
      void keepLayout(key, prefix, layout)
      return layout
    }).then((layout) => setLayouts((previous) => new Map(previous).set(group, layout)))
  }, [groups, hash, shape])

  useEffect(() => {
    for (const group of expanded) if (!layouts.has(group)) load(group)
  }, [groups]) // eslint-disable-line react-hooks/exhaustive-deps

  const toggle = useCallback((group: number) => {
    const next = new Set(expanded)
    if (next.has(group)) next.delete(group)
    else {
      next.add(group)
      if (!layouts.has(group)) load(group)
    }
    setExpanded(next)
  }, [expanded, layouts, load])

  // a highlight (a selection, a search) opens the groups holding it, up to a size that still draws well
  useEffect(() => {
    if (highlighted === undefined || highlighted.size === 0 || highlighted.size > highlightOpenLimit) return
    const wanted = new Set(expanded)
    for (let i = 0; i < shape.keys.length; i++) if (highlighted.has(shape.keys[i]!)) wanted.add(groups.groupOf[i]!)
    if (wanted.size === expanded.size) return
    for (const group of wanted) if (!layouts.has(group)) load(group)
    setExpanded(wanted)
  }, [highlighted]) // eslint-disable-line react-hooks/exhaustive-deps

  const arrangement = useMemo(() => arrange(groups, expanded, layouts), [groups, expanded, layouts])
  // when a group's layout arrives, bring its box into view
  const [lastExpanded, setLastExpanded] = useState<number | undefined>(undefined)
  useEffect(() => {
    const box = lastExpanded === undefined ? undefined : arrangement.boxes[lastExpanded]
    if (box !== undefined && box.expanded && !box.pending) {
      setFocus({ x: box.x, y: box.y, w: box.w, h: box.h })
      setLastExpanded(undefined)
    }
  }, [arrangement, lastExpanded])

  const visibleAssets = useMemo(() => Array.from(arrangement.visible, (i) => assets[i]!), [arrangement, assets])
  const boxes = useMemo(() => {
    const counts = groups.names.map(() => ({} as Record<string, number>))
    const failing = new Int32Array(groups.names.length)
    for (let i = 0; i < assets.length; i++) {
      const own = counts[groups.groupOf[i]!]!
      own[assets[i]!.status] = (own[assets[i]!.status] ?? 0) + 1
      if ((checks.get(assets[i]!.key)?.failed ?? 0) > 0) failing[groups.groupOf[i]!]!++
    }
    const list: Array<BoxView> = arrangement.boxes.map((box) => ({ ...box, counts: counts[box.group]!, failingChecks: failing[box.group]! }))
    return { list, edges: arrangement.boxEdges }
  }, [arrangement, assets, groups, checks])

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
        fitKey={groups}
        focus={focus}
        checks={checks}
        selected={selected}
        highlighted={highlighted}
        onOpen={onOpen}
        onToggle={onToggle}
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
            style={{ display: "block", width: "100%", textAlign: "left", marginBottom: 2 }}
          >
            {box.expanded ? "▾" : "▸"} {box.name} ({box.count.toLocaleString("en")}){box.pending ? " …" : ""}
          </button>
        ))}
      </nav>
    </div>
  )
}

const groupList = {
  position: "absolute",
  right: 12,
  top: 12,
  maxHeight: "40%",
  overflowY: "auto",
  padding: 6,
  background: "rgba(255, 255, 255, 0.92)",
  border: "1px solid #c5ccd8",
  borderRadius: 6,
  fontSize: 12
} as const
