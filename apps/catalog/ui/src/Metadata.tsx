/**
 * Metadata that stays readable whatever it holds: nested values as a
 * collapsible JSON tree, `schema`/`columns` entries as a column table, long
 * tables cut with a "show all", and the numeric series of the history picked
 * by the user (row count first by default).
 */
import { useMemo, useState } from "preact/hooks"
import type { Models } from "./api.ts"
import { Chart } from "./Chart.tsx"

const maxChildren = 100

/** A JSON value as a tree: scalars inline, objects and arrays as <details> (open at the first level). */
export const JsonTree = ({ value, depth = 0 }: { readonly value: unknown; readonly depth?: number }) => {
  if (value === null || typeof value !== "object") {
    return <span className={`json-${value === null ? "null" : typeof value}`}>{typeof value === "string" ? value : String(value)}</span>
  }
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((item, index) => [String(index), item])
    : Object.entries(value as Record<string, unknown>)
  const label = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`
  if (entries.length === 0) return <span className="muted">{Array.isArray(value) ? "[]" : "{}"}</span>
  return (
    <details className="json-tree" open={depth === 0}>
      <summary className="muted">{label}</summary>
      <ul>
        {entries.slice(0, maxChildren).map(([key, item]) => (
          <li key={key}>
            <span className="json-key">{key}</span>: <JsonTree value={item} depth={depth + 1} />
          </li>
        ))}
        {entries.length > maxChildren ? <li className="muted">… {entries.length - maxChildren} more</li> : null}
      </ul>
    </details>
  )
}

/** One column of a `schema`/`columns` entry, whatever the spelling of its fields. */
interface Column {
  readonly name: string
  readonly type?: unknown
  readonly nullable?: unknown
  readonly nullRate?: unknown
  readonly min?: unknown
  readonly max?: unknown
  readonly distinct?: unknown
}

const pick = (record: Record<string, unknown>, names: ReadonlyArray<string>): unknown => {
  for (const name of names) if (record[name] !== undefined) return record[name]
  return undefined
}

/**
 * The columns of a `schema`/`columns` metadata value: an array of objects with
 * a `name`, or an object from column name to a type or to an object.
 */
export const columnsOf = (value: unknown): ReadonlyArray<Column> | undefined => {
  const rows: Array<[string, unknown]> = []
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item !== "object" || item === null) return undefined
      const name = (item as Record<string, unknown>)["name"] ?? (item as Record<string, unknown>)["column"]
      if (typeof name !== "string") return undefined
      rows.push([name, item])
    }
  } else if (typeof value === "object" && value !== null) {
    rows.push(...Object.entries(value as Record<string, unknown>))
  } else {
    return undefined
  }
  if (rows.length === 0) return undefined
  return rows.map(([name, item]) => {
    if (typeof item !== "object" || item === null) return { name, type: item }
    const record = item as Record<string, unknown>
    return {
      name,
      type: pick(record, ["type", "dtype", "data_type"]),
      nullable: pick(record, ["nullable", "is_nullable"]),
      nullRate: pick(record, ["null_rate", "nullRate", "nulls"]),
      min: pick(record, ["min", "minimum"]),
      max: pick(record, ["max", "maximum"]),
      distinct: pick(record, ["distinct", "distinct_count", "n_distinct", "distinctCount"])
    }
  })
}

const isColumnsEntry = (name: string) => name === "schema" || name === "columns" || name.endsWith("_schema")

const cell = (value: unknown) =>
  value === undefined ? <span className="muted">—</span> : typeof value === "object" ? <JsonTree value={value} depth={1} /> : String(value)

export const ColumnTable = ({ columns }: { readonly columns: ReadonlyArray<Column> }) => (
  <div className="column-table-wrap">
    <table className="column-table" data-testid="column-table">
      <thead>
        <tr><th>Column</th><th>Type</th><th>Nullable</th><th>Null rate</th><th>Min</th><th>Max</th><th>Distinct</th></tr>
      </thead>
      <tbody>
        {columns.slice(0, 500).map((column) => (
          <tr key={column.name}>
            <td><code>{column.name}</code></td>
            <td>{cell(column.type)}</td>
            <td>{cell(column.nullable)}</td>
            <td>{typeof column.nullRate === "number" ? `${(column.nullRate * 100).toFixed(column.nullRate < 0.01 ? 2 : 1)}%` : cell(column.nullRate)}</td>
            <td>{cell(column.min)}</td>
            <td>{cell(column.max)}</td>
            <td>{cell(column.distinct)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
)

const rowsShown = 40

export const MetadataTable = ({ metadata, testId }: { readonly metadata: Models.Metadata; readonly testId: string }) => {
  const [all, setAll] = useState(false)
  const entries = Object.entries(metadata)
  if (entries.length === 0) return <p className="muted">No metadata.</p>
  const shown = all ? entries : entries.slice(0, rowsShown)
  return (
    <>
      <table className="metadata" data-testid={testId}>
        <tbody>
          {shown.map(([key, value]) => {
            const columns = isColumnsEntry(key) ? columnsOf(value) : undefined
            return (
              <tr key={key}>
                <th>{key}</th>
                <td data-metadata={key}>
                  {columns !== undefined
                    ? <ColumnTable columns={columns} />
                    : typeof value === "object" && value !== null
                    ? <JsonTree value={value} />
                    : String(value)}
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
      {entries.length > rowsShown
        ? <button className="ghost" onClick={() => setAll(!all)}>{all ? "Show fewer" : `Show all ${entries.length} entries`}</button>
        : null}
    </>
  )
}

export interface Point {
  readonly t: number
  readonly v: number
}

/**
 * Numeric series over the history: top-level numbers (`row_count`), and per
 * column of a `schema`/`columns` entry its null rate (`null rate · email`).
 */
export const seriesOf = (history: Models.AssetHistory | undefined): ReadonlyArray<readonly [string, ReadonlyArray<Point>]> => {
  const result = new Map<string, Array<Point>>()
  const add = (name: string, t: number, v: number) => {
    let list = result.get(name)
    if (list === undefined) result.set(name, list = [])
    list.push({ t, v })
  }
  for (const m of history?.materializations ?? []) {
    for (const [name, value] of Object.entries(m.metadata)) {
      if (typeof value === "number" && Number.isFinite(value)) add(name, m.timestamp, value)
      else if (isColumnsEntry(name)) {
        for (const column of columnsOf(value) ?? []) {
          if (typeof column.nullRate === "number") add(`null rate · ${column.name}`, m.timestamp, column.nullRate)
        }
      }
    }
  }
  return [...result.entries()]
}

/** The default charts: row count first, then the first other series, two in all. */
const defaults = (names: ReadonlyArray<string>): ReadonlyArray<string> => {
  const preferred = names.filter((name) => /^(row_?count|rows|num_rows)$/i.test(name))
  const rest = names.filter((name) => !preferred.includes(name))
  return [...preferred, ...rest].slice(0, 2)
}

/** The charts of the series the user picked (a filterable list of names). */
export const MetadataCharts = ({ history }: { readonly history: Models.AssetHistory | undefined }) => {
  const series = useMemo(() => seriesOf(history), [history])
  const names = useMemo(() => series.map(([name]) => name), [series])
  const [picked, setPicked] = useState<ReadonlyArray<string> | undefined>(undefined)
  const [filter, setFilter] = useState("")
  if (series.length === 0) return <p className="muted">No numeric metadata recorded yet.</p>
  const chosen = picked ?? defaults(names)
  const matching = names.filter((name) => name.toLowerCase().includes(filter.toLowerCase()))
  const toggle = (name: string) =>
    setPicked(chosen.includes(name) ? chosen.filter((n) => n !== name) : [...chosen, name])
  return (
    <div className="metadata-charts">
      <details className="series-picker">
        <summary>Charted: {chosen.length} of {names.length} series · choose</summary>
        <input placeholder="Filter series" value={filter} onInput={(event) => setFilter(event.currentTarget.value)} />
        <ul>
          {matching.slice(0, 100).map((name) => (
            <li key={name}>
              <label>
                <input type="checkbox" checked={chosen.includes(name)} onChange={() => toggle(name)} /> {name}
              </label>
            </li>
          ))}
          {matching.length > 100 ? <li className="muted">… {matching.length - 100} more: filter to find them</li> : null}
        </ul>
      </details>
      <div className="charts">
        {series.filter(([name]) => chosen.includes(name)).map(([name, points]) => <Chart key={name} name={name} points={points} />)}
      </div>
    </div>
  )
}
