/**
 * Backfills: the list (newest first, with progress) and one backfill's page:
 * its bar over the requested partitions, the status of each partition range,
 * its runs, and cancel / resume.
 */
import { useCallback, useEffect, useState } from "preact/hooks"
import { dateTime, relativeTime, shortId } from "./format.ts"
import { useLiveRefresh } from "./live.ts"
import { PartitionBar, PartitionLegend, stateColors } from "./PartitionBar.tsx"
import type { PartitionModels } from "./partitionsApi.ts"
import { backfillPath, partitionsApi } from "./partitionsApi.ts"
import { assetPath, navigate, runPath } from "./router.ts"

/** A partition selection of many ranges (a "backfill stale" names each one), cut for the header. */
const shorten = (text: string) => text.length > 160 ? `${text.slice(0, 160)}… (${text.split(",").length.toLocaleString()} ranges)` : text

const message = (failure: unknown) => failure instanceof Error ? failure.message : String(failure)

const Progress = ({ backfill }: { readonly backfill: PartitionModels.Backfill }) =>
  backfill.progress === undefined
    ? <span className="muted">{backfill.progressError}</span>
    : (
      <span>
        {backfill.progress.materialized.toLocaleString()} / {backfill.progress.total.toLocaleString()} {backfill.rebuild ? "rebuilt" : "materialized"}
        {backfill.progress.stale > 0 ? <span>, {backfill.progress.stale.toLocaleString()} {backfill.rebuild ? "stale or to rebuild" : "stale"}</span> : null}
        {backfill.progress.failed > 0 ? <span className="check-failed">, {backfill.progress.failed.toLocaleString()} failed</span> : null}
      </span>
    )

const Status = ({ backfill }: { readonly backfill: PartitionModels.Backfill }) => (
  <span className={`badge backfill-${backfill.status}`} data-testid="backfill-status">
    {backfill.status}{backfill.cancelRequestedAt !== undefined && backfill.status === "running" ? " (canceling)" : ""}
  </span>
)

export const BackfillsPage = () => {
  const [list, setList] = useState<PartitionModels.BackfillList | undefined>()
  const [error, setError] = useState<string | undefined>()
  const load = useCallback(() => {
    partitionsApi.backfills().then(setList, (failure: unknown) => setError(message(failure)))
  }, [])
  useEffect(load, [load])
  useLiveRefresh(load)
  if (error !== undefined) return <div className="page"><div className="error" role="alert">{error}</div></div>
  if (list === undefined) return <div className="page loading">Loading backfills…</div>
  const now = Date.now()
  return (
    <div className="page">
      <h1>Backfills</h1>
      {list.backfills.length === 0
        ? <p className="muted">No backfill yet. Launch one from a partitioned asset's Partitions tab, or with `strata backfill`.</p>
        : (
          <table className="history" data-testid="backfills">
            <thead><tr><th>Backfill</th><th>Status</th><th>Assets</th><th>Partitions</th><th>Progress</th><th>Runs</th><th>Created</th></tr></thead>
            <tbody>
              {list.backfills.map((backfill) => (
                <tr key={backfill.backfillId}>
                  <td><a href={backfillPath(backfill.backfillId)} onClick={(event) => navigate(backfillPath(backfill.backfillId), event)}>{backfill.backfillId}</a></td>
                  <td><Status backfill={backfill} /></td>
                  <td className="wrap">{backfill.selection}</td>
                  <td className="wrap">{shorten(backfill.partitions)}{backfill.rebuild ? " (rebuild)" : ""}</td>
                  <td><Progress backfill={backfill} /></td>
                  <td>{backfill.runCount}</td>
                  <td title={dateTime(backfill.createdAt)}>{relativeTime(backfill.createdAt, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </div>
  )
}

const Segments = ({ detail, onPage }: { readonly detail: PartitionModels.BackfillDetail; readonly onPage: (offset: number) => void }) => (
  <section>
    <h2>Partitions by status <span className="muted">({detail.segmentCount.toLocaleString()} {detail.segmentCount === 1 ? "range" : "ranges"})</span></h2>
    <table className="history" data-testid="backfill-segments">
      <thead><tr><th>Status</th><th>From</th><th>To</th><th>Partitions</th></tr></thead>
      <tbody>
        {detail.segments.map((segment) => (
          <tr key={segment.start} data-state={segment.state}>
            <td><i className="swatch" style={{ background: stateColors[segment.state === "in-progress" ? "inProgress" : segment.state] }} /> {segment.state}</td>
            <td>{segment.first}</td>
            <td>{segment.last}</td>
            <td>{segment.count.toLocaleString()}</td>
          </tr>
        ))}
      </tbody>
    </table>
    {detail.segmentCount > detail.segments.length
      ? (
        <div className="toolbar">
          <button disabled={detail.offset === 0} onClick={() => onPage(Math.max(0, detail.offset - 200))}>Previous</button>
          <button disabled={detail.offset + detail.segments.length >= detail.segmentCount} onClick={() => onPage(detail.offset + 200)}>Next</button>
        </div>
      )
      : null}
  </section>
)

export const BackfillPage = ({ backfillId }: { readonly backfillId: string }) => {
  const [detail, setDetail] = useState<PartitionModels.BackfillDetail | undefined>()
  const [offset, setOffset] = useState(0)
  const [error, setError] = useState<string | undefined>()
  const load = useCallback(() => {
    partitionsApi.backfill(backfillId, offset).then((value) => {
      setDetail(value)
      setError(undefined)
    }, (failure: unknown) => setError(message(failure)))
  }, [backfillId, offset])
  useEffect(load, [load])
  useLiveRefresh(load)
  const act = (action: (id: string) => Promise<unknown>) => action(backfillId).then(load, (failure: unknown) => setError(message(failure)))
  if (detail === undefined) return error !== undefined ? <div className="page"><div className="error" role="alert">{error}</div></div> : <div className="page loading">Loading {backfillId}…</div>
  const backfill = detail.backfill
  const going = backfill.executing || backfill.status === "running" || backfill.status === "requested"
  return (
    <div className="page" data-testid="backfill-page">
      <div className="page-head">
        <div>
          <div className="crumbs"><a href="/backfills" onClick={(event) => navigate("/backfills", event)}>Backfills</a></div>
          <h1>{backfill.backfillId} <Status backfill={backfill} /></h1>
          <p className="muted">
            {backfill.assetKeys.map((key, i) => (
              <span key={key}>{i > 0 ? ", " : ""}<a href={assetPath(key)} onClick={(event) => navigate(assetPath(key), event)}>{key}</a></span>
            ))}
            {" · "}{shorten(backfill.partitions)} · {backfill.policy}{backfill.rebuild ? " · rebuild" : ""}{backfill.reason !== undefined ? ` · ${backfill.reason}` : ""}
          </p>
        </div>
        <div className="actions">
          {going && backfill.cancelRequestedAt === undefined ? <button onClick={() => void act(partitionsApi.cancel)}>Cancel</button> : null}
          {!going && backfill.status !== "completed" ? <button className="primary" onClick={() => void act(partitionsApi.resume)}>Resume</button> : null}
        </div>
      </div>
      {error !== undefined ? <div className="error" role="alert">{error}</div> : null}
      {backfill.progress !== undefined ? <PartitionLegend counts={backfill.progress} /> : <p className="muted">{backfill.progressError}</p>}
      {detail.buckets !== undefined ? <PartitionBar data={detail.buckets} testId="backfill-bar" /> : null}
      <Segments detail={detail} onPage={setOffset} />
      <section>
        <h2>Runs <span className="muted">({backfill.runCount})</span></h2>
        <table className="history" data-testid="backfill-runs">
          <thead><tr><th>Run</th><th>Status</th><th>Partitions</th><th>Created</th></tr></thead>
          <tbody>
            {detail.runs.map((run) => (
              <tr key={run.runId}>
                <td><a href={runPath(run.runId)} onClick={(event) => navigate(runPath(run.runId), event)}>{shortId(run.runId)}</a></td>
                <td><span className={`badge run-${run.status}`}>{run.status}</span></td>
                <td className="wrap">{run.partition}</td>
                <td>{dateTime(run.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  )
}
