/**
 * Building Arrow tables for asset code, from rows or from columns, without
 * the traps of apache-arrow's generic constructors:
 *
 * - JS strings become `Utf8` columns (apache-arrow's `tableFromArrays` makes
 *   `Dictionary<Int32, Utf8>` of them, which then differs from what a
 *   warehouse returns).
 * - Columns inferred from JS values are nullable, so a column does not change
 *   type between runs because one run had no nulls.
 * - Mixed or unsupported values fail with an `ArrowError` naming the column
 *   and row, instead of becoming a silently wrong column.
 *
 * Inference: `string` → `Utf8`, `number` → `Float64` (JS numbers are doubles:
 * ask for `Int32`/`Int64` with `types`), `bigint` → `Int64`, `boolean` →
 * `Bool`, `Date` → `Timestamp<MILLISECOND, UTC>`, `Uint8Array` → `Binary`,
 * only nulls → `Null`. Typed arrays are used without copying, as
 * non-nullable columns. Anything else (objects, arrays) needs a type in
 * `types` or `schema`.
 *
 * @example
 * ```ts
 * import { Tables } from "@strata/arrow"
 * import { Int32 } from "apache-arrow"
 *
 * const users = Tables.fromRows([{ id: 1, name: "ada" }, { id: 2, name: null }], { types: { id: new Int32() } })
 * const scores = Tables.fromColumns({ user: ["ada", "bob"], score: new Float64Array([1.5, 2]) })
 * ```
 * @since 0.1.0
 */
import {
  Binary,
  Bool,
  DataType,
  Field,
  Float64,
  Int64,
  makeVector,
  Null,
  Schema,
  Table,
  TimestampMillisecond,
  Utf8,
  util,
  Vector,
  vectorFromArray
} from "apache-arrow"
import * as ArrowError from "./ArrowError.ts"

/**
 * The values of one column: an Arrow vector, a typed array (used without
 * copying) or a JS array.
 *
 * @since 0.1.0
 */
export type ColumnValues =
  | Vector
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Float32Array
  | Float64Array
  | ReadonlyArray<unknown>

/**
 * Options of {@link fromColumns} and {@link fromRows}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** Arrow types for some columns; the others are inferred. */
  readonly types?: Readonly<Record<string, DataType>> | undefined
  /**
   * The whole schema: column order, types, nullability and metadata. Only its
   * columns are taken; a missing column or a null in a non-nullable one is an
   * error.
   */
  readonly schema?: Schema | undefined
}

const invalid = (detail: string, column?: string): ArrowError.ArrowError =>
  ArrowError.make({ reason: "invalid-value", column, detail })

const describeValue = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
    ? "an array"
    : value instanceof Date
    ? "a Date"
    : value instanceof Uint8Array
    ? "a Uint8Array"
    : typeof value === "object"
    ? "an object"
    : typeof value

const kindOf = (value: unknown): string | undefined => {
  switch (typeof value) {
    case "string":
    case "number":
    case "bigint":
    case "boolean":
      return typeof value
    case "undefined":
      return undefined
    case "object":
      if (value === null) return undefined
      if (value instanceof Date) return "date"
      if (value instanceof Uint8Array) return "binary"
  }
  return "other"
}

/**
 * The Arrow type inferred for a JS array's values (see the module
 * documentation). Throws an `ArrowError` for mixed or unsupported values.
 *
 * @since 0.1.0
 */
export const inferType = (column: string, values: ReadonlyArray<unknown>): DataType => {
  let kind: string | undefined
  let first = -1
  for (let i = 0; i < values.length; i++) {
    const next = kindOf(values[i])
    if (next === undefined) continue
    if (next === "other") {
      throw invalid(`row ${i} holds ${describeValue(values[i])}, which has no inferred Arrow type; give the column a type in 'types' or 'schema'`, column)
    }
    if (kind === undefined) {
      kind = next
      first = i
    } else if (next !== kind) {
      throw invalid(
        `row ${first} holds ${describeValue(values[first])} but row ${i} holds ${describeValue(values[i])}; ` +
          "make the values one type, or give the column a type in 'types' or 'schema'",
        column
      )
    }
  }
  switch (kind) {
    case "string":
      return new Utf8()
    case "number":
      return new Float64()
    case "bigint":
      return new Int64()
    case "boolean":
      return new Bool()
    case "date":
      return new TimestampMillisecond("UTC")
    case "binary":
      return new Binary()
    default:
      return new Null()
  }
}

const isTypedArray = (values: unknown): values is Exclude<ColumnValues, Vector | ReadonlyArray<unknown>> =>
  ArrayBuffer.isView(values) && !(values instanceof DataView)

const toVector = (name: string, values: ColumnValues, type: DataType | undefined): { vector: Vector; nullable: boolean } => {
  if (values instanceof Vector) {
    if (type !== undefined && !util.compareTypes(type, values.type)) {
      throw invalid(`the vector has type ${values.type} but ${type} was asked for`, name)
    }
    return { vector: values, nullable: true }
  }
  if (isTypedArray(values)) {
    if (type === undefined) return { vector: makeVector(values as Int32Array), nullable: false }
    return { vector: vectorFromArray(Array.from(values as ArrayLike<unknown>), type), nullable: false }
  }
  if (!Array.isArray(values)) throw invalid(`expected an array, a typed array or an Arrow vector, got ${describeValue(values)}`, name)
  const resolved = type ?? inferType(name, values)
  try {
    return { vector: vectorFromArray(values, resolved), nullable: true }
  } catch (cause) {
    throw ArrowError.make({
      reason: "invalid-value",
      column: name,
      detail: `cannot build a ${resolved} column: ${(cause as Error).message}`,
      cause
    })
  }
}

/**
 * Builds a table from columns of equal length. Column order is the object's
 * key order (or the schema's).
 *
 * @since 0.1.0
 */
export const fromColumns = (columns: Readonly<Record<string, ColumnValues>>, options?: Options): Table => {
  const schema = options?.schema
  const names = schema === undefined ? Object.keys(columns) : schema.fields.map((field) => field.name)
  const fields: Array<Field> = []
  const vectors: Record<string, Vector> = {}
  let length: number | undefined
  for (const name of names) {
    const values = columns[name]
    const given = schema?.fields.find((field) => field.name === name)
    if (values === undefined) throw invalid("the column is missing (it is in the schema)", name)
    const { nullable, vector } = toVector(name, values, given?.type ?? options?.types?.[name])
    if (length === undefined) length = vector.length
    else if (vector.length !== length) {
      throw invalid(`the column has ${vector.length} values but column ${names[0]} has ${length}`, name)
    }
    if (given !== undefined && !given.nullable && vector.nullCount > 0) {
      throw invalid(`the schema says the column is not nullable but it has ${vector.nullCount} nulls`, name)
    }
    fields.push(given ?? new Field(name, vector.type, nullable))
    vectors[name] = vector
  }
  return new Table(schema ?? new Schema(fields), vectors)
}

/**
 * Builds a table from plain row objects. Columns are the keys met in the
 * rows, in first-seen order (or the schema's columns); a key missing from a
 * row is a null.
 *
 * @since 0.1.0
 */
export const fromRows = (rows: ReadonlyArray<Readonly<Record<string, unknown>>>, options?: Options): Table => {
  const names: Array<string> = []
  if (options?.schema !== undefined) {
    for (const field of options.schema.fields) names.push(field.name)
  } else {
    const seen = new Set<string>()
    for (const row of rows) {
      for (const key in row) {
        if (!seen.has(key)) {
          seen.add(key)
          names.push(key)
        }
      }
    }
  }
  const columns: Record<string, Array<unknown>> = {}
  for (const name of names) columns[name] = new Array(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]
    if (typeof row !== "object" || row === null) throw invalid(`row ${i} is ${describeValue(row)}, not an object`)
    for (const name of names) columns[name]![i] = row[name] ?? null
  }
  return fromColumns(columns, options)
}

/**
 * A `Utf8` vector from JS strings (`null`/`undefined` are nulls).
 *
 * @since 0.1.0
 */
export const utf8 = (values: ReadonlyArray<string | null | undefined>): Vector<Utf8> => vectorFromArray(values, new Utf8())

/**
 * The rows of a table as plain objects. `Int64` values are `bigint`s,
 * timestamps and dates are `Date`s, `Binary` values are `Uint8Array`s,
 * nulls are `null`; nested values are apache-arrow's row proxies turned into
 * plain objects and arrays with `toJSON()`.
 *
 * @since 0.1.0
 */
export const toRows = (table: Table): Array<Record<string, unknown>> => {
  const rows: Array<Record<string, unknown>> = new Array(table.numRows)
  for (let i = 0; i < rows.length; i++) rows[i] = {}
  const fields = table.schema.fields
  for (let c = 0; c < fields.length; c++) {
    const field = fields[c]!
    const vector = table.getChildAt(c)!
    const type = field.type
    const temporal = DataType.isTimestamp(type) || DataType.isDate(type)
    const nested = DataType.isStruct(type) || DataType.isList(type) || DataType.isMap(type) || DataType.isFixedSizeList(type)
    let i = 0
    for (const value of vector) {
      rows[i++]![field.name] = value === null || value === undefined
        ? null
        : temporal
        ? new Date(value as number)
        : nested
        ? (value as { toJSON(): unknown }).toJSON()
        : value
    }
  }
  return rows
}
