import { dateTime } from "./format.ts"

interface Point {
  readonly t: number
  readonly v: number
}

/** A small line chart of one numeric metadata entry over time. */
export const Chart = ({ name, points }: { readonly name: string; readonly points: ReadonlyArray<Point> }) => {
  const width = 320
  const height = 120
  const pad = { left: 44, right: 10, top: 10, bottom: 22 }
  const sorted = [...points].sort((a, b) => a.t - b.t)
  const t0 = sorted[0]!.t
  const t1 = sorted[sorted.length - 1]!.t
  let v0 = Math.min(...sorted.map((p) => p.v))
  let v1 = Math.max(...sorted.map((p) => p.v))
  if (v0 === v1) {
    v0 -= Math.abs(v0) * 0.1 + 1
    v1 += Math.abs(v1) * 0.1 + 1
  }
  const sx = (t: number) => pad.left + (t1 === t0 ? (width - pad.left - pad.right) / 2 : ((t - t0) / (t1 - t0)) * (width - pad.left - pad.right))
  const sy = (v: number) => pad.top + (1 - (v - v0) / (v1 - v0)) * (height - pad.top - pad.bottom)
  const line = sorted.map((p, i) => `${i === 0 ? "M" : "L"}${sx(p.t).toFixed(1)},${sy(p.v).toFixed(1)}`).join(" ")
  const label = (v: number) =>
    Math.abs(v) >= 1_000_000 ? v.toExponential(2) : Number.isInteger(v) ? v.toLocaleString("en") : String(Number(v.toPrecision(4)))
  const latest = sorted[sorted.length - 1]!
  return (
    <figure className="chart" data-metric={name}>
      <figcaption>
        <strong>{name}</strong> <span className="muted">latest {label(latest.v)} · {sorted.length} {sorted.length === 1 ? "point" : "points"}</span>
      </figcaption>
      <svg width={width} height={height} role="img" aria-label={`${name} over time`}>
        <line x1={pad.left} x2={width - pad.right} y1={height - pad.bottom} y2={height - pad.bottom} className="axis" />
        <line x1={pad.left} x2={pad.left} y1={pad.top} y2={height - pad.bottom} className="axis" />
        <text x={pad.left - 4} y={sy(v1) + 4} text-anchor="end" className="tick">{label(v1)}</text>
        <text x={pad.left - 4} y={sy(v0) + 4} text-anchor="end" className="tick">{label(v0)}</text>
        <text x={pad.left} y={height - 6} className="tick">{new Date(t0).toLocaleTimeString()}</text>
        <text x={width - pad.right} y={height - 6} text-anchor="end" className="tick">{new Date(t1).toLocaleTimeString()}</text>
        <path d={line} className="series" />
        {sorted.map((p) => (
          <circle key={p.t} cx={sx(p.t)} cy={sy(p.v)} r={3} className="dot">
            <title>{`${dateTime(p.t)}: ${p.v}`}</title>
          </circle>
        ))}
      </svg>
    </figure>
  )
}
