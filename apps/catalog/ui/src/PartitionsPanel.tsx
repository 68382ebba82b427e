/**
 * A partitioned asset's partitions: the bar with its counts (on the asset
 * page's overview and its Partitions tab), why the stale ones are stale, the
 * ranges of each state page by page (stale ones with their reasons), and
 * launching a backfill of the missing (and failed) partitions, of the stale
 * ones (a rebuild), of one range, or of a typed selection (`A...B,C`).
 */
import { useCallback, useEffect, useState } from "preact/hooks"
import { ApiFailure } from "./api.ts"
import { useLiveRefresh } from "./live.ts"
import { PartitionBar, PartitionLegend } from "./PartitionBar.tsx"
import type { PartitionModels } from "./partitionsApi.ts"
import { backfillPath, partitionsApi } from "./partitionsApi.ts"
import { navigate } from "./router.ts"

/** The asset's partitions (refreshed while runs go), or `undefined` while loading and for an unpartitioned asset. */
export const usePartitions = (assetKey: string): PartitionModels.AssetPartitions | undefined => {
  const [data, setData] = useState<PartitionModels.AssetPartitions | undefined>()
  const load = useCallback(() => {
    partitionsApi.asset(assetKey, 1000).then(setData, (failure: unknown) => {
      if (failure instanceof ApiFailure && failure.status === 400) setData(undefined)
    })
  }, [assetKey])
  useEffect(() => {
    setData(undefined)
    load()
  }, [load])
  useLiveRefresh(load)
  return data
}

export const PartitionSummary = ({ data }: { readonly data: PartitionModels.AssetPartitions }) => (
  <section data-testid="partition-summary">
    <h2>Partitions <span className="muted">{data.definition}</span></h2>
    <PartitionLegend counts={data.counts} />
    <PartitionBar data={data.buckets} />
    {data.firstKey !== undefined ? <div className="partition-ends muted"><span>{data.firstKey}</span><span>{data.lastKey}</span></div> : null}
    {data.staleReasons.length > 0
      ? (
        <ul className="stale-reasons" data-testid="partition-stale-reasons">
          {data.staleReasons.map((reason) => (
            <li key={`${reason.type} ${reason.upstream ?? ""}`}>
              <b>{reason.count.toLocaleString()}</b> stale: {reason.description}{" "}
              <span className="muted" title={reason.partitions}>({reason.partitions.length > 120 ? `${reason.partitions.slice(0, 120)}…` : reason.partitions})</span>
            </li>
          ))}
        </ul>
      )
      : null}
  </section>
)

const states: ReadonlyArray<readonly [PartitionModels.PartitionState, string, "missing" | "stale" | "failed" | "materialized" | "inProgress"]> = [
  ["missing", "Missing", "missing"],
  ["stale", "Stale", "stale"],
  ["failed", "Failed", "failed"],
  ["in-progress", "In progress", "inProgress"],
  ["materialized", "Materialized", "materialized"]
]
const PAGE = 100
const selectionOf = (range: PartitionModels.PartitionRange) => range.count === 1 ? range.first : `${range.first}...${range.last}`

const RangeList = ({ assetKey, state, total, onLaunch }: {
  readonly assetKey: string
  readonly state: PartitionModels.PartitionState
  readonly total: number
  readonly onLaunch: (partitions: string, rebuild?: boolean) => void
}) => {
  const [offset, setOffset] = useState(0)
  const [page, setPage] = useState<PartitionModels.PartitionRanges | undefined>()
  useEffect(() => {
    // an answer to an earlier request (another page) that arrives late is dropped
    let current = true
    partitionsApi.ranges(assetKey, state, offset, PAGE).then((answer) => current && setPage(answer), () => undefined)
    return () => {
      current = false
    }
  }, [assetKey, state, offset, total])
  if (page === undefined || page.state !== state) return <p className="muted">Loading…</p>
  if (page.total === 0) return <p className="muted" data-testid="no-ranges">No {state} partitions.</p>
  return (
    <>
      <table className="history" data-testid="partition-ranges">
        <thead><tr><th>From</th><th>To</th><th>Partitions</th>{state === "stale" ? <th>Why</th> : null}<th /></tr></thead>
        <tbody>
          {page.ranges.map((range) => (
            <tr key={range.start}>
              <td>{range.first}</td>
              <td>{range.last}</td>
              <td>{range.count.toLocaleString()}</td>
              {state === "stale" ? <td className="wrap">{(range.reasons ?? []).join("; ")}</td> : null}
              <td>
                {state === "missing" || state === "failed" ? <button onClick={() => onLaunch(selectionOf(range))}>Materialize</button> : null}
                {state === "stale" ? <button onClick={() => onLaunch(selectionOf(range), true)}>Rebuild</button> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="toolbar">
        <span className="muted" data-testid="range-page">
          Ranges {(offset + 1).toLocaleString()}–{(offset + page.ranges.length).toLocaleString()} of {page.total.toLocaleString()}
        </span>
        <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>Previous</button>
        <button disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>Next</button>
      </div>
    </>
  )
}

export const PartitionsPanel = ({ assetKey, data }: { readonly assetKey: string; readonly data: PartitionModels.AssetPartitions }) => {
  const [state, setState] = useState<PartitionModels.PartitionState>("missing")
  const [policy, setPolicy] = useState("single-run")
  const [typed, setTyped] = useState("")
  const [error, setError] = useState<string | undefined>()
  const launch = (partitions: string, rebuild = false, stale = false) => {
    setError(undefined)
    partitionsApi.launch(assetKey, partitions, policy, rebuild, stale).then(
      (backfill) => navigate(backfillPath(backfill.backfillId)),
      (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure))
    )
  }
  const notDone = data.counts.missing + data.counts.failed
  return (
    <section data-testid="partitions-panel">
      <PartitionSummary data={data} />
      <div className="toolbar partition-launch">
        <label>
          Runs{" "}
          <select value={policy} onChange={(event) => setPolicy(event.currentTarget.value)} data-testid="backfill-policy">
            <option value="single-run">one run for all</option>
            <option value="max-per-run=24">24 partitions per run</option>
            <option value="per-partition">one run per partition</option>
          </select>
        </label>
        <button
          className="primary"
          disabled={notDone === 0 || data.firstKey === undefined}
          onClick={() => launch(`${data.firstKey}...${data.lastKey}`)}
        >
          Materialize missing and failed ({notDone.toLocaleString()})
        </button>
        <button
          disabled={data.counts.stale === 0 || data.firstKey === undefined}
          onClick={() => launch(`${data.firstKey}...${data.lastKey}`, true, true)}
        >
          Backfill stale ({data.counts.stale.toLocaleString()})
        </button>
        <input placeholder="2024-01-01...2024-01-31,2024-02-03" value={typed} onInput={(event) => setTyped(event.currentTarget.value)} aria-label="partitions to materialize" />
        <button disabled={typed.trim() === ""} onClick={() => launch(typed.trim())}>Materialize these partitions</button>
      </div>
      <p className="muted">A backfill runs only the partitions of the range not materialized yet; "Backfill stale" and "Rebuild" run materialized partitions again.</p>
      {error !== undefined ? <div className="error" role="alert">{error}</div> : null}
      <div className="tabs" role="tablist">
        {states.map(([value, label, field]) => (
          <button key={value} role="tab" aria-selected={state === value} className={state === value ? "on" : ""} onClick={() => setState(value)}>
            {label} ({data.rangeCounts[field].toLocaleString()} ranges)
          </button>
        ))}
      </div>
      <RangeList key={state} assetKey={assetKey} state={state} total={data.counts[states.find(([value]) => value === state)![2]]} onLaunch={launch} />
    </section>
  )
}
