/**
 * Check status at a glance: `GET /api/checks/summary` (every asset that has
 * checks, with its latest results counted), followed while runs go, and the
 * badge the catalog table and the graph's cards show for it.
 */
import { useCallback, useEffect, useState } from "preact/hooks"
import { CheckModels, paths } from "@strata/protocol"
import { Schema } from "effect"
import { useLiveRefresh } from "./live.ts"

const decode = Schema.decodeUnknownSync(CheckModels.CheckSummary)

/** Summaries by asset key; empty until loaded (and for a project without checks). */
export const useCheckSummary = (): ReadonlyMap<string, CheckModels.AssetCheckSummary> => {
  const [summary, setSummary] = useState<ReadonlyMap<string, CheckModels.AssetCheckSummary>>(new Map())
  const load = useCallback(() => {
    fetch(paths.checkSummary)
      .then((response) => response.ok ? response.json() : Promise.reject(new Error(`${response.status}`)))
      .then((body) => setSummary(new Map(decode(body).assets.map((asset) => [asset.key, asset]))))
      // an older server, or one restarting: no badges until the next refresh
      .catch(() => undefined)
  }, [])
  useEffect(load, [load])
  useLiveRefresh(load)
  return summary
}

/** `✓ 3/3`, `✗ 1 failed`, `! 1 warning`, `… 2 pending`: the worst first; nothing for an asset without checks. */
export const CheckBadge = ({ summary }: { readonly summary: CheckModels.AssetCheckSummary | undefined }) => {
  if (summary === undefined) return null
  const [text, color, title] = summary.failed > 0
    ? [`✗ ${summary.failed} failed`, "#d64545", "a blocking check failed"]
    : summary.warned > 0
    ? [`! ${summary.warned} warning${summary.warned === 1 ? "" : "s"}`, "#b7791f", "a warn check failed"]
    : summary.pending > 0 && summary.passed === 0
    ? [`… ${summary.pending} not run`, "#8a93a6", "no result yet"]
    : [`✓ ${summary.passed}/${summary.checks}`, "#2e9d5b", "latest results passed"]
  return (
    <span className="check-badge" data-checks={summary.failed > 0 ? "failed" : summary.warned > 0 ? "warned" : summary.passed > 0 ? "passed" : "pending"}
      title={`${summary.checks} check${summary.checks === 1 ? "" : "s"}: ${title}`} style={{ color, fontWeight: 600, whiteSpace: "nowrap" }}>
      {text}
    </span>
  )
}
