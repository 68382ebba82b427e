/**
 * The partition bar: a canvas drawn from the server's buckets (each bucket's
 * count per state), so a million partitions cost what a thousand buckets
 * cost and nothing is one DOM node per partition. A bucket is drawn as its
 * states stacked in proportion, with any failed, in-progress or stale
 * partition kept visible (at least a third of the bucket's height). Hovering shows the
 * bucket's first key and counts.
 */
import { useEffect, useRef, useState } from "preact/hooks"
import "./partitions.css"
import type { PartitionModels } from "./partitionsApi.ts"

export const stateColors = { materialized: "#2e9d5b", stale: "#d99a1c", failed: "#d64545", inProgress: "#2f6fed", missing: "#c9ced8" } as const
const order = ["failed", "inProgress", "stale", "materialized", "missing"] as const
/** The states that stay visible in a bucket of thousands (the first ones of {@link order}). */
const kept = 3

const share = (buckets: PartitionModels.PartitionBuckets, i: number) => {
  const values = order.map((state) => buckets[state][i]!)
  const total = values.reduce((a, b) => a + b, 0)
  // failures, runs in progress and stale partitions stay visible in a bucket of thousands
  const weights = values.map((value, j) => value === 0 ? 0 : j < kept ? Math.max(value / total, 1 / 3) : value / total)
  const sum = weights.reduce((a, b) => a + b, 0)
  return weights.map((weight) => sum === 0 ? 0 : weight / sum)
}

const draw = (canvas: HTMLCanvasElement, buckets: PartitionModels.PartitionBuckets) => {
  const ratio = window.devicePixelRatio || 1
  const width = canvas.clientWidth
  const height = canvas.clientHeight
  canvas.width = Math.round(width * ratio)
  canvas.height = Math.round(height * ratio)
  const context = canvas.getContext("2d")
  if (context === null) return
  context.scale(ratio, ratio)
  context.clearRect(0, 0, width, height)
  const n = buckets.keys.length
  for (let i = 0; i < n; i++) {
    // whole pixels, so that neighbouring buckets never blend into a colour no state has
    const x0 = Math.round((i / n) * width)
    const x1 = Math.max(x0 + 1, Math.round(((i + 1) / n) * width))
    let y = 0
    share(buckets, i).forEach((part, j) => {
      if (part === 0) return
      context.fillStyle = stateColors[order[j]!]
      context.fillRect(x0, y, x1 - x0, part * height)
      y += part * height
    })
  }
}

export const PartitionBar = ({ data, testId }: { readonly data: PartitionModels.PartitionBuckets; readonly testId?: string }) => {
  const canvas = useRef<HTMLCanvasElement>(null)
  const [hover, setHover] = useState<number | undefined>()
  useEffect(() => {
    if (canvas.current === null) return
    const element = canvas.current
    draw(element, data)
    const observer = new ResizeObserver(() => draw(element, data))
    observer.observe(element)
    return () => observer.disconnect()
  }, [data])
  const n = data.keys.length
  const bucket = hover === undefined ? undefined : {
    first: data.keys[hover]!,
    size: data.starts[hover + 1]! - data.starts[hover]!,
    counts: order.map((state) => [state, data[state][hover]!] as const).filter(([, value]) => value > 0)
  }
  return (
    <div className="partition-bar" data-testid={testId ?? "partition-bar"} data-buckets={n}>
      <canvas
        ref={canvas}
        onMouseMove={(event) => {
          const rect = event.currentTarget.getBoundingClientRect()
          setHover(Math.min(n - 1, Math.max(0, Math.floor(((event.clientX - rect.left) / rect.width) * n))))
        }}
        onMouseLeave={() => setHover(undefined)}
      />
      <div className="partition-hover muted" data-testid="partition-hover">
        {bucket === undefined
          ? "Hover the bar for its partitions."
          : `${bucket.size === 1 ? bucket.first : `${bucket.size.toLocaleString()} partitions from ${bucket.first}`}: ` +
            bucket.counts.map(([state, value]) => `${value.toLocaleString()} ${state === "inProgress" ? "in progress" : state}`).join(", ")}
      </div>
    </div>
  )
}

export const PartitionLegend = ({ counts }: { readonly counts: PartitionModels.PartitionCounts }) => (
  <div className="partition-legend" data-testid="partition-counts">
    <span><b>{counts.total.toLocaleString()}</b> partitions</span>
    {order.map((state) => (
      <span key={state} data-state={state}>
        <i style={{ background: stateColors[state] }} />
        <b>{counts[state].toLocaleString()}</b> {state === "inProgress" ? "in progress" : state}
      </span>
    ))}
  </div>
)
