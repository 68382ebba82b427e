/**
 * An asset's checks (latest result per check and partition, recent history)
 * and its freshness, on the asset page. Fetches its own data
 * (`GET /api/asset/checks`) and refreshes with the page.
 */
import { useCallback, useEffect, useState } from "preact/hooks"
import type { CheckModels } from "./api.ts"
import { api } from "./api.ts"
import { dateTime, relativeTime, shortId } from "./format.ts"
import { useLiveRefresh } from "./live.ts"
import { navigate, runPath } from "./router.ts"

type Result = CheckModels.CheckResult

const verdict = (result: Result | undefined): { readonly label: string; readonly className: string } =>
  result === undefined
    ? { label: "not run", className: "muted" }
    : result.passed
    ? { label: "passed", className: "check-passed" }
    : result.severity === "error"
    ? { label: "failed", className: "check-failed" }
    : { label: "warning", className: "check-warning" }

const RunLink = ({ runId }: { readonly runId: string }) => (
  <a href={runPath(runId)} onClick={(event) => navigate(runPath(runId), event)}>{shortId(runId)}</a>
)

export const ChecksPanel = ({ assetKey }: { readonly assetKey: string }) => {
  const [data, setData] = useState<CheckModels.AssetChecks | undefined>()
  const load = useCallback(() => {
    api.checks(assetKey).then(setData, () => undefined)
  }, [assetKey])
  useEffect(() => {
    setData(undefined)
    load()
  }, [load])
  useLiveRefresh(load)
  if (data === undefined || (data.checks.length === 0 && data.freshness === undefined)) return null
  const now = Date.now()
  return (
    <section data-testid="asset-checks">
      {data.freshness !== undefined
        ? (
          <p data-testid="freshness" className={data.freshness.status === "fresh" ? "check-passed" : "check-failed"}>
            <strong>{data.freshness.status === "fresh" ? "On time" : "Late"}</strong> ({data.freshness.policy}): {data.freshness.reason}
          </p>
        )
        : null}
      {data.checks.length > 0
        ? (
          <>
            <h2>Checks</h2>
            <table className="history">
              <thead>
                <tr><th>Result</th><th>Check</th><th>Severity</th><th>When</th><th>Run</th><th>Message</th></tr>
              </thead>
              <tbody>
                {data.checks.flatMap((check) => {
                  const rows = check.latest.length === 0 ? [undefined] : check.latest
                  return rows.map((result) => {
                    const v = verdict(result)
                    return (
                      <tr key={`${check.name}/${result?.partition ?? ""}`} data-testid={`check-${check.name}`} title={check.description}>
                        <td className={v.className}>{v.label}</td>
                        <td>{check.name}{result?.partition === undefined ? "" : ` [${result.partition}]`}</td>
                        <td>{check.severity}{check.blocking ? " (blocking)" : ""}</td>
                        <td title={result === undefined ? undefined : dateTime(result.timestamp)}>
                          {result === undefined ? "-" : relativeTime(result.timestamp, now)}
                        </td>
                        <td>{result === undefined ? "-" : <RunLink runId={result.runId} />}</td>
                        <td>{result?.message ?? ""}</td>
                      </tr>
                    )
                  })
                })}
              </tbody>
            </table>
            <details>
              <summary>History</summary>
              <table className="history">
                <tbody>
                  {data.checks.flatMap((check) =>
                    check.history.map((result) => (
                      <tr key={result.eventId}>
                        <td className={verdict(result).className}>{verdict(result).label}</td>
                        <td>{check.name}</td>
                        <td>{dateTime(result.timestamp)}</td>
                        <td><RunLink runId={result.runId} /></td>
                        <td>{result.message ?? ""}</td>
                      </tr>
                    ))
                  )}
                </tbody>
              </table>
            </details>
          </>
        )
        : null}
    </section>
  )
}
