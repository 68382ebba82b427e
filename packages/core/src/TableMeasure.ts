/**
 * Table measures: the figures the built-in checks judge (row count, nulls,
 * duplicates, values outside a set or a range), as plain data, so that they
 * can be computed either in memory over a loaded value or **where the table
 * lives**, by an I/O manager that offers the optional capability
 * `IOManager.measure` (the Postgres I/O manager runs them as SQL in the
 * warehouse, without loading a row into Node).
 *
 * A check declares the measures it needs and a verdict over their results
 * (`Check.fromMeasures`); the check step asks the asset's I/O manager first
 * and loads the value only when the manager has no `measure`, or answers
 * `undefined` (it cannot compute one of them: a column type it does not
 * compare the way JavaScript does). {@link compute} is the in-memory
 * reference: a manager's answers must equal it on the same data (the
 * Postgres suite checks that, nulls, NaN and edge cases included).
 *
 * Semantics shared by both sides:
 * - a null cell is `null`, `undefined` or `NaN`; nulls are never duplicates,
 *   unexpected or out of range;
 * - `bigint` cells compare as numbers, `Date` cells by their time, strings by
 *   UTF-16 code units (a warehouse compares them bytewise, `COLLATE "C"`);
 * - `examples` are distinct values, in ascending order, at most `examples`
 *   of them.
 *
 * @since 0.1.0
 */

/**
 * One figure about a table (or one partition of it).
 *
 * @since 0.1.0
 */
export type Measure =
  | { readonly type: "row-count" }
  | { readonly type: "null-count"; readonly column: string }
  | { readonly type: "duplicates"; readonly column: string; readonly examples: number }
  | {
    readonly type: "outside-values"
    readonly column: string
    readonly values: ReadonlyArray<string | number | boolean>
    readonly examples: number
  }
  | {
    readonly type: "outside-range"
    readonly column: string
    readonly min?: number | string | Date | undefined
    readonly max?: number | string | Date | undefined
  }

/**
 * The answer to one {@link Measure}. `rows` is the table's row count; `count`
 * the nulls (`null-count`), the repeated non-null values (`duplicates`: non-null
 * cells minus distinct ones), the unexpected values (`outside-values`) or the
 * values out of range (`outside-range`: `below + above`).
 * `missingColumn` is set, and the rest zero, when the table has no such column.
 *
 * @since 0.1.0
 */
export interface MeasureResult {
  readonly rows: number
  readonly count: number
  readonly distinct?: number | undefined
  readonly below?: number | undefined
  readonly above?: number | undefined
  readonly examples?: ReadonlyArray<unknown> | undefined
  readonly missingColumn?: boolean | undefined
}

/** Column access over rows or a columnar table. */
interface TableView {
  readonly rowCount: number
  readonly column: (name: string) => ((row: number) => unknown) | undefined
}

/**
 * Column access over an array of row objects, or a columnar table such as an
 * Apache Arrow `Table` (anything with `numRows` and `getChild(name)`);
 * `undefined` for any other value.
 *
 * @since 0.1.0
 */
export const viewOf = (value: unknown): TableView | undefined => {
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

/**
 * A null cell: `null`, `undefined` or `NaN`.
 *
 * @since 0.1.0
 */
export const isNull = (v: unknown): boolean => v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))

/**
 * A comparable, hashable form of a cell: bigints as numbers, dates by time, objects as JSON.
 *
 * @since 0.1.0
 */
export const cellKey = (v: unknown): unknown =>
  typeof v === "bigint"
    ? Number(v)
    : v instanceof Date
    ? v.getTime()
    : typeof v === "object" && v !== null
    ? JSON.stringify(v)
    : v

const rank = (v: unknown): number => typeof v === "boolean" ? 0 : typeof v === "number" || typeof v === "bigint" ? 1 : v instanceof Date ? 2 : 3

/**
 * The order of examples: booleans, numbers, dates, then strings (and the rest by their text), each ascending.
 *
 * @since 0.1.0
 */
export const compareCells = (a: unknown, b: unknown): number => {
  const ra = rank(a)
  const rb = rank(b)
  if (ra !== rb) return ra - rb
  const ka = cellKey(a) as number | string | boolean
  const kb = cellKey(b) as number | string | boolean
  if (typeof ka === typeof kb) return ka < kb ? -1 : ka > kb ? 1 : 0
  return String(ka) < String(kb) ? -1 : String(ka) > String(kb) ? 1 : 0
}

/** The first `limit` distinct values, ascending. */
const smallest = (values: Map<unknown, unknown>, limit: number): Array<unknown> =>
  [...values.values()].sort(compareCells).slice(0, limit)

const overColumn = (view: TableView, column: string, body: (get: (row: number) => unknown, rows: number) => MeasureResult) => {
  const get = view.column(column)
  return get === undefined ? { rows: view.rowCount, count: 0, missingColumn: true } : body(get, view.rowCount)
}

const nullCount = (get: (row: number) => unknown, rows: number): MeasureResult => {
  let count = 0
  for (let i = 0; i < rows; i++) if (isNull(get(i))) count++
  return { rows, count }
}

const duplicates = (get: (row: number) => unknown, rows: number, limit: number): MeasureResult => {
  const seen = new Set<unknown>()
  const repeated = new Map<unknown, unknown>()
  let count = 0
  for (let i = 0; i < rows; i++) {
    const cell = get(i)
    if (isNull(cell)) continue
    const key = cellKey(cell)
    if (!seen.has(key)) seen.add(key)
    else {
      count++
      if (!repeated.has(key)) repeated.set(key, cell)
    }
  }
  return { rows, count, distinct: seen.size, examples: smallest(repeated, limit) }
}

const outsideValues = (
  get: (row: number) => unknown,
  rows: number,
  values: ReadonlyArray<string | number | boolean>,
  limit: number
): MeasureResult => {
  const accepted = new Set<unknown>(values)
  const others = new Map<unknown, unknown>()
  let count = 0
  for (let i = 0; i < rows; i++) {
    const cell = get(i)
    if (isNull(cell)) continue
    const key = typeof cell === "bigint" ? Number(cell) : cell
    if (accepted.has(key)) continue
    count++
    const id = cellKey(cell)
    if (!others.has(id)) others.set(id, cell)
  }
  return { rows, count, examples: smallest(others, limit) }
}

const outsideRange = (
  get: (row: number) => unknown,
  rows: number,
  range: { readonly min?: number | string | Date | undefined; readonly max?: number | string | Date | undefined }
): MeasureResult => {
  const min = range.min === undefined ? undefined : cellKey(range.min) as number | string
  const max = range.max === undefined ? undefined : cellKey(range.max) as number | string
  let below = 0
  let above = 0
  for (let i = 0; i < rows; i++) {
    const cell = get(i)
    if (isNull(cell)) continue
    const key = cellKey(cell) as number | string
    if (min !== undefined && key < min) below++
    else if (max !== undefined && key > max) above++
  }
  return { rows, count: below + above, below, above }
}

/**
 * Computes measures in memory over a loaded value (rows or a columnar table);
 * `undefined` when the value is not a table.
 *
 * @since 0.1.0
 */
export const compute = (value: unknown, measures: ReadonlyArray<Measure>): Array<MeasureResult> | undefined => {
  const view = viewOf(value)
  if (view === undefined) return undefined
  return measures.map((measure): MeasureResult => {
    switch (measure.type) {
      case "row-count":
        return { rows: view.rowCount, count: 0 }
      case "null-count":
        return overColumn(view, measure.column, nullCount)
      case "duplicates":
        return overColumn(view, measure.column, (get, rows) => duplicates(get, rows, measure.examples))
      case "outside-values":
        return overColumn(view, measure.column, (get, rows) => outsideValues(get, rows, measure.values, measure.examples))
      case "outside-range":
        return overColumn(view, measure.column, (get, rows) => outsideRange(get, rows, measure))
    }
  })
}
