/**
 * The Automation page: the daemon's liveness, schedules (next ticks), pools (who holds their slots), sensors
 * and asset conditions, each with its last ticks or evaluation and a switch,
 * and the recent ticks of every origin with why a run was or was not requested.
 */
import { useCallback, useEffect, useState } from "preact/hooks"
import type { Models } from "./api.ts"
import { Evaluation } from "./AutomationPanel.tsx"
import { dateTime, relativeTime, shortId } from "./format.ts"
import { useLiveRefresh } from "./live.ts"
import { automationApi } from "./partitionsApi.ts"
import { assetPath, navigate, runPath } from "./router.ts"

type Tick = Models.AutomationTick

const TickLine = ({ tick }: { readonly tick: Tick }) => (
  <span className="tick" data-testid="tick">
    <span className={`badge tick-${tick.status}`}>{tick.status}</span>{" "}
    <span title={dateTime(tick.at)}>{relativeTime(tick.at, Date.now())}</span>
    {tick.reason !== undefined ? <span className="muted"> · {tick.reason}</span> : null}
    {tick.runs.map((run) => (
      <span key={run.runId}> · <a href={runPath(run.runId)} onClick={(event) => navigate(runPath(run.runId), event)}>run {shortId(run.runId)}</a></span>
    ))}
  </span>
)

const Switch = ({ target, enabled, onChange }: { readonly target: string; readonly enabled: boolean; readonly onChange: () => void }) => (
  <button data-testid={`toggle-${target}`} className={enabled ? "" : "primary"} onClick={() => automationApi.toggle(target, !enabled).then(onChange, () => undefined)}>
    {enabled ? "Stop" : "Start"}
  </button>
)

const Latest = ({ origin, name, version }: { readonly origin: "schedule" | "sensor"; readonly name: string; readonly version: number }) => {
  const [ticks, setTicks] = useState<ReadonlyArray<Tick> | undefined>()
  useEffect(() => {
    automationApi.ticks(origin, name, 1).then((value) => setTicks(value.ticks), () => undefined)
  }, [origin, name, version])
  if (ticks === undefined) return null
  return ticks[0] === undefined ? <span className="muted">no tick yet</span> : <TickLine tick={ticks[0]} />
}

const ConditionRow = ({ entry, enabled, version, onChange }: {
  readonly entry: { readonly key: string; readonly label: string }
  readonly enabled: boolean
  readonly version: number
  readonly onChange: () => void
}) => {
  const [data, setData] = useState<Models.AssetAutomation | undefined>()
  const [open, setOpen] = useState(false)
  useEffect(() => {
    automationApi.asset(entry.key).then(setData, () => undefined)
  }, [entry.key, version])
  const latest = data?.evaluations[0]
  return (
    <>
      <tr data-testid="condition-row">
        <td><a href={`${assetPath(entry.key)}?tab=automation`} onClick={(event) => navigate(`${assetPath(entry.key)}?tab=automation`, event)}>{entry.key}</a></td>
        <td>{entry.label}</td>
        <td>{enabled ? "on" : "off"}</td>
        <td>
          {latest === undefined
            ? <span className="muted">not evaluated yet</span>
            : <button className="ghost" onClick={() => setOpen(!open)}>{latest.requested ? "requested" : "not requested"} · {relativeTime(latest.at, Date.now())} {open ? "▾" : "▸"}</button>}
        </td>
        <td><Switch target={`asset/${entry.key}`} enabled={enabled} onChange={onChange} /></td>
      </tr>
      {open && latest !== undefined ? <tr><td colSpan={5}><Evaluation evaluation={latest} /></td></tr> : null}
    </>
  )
}

export const AutomationPage = () => {
  const [overview, setOverview] = useState<Models.AutomationOverview | undefined>()
  const [ticks, setTicks] = useState<ReadonlyArray<Tick>>([])
  const [version, setVersion] = useState(0)
  const [error, setError] = useState<string | undefined>()
  const load = useCallback(() => {
    automationApi.overview().then((value) => {
      setOverview(value)
      setVersion((v) => v + 1)
    }, (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)))
    automationApi.ticks(undefined, undefined, 30).then((value) => setTicks(value.ticks), () => undefined)
  }, [])
  useEffect(load, [load])
  useLiveRefresh(load)
  // the daemon's lease and the ticks move without any run: refresh every 5 s while the page is shown
  useEffect(() => {
    const timer = setInterval(load, 5_000)
    return () => clearInterval(timer)
  }, [load])
  if (error !== undefined) return <div className="page"><div className="error" role="alert">{error}</div></div>
  if (overview === undefined) return <div className="page loading">Loading automation…</div>
  const enabled = (target: string) => overview.targets.find((entry) => entry.target === target)?.enabled !== false
  const now = Date.now()
  return (
    <div className="page automation-page">
      <h1>Automation</h1>
      <p data-testid="daemon">
        {overview.daemon === undefined
          ? <><span className="badge status-missing">daemon not running</span> <span className="muted">Nothing is launched by itself: run `strata dev` or `strata daemon`.</span></>
          : <><span className="badge status-fresh">daemon running</span> <span className="muted">{overview.daemon.holder}, lease until {dateTime(overview.daemon.expiresAt)}</span></>}
      </p>
      <section>
        <h2>Schedules <span className="muted">({overview.schedules.length})</span></h2>
        <table className="history" data-testid="schedules">
          <thead><tr><th>Schedule</th><th>Cron</th><th>Selection</th><th>Next tick</th><th>State</th><th>Last tick</th><th /></tr></thead>
          <tbody>
            {overview.schedules.map((schedule) => (
              <tr key={schedule.name}>
                <td>{schedule.name}</td>
                <td>{schedule.cron} <span className="muted">{schedule.timezone}</span></td>
                <td className="wrap">{schedule.selection}</td>
                <td>{schedule.nextTicks[0] === undefined ? "—" : dateTime(schedule.nextTicks[0])}</td>
                <td>{enabled(`schedule/${schedule.name}`) ? "on" : "off"}</td>
                <td><Latest origin="schedule" name={schedule.name} version={version} /></td>
                <td><Switch target={`schedule/${schedule.name}`} enabled={enabled(`schedule/${schedule.name}`)} onChange={load} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {(overview.pools ?? []).length === 0 ? null : (
        <section>
          <h2>Pools <span className="muted">({overview.pools!.length})</span></h2>
          <table className="history" data-testid="pools">
            <thead><tr><th>Pool</th><th>Held</th><th>Holders (run / step)</th></tr></thead>
            <tbody>
              {overview.pools!.map((pool) => (
                <tr key={pool.pool}>
                  <td>{pool.pool}</td>
                  <td>{pool.holders.length} / {pool.limit}</td>
                  <td className="wrap">
                    {pool.holders.length === 0 ? <span className="muted">free</span> : pool.holders.map((holder) => (
                      <div key={holder.slot} data-testid="pool-holder">
                        <a href={runPath(holder.runId)} onClick={(event) => navigate(runPath(holder.runId), event)}>{shortId(holder.runId)}</a> / {holder.step}
                        {holder.partition === undefined ? null : <span className="muted"> [{holder.partition}]</span>}
                        <span className="muted"> · slot {holder.slot}, lease until {dateTime(holder.expiresAt)}</span>
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <section>
        <h2>Sensors <span className="muted">({overview.sensors?.length ?? 0})</span></h2>
        <table className="history" data-testid="sensors">
          <thead><tr><th>Sensor</th><th>Kind</th><th>State</th><th>Last tick</th><th /></tr></thead>
          <tbody>
            {(overview.sensors ?? []).map((sensor) => (
              <tr key={sensor.name}>
                <td>{sensor.name}</td>
                <td>{sensor.kind === "sensor" ? `every ${Math.round((sensor.minimumIntervalMs ?? 0) / 1000)} s at most` : `on runs ${sensor.statuses?.join(", ")}`}</td>
                <td>{enabled(`sensor/${sensor.name}`) ? "on" : "off"}</td>
                <td><Latest origin="sensor" name={sensor.name} version={version} /></td>
                <td><Switch target={`sensor/${sensor.name}`} enabled={enabled(`sensor/${sensor.name}`)} onChange={load} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>
          Asset conditions <span className="muted">({overview.conditions?.length ?? 0}, {enabled("conditions") ? "on" : "off"})</span>{" "}
          <Switch target="conditions" enabled={enabled("conditions")} onChange={load} />
        </h2>
        <table className="history" data-testid="conditions">
          <thead><tr><th>Asset</th><th>Condition</th><th>State</th><th>Last evaluation</th><th /></tr></thead>
          <tbody>
            {(overview.conditions ?? []).map((entry) => (
              <ConditionRow key={entry.key} entry={entry} enabled={enabled(`asset/${entry.key}`) && enabled("conditions")} version={version} onChange={load} />
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>Recent ticks</h2>
        <table className="history" data-testid="ticks">
          <thead><tr><th>When</th><th>Origin</th><th>Name</th><th>Result</th><th>Evaluated / requested</th></tr></thead>
          <tbody>
            {ticks.map((tick) => (
              <tr key={tick.tickId}>
                <td title={dateTime(tick.at)}>{relativeTime(tick.at, now)}</td>
                <td>{tick.origin}</td>
                <td>{tick.name}</td>
                <td><TickLine tick={tick} /></td>
                <td>{tick.evaluated} / {tick.requested}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  )
}
