/**
 * The built-in checks: one line each, on the asset's loaded value (an array of
 * row objects, or a columnar table such as an Apache Arrow `Table`: anything
 * with `numRows` and `getChild(name)`), or on the metadata the I/O managers
 * record (`row_count`, `schema`). Each is a plain `Check.make` with a default
 * name (`email_unique`, `row_count_not_dropping`...) that `options.name` replaces.
 */
import { Effect } from "effect"
import type { Asset } from "../../Asset.ts"
import type { Check, CheckResult, Severity } from "../../Check.ts"
import { fail, make, pass } from "../../Check.ts"
import type { Metadata } from "../../Metadata.ts"

/**
 * Options every built-in takes.
 *
 * @since 0.1.0
 */
export interface BuiltinOptions {
  /** Replaces the default name. */
  readonly name?: string | undefined
  /** Default `error` (blocking). */
  readonly severity?: Severity | undefined
  readonly description?: string | undefined
}

type AnyAsset = Asset<any, any, any>

/** Column access over rows or a columnar table. */
interface TableView {
  readonly rowCount: number
  readonly column: (name: string) => ((row: number) => unknown) | undefined
}

const viewOf = (value: unknown): TableView | undefined => {
  if (Array.isArray(value)) {
    return {
      rowCount: value.length,
      column: (name) =>
        value.length > 0 && !value.some((row) => typeof row === "object" && row !== null && name in row) ? undefined : (row) => {
        const record = value[row] as Record<string, unknown> | null | undefined
        return record === null || record === undefined ? undefined : record[name]
      }
    }
  }
  if (typeof value === "object" && value !== null && "numRows" in value && "getChild" in value) {
    const table = value as { numRows: number; getChild: (name: string) => { get: (i: number) => unknown } | null }
    return {
      rowCount: table.numRows,
      column: (name) => {
        const vector = table.getChild(name)
        return vector === null ? undefined : (row) => vector.get(row)
      }
    }
  }
  return undefined
}

const notATable = (value: unknown): CheckResult =>
  fail(`the value is not a table (an array of rows or a columnar table with numRows/getChild); got ${typeof value}`)

const noColumn = (column: string): CheckResult => fail(`the table has no column ${column}`)

/** Runs `body` over a column of the value, or fails for a value that is not a table or lacks the column. */
const overColumn = (value: unknown, column: string, body: (get: (row: number) => unknown, rows: number) => CheckResult) => {
  const view = viewOf(value)
  if (view === undefined) return notATable(value)
  const get = view.column(column)
  return get === undefined ? noColumn(column) : body(get, view.rowCount)
}

const isNull = (v: unknown) => v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))

/** A comparable, hashable form of a cell (dates by time, objects as JSON). */
const cellKey = (v: unknown): unknown =>
  v instanceof Date ? v.getTime() : typeof v === "object" && v !== null ? JSON.stringify(v) : v

const show = (v: unknown): string => {
  const text = v instanceof Date ? v.toISOString() : typeof v === "string" ? JSON.stringify(v) : String(v)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

const examples = (values: ReadonlyArray<unknown>): string => values.slice(0, 5).map(show).join(", ")

const checkOf = <A>(
  asset: AnyAsset,
  defaultName: string,
  options: BuiltinOptions | undefined,
  load: boolean,
  evaluate: Check<A>["evaluate"]
): Check<A> =>
  make(asset, options?.name ?? defaultName, { severity: options?.severity, description: options?.description, load }, evaluate) as Check<A>

/**
 * No null (or `undefined`, or `NaN`) in a column.
 *
 * @since 0.1.0
 */
export const notNull = (asset: AnyAsset, column: string, options?: BuiltinOptions): Check<unknown> =>
  checkOf(asset, `${column}_not_null`, options, true, (value) =>
    Effect.sync(() =>
      overColumn(value, column, (get, rows) => {
        let nulls = 0
        for (let i = 0; i < rows; i++) if (isNull(get(i))) nulls++
        const metadata = { null_count: nulls, row_count: rows }
        return nulls === 0 ? pass(metadata) : fail(`${nulls} of ${rows} rows have no ${column}`, metadata)
      })
    ))

/**
 * Every non-null value of a column appears once.
 *
 * @since 0.1.0
 */
export const unique = (asset: AnyAsset, column: string, options?: BuiltinOptions): Check<unknown> =>
  checkOf(asset, `${column}_unique`, options, true, (value) =>
    Effect.sync(() =>
      overColumn(value, column, (get, rows) => {
        const seen = new Set<unknown>()
        const duplicates: Array<unknown> = []
        let count = 0
        for (let i = 0; i < rows; i++) {
          const cell = get(i)
          if (isNull(cell)) continue
          const key = cellKey(cell)
          if (!seen.has(key)) seen.add(key)
          else if (++count <= 5) duplicates.push(cell)
        }
        const metadata = { duplicate_count: count, distinct_count: seen.size, row_count: rows }
        return count === 0
          ? pass(metadata)
          : fail(`${count} duplicate ${column} value${count === 1 ? "" : "s"}: ${examples(duplicates)}`, metadata)
      })
    ))

/**
 * Every non-null value of a column is one of `values`.
 *
 * @since 0.1.0
 */
export const acceptedValues = (
  asset: AnyAsset,
  column: string,
  values: ReadonlyArray<string | number | boolean>,
  options?: BuiltinOptions
): Check<unknown> =>
  checkOf(asset, `${column}_accepted_values`, options, true, (value) =>
    Effect.sync(() =>
      overColumn(value, column, (get, rows) => {
        const accepted = new Set<unknown>(values)
        const others = new Map<unknown, number>()
        let count = 0
        for (let i = 0; i < rows; i++) {
          const cell = get(i)
          if (isNull(cell) || accepted.has(cell)) continue
          count++
          others.set(cell, (others.get(cell) ?? 0) + 1)
        }
        const metadata = { unexpected_count: count, row_count: rows }
        return count === 0
          ? pass(metadata)
          : fail(`${count} ${column} value${count === 1 ? "" : "s"} outside ${JSON.stringify(values)}: ${examples([...others.keys()])}`, metadata)
      })
    ))

/**
 * Every non-null value of a column lies in `[min, max]` (numbers, strings or dates).
 *
 * @since 0.1.0
 */
export const columnRange = (
  asset: AnyAsset,
  column: string,
  range: { readonly min?: number | string | Date | undefined; readonly max?: number | string | Date | undefined },
  options?: BuiltinOptions
): Check<unknown> =>
  checkOf(asset, `${column}_in_range`, options, true, (value) =>
    Effect.sync(() =>
      overColumn(value, column, (get, rows) => {
        const min = range.min === undefined ? undefined : cellKey(range.min) as number | string
        const max = range.max === undefined ? undefined : cellKey(range.max) as number | string
        let below = 0
        let above = 0
        for (let i = 0; i < rows; i++) {
          const cell = get(i)
          if (isNull(cell)) continue
          const key = (typeof cell === "bigint" ? Number(cell) : cellKey(cell)) as number | string
          if (min !== undefined && key < min) below++
          else if (max !== undefined && key > max) above++
        }
        const metadata = { below_count: below, above_count: above, row_count: rows }
        const bounds = `[${range.min === undefined ? "-inf" : show(range.min)}, ${range.max === undefined ? "inf" : show(range.max)}]`
        return below + above === 0 ? pass(metadata) : fail(`${below + above} ${column} values outside ${bounds}`, metadata)
      })
    ))

const rowCountOf = (metadata: Metadata | undefined): number | undefined => {
  const value = metadata?.["row_count"] ?? metadata?.["rows"]
  return typeof value === "number" ? value : undefined
}

/**
 * The number of rows lies in `[min, max]`.
 *
 * @since 0.1.0
 */
export const rowCount = (
  asset: AnyAsset,
  range: { readonly min?: number | undefined; readonly max?: number | undefined },
  options?: BuiltinOptions
): Check<unknown> =>
  checkOf(asset, "row_count_in_range", options, true, (value) =>
    Effect.sync(() => {
      const rows = viewOf(value)?.rowCount
      if (rows === undefined) return notATable(value)
      const ok = (range.min === undefined || rows >= range.min) && (range.max === undefined || rows <= range.max)
      return ok ? pass({ row_count: rows }) : fail(`${rows} rows, expected [${range.min ?? 0}, ${range.max ?? "inf"}]`, { row_count: rows })
    }))

/**
 * The row count (`row_count` in the materialization's metadata) did not drop
 * by more than `maxDropPercent` since the previous materialization. Reads only
 * metadata: the value is not loaded.
 *
 * @since 0.1.0
 */
export const rowCountNotDropping = (
  asset: AnyAsset,
  limit: { readonly maxDropPercent: number },
  options?: BuiltinOptions
): Check<unknown> =>
  checkOf(asset, "row_count_not_dropping", options, false, (_, context) =>
    Effect.sync(() => {
      const current = rowCountOf(context.materialization?.metadata)
      if (current === undefined) return fail(`the materialization records no row_count metadata`)
      const previous = rowCountOf(context.previous?.metadata)
      if (previous === undefined) return pass({ row_count: current })
      const dropPercent = previous === 0 ? 0 : Math.max(0, (previous - current) / previous * 100)
      const metadata = { row_count: current, previous_row_count: previous, drop_percent: Math.round(dropPercent * 100) / 100 }
      return dropPercent <= limit.maxDropPercent
        ? pass(metadata)
        : fail(`row count dropped ${metadata.drop_percent}% (${previous} -> ${current}), more than ${limit.maxDropPercent}%`, metadata)
    }))

/**
 * The schema (`schema` in the materialization's metadata, as the table I/O
 * managers record it) is the same as the previous materialization's.
 *
 * @since 0.1.0
 */
export const schemaUnchanged = (asset: AnyAsset, options?: BuiltinOptions): Check<unknown> =>
  checkOf(asset, "schema_unchanged", options, false, (_, context) =>
    Effect.sync(() => {
      const current = context.materialization?.metadata?.["schema"]
      if (current === undefined) return fail("the materialization records no schema metadata")
      const previous = context.previous?.metadata?.["schema"]
      if (previous === undefined || JSON.stringify(previous) === JSON.stringify(current)) return pass()
      return fail("the schema changed since the previous materialization", { previous_schema: previous, schema: current })
    }))
