/**
 * The lineage of one asset laid out on its own: the assets `up` levels
 * upstream and `down` levels downstream (`2+key+1`, or `*key*` for all), as a
 * small graph of readable cards.
 */
import { useEffect, useMemo, useState } from "preact/hooks"
import type { Models } from "./api.ts"
import { api } from "./api.ts"
import { Graph } from "./Graph.tsx"
import { assetPath, navigate } from "./router.ts"

/** A key as a selection term: quoted when it holds characters the selection syntax gives a meaning. */
export const keyTerm = (key: string): string => /^[A-Za-z0-9_./-]+$/.test(key) ? key : JSON.stringify(key)

export const lineageSelection = (key: string, up: number | "all", down: number | "all"): string => {
  const term = keyTerm(key)
  const before = up === "all" ? "*" : up === 0 ? "" : `${up}+`
  const after = down === "all" ? "*" : down === 0 ? "" : `+${down}`
  return `${before}${term}${after}`
}

const depths: ReadonlyArray<number | "all"> = [0, 1, 2, 3, 5, "all"]

export const Lineage = ({ assetKey }: { readonly assetKey: string }) => {
  const [up, setUp] = useState<number | "all">(2)
  const [down, setDown] = useState<number | "all">(1)
  const [assets, setAssets] = useState<ReadonlyArray<Models.AssetNode> | undefined>()
  const [error, setError] = useState<string | undefined>()
  const selection = lineageSelection(assetKey, up, down)
  useEffect(() => {
    let live = true
    api.assets(selection).then((list) => live && setAssets(list.assets), (failure: unknown) =>
      live && setError(failure instanceof Error ? failure.message : String(failure)))
    return () => {
      live = false
    }
  }, [selection])
  const self = useMemo(() => new Set([assetKey]), [assetKey])
  const choose = (label: string, value: number | "all", set: (value: number | "all") => void) => (
    <label>
      {label}{" "}
      <select value={String(value)} onChange={(event) => set(event.currentTarget.value === "all" ? "all" : Number(event.currentTarget.value))}>
        {depths.map((depth) => <option key={String(depth)} value={String(depth)}>{depth === "all" ? "all" : depth}</option>)}
      </select>
    </label>
  )
  return (
    <section className="lineage" data-testid="lineage">
      <div className="lineage-bar">
        {choose("Upstream levels", up, setUp)}
        {choose("Downstream levels", down, setDown)}
        <code className="muted">{selection}</code>
        <span className="muted">{assets === undefined ? "…" : `${assets.length} assets`}</span>
        <a href={`/?select=${encodeURIComponent(selection)}`} onClick={(event) => navigate(`/?select=${encodeURIComponent(selection)}`, event)}>
          highlight in the full graph
        </a>
      </div>
      {error !== undefined ? <div className="error" role="alert">{error}</div> : null}
      <div className="lineage-graph">
        {assets === undefined
          ? <div className="loading">Loading the lineage…</div>
          : <Graph assets={assets} selected={self} highlighted={undefined} onOpen={(key) => navigate(assetPath(key))} onToggle={() => undefined} />}
      </div>
    </section>
  )
}
