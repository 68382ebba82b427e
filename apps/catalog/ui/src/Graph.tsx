/**
 * The asset graph: edges (and, zoomed out, the nodes) drawn on a canvas; when
 * zoomed in enough, the nodes in view are DOM cards (clickable, readable,
 * selectable) positioned in a transformed layer. Only what is in view is drawn
 * or mounted, so 10,000 assets pan and zoom smoothly.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks"
import type { Models } from "./api.ts"
import type { Layout } from "./layout.ts"
import { layout, nodeHeight, nodeWidth } from "./layout.ts"
import { relativeTime, statusColor } from "./format.ts"
import type { BoxView } from "./GroupBoxes.ts"
import type { CheckModels } from "./api.ts"
import { CheckBadge } from "./checkSummary.tsx"
import { boxClick, boxToExpand, paintBoxes } from "./GroupBoxes.ts"
import { cut, paintCardTexts } from "./cardCanvas.ts"
import type {} from "./probes.ts"

interface Props {
  readonly assets: ReadonlyArray<Models.AssetNode>
  readonly selected: ReadonlySet<string>
  readonly highlighted: ReadonlySet<string> | undefined
  readonly onOpen: (key: string) => void
  readonly onToggle: (key: string) => void
  /**
   * Names the graph's shape (`generation 3`): the layout is kept while it is
   * the same. Without it the shape is compared by keys and edges.
   */
  readonly structureKey?: string | undefined
  /** A layout computed elsewhere (per group, in a worker) for exactly `assets`; without it the graph lays `assets` out itself. */
  readonly geometry?: Layout | undefined
  /** Group boxes drawn under the assets, with the edges between groups (pairs of box indexes). */
  readonly boxes?: { readonly list: ReadonlyArray<BoxView>; readonly edges: Int32Array } | undefined
  /** A click on a collapsed box (or an expanded one's title), or zooming into a collapsed box. */
  readonly onBox?: ((group: number) => void) | undefined
  /** The view is fitted when this changes (default: when the layout changes). */
  readonly fitKey?: unknown
  /** A world rectangle to bring into view when it changes (a group just expanded). */
  readonly focus?: { readonly x: number; readonly y: number; readonly w: number; readonly h: number } | undefined
  /** Check results by asset key: a badge on cards, a red corner on blocks of assets whose check failed. */
  readonly checks?: ReadonlyMap<string, CheckModels.AssetCheckSummary> | undefined
  /** Called once the frame holding the first drawing (after each fit) has been painted. */
  readonly onPainted?: (() => void) | undefined
}

interface View {
  tx: number
  ty: number
  k: number
}

/** Cards are mounted from this zoom on, when at most `maxCards` are in view. */
const cardZoom = 0.42
const maxCards = 600
/** From this many assets, the zoomed-out drawing is cached offscreen (see `drawCached`). */
const cacheFrom = 3000
/**
 * From this many mounted cards (or `cacheFrom` assets), a moving view draws the
 * cards on the canvas, through the same cache, and hides the DOM cards until it
 * rests: Chromium re-layerizes every card of a moving layer each frame, and
 * repaints them when it is scaled (6–12 ms a frame for 600 cards).
 */
const manyCards = 150
/** The wheel is at rest after this long without an event: the cards are mounted then. */
const wheelRestMs = 150

/** How long the latest layout took (for the benchmark). */
let lastLayoutMs = 0
/** When the full graph was drawn, if that was before the first render was recorded. */
let fullGraphAt: number | undefined

/** Records that the whole graph (every asset's shape and status) is read and drawn: `__strataGraph.fullGraphMs`. */
export const recordFullGraph = () => {
  const now = performance.now()
  const stats = window.__strataGraph
  if (stats === undefined) fullGraphAt ??= now
  else stats.fullGraphMs ??= now
}

export const Graph = (
  { assets, selected, highlighted, onOpen, onToggle, structureKey, geometry: given, boxes, onBox, fitKey, focus, checks, onPainted }: Props
) => {
  const containerRef = useRef<HTMLDivElement>(null)
  const canvasRef = useRef<HTMLCanvasElement>(null)
  const worldRef = useRef<HTMLDivElement>(null)
  const viewRef = useRef<View>({ tx: 0, ty: 0, k: 1 })
  const frameRef = useRef<number | undefined>(undefined)
  const [cards, setCards] = useState<ReadonlyArray<number>>([])
  const structure = useMemo(
    () => structureKey ?? assets.map((a) => `${a.key}<${a.upstream.join(",")}`).join(";"),
    [structureKey, structureKey === undefined ? assets : undefined] // eslint-disable-line react-hooks/exhaustive-deps
  )
  // the layout depends on the graph's shape only, not on statuses
  const geometry = useMemo(() => {
    if (given !== undefined) return given
    const started = performance.now()
    const result = layout(assets)
    lastLayoutMs = performance.now() - started
    return result
  }, [given ?? structure]) // eslint-disable-line react-hooks/exhaustive-deps
  const assetsRef = useRef(assets)
  assetsRef.current = assets
  /** Indexes of the nodes mounted as DOM cards (empty when zoomed out). */
  const cardsRef = useRef<ReadonlyArray<number>>([])
  const stateRef = useRef({ selected, highlighted, boxes, checks })
  stateRef.current = { selected, highlighted, boxes, checks }

  /**
   * The container's size, kept by its ResizeObserver: read in animation frames
   * without forcing a style and layout pass over the cards just changed.
   */
  const sizeRef = useRef<{ width: number; height: number } | undefined>(undefined)
  const size = () => sizeRef.current ?? { width: containerRef.current!.clientWidth, height: containerRef.current!.clientHeight }
  const visibleRect = () => {
    const { width, height } = size()
    const { tx, ty, k } = viewRef.current
    return { x0: -tx / k, y0: -ty / k, x1: (width - tx) / k, y1: (height - ty) / k }
  }

  /** Draws edges (and, with `withNodes`, nodes as blocks) of the world rectangle on `context`, already transformed. */
  const paintWorld = useCallback((
    context: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D,
    rect: { x0: number; y0: number; x1: number; y1: number },
    k: number,
    withNodes: boolean
  ) => {
    const { x0, y0, x1, y1 } = rect
    const { x, y, edges } = geometry
    const list = assetsRef.current
    const { selected, highlighted, boxes, checks } = stateRef.current
    const half = nodeHeight / 2
    if (boxes !== undefined) paintBoxes(context, boxes.list, boxes.edges, rect, k)
    // exactly one device pixel: Skia's hairline fast path, much cheaper than wider strokes on a software canvas
    context.lineWidth = 1 / k
    const curved = k > 0.15
    // with a highlight, edges inside it are drawn in the accent colour over the faint others
    const plain = new Path2D()
    const lineage = new Path2D()
    const inside = highlighted === undefined ? undefined : list.map((node) => highlighted.has(node.key))
    for (let e = 0; e < edges.length; e += 2) {
      const a = edges[e]!
      const b = edges[e + 1]!
      const ax = x[a]! + nodeWidth
      const ay = y[a]! + half
      const bx = x[b]!
      const by = y[b]! + half
      if (Math.max(ax, bx) < x0 || Math.min(ax, bx) > x1 || Math.max(ay, by) < y0 || Math.min(ay, by) > y1) continue
      const path = inside !== undefined && inside[a] === true && inside[b] === true ? lineage : plain
      path.moveTo(ax, ay)
      if (curved) {
        const mid = (ax + bx) / 2
        path.bezierCurveTo(mid, ay, mid, by, bx, by)
      } else {
        path.lineTo(bx, by)
      }
    }
    context.strokeStyle = inside !== undefined
      ? "rgba(154, 165, 184, 0.25)"
      : k < 0.08
      ? "rgba(154, 165, 184, 0.35)"
      : "#9aa5b8"
    context.stroke(plain)
    if (inside !== undefined) {
      context.strokeStyle = "#2f6fed"
      context.stroke(lineage)
    }
    if (withNodes) {
      // zoomed out: nodes as coloured blocks, batched into one path per style
      // (thousands of separate fill calls are what makes a software canvas slow)
      const tiny = k < 0.08
      const labels = k > 0.18
      const background = new Path2D()
      const buckets = new Map<string, Path2D>()
      const outlines = new Path2D()
      const chosen = new Path2D()
      const failing = new Path2D()
      const labelled: Array<number> = []
      const labelledDim: Array<number> = []
      for (let i = 0; i < list.length; i++) {
        const nx = x[i]!
        const ny = y[i]!
        if (nx + nodeWidth < x0 || nx > x1 || ny + nodeHeight < y0 || ny > y1) continue
        const node = list[i]!
        const dim = highlighted !== undefined && !highlighted.has(node.key)
        const style = `${statusColor(node.status)}${dim ? "40" : ""}`
        let bucket = buckets.get(style)
        if (bucket === undefined) buckets.set(style, bucket = new Path2D())
        if (tiny) {
          bucket.rect(nx, ny, nodeWidth, nodeHeight)
        } else {
          background.rect(nx, ny, nodeWidth, nodeHeight)
          bucket.rect(nx, ny, 8, nodeHeight)
          outlines.rect(nx, ny, nodeWidth, nodeHeight)
          if (labels) (dim ? labelledDim : labelled).push(i)
        }
        if (selected.has(node.key)) chosen.rect(nx, ny, nodeWidth, nodeHeight)
        if ((checks?.get(node.key)?.failed ?? 0) > 0) failing.rect(nx + nodeWidth - 40, ny, 40, 18)
      }
      if (!tiny) {
        context.fillStyle = "#ffffff"
        context.fill(background)
        context.strokeStyle = "#c5ccd8"
        context.lineWidth = 1 / k
        context.stroke(outlines)
      }
      for (const [style, path] of buckets) {
        context.fillStyle = style
        context.fill(path)
      }
      context.fillStyle = "#d64545"
      context.fill(failing)
      context.strokeStyle = "#2f6fed"
      context.lineWidth = 4 / k
      context.stroke(chosen)
      if (k >= cardZoom) {
        // like the DOM cards: those outside a highlight faint
        paintCardTexts(context, list, x, y, labelled)
        context.globalAlpha = 0.25
        paintCardTexts(context, list, x, y, labelledDim)
        context.globalAlpha = 1
      } else if (labels) {
        context.font = "13px system-ui, sans-serif"
        context.textBaseline = "middle"
        context.fillStyle = "#1d2433"
        for (const i of labelled.concat(labelledDim)) {
          const key = list[i]!.key
          context.fillText(cut(key, 26), x[i]! + 16, y[i]! + half)
        }
      }
    }
  }, [geometry])

  /**
   * Big graphs zoomed out, and a moving view with many cards (see `manyCards`):
   * the drawing of a region around the view (the view plus half of it on each
   * side) is kept in an offscreen canvas. Panning
   * copies it (a few ms instead of drawing 50,000 nodes and their edges);
   * zooming scales the copy until the wheel rests, then draws it again sharp.
   */
  const cacheRef = useRef<
    | { canvas: OffscreenCanvas; k: number; wx: number; wy: number; w: number; h: number; ratio: number; version: ReadonlyArray<unknown> }
    | undefined
  >(undefined)
  const sharpenTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const cacheVersion = (width: number, height: number, ratio: number): ReadonlyArray<unknown> =>
    [geometry, assetsRef.current, stateRef.current.selected, stateRef.current.highlighted, stateRef.current.boxes, stateRef.current.checks, width, height, ratio]
  /** Whether the cache holds the drawing of `rect` at the view's zoom (`sameZoom`), or at another zoom (`fresh`). */
  const cacheState = (width: number, height: number, ratio: number, rect: { x0: number; y0: number; x1: number; y1: number }) => {
    const cache = cacheRef.current
    const version = cacheVersion(width, height, ratio)
    const fresh = cache !== undefined && cache.version.every((value, index) => value === version[index])
    const covers = cache !== undefined && rect.x0 >= cache.wx && rect.y0 >= cache.wy &&
      rect.x1 <= cache.wx + cache.w / cache.k && rect.y1 <= cache.wy + cache.h / cache.k
    return { fresh, sameZoom: fresh && cache!.k === viewRef.current.k, covers }
  }
  /** Draws the view plus half of it on each side into the offscreen cache, at the view's zoom. */
  const renderCache = (width: number, height: number, ratio: number, rect: { x0: number; y0: number }) => {
    const { k } = viewRef.current
    const cache = cacheRef.current
    forceSharp.current = false
    const w = width * 2
    const h = height * 2
    const wx = rect.x0 - (width / 2) / k
    const wy = rect.y0 - (height / 2) / k
    const canvas = cache !== undefined && cache.canvas.width === Math.round(w * ratio) && cache.canvas.height === Math.round(h * ratio)
      ? cache.canvas
      : new OffscreenCanvas(Math.round(w * ratio), Math.round(h * ratio))
    const offscreen = canvas.getContext("2d")!
    offscreen.setTransform(ratio, 0, 0, ratio, 0, 0)
    offscreen.clearRect(0, 0, w, h)
    offscreen.scale(k, k)
    offscreen.translate(-wx, -wy)
    paintWorld(offscreen, { x0: wx, y0: wy, x1: wx + w / k, y1: wy + h / k }, k, true)
    cacheRef.current = { canvas, k, wx, wy, w, h, ratio, version: cacheVersion(width, height, ratio) }
  }
  const drawCached = (
    context: CanvasRenderingContext2D,
    width: number,
    height: number,
    ratio: number,
    rect: { x0: number; y0: number; x1: number; y1: number }
  ) => {
    const { tx, ty, k } = viewRef.current
    const { fresh, sameZoom, covers } = cacheState(width, height, ratio, rect)
    if (!fresh || (sameZoom && !covers) || (!sameZoom && forceSharp.current)) {
      renderCache(width, height, ratio, rect)
    } else if (!sameZoom) {
      // zooming: show the scaled copy now, draw it sharp once the wheel rests
      if (sharpenTimer.current !== undefined) clearTimeout(sharpenTimer.current)
      sharpenTimer.current = setTimeout(() => {
        sharpenTimer.current = undefined
        forceSharp.current = true
        scheduleRef.current()
      }, 150)
    }
    const c = cacheRef.current!
    context.setTransform(1, 0, 0, 1, 0, 0)
    context.clearRect(0, 0, width * ratio, height * ratio)
    const scale = k / c.k
    const left = (tx + c.wx * k) * ratio
    const top = (ty + c.wy * k) * ratio
    if (scale === 1) context.drawImage(c.canvas, Math.round(left), Math.round(top))
    else context.drawImage(c.canvas, left, top, c.canvas.width * scale, c.canvas.height * scale)
  }
  const forceSharp = useRef(false)
  const scheduleRef = useRef<() => void>(() => undefined)

  const draw = useCallback(() => {
    const canvas = canvasRef.current
    const element = containerRef.current
    if (canvas === null || element === null) return
    const started = performance.now()
    const { width, height } = size()
    // hidden (the page is kept mounted while another is shown): keep the last drawing
    if (width === 0 || height === 0) return
    const ratio = window.devicePixelRatio || 1
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio)
      canvas.height = Math.round(height * ratio)
      canvas.style.width = `${width}px`
      canvas.style.height = `${height}px`
    }
    const context = canvas.getContext("2d")!
    const { tx, ty, k } = viewRef.current
    const rect = visibleRect()
    const zoomedOut = k < cardZoom || cardsRef.current.length === 0 || moving()
    if (zoomedOut && (assetsRef.current.length >= cacheFrom || moving())) {
      drawCached(context, width, height, ratio, rect)
    } else {
      context.setTransform(ratio, 0, 0, ratio, 0, 0)
      context.clearRect(0, 0, width, height)
      context.translate(tx, ty)
      context.scale(k, k)
      paintWorld(context, rect, k, zoomedOut)
    }
    const stats = window.__strataGraph
    if (stats !== undefined) {
      stats.frames++
      stats.lastFrameMs = performance.now() - started
    }
  }, [geometry, paintWorld])

  const updateCards = useCallback(() => {
    const { k } = viewRef.current
    let next: Array<number> = []
    if (k >= cardZoom) {
      const { x0, y0, x1, y1 } = visibleRect()
      const marginX = (x1 - x0) / 2
      const marginY = (y1 - y0) / 2
      const { x, y } = geometry
      for (let i = 0; i < x.length; i++) {
        if (x[i]! + nodeWidth < x0 - marginX || x[i]! > x1 + marginX) continue
        if (y[i]! + nodeHeight < y0 - marginY || y[i]! > y1 + marginY) continue
        next.push(i)
        if (next.length > maxCards) {
          next = []
          break
        }
      }
    }
    const previous = cardsRef.current
    if (previous.length !== next.length || previous.some((value, index) => value !== next[index])) {
      cardsRef.current = next
      setCards(next)
    }
  }, [geometry])

  const lastCardsUpdate = useRef(0)
  /**
   * Set while the wheel turns and until a drag has rested: the cards are not
   * re-mounted then (mounting and laying out hundreds of DOM cards is what
   * made zoom frames long). Cleared when the view rests.
   */
  const zooming = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  /** (Re)starts the rest timer: once it runs out, the cards follow the view. */
  const settle = () => {
    if (zooming.current !== undefined) clearTimeout(zooming.current)
    zooming.current = setTimeout(() => {
      zooming.current = undefined
      lastCardsUpdate.current = 0
      scheduleRef.current()
    }, wheelRestMs)
  }
  const drag = useRef<{ x: number; y: number; tx: number; ty: number; moved: boolean } | undefined>(undefined)
  const cardsOnCanvas = () => assetsRef.current.length >= cacheFrom || cardsRef.current.length >= manyCards
  /** The view moves (wheel turning or dragged) with many cards: they are drawn on the canvas, the DOM cards hidden. */
  const moving = () => cardsOnCanvas() && (zooming.current !== undefined || drag.current?.moved === true)
  const primeTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  /**
   * At rest with DOM cards: draw the cache for this view soon after, so that
   * the first frame of the next pan or zoom only copies it.
   */
  const primeCache = useCallback(() => {
    if (primeTimer.current !== undefined) clearTimeout(primeTimer.current)
    primeTimer.current = setTimeout(() => {
      primeTimer.current = undefined
      if (containerRef.current === null || moving() || cardsRef.current.length === 0) return
      const { width, height } = size()
      const ratio = window.devicePixelRatio || 1
      const rect = visibleRect()
      const { sameZoom, covers } = cacheState(width, height, ratio, rect)
      if (width > 0 && height > 0 && !(sameZoom && covers)) renderCache(width, height, ratio, rect)
    }, 100)
  }, [paintWorld]) // eslint-disable-line react-hooks/exhaustive-deps
  const schedule = useCallback(() => {
    if (frameRef.current !== undefined) return
    frameRef.current = requestAnimationFrame(() => {
      frameRef.current = undefined
      // a frame or a deferred re-schedule can land after the graph page was left
      if (containerRef.current === null) return
      const { tx, ty, k } = viewRef.current
      if (worldRef.current !== null) {
        worldRef.current.style.transform = `translate(${tx}px, ${ty}px) scale(${k})`
        // hidden, its cards keep their layout: showing them again costs no style pass over every card
        const hidden = moving() || (zooming.current !== undefined && k < cardZoom)
        worldRef.current.style.contentVisibility = hidden ? "hidden" : ""
      }
      const now = performance.now()
      if (zooming.current !== undefined || moving()) {
        // the cards follow once the view rests
      } else if (now - lastCardsUpdate.current > 80) {
        lastCardsUpdate.current = now
        updateCards()
        if (k >= cardZoom && cardsRef.current.length > 0 && cardsOnCanvas()) primeCache()
      } else {
        setTimeout(schedule, 90)
      }
      draw()
    })
  }, [draw, updateCards, primeCache])
  scheduleRef.current = schedule

  // fit the graph in view when its shape changes
  useEffect(() => {
    const element = containerRef.current
    if (element === null) return
    const width = element.clientWidth
    const height = element.clientHeight
    // hidden (another page shown at once): nothing to draw, nothing to wait for
    if (width === 0) {
      onPainted?.()
      return
    }
    const k = Math.min(1, (width - 40) / Math.max(geometry.width, 1), (height - 40) / Math.max(geometry.height, 1))
    const scale = Math.max(k, 0.005)
    viewRef.current = {
      k: scale,
      tx: (width - geometry.width * scale) / 2,
      ty: Math.max((height - geometry.height * scale) / 2, 20)
    }
    const { tx, ty } = viewRef.current
    if (worldRef.current !== null) worldRef.current.style.transform = `translate(${tx}px, ${ty}px) scale(${scale})`
    updateCards()
    draw()
    if (assets.length > 0 || (boxes?.list.length ?? 0) > 0) {
      // recorded after the frame holding the first drawing has been painted (rAF, then a task)
      const nodes = assets.length
      requestAnimationFrame(() =>
        setTimeout(() => {
          onPainted?.()
          if (window.__strataGraph !== undefined) return
          window.__strataGraph = {
            firstRenderMs: performance.now(),
            nodes,
            boxes: stateRef.current.boxes?.list.length ?? 0,
            frames: 0,
            lastFrameMs: 0,
            layoutMs: given === undefined ? lastLayoutMs : 0,
            ...(fullGraphAt === undefined ? {} : { fullGraphMs: fullGraphAt })
          }
          performance.mark("strata-graph-rendered")
        })
      )
    }
  }, [fitKey ?? geometry]) // eslint-disable-line react-hooks/exhaustive-deps

  // a group just expanded: show it whole
  useEffect(() => {
    const element = containerRef.current
    if (element === null || focus === undefined) return
    const width = element.clientWidth
    const height = element.clientHeight
    const k = Math.max(0.005, Math.min(1, (width - 80) / focus.w, (height - 80) / focus.h))
    viewRef.current = { k, tx: width / 2 - (focus.x + focus.w / 2) * k, ty: height / 2 - (focus.y + focus.h / 2) * k }
    schedule()
  }, [focus]) // eslint-disable-line react-hooks/exhaustive-deps

  // a new highlight: bring the matching assets into view (what a search does on a 10,000-asset graph)
  useEffect(() => {
    const element = containerRef.current
    if (element === null || highlighted === undefined || highlighted.size === 0) return
    let minX = Number.POSITIVE_INFINITY
    let minY = Number.POSITIVE_INFINITY
    let maxX = Number.NEGATIVE_INFINITY
    let maxY = Number.NEGATIVE_INFINITY
    const list = assetsRef.current
    for (let i = 0; i < list.length; i++) {
      if (!highlighted.has(list[i]!.key)) continue
      minX = Math.min(minX, geometry.x[i]!)
      minY = Math.min(minY, geometry.y[i]!)
      maxX = Math.max(maxX, geometry.x[i]! + nodeWidth)
      maxY = Math.max(maxY, geometry.y[i]! + nodeHeight)
    }
    if (minX === Number.POSITIVE_INFINITY) return
    const width = element.clientWidth
    const height = element.clientHeight
    const k = Math.max(0.005, Math.min(1, (width - 80) / (maxX - minX), (height - 80) / (maxY - minY)))
    viewRef.current = { k, tx: width / 2 - ((minX + maxX) / 2) * k, ty: height / 2 - ((minY + maxY) / 2) * k }
    schedule()
    // again when the layout changes: a highlight in a collapsed group is placed once the group is laid out
  }, [highlighted, geometry]) // eslint-disable-line react-hooks/exhaustive-deps

  // statuses or selection changed: redraw
  useEffect(() => {
    schedule()
  }, [assets, selected, highlighted, cards, checks, schedule])

  useEffect(() => {
    const element = containerRef.current!
    const onWheel = (event: WheelEvent) => {
      event.preventDefault()
      const rect = element.getBoundingClientRect()
      const mx = event.clientX - rect.left
      const my = event.clientY - rect.top
      const view = viewRef.current
      const k = Math.min(2, Math.max(0.005, view.k * Math.exp(-event.deltaY * 0.0015)))
      view.tx = mx - ((mx - view.tx) * k) / view.k
      view.ty = my - ((my - view.ty) * k) / view.k
      view.k = k
      settle()
      schedule()
      // zooming into a collapsed group until it fills half the view expands it
      const list = stateRef.current.boxes?.list
      if (event.deltaY < 0 && list !== undefined && onBoxRef.current !== undefined) {
        const box = boxToExpand(list, (mx - view.tx) / k, (my - view.ty) / k, k, element.clientWidth)
        if (box !== undefined) onBoxRef.current(box.group)
      }
    }
    // a resize, and the page shown again after being hidden
    const observer = new ResizeObserver(() => {
      sizeRef.current = { width: element.clientWidth, height: element.clientHeight }
      schedule()
    })
    observer.observe(element)
    element.addEventListener("wheel", onWheel, { passive: false })
    return () => {
      if (zooming.current !== undefined) clearTimeout(zooming.current)
      zooming.current = undefined
      if (primeTimer.current !== undefined) clearTimeout(primeTimer.current)
      element.removeEventListener("wheel", onWheel)
      observer.disconnect()
    }
  }, [schedule])

  const onBoxRef = useRef(onBox)
  onBoxRef.current = onBox
  const onPointerDown = (event: PointerEvent) => {
    if ((event.target as HTMLElement).closest("input, a, button") !== null) return
    drag.current = { x: event.clientX, y: event.clientY, tx: viewRef.current.tx, ty: viewRef.current.ty, moved: false }
  }
  const onPointerMove = (event: PointerEvent) => {
    const state = drag.current
    if (state === undefined) return
    const dx = event.clientX - state.x
    const dy = event.clientY - state.y
    if (!state.moved && Math.abs(dx) + Math.abs(dy) < 4) return
    if (!state.moved) containerRef.current!.setPointerCapture(event.pointerId)
    state.moved = true
    viewRef.current.tx = state.tx + dx
    viewRef.current.ty = state.ty + dy
    schedule()
  }
  const onPointerUp = (event: PointerEvent) => {
    const state = drag.current
    drag.current = undefined
    if (state?.moved === true) {
      // the cards follow once the view has rested as long as after a wheel: a wheel or another drag
      // started right after this one does not meet their re-mount (a frame of ~18 ms at 600 cards)
      if (cardsOnCanvas()) settle()
      else {
        lastCardsUpdate.current = 0
        schedule()
      }
    }
    if (state === undefined || state.moved) return
    const card = (event.target as HTMLElement).closest<HTMLElement>("[data-key]")
    let key = card?.dataset.key
    if (key === undefined) {
      const rect = containerRef.current!.getBoundingClientRect()
      const { tx, ty, k } = viewRef.current
      const wx = (event.clientX - rect.left - tx) / k
      const wy = (event.clientY - rect.top - ty) / k
      const { x, y } = geometry
      for (let i = 0; i < x.length; i++) {
        if (wx >= x[i]! && wx <= x[i]! + nodeWidth && wy >= y[i]! && wy <= y[i]! + nodeHeight) {
          key = assetsRef.current[i]!.key
          break
        }
      }
    }
    if (key === undefined) {
      const rect = containerRef.current!.getBoundingClientRect()
      const { tx, ty, k } = viewRef.current
      const box = boxClick(stateRef.current.boxes?.list ?? [], (event.clientX - rect.left - tx) / k, (event.clientY - rect.top - ty) / k)
      if (box !== undefined) onBox?.(box.group)
      return
    }
    if (event.shiftKey || event.metaKey || event.ctrlKey) onToggle(key)
    else onOpen(key)
  }

  const now = Date.now()
  return (
    <div
      className="graph"
      ref={containerRef}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      data-testid="graph"
    >
      <canvas ref={canvasRef} />
      <div className="world" ref={worldRef}>
        {cards.map((i) => {
          const node = assets[i]
          if (node === undefined) return null
          const dim = highlighted !== undefined && !highlighted.has(node.key)
          return (
            <div
              key={node.key}
              className={`card${selected.has(node.key) ? " selected" : ""}${dim ? " dim" : ""}${
                node.kind === "external" ? " external" : ""
              }`}
              data-key={node.key}
              data-status={node.status}
              style={{ left: `${geometry.x[i]}px`, top: `${geometry.y[i]}px`, borderLeftColor: statusColor(node.status) }}
            >
              <div className="card-top">
                <input
                  type="checkbox"
                  aria-label={`select ${node.key}`}
                  checked={selected.has(node.key)}
                  onChange={() => onToggle(node.key)}
                />
                <span className="card-key" title={node.key}>{node.key}</span>
              </div>
              <div className="card-meta">
                {node.group}
                {node.kinds.length > 0 ? ` · ${node.kinds.join(", ")}` : ""}
                {node.kind === "external" ? " · external" : ""}
              </div>
              <div className="card-bottom">
                <span className={`badge status-${node.status}`}>{node.status}</span>
                <CheckBadge summary={checks?.get(node.key)} />
                <span className="card-time">
                  {node.lastMaterializedAt === undefined ? "never" : relativeTime(node.lastMaterializedAt, now)}
                </span>
              </div>
            </div>
          )
        })}
      </div>
    </div>
  )
}
