/**
 * Schema evolution by field id: how the table's current schema changes so that
 * an Arrow table can be written into it. Pure functions over schemas.
 *
 * Rules (format v2):
 * - Columns are matched by name (after the requested renames); a rename keeps
 *   the field id, so older data files still map onto the column.
 * - A column the table does not have is added as an optional column with a new
 *   field id (`last-column-id + 1`).
 * - A column whose type widens the table's (`int` → `long`, `float` → `double`,
 *   wider decimal precision) widens the table's column. A narrower type than the
 *   table's is cast up when written. Any other type change is an error that
 *   names the column: existing data files could no longer be read as the column.
 * - A nullable column written into a required one makes it optional.
 * - A column of the table that the Arrow table lacks is written as nulls when it
 *   is optional; a missing required column is an error. Columns are never
 *   dropped implicitly.
 *
 * @since 0.1.0
 */
import type { Schema as ArrowSchema } from "apache-arrow"
import * as IcebergSchema from "./IcebergSchema.ts"

/**
 * One change to the table's schema, for logs and run metadata.
 *
 * @since 0.1.0
 */
export interface Change {
  readonly column: string
  readonly change: "added" | "widened" | "renamed" | "made-optional"
  readonly from?: string
  readonly to?: string
}

/**
 * Where a column of the written schema takes its values from: the index of the
 * Arrow column, or `undefined` for an optional column written as nulls.
 *
 * @since 0.1.0
 */
export interface ColumnSource {
  readonly field: IcebergSchema.NestedField
  readonly arrowIndex: number | undefined
}

/**
 * The result of {@link evolve}.
 *
 * @since 0.1.0
 */
export interface Evolution {
  /** The schema data files are written with: the current one, or a new one to commit. */
  readonly schema: IcebergSchema.Schema
  /** True when `schema` must be committed (it differs from the current schema). */
  readonly changed: boolean
  readonly lastColumnId: number
  readonly changes: ReadonlyArray<Change>
  readonly columns: ReadonlyArray<ColumnSource>
}

/**
 * Options of {@link evolve}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** The table's `last-column-id`: new columns get ids above it. */
  readonly lastColumnId: number
  /** Columns to rename first: `{ old_name: "new_name" }`. */
  readonly renames?: Readonly<Record<string, string>> | undefined
  /** `false` refuses any change (an error names the first differing column). Default `true`. */
  readonly allowChanges?: boolean | undefined
  /** For error messages. */
  readonly table?: string | undefined
}

const renamed = (current: IcebergSchema.Schema, options: Options, changes: Array<Change>): Array<IcebergSchema.NestedField> => {
  const renames = options.renames ?? {}
  for (const from of Object.keys(renames)) {
    if (IcebergSchema.fieldByName(current, from) === undefined && IcebergSchema.fieldByName(current, renames[from]!) === undefined) {
      throw IcebergSchema.incompatible(options.table, from, `cannot rename: the table has no column ${from}`)
    }
  }
  return current.fields.map((field) => {
    const to = renames[field.name]
    if (to === undefined || to === field.name) return field
    if (current.fields.some((other) => other.name === to)) {
      throw IcebergSchema.incompatible(options.table, to, `cannot rename ${field.name} to ${to}: the table has a column ${to}`)
    }
    changes.push({ column: field.name, change: "renamed", from: field.name, to })
    return { ...field, name: to }
  })
}

const typeName = (type: IcebergSchema.IcebergType): string => (typeof type === "string" ? type : type.type)

/** The written column for an existing table column and the Arrow field matched to it. */
const evolveColumn = (
  field: IcebergSchema.NestedField,
  arrowType: string,
  arrowNullable: boolean,
  options: Options,
  changes: Array<Change>
): IcebergSchema.NestedField => {
  let next = field
  if (arrowType !== field.type && !IcebergSchema.canPromote(arrowType, field.type)) {
    if (!IcebergSchema.canPromote(field.type, arrowType)) {
      throw IcebergSchema.incompatible(
        options.table,
        field.name,
        `the table's column is ${typeName(field.type)} and the written column is ${arrowType}: Iceberg cannot change it ` +
          "(only int -> long, float -> double and wider decimals); cast the column, or write it under a new name"
      )
    }
    changes.push({ column: field.name, change: "widened", from: typeName(field.type), to: arrowType })
    next = { ...next, type: arrowType }
  }
  if (arrowNullable && field.required) {
    changes.push({ column: field.name, change: "made-optional" })
    next = { ...next, required: false }
  }
  return next
}

/**
 * The schema an Arrow table is written with, evolved from the table's current
 * schema by the rules above. Throws an `IcebergError` (`schema-incompatible`,
 * `unsupported-type`) naming the column.
 *
 * @since 0.1.0
 */
export const evolve = (current: IcebergSchema.Schema, arrow: ArrowSchema, options: Options): Evolution => {
  const changes: Array<Change> = []
  const fields = renamed(current, options, changes)
  const arrowIndex = new Map<string, number>()
  arrow.fields.forEach((field, index) => {
    if (arrowIndex.has(field.name)) {
      throw IcebergSchema.incompatible(options.table, field.name, "two columns of the written table have this name")
    }
    arrowIndex.set(field.name, index)
  })
  const columns: Array<ColumnSource> = []
  const next: Array<IcebergSchema.NestedField> = []
  for (const field of fields) {
    const index = arrowIndex.get(field.name)
    if (index === undefined) {
      if (field.required) {
        throw IcebergSchema.incompatible(options.table, field.name, "the written table lacks this required column")
      }
      next.push(field)
      columns.push({ field, arrowIndex: undefined })
      continue
    }
    const arrowField = arrow.fields[index]!
    const type = IcebergSchema.fromArrowType(arrowField.type)
    if (type === undefined) throw IcebergSchema.unsupportedColumn(arrowField, options.table)
    const evolved = evolveColumn(field, type, arrowField.nullable, options, changes)
    next.push(evolved)
    columns.push({ field: evolved, arrowIndex: index })
  }
  let lastColumnId = options.lastColumnId
  arrow.fields.forEach((arrowField, index) => {
    if (fields.some((field) => field.name === arrowField.name)) return
    const type = IcebergSchema.fromArrowType(arrowField.type)
    if (type === undefined) throw IcebergSchema.unsupportedColumn(arrowField, options.table)
    lastColumnId += 1
    const field: IcebergSchema.NestedField = { id: lastColumnId, name: arrowField.name, required: false, type }
    changes.push({ column: arrowField.name, change: "added", to: type })
    next.push(field)
    columns.push({ field, arrowIndex: index })
  })
  const changed = changes.length > 0
  if (changed && options.allowChanges === false) {
    const first = changes[0]!
    throw IcebergSchema.incompatible(options.table, first.column, `the write would change the schema (${first.change}) and schema changes are off`)
  }
  const schema: IcebergSchema.Schema = changed
    ? { type: "struct", "schema-id": current["schema-id"] + 1, fields: next }
    : current
  return { schema, changed, lastColumnId, changes, columns }
}

/**
 * Describes the changes for a log line: `added score (double); widened id int -> long`.
 *
 * @since 0.1.0
 */
export const describe = (changes: ReadonlyArray<Change>): string =>
  changes.map((change) =>
    change.change === "added"
      ? `added ${change.column} (${change.to})`
      : change.change === "renamed"
      ? `renamed ${change.from} -> ${change.to}`
      : change.change === "widened"
      ? `widened ${change.column} ${change.from} -> ${change.to}`
      : `${change.column} made optional`
  ).join("; ")
