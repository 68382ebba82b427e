/**
 * The built-in checks: one line each, judged on table measures (`TableMeasure`:
 * computed by the asset's I/O manager where the table lives when it can, else
 * in memory over the loaded value, an array of row objects or a columnar table
 * such as an Apache Arrow `Table`), or on the metadata the I/O managers record
 * (`row_count`, `schema`). Each is a plain `Check.make` with a default
 * name (`email_unique`, `row_count_not_dropping`...) that `options.name` replaces.
 */
import { Effect } from "effect"
import type { Asset } from "../../Asset.ts"
import type { Check, CheckResult, Severity } from "../../Check.ts"
import { fail, fromMeasures, make, pass } from "../../Check.ts"
import type { Metadata } from "../../Metadata.ts"
import type { Measure, MeasureResult } from "../../TableMeasure.ts"

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

const show = (v: unknown): string => {
  const text = v instanceof Date ? v.toISOString() : typeof v === "string" ? JSON.stringify(v) : String(v)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

const examples = (values: ReadonlyArray<unknown> | undefined): string => (values ?? []).slice(0, 5).map(show).join(", ")

const noColumn = (column: string): CheckResult => fail(`the table has no column ${column}`)

const checkOf = <A>(
  asset: AnyAsset,
  defaultName: string,
  options: BuiltinOptions | undefined,
  load: boolean,
  evaluate: Check<A>["evaluate"]
): Check<A> =>
  make(asset, options?.name ?? defaultName, { severity: options?.severity, description: options?.description, load }, evaluate) as Check<A>

/** A built-in judged on one measure of one column. */
const measuredOf = (
  asset: AnyAsset,
  defaultName: string,
  options: BuiltinOptions | undefined,
  measure: Measure,
  verdict: (result: MeasureResult) => CheckResult
): Check<unknown> =>
  fromMeasures(asset, options?.name ?? defaultName, { severity: options?.severity, description: options?.description }, [measure], ([result]) =>
    result!.missingColumn === true && "column" in measure ? noColumn(measure.column) : verdict(result!)) as Check<unknown>

/**
 * No null (or `undefined`, or `NaN`) in a column.
 *
 * @since 0.1.0
 */
export const notNull = (asset: AnyAsset, column: string, options?: BuiltinOptions): Check<unknown> =>
  measuredOf(asset, `${column}_not_null`, options, { type: "null-count", column }, ({ count, rows }) => {
    const metadata = { null_count: count, row_count: rows }
    return count === 0 ? pass(metadata) : fail(`${count} of ${rows} rows have no ${column}`, metadata)
  })

/**
 * Every non-null value of a column appears once.
 *
 * @since 0.1.0
 */
export const unique = (asset: AnyAsset, column: string, options?: BuiltinOptions): Check<unknown> =>
  measuredOf(asset, `${column}_unique`, options, { type: "duplicates", column, examples: 5 }, (result) => {
    const { count, rows } = result
    const metadata = { duplicate_count: count, distinct_count: result.distinct ?? 0, row_count: rows }
    return count === 0
      ? pass(metadata)
      : fail(`${count} duplicate ${column} value${count === 1 ? "" : "s"}: ${examples(result.examples)}`, metadata)
  })

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
  measuredOf(asset, `${column}_accepted_values`, options, { type: "outside-values", column, values, examples: 5 }, (result) => {
    const { count, rows } = result
    const metadata = { unexpected_count: count, row_count: rows }
    return count === 0
      ? pass(metadata)
      : fail(`${count} ${column} value${count === 1 ? "" : "s"} outside ${JSON.stringify(values)}: ${examples(result.examples)}`, metadata)
  })

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
  measuredOf(asset, `${column}_in_range`, options, { type: "outside-range", column, min: range.min, max: range.max }, (result) => {
    const below = result.below ?? 0
    const above = result.above ?? 0
    const metadata = { below_count: below, above_count: above, row_count: result.rows }
    const bounds = `[${range.min === undefined ? "-inf" : show(range.min)}, ${range.max === undefined ? "inf" : show(range.max)}]`
    return below + above === 0 ? pass(metadata) : fail(`${below + above} ${column} values outside ${bounds}`, metadata)
  })

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
  measuredOf(asset, "row_count_in_range", options, { type: "row-count" }, ({ rows }) => {
    const ok = (range.min === undefined || rows >= range.min) && (range.max === undefined || rows <= range.max)
    return ok ? pass({ row_count: rows }) : fail(`${rows} rows, expected [${range.min ?? 0}, ${range.max ?? "inf"}]`, { row_count: rows })
  })

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
