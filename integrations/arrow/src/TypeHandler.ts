/**
 * Type handlers convert between the value an asset computes and an Arrow
 * `Table`, the one dataframe type every Strata I/O manager speaks. A
 * warehouse I/O manager (Postgres, Snowflake, Iceberg) writes and reads
 * Arrow tables, and takes a handler to serve assets whose values are
 * something else, so the conversion is written once, here.
 *
 * The surface is two functions. Both are synchronous and throw an
 * `ArrowError` (reason `invalid-value`) for values they cannot convert, so an
 * I/O manager calls them inside `Effect.try`.
 *
 * @example
 * ```ts
 * import { TypeHandler } from "@strata/arrow"
 *
 * const handler = TypeHandler.rows<{ id: number; name: string }>()
 * const table = handler.toTable([{ id: 1, name: "ada" }]) // id: Float64, name: Utf8
 * const rows = handler.fromTable(table)                   // [{ id: 1, name: "ada" }]
 * ```
 * @since 0.1.0
 */
import { Table } from "apache-arrow"
import * as ArrowError from "./ArrowError.ts"
import * as Tables from "./Tables.ts"

/**
 * Converts values of type `A` to and from Arrow tables.
 *
 * @since 0.1.0
 */
export interface TypeHandler<A> {
  /** Shown in errors and metadata: `table`, `rows`. */
  readonly name: string
  /** Throws an `ArrowError` when the value cannot be converted. */
  readonly toTable: (value: A) => Table
  readonly fromTable: (table: Table) => A
}

const describe = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "object"
    ? `an object (${(value as object).constructor?.name ?? "no prototype"})`
    : typeof value

/**
 * `true` for an apache-arrow `Table`. A table made by another copy of
 * apache-arrow (two versions installed) is not one: its classes differ.
 *
 * @since 0.1.0
 */
export const isTable = (value: unknown): value is Table => value instanceof Table

/**
 * Checks that a value is an Arrow `Table` and returns it; throws an
 * `ArrowError` (`invalid-value`) saying what it is instead.
 *
 * @since 0.1.0
 */
export const assertTable = (value: unknown): Table => {
  if (value instanceof Table) return value
  const looksLikeTable = typeof value === "object" && value !== null && "schema" in value && "batches" in value
  throw ArrowError.make({
    reason: "invalid-value",
    detail: looksLikeTable
      ? "the value looks like an Arrow Table from another copy of apache-arrow; install a single apache-arrow version (pnpm why apache-arrow)"
      : `expected an apache-arrow Table, got ${describe(value)}; build one with Tables.fromRows or Tables.fromColumns`
  })
}

/**
 * The identity handler, for assets whose value is a `Table`. `toTable`
 * still checks that the value is one.
 *
 * @since 0.1.0
 */
export const table: TypeHandler<Table> = {
  name: "table",
  toTable: assertTable,
  fromTable: (value) => value
}

/**
 * A handler for arrays of plain row objects. Without options the schema is
 * inferred from the values (see `Tables`); give `types` for some columns or
 * a whole `schema` to fix it. `fromTable` returns plain objects (see
 * `Tables.toRows` for how values map).
 *
 * @since 0.1.0
 */
export const rows = <Row extends object = Record<string, unknown>>(
  options?: Tables.Options
): TypeHandler<Array<Row>> => ({
  name: "rows",
  toTable: (value) => {
    if (!Array.isArray(value)) {
      throw ArrowError.make({ reason: "invalid-value", detail: `expected an array of row objects, got ${describe(value)}` })
    }
    return Tables.fromRows(value as unknown as ReadonlyArray<Record<string, unknown>>, options)
  },
  fromTable: (value) => Tables.toRows(value) as unknown as Array<Row>
})
