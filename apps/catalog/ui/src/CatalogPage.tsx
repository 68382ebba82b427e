/**
 * The asset catalog: every asset in a virtualized, sortable table with a
 * typeahead search over keys, descriptions, groups, owners and tags, and
 * filters (status chips; `group:`, `kind:`, `owner:`, `tag:` words in the
 * search box). Rows come from the server a page at a time
 * (`GET /api/assets/page`) as they scroll into view, so 50,000 assets cost
 * the page only the rows on screen.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks"
import type { Models } from "./api.ts"
import { api } from "./api.ts"
import { relativeTime } from "./format.ts"
import { useLiveRefresh } from "./live.ts"
import { assetPath, navigate } from "./router.ts"
import { CheckBadge, useCheckSummary } from "./checkSummary.tsx"
import type {} from "./probes.ts"

const rowHeight = 34
const chunk = 200
const statuses: ReadonlyArray<Models.AssetStatus> = ["fresh", "stale", "missing", "failed", "check-failed", "running"]
type Sort = Models.AssetSort | undefined

/** Splits `group:silver kind:parquet users` into filters and the free text. */
export const parseSearch = (text: string) => {
  const filters: Record<string, string> = {}
  const words: Array<string> = []
  for (const word of text.trim().split(/\s+/)) {
    const match = /^(group|kind|owner|tag|status):(.+)$/.exec(word)
    if (match !== null) filters[match[1]!] = match[2]!
    else if (word !== "") words.push(word)
  }
  return { q: words.join(" "), filters }
}

interface Result {
  readonly query: string
  readonly total: number
  readonly counts: Readonly<Record<string, number>>
  readonly rows: Array<Models.AssetNode | undefined>
}

export const CatalogPage = () => {
  const [text, setText] = useState(() => new URLSearchParams(window.location.search).get("q") ?? "")
  const [status, setStatus] = useState<ReadonlySet<string>>(new Set())
  const [sort, setSort] = useState<Sort>(undefined)
  const [order, setOrder] = useState<"asc" | "desc">("asc")
  const [result, setResult] = useState<Result | undefined>()
  const [error, setError] = useState<string | undefined>()
  const [range, setRange] = useState({ first: 0, last: 40 })
  const scrollRef = useRef<HTMLDivElement>(null)
  const searchRef = useRef<HTMLInputElement>(null)
  // the search box takes the keyboard when the page opens (the `autofocus` attribute works once per document)
  useEffect(() => searchRef.current?.focus(), [])
  /** Identifies the current query; answers to older ones are dropped. */
  const generation = useRef(0)
  const loading = useRef(new Set<number>())
  const typedAt = useRef(performance.now())
  const checks = useCheckSummary()

  const queryOf = useCallback((offset: number, limit: number) => {
    const { q, filters } = parseSearch(text)
    const statusFilter = [...status, ...(filters["status"] === undefined ? [] : [filters["status"]])].join(",")
    return { q, ...filters, status: statusFilter, sort, order: sort === undefined ? undefined : order, offset, limit }
  }, [text, status, sort, order])

  const fetchChunk = useCallback((start: number, id: number, query: string) => {
    if (loading.current.has(start)) return
    loading.current.add(start)
    api.assetPage(queryOf(start, chunk)).then((page) => {
      loading.current.delete(start)
      if (id !== generation.current) return
      setResult((previous) => {
        const rows = previous !== undefined && previous.query === query ? previous.rows.slice() : new Array(page.total)
        rows.length = page.total
        for (let i = 0; i < page.assets.length; i++) rows[start + i] = page.assets[i]
        return { query, total: page.total, counts: page.counts, rows }
      })
      setError(undefined)
    }, (failure: unknown) => {
      loading.current.delete(start)
      setError(failure instanceof Error ? failure.message : String(failure))
    })
  }, [queryOf])

  const queryKey = JSON.stringify(queryOf(0, 0))
  // a new search, filter or sort: start again from the top
  useEffect(() => {
    const id = ++generation.current
    loading.current = new Set()
    typedAt.current = performance.now()
    fetchChunk(0, id, queryKey)
    const url = text.trim() === "" ? "/catalog" : `/catalog?q=${encodeURIComponent(text)}`
    if (window.location.pathname === "/catalog") window.history.replaceState(null, "", url)
    scrollRef.current?.scrollTo({ top: 0 })
  }, [queryKey]) // eslint-disable-line react-hooks/exhaustive-deps

  // rows scrolled into view that are not loaded yet
  useEffect(() => {
    if (result === undefined || result.query !== queryKey) return
    for (let start = Math.floor(range.first / chunk) * chunk; start <= range.last; start += chunk) {
      if (start < result.total && result.rows[start] === undefined) fetchChunk(start, generation.current, queryKey)
    }
  }, [range, result, queryKey, fetchChunk])

  // statuses change while runs go: reload the chunks in view
  useLiveRefresh(useCallback(() => {
    const id = ++generation.current
    loading.current = new Set()
    for (let start = Math.floor(range.first / chunk) * chunk; start <= range.last; start += chunk) fetchChunk(start, id, queryKey)
  }, [range, queryKey, fetchChunk]))

  useLayoutEffect(() => {
    if (result === undefined || result.query !== queryKey) return
    window.__strataCatalog = { query: text, startedAt: typedAt.current, renderedAt: performance.now(), total: result.total }
  }, [result]) // eslint-disable-line react-hooks/exhaustive-deps

  const onScroll = () => {
    const element = scrollRef.current
    if (element === null) return
    const first = Math.floor(element.scrollTop / rowHeight)
    const last = first + Math.ceil(element.clientHeight / rowHeight) + 1
    if (first !== range.first || last !== range.last) setRange({ first, last })
  }
  useEffect(onScroll, []) // eslint-disable-line react-hooks/exhaustive-deps

  const header = (label: string, value: Sort) => (
    <button
      type="button"
      className={`th${sort === value ? " sorted" : ""}`}
      onClick={() => {
        if (sort === value) setOrder(order === "asc" ? "desc" : "asc")
        else {
          setSort(value)
          setOrder(value === "lastMaterializedAt" ? "desc" : "asc")
        }
      }}
    >
      {label}
      {sort === value ? (order === "asc" ? " ▲" : " ▼") : ""}
    </button>
  )

  const visible: Array<number> = []
  if (result !== undefined) {
    for (let i = Math.max(0, range.first - 5); i < Math.min(result.total, range.last + 5); i++) visible.push(i)
  }
  const now = Date.now()
  const current = result?.query === queryKey ? result : undefined
  return (
    <div className="catalog-page">
      <div className="toolbar">
        <form
          className="selection"
          onSubmit={(event) => {
            event.preventDefault()
            const first = current?.rows[0]
            if (first !== undefined) navigate(assetPath(first.key))
          }}
        >
          <input
            name="search"
            type="search"
            ref={searchRef}
            placeholder="Search keys, descriptions, groups, owners, tags · group:silver kind:parquet owner:ana tag:tier=gold"
            value={text}
            spellcheck={false}
            onInput={(event) => setText(event.currentTarget.value)}
          />
        </form>
        <div className="legend">
          {statuses.map((s) => (
            <label key={s} className={`chip${status.has(s) ? " on" : ""}`}>
              <input
                type="checkbox"
                checked={status.has(s)}
                onChange={() => {
                  const next = new Set(status)
                  if (next.has(s)) next.delete(s)
                  else next.add(s)
                  setStatus(next)
                }}
              />
              <span className={`dot status-${s}`} /> {s} {current?.counts[s] ?? 0}
            </label>
          ))}
        </div>
        <span className="muted" data-testid="catalog-total">
          {current === undefined ? "…" : `${current.total.toLocaleString("en")} assets`}
        </span>
      </div>
      {error !== undefined ? <div className="error" role="alert">{error}</div> : null}
      <div className="catalog-table" role="table" aria-rowcount={current?.total ?? 0}>
        <div className="catalog-row catalog-head" role="row">
          {header("Key", "key")}
          {header("Group", "group")}
          <span className="th">Kinds</span>
          <span className="th">Owners</span>
          {header("Status", "status")}
          <span className="th">Checks</span>
          {header("Last materialized", "lastMaterializedAt")}
        </div>
        <div className="catalog-scroll" ref={scrollRef} onScroll={onScroll} data-testid="catalog-scroll">
          <div style={{ height: `${(current?.total ?? 0) * rowHeight}px`, position: "relative" }}>
            {current === undefined ? null : visible.map((i) => {
              const node = current.rows[i]
              return (
                <div key={i} className="catalog-row" role="row" style={{ transform: `translateY(${i * rowHeight}px)` }} data-row={i}>
                  {node === undefined
                    ? <span className="muted">…</span>
                    : (
                      <>
                        <a
                          className="cell key"
                          href={assetPath(node.key)}
                          title={node.description === undefined ? node.key : `${node.key}\n${node.description}`}
                          onClick={(event) => navigate(assetPath(node.key), event)}
                          data-key={node.key}
                        >
                          {node.key}
                        </a>
                        <span className="cell">{node.group}</span>
                        <span className="cell">{node.kinds.join(", ")}</span>
                        <span className="cell">{node.owners.join(", ")}</span>
                        <span className="cell"><span className={`badge status-${node.status}`}>{node.status}</span></span>
                        <span className="cell" data-testid="checks-cell"><CheckBadge summary={checks.get(node.key)} /></span>
                        <span className="cell">
                          {node.lastMaterializedAt === undefined ? "never" : relativeTime(node.lastMaterializedAt, now)}
                        </span>
                      </>
                    )}
                </div>
              )
            })}
          </div>
        </div>
      </div>
    </div>
  )
}
