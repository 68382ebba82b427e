/**
 * Row filters for reads: a conjunction of column predicates. A read skips
 * whole manifests (partition summaries), then data files (partition values and
 * column bounds/null counts), then filters the rows of the files it reads.
 *
 * Values are given as JS values and converted to the column's Iceberg
 * representation: `Date`s or ISO strings for dates and timestamps, numbers or
 * bigints for integers.
 *
 * @example
 * ```ts
 * import type { Filter } from "@strata/iceberg"
 *
 * const may: Filter.Filter = [
 *   { column: "placed_at", op: ">=", value: new Date("2024-05-01T00:00:00Z") },
 *   { column: "country", op: "in", values: ["FR", "DE"] }
 * ]
 * ```
 *
 * @since 0.1.0
 */
import * as IcebergError from "./IcebergError.ts"
import * as IcebergSchema from "./IcebergSchema.ts"
import * as Metrics from "./internal/metrics.ts"
import * as PartitionSpec from "./PartitionSpec.ts"

/**
 * A value a predicate compares with.
 *
 * @since 0.1.0
 */
export type Literal = number | bigint | string | boolean | Date | Uint8Array

/**
 * One predicate on a column.
 *
 * @since 0.1.0
 */
export type Predicate =
  | { readonly column: string; readonly op: "=" | "!=" | "<" | "<=" | ">" | ">="; readonly value: Literal }
  | { readonly column: string; readonly op: "in"; readonly values: ReadonlyArray<Literal> }
  | { readonly column: string; readonly op: "is-null" | "not-null" }

/**
 * Predicates that must all hold.
 *
 * @since 0.1.0
 */
export type Filter = ReadonlyArray<Predicate>

/** A predicate bound to a column: field id, type, values in Iceberg representation. */
export interface Bound {
  readonly fieldId: number
  readonly type: string
  readonly op: Predicate["op"]
  readonly values: ReadonlyArray<PartitionSpec.Value>
}

const invalid = (column: string, detail: string) => IcebergError.make({ reason: "invalid-argument", column, detail })


/** A literal in the Iceberg representation of a column type. */
const toIceberg = (type: string, literal: Literal, column: string): PartitionSpec.Value => {
  switch (type) {
    case "int":
    case "float":
    case "double":
      if (typeof literal === "number" || typeof literal === "bigint") return Number(literal)
      break
    case "long":
      if (typeof literal === "number" && Number.isInteger(literal)) return BigInt(literal)
      if (typeof literal === "bigint") return literal
      break
    case "boolean":
      if (typeof literal === "boolean") return literal
      break
    case "string":
      if (typeof literal === "string") return literal
      break
    case "date": {
      const ms = literal instanceof Date ? literal.getTime() : typeof literal === "string" ? Date.parse(literal) : Number.NaN
      if (!Number.isNaN(ms)) return Math.floor(ms / 86_400_000)
      if (typeof literal === "number") return literal
      break
    }
    case "timestamp":
    case "timestamptz": {
      if (typeof literal === "bigint") return literal
      const ms = literal instanceof Date ? literal.getTime() : typeof literal === "string" ? Date.parse(literal) : Number.NaN
      if (!Number.isNaN(ms)) return BigInt(ms) * 1000n
      break
    }
    default:
      if (literal instanceof Uint8Array) return literal
  }
  throw invalid(column, `cannot compare a ${type} column with ${String(literal)}`)
}

/**
 * Binds a filter to a schema (throws `invalid-argument` naming an unknown
 * column or a literal of the wrong kind).
 *
 * @since 0.1.0
 */
export const bind = (filter: Filter, schema: IcebergSchema.Schema): Array<Bound> =>
  filter.map((predicate) => {
    const field = IcebergSchema.fieldByName(schema, predicate.column)
    if (field === undefined) {
      throw invalid(predicate.column, `no such column; the table has ${schema.fields.map((f) => f.name).join(", ")}`)
    }
    if (typeof field.type !== "string") throw invalid(predicate.column, "cannot filter on a nested column")
    const values = predicate.op === "in"
      ? predicate.values.map((value) => toIceberg(field.type as string, value, predicate.column))
      : "value" in predicate
      ? [toIceberg(field.type, predicate.value, predicate.column)]
      : []
    return { fieldId: field.id, type: field.type, op: predicate.op, values }
  })

const cmp = (a: PartitionSpec.Value, b: PartitionSpec.Value): number => Metrics.compare(a, b)

/**
 * True when some value in [lower, upper] (with the given null and value
 * counts) might satisfy the predicate; `undefined` bounds are unknown.
 */
export const mightMatch = (
  bound: Bound,
  stats: {
    readonly lower: PartitionSpec.Value | undefined
    readonly upper: PartitionSpec.Value | undefined
    readonly nullCount: number | undefined
    readonly valueCount: number | undefined
  }
): boolean => {
  const { lower, upper, nullCount, valueCount } = stats
  const allNull = nullCount !== undefined && valueCount !== undefined && nullCount === valueCount
  switch (bound.op) {
    case "is-null":
      return nullCount === undefined || nullCount > 0
    case "not-null":
      return !allNull
  }
  if (allNull) return false
  const value = bound.values[0] ?? null
  switch (bound.op) {
    case "=":
      return !((lower !== undefined && cmp(lower, value) > 0) || (upper !== undefined && cmp(upper, value) < 0))
    case "!=":
      return !(lower !== undefined && upper !== undefined && cmp(lower, value) === 0 && cmp(upper, value) === 0 && nullCount === 0)
    case "<":
      return lower === undefined || cmp(lower, value) < 0
    case "<=":
      return lower === undefined || cmp(lower, value) <= 0
    case ">":
      return upper === undefined || cmp(upper, value) > 0
    case ">=":
      return upper === undefined || cmp(upper, value) >= 0
    case "in":
      return bound.values.some((item) =>
        !((lower !== undefined && cmp(lower, item) > 0) || (upper !== undefined && cmp(upper, item) < 0))
      )
  }
}

/**
 * The predicate projected onto a partition field (inclusive projection): a
 * predicate on the partition value that holds whenever the row predicate
 * holds. `undefined` when the field says nothing about the predicate.
 *
 * @since 0.1.0
 */
export const project = (bound: Bound, field: PartitionSpec.PartitionField): Bound | undefined => {
  if (field["source-id"] !== bound.fieldId) return undefined
  const type = PartitionSpec.resultType(field.transform, bound.type) as string
  if (field.transform === "identity") return { ...bound, type }
  if (!["year", "month", "day", "hour"].includes(field.transform)) return undefined
  const apply = (value: PartitionSpec.Value) => PartitionSpec.apply(field.transform, bound.type, value)
  switch (bound.op) {
    case "=":
    case "in":
      return { fieldId: field["field-id"], type, op: bound.op, values: bound.values.map(apply) }
    case "<":
    case "<=":
      return { fieldId: field["field-id"], type, op: "<=", values: bound.values.map(apply) }
    case ">":
    case ">=":
      return { fieldId: field["field-id"], type, op: ">=", values: bound.values.map(apply) }
    case "is-null":
    case "not-null":
      return { fieldId: field["field-id"], type, op: bound.op, values: [] }
    default:
      return undefined
  }
}

/** True when a row value satisfies a bound predicate. */
export const test = (bound: Bound, value: PartitionSpec.Value): boolean => {
  switch (bound.op) {
    case "is-null":
      return value === null
    case "not-null":
      return value !== null
  }
  if (value === null) return false
  if (typeof value === "number" && Number.isNaN(value)) return bound.op === "!="
  const target = bound.values[0] ?? null
  switch (bound.op) {
    case "=":
      return cmp(value, target) === 0
    case "!=":
      return cmp(value, target) !== 0
    case "<":
      return cmp(value, target) < 0
    case "<=":
      return cmp(value, target) <= 0
    case ">":
      return cmp(value, target) > 0
    case ">=":
      return cmp(value, target) >= 0
    case "in":
      return bound.values.some((item) => cmp(value, item) === 0)
  }
}

