/**
 * Table measures (`TableMeasure` of @strata/core) as SQL, for the warehouse
 * I/O managers of the table I/O skeleton: each measure is one aggregate query
 * (plus one for its examples), written against the backend's dialect, run in
 * the backend's consistent read of the table. The answers equal
 * `TableMeasure.compute` over what a load returns; where SQL would not
 * compare the way JavaScript does (a date against a `Date` bound, a JSON
 * column, a string bound on a number column), {@link measure} answers
 * `undefined` and the check loads the table instead.
 */
import type { IOManager, TableMeasure } from "@strata/core"
import { Effect } from "effect"

type IOError = IOManager.IOError

/**
 * What SQL may do with a column: compare it like JavaScript compares the
 * loaded cells (`integer`, `float` for doubles, `string`, `boolean`), or only
 * count its nulls and rows (`other`).
 */
export type ColumnFamily = "integer" | "float" | "string" | "boolean" | "other"

/** How a backend spells SQL. */
export interface SqlDialect {
  readonly quoteIdentifier: (name: string) => string
  /** The n-th parameter (1-based): `$1`, `?`. */
  readonly placeholder: (index: number) => string
  /** A test that a `float` expression is NaN: `x = 'NaN'::float8`, `isnan(x)`. */
  readonly isNaN: (expression: string) => string
  /** Appended to a `string` column so that it compares by code point: ` collate "C"`, or "". */
  readonly binaryCollation: string
  /** A parameter compared with a column of this family, cast as needed: `$1::numeric`. */
  readonly typedParameter: (placeholder: string, family: ColumnFamily) => string
}

/** A table opened for measuring: its qualified SQL name, columns, and what it holds. */
export interface SqlTable {
  readonly sql: string
  readonly columns: ReadonlyArray<{ readonly name: string; readonly family: ColumnFamily }>
  /** The partition filter (`"_partition" = $1` and its value) for a partition's rows, if any. */
  readonly partition?: { readonly column: string; readonly value: string } | undefined
}

/** Runs one query, answering rows as objects. */
export type SqlQuery = (sql: string, params: ReadonlyArray<unknown>) => Effect.Effect<ReadonlyArray<Record<string, unknown>>, IOError>

type Measure = TableMeasure.Measure
type MeasureResult = TableMeasure.MeasureResult

/** Builds a statement's text and parameters together. */
class Statement {
  readonly params: Array<unknown> = []
  readonly dialect: SqlDialect
  constructor(dialect: SqlDialect) {
    this.dialect = dialect
  }
  param(value: unknown, family: ColumnFamily): string {
    this.params.push(value)
    return this.dialect.typedParameter(this.dialect.placeholder(this.params.length), family)
  }
}

const numberOf = (value: unknown): number => typeof value === "number" ? value : Number(value)

/** The condition "not null" for a column: not NULL, and for doubles not NaN either. */
const present = (dialect: SqlDialect, column: string, family: ColumnFamily): string =>
  family === "float" ? `(${column} is not null and not (${dialect.isNaN(column)}))` : `${column} is not null`

const where = (statement: Statement, table: SqlTable, condition?: string): string => {
  const parts: Array<string> = []
  if (table.partition !== undefined) {
    parts.push(`${statement.dialect.quoteIdentifier(table.partition.column)} = ${statement.param(table.partition.value, "string")}`)
  }
  if (condition !== undefined) parts.push(condition)
  return parts.length === 0 ? "" : ` where ${parts.join(" and ")}`
}

const comparable = (family: ColumnFamily): boolean => family !== "other"

/** A value of the examples as the loaded table would hold it (Postgres sends int8 as text; Arrow gives a bigint). */
const cellOf = (value: unknown, family: ColumnFamily): unknown =>
  family === "integer" && typeof value === "string" ? BigInt(value) : value

/** The accepted values that can equal a cell of this family (others never do, in JavaScript either). */
const valuesFor = (values: ReadonlyArray<string | number | boolean>, family: ColumnFamily) =>
  values.filter((value) =>
    family === "integer"
      ? typeof value === "number" && Number.isInteger(value)
      : family === "float"
      ? typeof value === "number" && !Number.isNaN(value)
      : family === "string"
      ? typeof value === "string"
      : family === "boolean" && typeof value === "boolean"
  )

/** A range bound SQL compares like JavaScript: numbers on number columns, strings on string columns. */
const boundFits = (bound: unknown, family: ColumnFamily): boolean =>
  bound === undefined ||
  (typeof bound === "number" && !Number.isNaN(bound) && (family === "integer" || family === "float")) ||
  (typeof bound === "string" && family === "string")

/** The SQL of one measure, or undefined when it cannot be computed in SQL like in memory. */
const plan = (dialect: SqlDialect, table: SqlTable, measure: Measure) => {
  const statement = new Statement(dialect)
  if (measure.type === "row-count") {
    return { statement, sql: `select count(*) as total_rows from ${table.sql}${where(statement, table)}` }
  }
  const column = table.columns.find((candidate) => candidate.name === measure.column)
  if (column === undefined) return { statement, sql: `select count(*) as total_rows from ${table.sql}${where(statement, table)}`, missing: true }
  const family = column.family
  const base = { statement, family }
  const c = dialect.quoteIdentifier(column.name)
  const ok = present(dialect, c, family)
  switch (measure.type) {
    case "null-count":
      return { ...base, sql: `select count(*) as total_rows, count(case when not (${ok}) then 1 end) as hits from ${table.sql}${where(statement, table)}` }
    case "duplicates":
      if (!comparable(family)) return undefined
      return {
        ...base,
        sql: `select count(*) as total_rows, count(case when ${ok} then 1 end) - count(distinct case when ${ok} then ${c} end) as hits, ` +
          `count(distinct case when ${ok} then ${c} end) as distinct_count from ${table.sql}${where(statement, table)}`,
        examples: (examples: Statement) =>
          `select ${c} as value from ${table.sql}${where(examples, table, ok)} group by ${c} having count(*) > 1 ` +
          `order by ${c}${family === "string" ? dialect.binaryCollation : ""} limit ${measure.examples}`
      }
    case "outside-values": {
      if (!comparable(family)) return undefined
      const accepted = valuesFor(measure.values, family)
      const outside = (s: Statement) =>
        accepted.length === 0 ? ok : `${ok} and ${c} not in (${accepted.map((value) => s.param(value, family)).join(", ")})`
      const partition = where(statement, table)
      return {
        ...base,
        sql: `select count(*) as total_rows, count(case when ${outside(statement)} then 1 end) as hits from ${table.sql}${partition}`,
        examples: (examples: Statement) =>
          `select ${c} as value from ${table.sql}${where(examples, table, outside(examples))} group by ${c} ` +
          `order by ${c}${family === "string" ? dialect.binaryCollation : ""} limit ${measure.examples}`
      }
    }
    case "outside-range": {
      if (!comparable(family) || !boundFits(measure.min, family) || !boundFits(measure.max, family)) return undefined
      const collated = family === "string" ? `${c}${dialect.binaryCollation}` : c
      const below = measure.min === undefined ? "false" : `${collated} < ${statement.param(measure.min, family)}`
      const above = measure.max === undefined ? "false" : `not (${below}) and ${collated} > ${statement.param(measure.max, family)}`
      return {
        ...base,
        sql: `select count(*) as total_rows, count(case when ${ok} and ${below} then 1 end) as below, ` +
          `count(case when ${ok} and ${above} then 1 end) as above from ${table.sql}${where(statement, table)}`
      }
    }
  }
}

/**
 * Computes measures with SQL in the table's warehouse; `undefined` when one
 * of them cannot be computed there like in memory (the caller then loads).
 */
export const measure = (
  dialect: SqlDialect,
  table: SqlTable,
  query: SqlQuery,
  measures: ReadonlyArray<Measure>
): Effect.Effect<ReadonlyArray<MeasureResult> | undefined, IOError> => {
  const plans = measures.map((m) => plan(dialect, table, m))
  if (plans.some((p) => p === undefined)) return Effect.succeed(undefined)
  return Effect.forEach(plans, (p) =>
    Effect.gen(function*() {
      const { statement, sql } = p!
      const [row] = yield* query(sql, statement.params)
      const rows = numberOf(row?.["total_rows"] ?? 0)
      if ("missing" in p! && p.missing === true) return { rows, count: 0, missingColumn: true } satisfies MeasureResult
      const below = row?.["below"]
      if (below !== undefined) {
        const b = numberOf(below)
        const a = numberOf(row?.["above"])
        return { rows, count: b + a, below: b, above: a } satisfies MeasureResult
      }
      const count = numberOf(row?.["hits"] ?? 0)
      const distinct = row?.["distinct_count"] === undefined ? undefined : numberOf(row["distinct_count"])
      if (!("examples" in p!) || p.examples === undefined) return { rows, count } satisfies MeasureResult
      const examples = new Statement(dialect)
      const values = count === 0 ? [] : (yield* query(p.examples(examples), examples.params)).map((r) => cellOf(r["value"], p.family))
      return (distinct === undefined ? { rows, count, examples: values } : { rows, count, distinct, examples: values }) satisfies MeasureResult
    }))
}
