/**
 * A run's events as a virtualized list: only the lines near the view are
 * mounted (a run of 10,000 log lines stays responsive), filtered by level and
 * text, and following new lines as they arrive until the user scrolls up
 * (pausing) or unticks "Follow".
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks"
import type { ComponentChildren } from "preact"
import type { Models } from "./api.ts"

const lineHeight = 20
const levels = ["trace", "debug", "info", "warn", "error", "fatal"] as const

export interface LogViewProps {
  readonly events: ReadonlyArray<Models.Event>
  readonly describe: (event: Models.Event) => string
  readonly empty: string
}

export const LogView = ({ events, describe, empty }: LogViewProps) => {
  const [text, setText] = useState("")
  const [level, setLevel] = useState("")
  const [follow, setFollow] = useState(true)
  const [range, setRange] = useState({ first: 0, count: 30 })
  const scrollRef = useRef<HTMLDivElement>(null)
  const filtered = useMemo(() => {
    const needle = text.toLowerCase()
    const minimum = level === "" ? -1 : levels.indexOf(level as (typeof levels)[number])
    if (needle === "" && minimum === -1) return events
    return events.filter((event) => {
      if (minimum !== -1 && (event.type !== "log" || levels.indexOf(event.level) < minimum)) return false
      return needle === "" || describe(event).toLowerCase().includes(needle) ||
        ("assetKey" in event && event.assetKey !== undefined && event.assetKey.toLowerCase().includes(needle))
    })
  }, [events, text, level, describe])

  const measure = () => {
    const element = scrollRef.current
    if (element === null) return
    const first = Math.floor(element.scrollTop / lineHeight)
    const count = Math.ceil(element.clientHeight / lineHeight) + 1
    setRange((previous) => previous.first === first && previous.count === count ? previous : { first, count })
  }
  // new lines while following: stay at the bottom
  useLayoutEffect(() => {
    const element = scrollRef.current
    if (element === null || !follow) return
    element.scrollTop = element.scrollHeight
    measure()
  }, [filtered.length, follow])
  useEffect(measure, [])

  const onScroll = () => {
    const element = scrollRef.current!
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < lineHeight * 2
    // scrolling up pauses following; back at the bottom resumes it
    if (follow !== atBottom) setFollow(atBottom)
    measure()
  }

  const from = Math.max(0, range.first - 10)
  const to = Math.min(filtered.length, range.first + range.count + 10)
  const rows: Array<ComponentChildren> = []
  for (let i = from; i < to; i++) {
    const event = filtered[i]!
    const line = describe(event)
    rows.push(
      <div
        key={event.id}
        className={`event event-${event.type}${event.type === "log" ? ` level-${event.level}` : ""}`}
        data-event={event.type}
        style={{ transform: `translateY(${i * lineHeight}px)` }}
        title={line.length > 120 ? line.slice(0, 2000) : undefined}
      >
        <span className="event-time">{new Date(event.timestamp).toLocaleTimeString()}</span>
        <span className="event-type">{event.type === "log" ? event.level : event.type}</span>
        <span className="event-key">{"assetKey" in event && event.assetKey !== undefined ? event.assetKey : ""}</span>
        <span className="event-text">{line}</span>
      </div>
    )
  }
  return (
    <div className="log-view">
      <div className="log-bar">
        <input name="log-filter" type="search" placeholder="Filter lines" value={text} onInput={(event) => setText(event.currentTarget.value)} />
        <select name="log-level" value={level} onChange={(event) => setLevel(event.currentTarget.value)}>
          <option value="">all levels</option>
          {levels.map((l) => <option key={l} value={l}>{l} and above</option>)}
        </select>
        <label className="check">
          <input type="checkbox" name="follow" checked={follow} onChange={(event) => setFollow(event.currentTarget.checked)} /> Follow
        </label>
        <span className="muted">{filtered.length.toLocaleString("en")} of {events.length.toLocaleString("en")}</span>
      </div>
      <div className="events" data-testid="events" ref={scrollRef} onScroll={onScroll}>
        <div style={{ height: `${filtered.length * lineHeight}px`, position: "relative" }}>{rows}</div>
        {filtered.length === 0 ? <p className="muted">{empty}</p> : null}
      </div>
    </div>
  )
}
