/**
 * The runs page's filters beyond status: an asset in the run's plan, a tag
 * (`name` or `name=value`) and a creation date range (local days, the end day
 * included). Kept in the URL (`/runs?asset=…&tag=…&from=2026-12-01&to=…`)
 * so a filtered list can be shared; turned into the API's query by `runQuery`.
 */
import { useState } from "preact/hooks"

export interface RunFilterValues {
  readonly asset: string
  readonly tag: string
  /** `YYYY-MM-DD` or "". */
  readonly from: string
  readonly to: string
}

export const readFilters = (): RunFilterValues => {
  const params = new URLSearchParams(window.location.search)
  return { asset: params.get("asset") ?? "", tag: params.get("tag") ?? "", from: params.get("from") ?? "", to: params.get("to") ?? "" }
}

const dayStart = (day: string): number | undefined => {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day)
  return match === null ? undefined : new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])).getTime()
}

/** The API query of the filters (the end day is included: `to` is the start of the next day). */
export const runQuery = (values: RunFilterValues) => {
  const from = dayStart(values.from)
  const end = dayStart(values.to)
  return {
    ...(values.asset.trim() === "" ? {} : { asset: values.asset.trim() }),
    ...(values.tag.trim() === "" ? {} : { tag: values.tag.trim() }),
    ...(from === undefined ? {} : { from }),
    ...(end === undefined ? {} : { to: end + 24 * 60 * 60 * 1000 })
  }
}

/** The filter form; applies on submit and writes the URL. */
export const RunFilters = ({ values, onChange }: { readonly values: RunFilterValues; readonly onChange: (values: RunFilterValues) => void }) => {
  const [draft, setDraft] = useState(values)
  const field = (name: keyof RunFilterValues, label: string, type: "text" | "date", placeholder: string) => (
    <label>
      {label}{" "}
      <input
        name={name}
        // Preact types each input type's attributes apart; these are the same for both
        type={type as "text"}
        value={draft[name]}
        placeholder={placeholder}
        spellcheck={false}
        onInput={(event) => setDraft({ ...draft, [name]: event.currentTarget.value })}
      />
    </label>
  )
  return (
    <form
      className="run-filters"
      data-testid="run-filters"
      style={{ display: "flex", gap: "10px", flexWrap: "wrap", alignItems: "center" }}
      onSubmit={(event) => {
        event.preventDefault()
        const params = new URLSearchParams()
        for (const [key, value] of Object.entries(draft)) if (value.trim() !== "") params.set(key, value.trim())
        const text = params.toString()
        window.history.replaceState(null, "", text === "" ? window.location.pathname : `${window.location.pathname}?${text}`)
        onChange(draft)
      }}
    >
      {field("asset", "Asset", "text", "silver_users")}
      {field("tag", "Tag", "text", "name or name=value")}
      {field("from", "From", "date", "")}
      {field("to", "To", "date", "")}
      <button type="submit">Filter</button>
    </form>
  )
}
