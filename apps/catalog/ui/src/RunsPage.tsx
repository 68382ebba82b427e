import { LogView } from "./LogView.tsx"
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks"
import { Models } from "@strata/protocol"
import { api, followRun } from "./api.ts"
import { dateTime, duration, relativeTime, shortId, statusColor } from "./format.ts"
import { assetPath, navigate, runPath } from "./router.ts"
import { useLiveRefresh } from "./live.ts"
import { readFilters, RunFilters, runQuery } from "./RunFilters.tsx"

/** A run's selection, cut at 160 characters (a run of 10,000 picked assets lists them all) with a way to see it whole. */
const Selection = ({ text }: { readonly text: string }) =>
  text.length <= 160
    ? <code className="selection-text">{text}</code>
    : (
      <details className="selection-text">
        <summary><code>{text.slice(0, 160)}…</code> <span className="muted">({text.length.toLocaleString("en")} characters)</span></summary>
        <code>{text.slice(0, 20_000)}{text.length > 20_000 ? "…" : ""}</code>
      </details>
    )

/**
 * A listed run's selection: the list carries at most 200 characters of it,
 * and the length of the whole, which the run page shows.
 */
const SelectionSummary = ({ run }: { readonly run: Models.RunSummary }) =>
  run.selectionLength <= 160
    ? <code className="selection-text">{run.selection}</code>
    : (
      <span className="selection-text">
        <code>{run.selection.slice(0, 160)}…</code>{" "}
        <span className="muted">({run.selectionLength.toLocaleString("en")} characters)</span>
      </span>
    )

const RunStatusBadge = ({ status }: { readonly status: Models.RunStatus }) => (
  <span className={`badge run-${status}`} data-testid="run-status">{status}</span>
)

export const RunsPage = () => {
  const [status, setStatus] = useState("")
  const [filters, setFilters] = useState(readFilters)
  const [pages, setPages] = useState<ReadonlyArray<Models.RunList>>([])
  const [error, setError] = useState<string | undefined>()
  const load = useCallback(() => {
    api.runs({ ...(status === "" ? {} : { status }), ...runQuery(filters), limit: 25 }).then((first) => {
      setPages([first])
      setError(undefined)
    }, (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)))
  }, [status, filters])
  useEffect(load, [load])
  useLiveRefresh(load)
  const runs = pages.flatMap((page) => page.runs)
  const next = pages.at(-1)?.next
  const now = Date.now()
  return (
    <div className="page">
      <div className="page-head">
        <h1>Runs</h1>
        <label>
          Status{" "}
          <select value={status} onChange={(event) => setStatus(event.currentTarget.value)} name="status">
            <option value="">all</option>
            <option value="queued,started">in progress</option>
            <option value="succeeded">succeeded</option>
            <option value="failed">failed</option>
            <option value="canceled">canceled</option>
          </select>
        </label>
        <RunFilters values={filters} onChange={setFilters} />
      </div>
      {error !== undefined ? <div className="error" role="alert">{error}</div> : null}
      <table className="runs">
        <thead>
          <tr><th>Run</th><th>Status</th><th>Selection</th><th>Assets</th><th>Created</th><th>Duration</th></tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.runId} data-run={run.runId}>
              <td><a href={runPath(run.runId)} onClick={(event) => navigate(runPath(run.runId), event)}>{shortId(run.runId)}</a></td>
              <td><RunStatusBadge status={run.status} /></td>
              <td className="wrap"><SelectionSummary run={run} /> <span className="muted">· {run.assetCount.toLocaleString("en")} assets</span>{run.parentRunId !== undefined ? <span className="tag">re-execution</span> : null}</td>
              <td>{run.assetCount}</td>
              <td title={dateTime(run.createdAt)}>{relativeTime(run.createdAt, now)}</td>
              <td>{run.endedAt !== undefined && run.startedAt !== undefined ? duration(run.endedAt - run.startedAt) : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs.length === 0 ? <p className="muted">{Object.keys(runQuery(filters)).length > 0 ? "No run matches these filters." : "No runs yet. Select assets in the graph and materialize them."}</p> : null}
      {next !== undefined
        ? (
          <button
            onClick={() =>
              void api.runs({ ...(status === "" ? {} : { status }), ...runQuery(filters), limit: 25, before: next }).then((page) =>
                setPages((previous) => [...previous, page])
              )}
          >
            Older runs
          </button>
        )
        : null}
    </div>
  )
}

interface Step {
  readonly key: string
  start: number
  end: number | undefined
  status: "running" | "succeeded" | "failed" | "skipped"
  attempts: number
  error: Models.ErrorInfo | undefined
  skipReason: string | undefined
}

const stepsOf = (events: ReadonlyArray<Models.Event>): Array<Step> => {
  const steps = new Map<string, Step>()
  for (const event of events) {
    switch (event.type) {
      case "step-started": {
        const step = steps.get(event.assetKey)
        if (step === undefined) {
          steps.set(event.assetKey, {
            key: event.assetKey,
            start: event.timestamp,
            end: undefined,
            status: "running",
            attempts: 1,
            error: undefined,
            skipReason: undefined
          })
        } else {
          step.attempts = event.attempt
          step.status = "running"
          step.end = undefined
        }
        break
      }
      case "step-succeeded": {
        const step = steps.get(event.assetKey)
        if (step !== undefined) {
          step.status = "succeeded"
          step.end = event.timestamp
        }
        break
      }
      case "step-failed": {
        const step = steps.get(event.assetKey)
        if (step !== undefined) {
          step.error = event.error
          if (!event.willRetry) {
            step.status = "failed"
            step.end = event.timestamp
          }
        }
        break
      }
      case "step-skipped":
        steps.set(event.assetKey, {
          key: event.assetKey,
          start: event.timestamp,
          end: event.timestamp,
          status: "skipped",
          attempts: 0,
          error: undefined,
          skipReason: event.reason
        })
        break
      default:
    }
  }
  return [...steps.values()]
}

const stepColor = (status: Step["status"]) =>
  status === "skipped" ? "#b7bfcc" : statusColor(status === "running" ? "running" : status === "succeeded" ? "fresh" : "failed")

const ganttRow = 26
const ganttHeight = 520
const virtualFrom = 200

const Timeline = ({ steps, startedAt, endedAt, focus, onFocus }: {
  readonly steps: ReadonlyArray<Step>
  readonly startedAt: number
  readonly endedAt: number
  readonly focus: string | undefined
  readonly onFocus: (key: string | undefined) => void
}) => {
  const span = Math.max(endedAt - startedAt, 1)
  // a big run (10,000 steps): rows in a scrolling box, only those near the view mounted
  const [top, setTop] = useState(0)
  const virtual = steps.length > virtualFrom
  const first = virtual ? Math.max(0, Math.floor(top / ganttRow) - 10) : 0
  const last = virtual ? Math.min(steps.length, first + Math.ceil(ganttHeight / ganttRow) + 20) : steps.length
  const rows = steps.slice(first, last).map((step, n) => {
        const left = ((step.start - startedAt) / span) * 100
        const width = Math.max((((step.end ?? endedAt) - step.start) / span) * 100, 0.6)
        return (
          <div
            className={`gantt-row${focus === step.key ? " focused" : ""}`}
            key={step.key}
            style={virtual ? { position: "absolute", left: "0", right: "0", top: `${(first + n) * ganttRow}px` } : undefined}
            data-step={step.key}
            data-step-status={step.status}
            title="click to show only this step's events"
            onClick={(event) => {
              if ((event.target as HTMLElement).closest("a") !== null) return
              onFocus(focus === step.key ? undefined : step.key)
            }}
          >
            <a className="gantt-label" href={assetPath(step.key)} onClick={(event) => navigate(assetPath(step.key), event)}>
              {step.key}
            </a>
            <div className="gantt-track">
              <div
                className="gantt-bar"
                style={{ left: `${left}%`, width: `${Math.min(width, 100 - left)}%`, background: stepColor(step.status) }}
                title={`${step.status}${step.end !== undefined ? `, ${duration(step.end - step.start)}` : ""}`}
              />
            </div>
            <span className="gantt-time">
              {step.status === "skipped" ? "skipped" : step.end !== undefined ? duration(step.end - step.start) : "running…"}
            </span>
          </div>
        )
      })
  return (
    <div className="gantt" data-testid="timeline">
      {virtual
        ? (
          <div className="gantt-scroll" style={{ height: `${ganttHeight}px` }} onScroll={(event) => setTop(event.currentTarget.scrollTop)}>
            <div style={{ position: "relative", height: `${steps.length * ganttRow}px` }}>{rows}</div>
          </div>
        )
        : rows}
      <div className="gantt-axis"><span>0</span><span>{duration(span)}</span></div>
    </div>
  )
}

export const RunPage = ({ runId }: { readonly runId: string }) => {
  const [run, setRun] = useState<Models.Run | undefined>()
  const [events, setEvents] = useState<ReadonlyArray<Models.Event>>([])
  const [error, setError] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)
  const [now, setNow] = useState(Date.now())
  const [showAll, setShowAll] = useState(false)
  const [focus, setFocus] = useState<string | undefined>(undefined)
  const seen = useRef(new Set<number>())

  const refresh = useCallback(() =>
    api.run(runId).then((detail) => {
      setRun(detail.run)
      for (const event of detail.events) seen.current.add(event.id)
      setEvents(detail.events)
      return detail
    }), [runId])

  useEffect(() => {
    seen.current = new Set()
    setRun(undefined)
    setEvents([])
    let stop: (() => void) | undefined
    let stopFlush: (() => void) | undefined
    let cancelled = false
    refresh().then((detail) => {
      if (cancelled || Models.isTerminal(detail.run.status)) return
      const last = detail.events.at(-1)?.id
      // events arrive by thousands in a big run: append them once per frame, not one state update each
      let pending: Array<Models.Event> = []
      let frame: number | undefined
      const flush = () => {
        frame = undefined
        const batch = pending
        pending = []
        setEvents((previous) => {
          // a refresh may have brought some of them already
          const newest = previous.at(-1)?.id ?? -1
          return previous.concat(batch.filter((event) => event.id > newest))
        })
      }
      stopFlush = () => {
        if (frame !== undefined) cancelAnimationFrame(frame)
      }
      stop = followRun(runId, last, (event) => {
        if (seen.current.has(event.id)) return
        seen.current.add(event.id)
        pending.push(event)
        if (frame === undefined) frame = requestAnimationFrame(flush)
        if (event.type === "run-succeeded" || event.type === "run-failed" || event.type === "run-canceled") {
          void refresh()
        }
      }, () => void refresh())
    }, (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)))
    return () => {
      cancelled = true
      stop?.()
      stopFlush?.()
    }
  }, [runId, refresh])

  const terminal = run !== undefined && Models.isTerminal(run.status)
  useEffect(() => {
    if (terminal) return
    const timer = setInterval(() => setNow(Date.now()), 250)
    return () => clearInterval(timer)
  }, [terminal])

  const steps = useMemo(() => stepsOf(events), [events])
  if (error !== undefined) return <div className="page"><div className="error" role="alert">{error}</div></div>
  if (run === undefined) return <div className="page loading">Loading run {shortId(runId)}…</div>
  const startedAt = run.startedAt ?? run.createdAt
  const endedAt = run.endedAt ?? (terminal ? startedAt : now)
  const failures = steps.filter((step) => step.status === "failed" && step.error !== undefined)
  const ofFocus = (event: Models.Event) =>
    focus === undefined || ("assetKey" in event && event.assetKey === focus)
  const logs = events.filter((event) => event.type === "log" && ofFocus(event))
  const shown = showAll ? events.filter(ofFocus) : logs
  const act = async (action: () => Promise<{ runId: string } | unknown>) => {
    setBusy(true)
    try {
      const result = await action()
      if (typeof result === "object" && result !== null && "assetKeys" in result) navigate(runPath((result as Models.Launched).runId))
      else await refresh()
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure))
    } finally {
      setBusy(false)
    }
  }
  return (
    <div className="page run-page">
      <div className="page-head">
        <div>
          <div className="crumbs"><a href="/runs" onClick={(event) => navigate("/runs", event)}>Runs</a> / {shortId(run.runId)}</div>
          <h1>Run {shortId(run.runId)} <RunStatusBadge status={run.status} /></h1>
          <p className="muted">
            <Selection text={run.selection} /> · {run.assetKeys.length} steps · started {dateTime(startedAt)} ·{" "}
            {duration(endedAt - startedAt)}
            {run.parentRunId !== undefined
              ? (
                <>
                  {" "}· re-executes{" "}
                  <a href={runPath(run.parentRunId)} onClick={(event) => navigate(runPath(run.parentRunId!), event)}>
                    {shortId(run.parentRunId)}
                  </a>
                </>
              )
              : null}
          </p>
          {run.partition !== undefined || Object.keys(run.tags).length > 0 || run.staleOnly
            ? (
              <p>
                {run.partition !== undefined ? <span className="tag">partition {run.partition}</span> : null}
                {run.staleOnly ? <span className="tag">stale only</span> : null}
                {Object.entries(run.tags).map(([k, v]) => <span key={k} className="tag">{k}={v}</span>)}
              </p>
            )
            : null}
          {run.reason !== undefined ? <p className="reason">{run.reason}</p> : null}
        </div>
        <div className="actions">
          {!terminal && run.cancelable && run.cancelRequestedAt === undefined
            ? <button className="danger" disabled={busy} onClick={() => void act(() => api.cancel(run.runId))}>Cancel</button>
            : null}
          {!terminal && run.cancelRequestedAt !== undefined
            ? (
              // another process executes the run: it cancels it when it next polls the instance
              <button className="danger" disabled title={run.cancelReason}>Canceling…</button>
            )
            : null}
          {terminal && run.status !== "succeeded"
            ? (
              <button className="primary" disabled={busy} onClick={() => void act(() => api.reexecute(run.runId, "failure"))}>
                Re-execute from failure
              </button>
            )
            : null}
          {terminal
            ? <button disabled={busy} onClick={() => void act(() => api.reexecute(run.runId, "all"))}>Re-execute all</button>
            : null}
        </div>
      </div>
      <section>
        <h2>Timeline</h2>
        <Timeline
          steps={steps}
          startedAt={startedAt}
          endedAt={Math.max(endedAt, startedAt + 1)}
          focus={focus}
          onFocus={setFocus}
        />
      </section>
      {failures.length > 0
        ? (
          <section className="failures">
            <h2>Errors</h2>
            {failures.map((step) => (
              <div key={step.key} className="failure" data-testid="step-error">
                <h3>{step.key} <span className="muted">after {step.attempts} attempt{step.attempts === 1 ? "" : "s"}</span></h3>
                <p><strong>{step.error!.tag}</strong>: {step.error!.message}</p>
                {step.error!.stack !== undefined ? <pre className="stack">{step.error!.stack}</pre> : null}
              </div>
            ))}
          </section>
        )
        : null}
      <section>
        <h2>
          {showAll ? "Events" : "Logs"}
          {focus !== undefined ? <> of <code>{focus}</code></> : null} <span className="muted">({shown.length})</span>{" "}
          {focus !== undefined ? <button className="ghost" onClick={() => setFocus(undefined)}>All steps</button> : null}
          <button className="ghost" onClick={() => setShowAll(!showAll)}>{showAll ? "Show logs only" : "Show all events"}</button>
        </h2>
        <LogView events={shown} describe={describe} empty={showAll ? "No events." : "No log lines."} />
      </section>
    </div>
  )
}

const describe = (event: Models.Event): string => {
  switch (event.type) {
    case "log":
      return event.message
    case "run-failed":
    case "run-canceled":
    case "step-skipped":
      return event.reason
    case "step-failed":
      return `${event.error.tag}: ${event.error.message}${event.willRetry ? " (will retry)" : ""}`
    case "step-succeeded":
      return duration(event.durationMs)
    case "step-started":
      return [
        event.attempt > 1 ? `attempt ${event.attempt}` : "",
        event.worker === undefined ? "" : `on worker ${event.worker.id} (pid ${event.worker.pid} on ${event.worker.host})`
      ].filter((part) => part !== "").join(" ")
    case "asset-materialized":
    case "asset-observed":
      return JSON.stringify(event.metadata)
    case "check-evaluated":
      return `${event.check} ${event.passed ? "passed" : `${event.severity === "error" ? "FAILED (blocking)" : "warning"}: ${event.message ?? ""}`}`
    default:
      return ""
  }
}
