/**
 * The text of asset cards drawn on the graph's canvas: what a big graph shows
 * while the view moves at card zoom (the DOM cards are hidden then and come
 * back once it rests), laid out like the DOM card so the swap barely shows:
 * the key in bold, the group and kinds below it, the status at the bottom.
 */
import type { Models } from "./api.ts"

type Context2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D

/** `text` cut with an ellipsis to about `chars` characters (the DOM card cuts by width). */
export const cut = (text: string, chars: number) => text.length > chars ? `${text.slice(0, chars - 1)}…` : text

/** Draws the texts of `indexes` (nodes of `list` at `x`, `y`), three fonts, one pass each. */
export const paintCardTexts = (
  context: Context2D,
  list: ReadonlyArray<Models.AssetNode>,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  indexes: ReadonlyArray<number>
) => {
  context.textBaseline = "middle"
  context.fillStyle = "#1d2433"
  context.font = "600 13px system-ui, sans-serif"
  for (const i of indexes) context.fillText(cut(list[i]!.key, 24), x[i]! + 37, y[i]! + 16)
  context.fillStyle = "#6b7385"
  context.font = "11.5px system-ui, sans-serif"
  for (const i of indexes) {
    const node = list[i]!
    const meta = `${node.group}${node.kinds.length > 0 ? ` · ${node.kinds.join(", ")}` : ""}${node.kind === "external" ? " · external" : ""}`
    context.fillText(cut(meta, 32), x[i]! + 19, y[i]! + 34)
    context.fillText(node.status, x[i]! + 19, y[i]! + 52)
  }
  // the unchecked box of the DOM card
  context.strokeStyle = "#8a93a6"
  context.lineWidth = 1
  const boxes = new Path2D()
  for (const i of indexes) boxes.rect(x[i]! + 19.5, y[i]! + 9.5, 12, 12)
  context.stroke(boxes)
}

