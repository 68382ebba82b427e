/**
 * Drawing group boxes on the graph's canvas: a collapsed group is one box
 * with its name, its size and a bar of its assets' statuses (and failing
 * checks); an expanded one is a frame with its title around its assets.
 * Edges between groups are drawn box to box, thicker for more edges.
 */
import type { Box } from "./groups.ts"
import { boxHeader } from "./groups.ts"
import { statusColor } from "./format.ts"

/** A box with what its assets are: counts by status, and how many have a failing check. */
export interface BoxView extends Box {
  readonly counts: Readonly<Record<string, number>>
  readonly failingChecks: number
}

const order = ["failed", "check-failed", "running", "stale", "missing", "fresh"] as const
type Context2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D

export const paintBoxes = (
  context: Context2D,
  boxes: ReadonlyArray<BoxView>,
  edges: Int32Array,
  rect: { x0: number; y0: number; x1: number; y1: number },
  k: number
) => {
  paintBoxEdges(context, boxes, edges, k)
  for (const box of boxes) {
    if (box.x + box.w < rect.x0 || box.x > rect.x1 || box.y + box.h < rect.y0 || box.y > rect.y1) continue
    context.fillStyle = box.expanded ? "#f7f9fc" : "#ffffff"
    context.fillRect(box.x, box.y, box.w, box.h)
    context.lineWidth = 1.5 / k
    context.strokeStyle = "#8f9bb3"
    context.strokeRect(box.x, box.y, box.w, box.h)
    paintStatusBar(context, box, box.expanded ? box.y + 40 : box.y + 62)
    // readable from about a tenth of the size on; below that the bar alone says enough
    if (k * 18 < 4) continue
    context.fillStyle = "#1d2433"
    context.textBaseline = "top"
    context.font = "600 18px system-ui, sans-serif"
    context.fillText(fit(box.name, box.w - 24, 10), box.x + 12, box.y + 10)
    context.font = "14px system-ui, sans-serif"
    context.fillStyle = "#4a5568"
    const state = box.pending ? " · laying out…" : box.expanded ? " · click the title to collapse" : " · click or zoom to expand"
    const line = box.expanded ? `${box.count.toLocaleString("en")} assets${state}` : `${box.count.toLocaleString("en")} assets`
    context.fillText(line, box.x + 12, box.y + (box.expanded ? 20 : 34))
    if (!box.expanded) {
      const failed = box.counts["failed"] ?? 0
      const details = [
        failed > 0 ? `${failed.toLocaleString("en")} failed` : "",
        box.failingChecks > 0 ? `${box.failingChecks.toLocaleString("en")} failing checks` : "",
        box.pending ? "laying out…" : ""
      ].filter((part) => part !== "").join(" · ")
      context.fillStyle = failed > 0 || box.failingChecks > 0 ? "#c53030" : "#4a5568"
      context.fillText(details === "" ? state.slice(3) : details, box.x + 12, box.y + 84)
    }
  }
}

/** Approximate truncation (no text measuring per frame): `perChar` world units per character. */
const fit = (text: string, width: number, perChar: number) => {
  const max = Math.max(4, Math.floor(width / perChar))
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

const paintStatusBar = (context: Context2D, box: BoxView, top: number) => {
  const width = box.w - 24
  let left = box.x + 12
  for (const status of order) {
    const count = box.counts[status] ?? 0
    if (count === 0) continue
    const part = (count / Math.max(box.count, 1)) * width
    context.fillStyle = statusColor(status)
    context.fillRect(left, top, part, box.expanded ? 6 : 14)
    left += part
  }
}

const paintBoxEdges = (context: Context2D, boxes: ReadonlyArray<BoxView>, edges: Int32Array, k: number) => {
  context.strokeStyle = "rgba(110, 122, 145, 0.55)"
  for (let e = 0; e < edges.length; e += 2) {
    const from = boxes[edges[e]!]
    const to = boxes[edges[e + 1]!]
    if (from === undefined || to === undefined) continue
    const ax = from.x + from.w
    const ay = from.y + Math.min(from.h / 2, boxHeader)
    const bx = to.x
    const by = to.y + Math.min(to.h / 2, boxHeader)
    context.lineWidth = 1.5 / k
    context.beginPath()
    context.moveTo(ax, ay)
    const mid = (ax + bx) / 2
    context.bezierCurveTo(mid, ay, mid, by, bx, by)
    context.stroke()
  }
}

/** The box a click at a world point acts on: a collapsed box anywhere, an expanded one on its title. */
export const boxClick = (boxes: ReadonlyArray<Box>, wx: number, wy: number): Box | undefined =>
  boxes.find((box) =>
    wx >= box.x && wx <= box.x + box.w && wy >= box.y && wy <= box.y + (box.expanded ? boxHeader : box.h)
  )

/** A collapsed box under the pointer that the zoom has made wider than a fifth of the view. */
export const boxToExpand = (boxes: ReadonlyArray<Box>, wx: number, wy: number, k: number, viewWidth: number): Box | undefined =>
  boxes.find((box) =>
    !box.expanded && box.w * k > viewWidth / 5 &&
    wx >= box.x && wx <= box.x + box.w && wy >= box.y && wy <= box.y + box.h
  )
