/**
 * Why automation did or did not request an asset: an evaluation's condition
 * tree (each operand true or false, with the upstreams that matched and, for
 * a partitioned asset, the partitions it holds for), and an
 * asset's recent evaluations (the asset page's Automation tab).
 */
import { useCallback, useEffect, useState } from "preact/hooks"
import type { Models } from "./api.ts"
import { dateTime } from "./format.ts"
import { useLiveRefresh } from "./live.ts"
import { automationApi } from "./partitionsApi.ts"

export const ConditionTree = ({ result }: { readonly result: Models.ConditionResult }) => (
  <ul className="condition-tree">
    <li>
      <span className={result.value ? "operand-true" : "operand-false"} data-value={String(result.value)}>
        {result.value ? "✓" : "✗"} {result.label}
      </span>
      {result.partitions !== undefined
        ? (
          <span className="muted" data-testid="operand-partitions">
            {" "}· {result.partitions.count} of {result.partitions.total} partitions{result.partitions.count > 0 ? `: ${result.partitions.text}` : ""}
          </span>
        )
        : null}
      {result.matched !== undefined && result.matched.length > 0 ? <span className="muted"> · matched {result.matched.join(", ")}</span> : null}
      {result.unmatched !== undefined && result.unmatched.length > 0 ? <span className="muted"> · not {result.unmatched.join(", ")}</span> : null}
      {result.children?.map((child, i) => <ConditionTree key={i} result={child} />)}
    </li>
  </ul>
)

export const Evaluation = ({ evaluation }: { readonly evaluation: Models.AssetAutomation["evaluations"][number] }) => (
  <div className="evaluation" data-testid="evaluation">
    <div>
      <span className={evaluation.requested ? "badge run-succeeded" : "badge run-queued"}>{evaluation.requested ? "requested" : "not requested"}</span>{" "}
      <span className="muted">{dateTime(evaluation.at)} · tick {evaluation.tickId}</span>
    </div>
    <ConditionTree result={evaluation.result} />
  </div>
)

export const AssetAutomationPanel = ({ assetKey }: { readonly assetKey: string }) => {
  const [data, setData] = useState<Models.AssetAutomation | undefined>()
  const [error, setError] = useState<string | undefined>()
  const load = useCallback(() => {
    automationApi.asset(assetKey).then(setData, (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)))
  }, [assetKey])
  useEffect(load, [load])
  useLiveRefresh(load)
  if (error !== undefined) return <div className="error" role="alert">{error}</div>
  if (data === undefined) return <p className="muted">Loading…</p>
  if (!data.hasCondition) return <p className="muted" data-testid="asset-automation">This asset has no automation condition.</p>
  return (
    <section data-testid="asset-automation">
      <p>
        Automation is <b>{data.enabled ? "on" : "off"}</b> for this asset.{" "}
        <button onClick={() => automationApi.toggle(`asset/${assetKey}`, !data.enabled).then(load, () => undefined)}>
          Turn {data.enabled ? "off" : "on"}
        </button>
      </p>
      {data.evaluations.length === 0 ? <p className="muted">Not evaluated yet: the daemon (`strata dev` or `strata daemon`) evaluates it.</p> : null}
      {data.evaluations.map((evaluation) => <Evaluation key={evaluation.tickId} evaluation={evaluation} />)}
    </section>
  )
}
