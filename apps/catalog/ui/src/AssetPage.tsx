import { useCallback, useEffect, useState } from "preact/hooks"
import type { Models } from "./api.ts"
import { api } from "./api.ts"
import { AssetAutomationPanel } from "./AutomationPanel.tsx"
import { ChecksPanel } from "./ChecksPanel.tsx"
import { PartitionsPanel, PartitionSummary, usePartitions } from "./PartitionsPanel.tsx"
import { Lineage } from "./Lineage.tsx"
import { MetadataCharts, MetadataTable } from "./Metadata.tsx"
import { dateTime, relativeTime, shortId } from "./format.ts"
import { useLiveRefresh } from "./live.ts"
import { assetPath, navigate, runPath } from "./router.ts"

/**
 * An asset's upstream, downstream or affected assets: the first 100 as the answer lists them (the server's
 * default: a layer-3 asset of a 50,000-asset graph affects ~6,000 others, 417 KB of refs), all of them on
 * "Show all", asked for then.
 */
const Refs = ({ title, refs, count, all }: {
  readonly title: string
  readonly refs: ReadonlyArray<Models.AssetRef>
  readonly count: number
  readonly all: () => Promise<ReadonlyArray<Models.AssetRef>>
}) => {
  const [full, setFull] = useState<ReadonlyArray<Models.AssetRef> | undefined>()
  const [loading, setLoading] = useState(false)
  const shown = full ?? refs
  const showAll = () => {
    setLoading(true)
    all().then(setFull, () => undefined).finally(() => setLoading(false))
  }
  return (
    <section className="refs">
      <h3>{title} <span className="muted">({count.toLocaleString("en")})</span></h3>
      {count === 0 ? <p className="muted">None.</p> : null}
      <ul>
        {shown.map((ref) => (
          <li key={ref.key}>
            <span className={`dot status-${ref.status}`} title={ref.status} />
            <a href={assetPath(ref.key)} onClick={(event) => navigate(assetPath(ref.key), event)}>{ref.key}</a>
            {ref.kind === "external" ? <span className="tag external">external</span> : null}
            {ref.kind === "source" ? <span className="tag">source</span> : null}
          </li>
        ))}
      </ul>
      {shown.length < count
        ? (
          <button type="button" className="ghost" disabled={loading} onClick={showAll}>
            {loading ? "Loading…" : `Show all ${count.toLocaleString("en")}`}
          </button>
        )
        : null}
    </section>
  )
}

/** The side column's lists: the assets an asset reads, those that read it, and all it affects. */
const refLists: ReadonlyArray<{
  readonly title: string
  readonly refs: (detail: Models.AssetDetail) => ReadonlyArray<Models.AssetRef>
  readonly count: (detail: Models.AssetDetail) => number
}> = [
  { title: "Upstream", refs: (detail) => detail.upstream, count: (detail) => detail.upstreamCount },
  { title: "Downstream", refs: (detail) => detail.downstream, count: (detail) => detail.downstreamCount },
  { title: "Affected if it fails", refs: (detail) => detail.affected, count: (detail) => detail.affectedCount }
]

const SourceView = ({ source }: { readonly source: Models.SourceCode }) => {
  const lines = source.text.split("\n")
  return (
    <div className="source">
      <div className="source-file">{source.file}:{source.line}</div>
      <pre>
        {lines.map((line, index) => {
          const number = source.startLine + index
          return (
            <div key={number} className={number === source.line ? "line current" : "line"}>
              <span className="number">{number}</span>
              <span>{line}</span>
            </div>
          )
        })}
      </pre>
    </div>
  )
}

type Tab = "overview" | "lineage" | "checks" | "partitions" | "automation"
const tabOf = (value: string | null): Tab =>
  value === "lineage" || value === "checks" || value === "partitions" || value === "automation" ? value : "overview"

export const AssetPage = ({ assetKey }: { readonly assetKey: string }) => {
  const [detail, setDetail] = useState<Models.AssetDetail | undefined>()
  const [history, setHistory] = useState<Models.AssetHistory | undefined>()
  const [error, setError] = useState<string | undefined>()
  const [launchError, setLaunchError] = useState<string | undefined>()
  const partitions = usePartitions(assetKey)
  const [tab, setTab] = useState<Tab>(() => tabOf(new URLSearchParams(window.location.search).get("tab")))
  const showTab = (next: Tab) => {
    setTab(next)
    window.history.replaceState(null, "", next === "overview" ? window.location.pathname : `${window.location.pathname}?tab=${next}`)
  }

  const load = useCallback(() => {
    api.asset(assetKey).then((value) => {
      setDetail(value)
      setError(undefined)
    }, (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)))
    api.history(assetKey).then(setHistory, () => undefined)
  }, [assetKey])
  useEffect(() => {
    setDetail(undefined)
    setHistory(undefined)
    load()
  }, [load])
  useLiveRefresh(load)

  const materialize = async (selection: string) => {
    try {
      const launched = await api.launch(selection)
      navigate(runPath(launched.runId))
    } catch (failure) {
      setLaunchError(failure instanceof Error ? failure.message : String(failure))
    }
  }

  if (error !== undefined) return <div className="page"><div className="error" role="alert">{error}</div></div>
  if (detail === undefined) return <div className="page loading">Loading {assetKey}…</div>
  const node = detail.node
  const now = Date.now()
  return (
    <div className="page asset-page">
      <div className="page-head">
        <div>
          <div className="crumbs">
            <a href="/" onClick={(event) => navigate("/", event)}>Assets</a> / {node.group}
          </div>
          <h1>
            {node.key} <span className={`badge status-${node.status}`} data-testid="asset-status">{node.status}</span>
            {node.kind !== "asset" ? <span className="tag external">{node.kind}</span> : null}
          </h1>
          {node.description !== undefined ? <p className="description">{node.description}</p> : null}
        </div>
        {node.kind === "asset"
          ? (
            <div className="actions">
              <button className="primary" onClick={() => void materialize(node.key)}>Materialize</button>
              <button onClick={() => void materialize(`*${node.key}`)}>Materialize with upstream</button>
              {detail.downstream.some((ref) => ref.kind === "asset")
                ? <button onClick={() => void materialize(`${node.key}*`)}>Materialize with downstream</button>
                : null}
            </div>
          )
          : node.kind === "source"
          ? (
            <div className="actions">
              <button className="primary" onClick={() => void materialize(node.key)}>Observe</button>
            </div>
          )
          : null}
      </div>
      {launchError !== undefined ? <div className="error" role="alert">{launchError}</div> : null}
      <div className="tabs" role="tablist">
        <button role="tab" aria-selected={tab === "overview"} className={tab === "overview" ? "on" : ""} onClick={() => showTab("overview")}>
          Overview
        </button>
        <button role="tab" aria-selected={tab === "lineage"} className={tab === "lineage" ? "on" : ""} onClick={() => showTab("lineage")}>
          Lineage
        </button>
        {node.kind === "asset"
          ? (
            <button role="tab" aria-selected={tab === "checks"} className={tab === "checks" ? "on" : ""} onClick={() => showTab("checks")}>
              Checks
            </button>
          )
          : null}
        {partitions !== undefined
          ? <button role="tab" aria-selected={tab === "partitions"} className={tab === "partitions" ? "on" : ""} onClick={() => showTab("partitions")}>Partitions</button>
          : null}
        {node.kind === "asset"
          ? <button role="tab" aria-selected={tab === "automation"} className={tab === "automation" ? "on" : ""} onClick={() => showTab("automation")}>Automation</button>
          : null}
      </div>
      {tab === "partitions" && partitions !== undefined ? <PartitionsPanel assetKey={assetKey} data={partitions} /> : null}
      {tab === "automation" ? <AssetAutomationPanel assetKey={assetKey} /> : null}
      {tab === "overview" && partitions !== undefined ? <PartitionSummary data={partitions} /> : null}
      {tab === "lineage" ? <Lineage assetKey={node.key} /> : null}
      {tab === "checks" ? <ChecksPanel assetKey={assetKey} /> : null}
      <div hidden={tab !== "overview"}>
      <div className="facts">
        <div><span className="label">Group</span>{node.group}</div>
        <div><span className="label">Kinds</span>{node.kinds.length > 0 ? node.kinds.map((k) => <span key={k} className="tag">{k}</span>) : "—"}</div>
        <div><span className="label">Owners</span>{node.owners.length > 0 ? node.owners.join(", ") : "—"}</div>
        <div>
          <span className="label">Tags</span>
          {Object.keys(node.tags).length > 0
            ? Object.entries(node.tags).map(([k, v]) => <span key={k} className="tag">{k}={v}</span>)
            : "—"}
        </div>
        <div>
          <span className="label">I/O manager</span>
          <code>{detail.io}</code>
          {detail.ioName !== undefined ? <span className="io-name">{detail.ioName}</span> : null}
        </div>
        <div><span className="label">Code version</span><code>{detail.codeVersion ?? detail.currentCodeVersion ?? "—"}</code></div>
      </div>
      {node.reasons.length > 0
        ? (
          <section className="reasons" data-testid="stale-reasons">
            <h3>
              {node.reasons[0]!.type === "never-materialized" || node.reasons[0]!.type === "never-observed"
                ? "Why it is missing"
                : "Why it is stale"}
            </h3>
            <ul>
              {node.reasons.map((reason, index) => (
                <li key={index}>
                  {reason.text}
                  {reason.upstream !== undefined
                    ? (
                      <>
                        {" "}·{" "}
                        <a href={assetPath(reason.upstream)} onClick={(event) => navigate(assetPath(reason.upstream!), event)}>
                          open {reason.upstream}
                        </a>
                      </>
                    )
                    : null}
                </li>
              ))}
            </ul>
          </section>
        )
        : null}
      {detail.failure !== undefined
        ? (
          <section className="failure" data-testid="asset-failure">
            <h3>
              Latest step failed {relativeTime(detail.failure.timestamp, now)} in run{" "}
              <a href={runPath(detail.failure.runId)} onClick={(event) => navigate(runPath(detail.failure!.runId), event)}>
                {shortId(detail.failure.runId)}
              </a>
            </h3>
            <p><strong>{detail.failure.error.tag}</strong>: {detail.failure.error.message}</p>
            {detail.failure.error.stack !== undefined ? <pre className="stack">{detail.failure.error.stack}</pre> : null}
          </section>
        )
        : null}
      <div className="columns">
        <div className="main-column">
          <section>
            <h2>Latest materialization</h2>
            {detail.latest === undefined
              ? <p className="muted">Never materialized.</p>
              : (
                <div data-testid="latest-materialization">
                  <p>
                    {dateTime(detail.latest.timestamp)} ({relativeTime(detail.latest.timestamp, now)}) in run{" "}
                    <a href={runPath(detail.latest.runId)} onClick={(event) => navigate(runPath(detail.latest!.runId), event)}>
                      {shortId(detail.latest.runId)}
                    </a>{" "}
                    · data version <code>{detail.latest.dataVersion}</code>
                  </p>
                  <MetadataTable metadata={detail.latest.metadata} testId="latest-metadata" />
                </div>
              )}
            {detail.observation !== undefined
              ? (
                <>
                  <h3>Latest observation</h3>
                  <p>{dateTime(detail.observation.timestamp)} · data version <code>{detail.observation.dataVersion}</code></p>
                  <MetadataTable metadata={detail.observation.metadata} testId="observation-metadata" />
                </>
              )
              : null}
          </section>
          {detail.partitions !== undefined
            ? (
              <section data-testid="partitions">
                <h2>Partitions <span className="muted">({detail.partitions.count} materialized)</span></h2>
                <table className="history">
                  <thead>
                    <tr><th>Partition</th><th>When</th><th>Run</th><th>Data version</th></tr>
                  </thead>
                  <tbody>
                    {detail.partitions.latest.map((p) => (
                      <tr key={p.partition}>
                        <td><code>{p.partition}</code></td>
                        <td>{dateTime(p.timestamp)}</td>
                        <td><a href={runPath(p.runId)} onClick={(event) => navigate(runPath(p.runId), event)}>{shortId(p.runId)}</a></td>
                        <td><code>{p.dataVersion}</code></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
            )
            : null}
          <section>
            <h2>Metadata over time</h2>
            <MetadataCharts history={history} />
            {history !== undefined && history.materializations.length > 0
              ? (
                <details>
                  <summary>{history.materializations.length} materializations</summary>
                  <table className="history">
                    <thead>
                      <tr><th>When</th><th>Run</th><th>Data version</th><th>Metadata</th></tr>
                    </thead>
                    <tbody>
                      {history.materializations.map((m) => (
                        <tr key={m.eventId}>
                          <td>{dateTime(m.timestamp)}</td>
                          <td><a href={runPath(m.runId)} onClick={(event) => navigate(runPath(m.runId), event)}>{shortId(m.runId)}</a></td>
                          <td><code>{m.dataVersion}</code></td>
                          <td className="wrap"><code>{JSON.stringify(m.metadata).slice(0, 400)}</code></td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </details>
              )
              : null}
          </section>
          <section>
            <h2>Definition</h2>
            {detail.source !== undefined
              ? <SourceView source={detail.source} />
              : <p className="muted">{detail.sourceError ?? "No source."}</p>}
            {Object.keys(detail.metadata).length > 0
              ? (
                <>
                  <h3>Definition metadata</h3>
                  <MetadataTable metadata={detail.metadata} testId="definition-metadata" />
                </>
              )
              : null}
          </section>
        </div>
        <aside className="side-column">
          {refLists.map((list) => (
            <Refs
              key={`${node.key} ${list.title}`}
              title={list.title}
              refs={list.refs(detail)}
              count={list.count(detail)}
              all={() => api.asset(assetKey, list.count(detail)).then(list.refs)}
            />
          ))}
        </aside>
      </div>
      </div>
    </div>
  )
}
