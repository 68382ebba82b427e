/**
 * Iceberg schemas (format v2, spec Appendix C) and their mapping to Arrow.
 *
 * A schema is kept in its JSON shape (`{ type: "struct", "schema-id", fields }`)
 * so that it is written to `metadata.json`, manifest headers and REST requests
 * as is. Columns are identified by field id, never by name or position: a
 * rename changes the name and keeps the id, so data files written before it
 * still map onto the column.
 *
 * Writing supports the top-level primitive columns listed in {@link fromArrowType};
 * nested Arrow types (lists, structs, maps) fail with `unsupported-type`.
 *
 * @since 0.1.0
 */
import {
  Binary,
  Bool,
  DataType,
  DateDay,
  Decimal,
  Field as ArrowField,
  FixedSizeBinary,
  Float32,
  Float64,
  Int32,
  Int64,
  LargeUtf8,
  Schema as ArrowSchema,
  TimeMicrosecond,
  TimestampMicrosecond,
  Type as ArrowType,
  Utf8
} from "apache-arrow"
import * as IcebergError from "./IcebergError.ts"

/**
 * An Iceberg type in its JSON form: a primitive (`"long"`, `"decimal(9,2)"`,
 * `"fixed[16]"`) or a nested type object (kept as read; not written by Strata).
 *
 * @since 0.1.0
 */
export type IcebergType = string | { readonly type: "struct" | "list" | "map"; readonly [key: string]: unknown }

/**
 * A column of a schema.
 *
 * @since 0.1.0
 */
export interface NestedField {
  readonly id: number
  readonly name: string
  readonly required: boolean
  readonly type: IcebergType
  readonly doc?: string
}

/**
 * A table schema (JSON form).
 *
 * @since 0.1.0
 */
export interface Schema {
  readonly type: "struct"
  readonly "schema-id": number
  readonly fields: ReadonlyArray<NestedField>
  readonly "identifier-field-ids"?: ReadonlyArray<number>
}

/** The Arrow field metadata key parquet-rs reads and writes as the Parquet field id. */
export const FIELD_ID_KEY = "PARQUET:field_id"

/**
 * The Iceberg type of an Arrow type, or `undefined` when there is none that
 * Strata writes. Small integers widen to `int`, `Uint32` to `long`, dates to
 * `date`, every timestamp unit but nanoseconds to microsecond
 * `timestamp`/`timestamptz` (with a time zone), dictionaries to their value type.
 *
 * @since 0.1.0
 */
export const fromArrowType = (type: DataType): string | undefined => {
  switch (type.typeId) {
    case ArrowType.Bool:
      return "boolean"
    case ArrowType.Int: {
      const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean }
      if (bitWidth <= 16 || (bitWidth === 32 && isSigned)) return "int"
      if (bitWidth === 32 || (bitWidth === 64 && isSigned)) return "long"
      return undefined
    }
    case ArrowType.Float: {
      const precision = (type as unknown as { precision: number }).precision
      return precision === 1 ? "float" : precision === 2 ? "double" : undefined
    }
    case ArrowType.Utf8:
    case ArrowType.LargeUtf8:
      return "string"
    case ArrowType.Binary:
    case ArrowType.LargeBinary:
      return "binary"
    case ArrowType.FixedSizeBinary:
      return `fixed[${(type as FixedSizeBinary).byteWidth}]`
    case ArrowType.Date:
      return "date"
    case ArrowType.Timestamp: {
      const { unit, timezone } = type as unknown as { unit: number; timezone: string | null }
      if (unit === 3) return undefined // nanoseconds are format v3
      return timezone === null || timezone === "" ? "timestamp" : "timestamptz"
    }
    case ArrowType.Dictionary:
      return fromArrowType((type as unknown as { dictionary: DataType }).dictionary)
    default:
      return undefined
  }
}

/**
 * The Arrow type a column of an Iceberg type is read as.
 *
 * @since 0.1.0
 */
export const toArrowType = (type: IcebergType): DataType | undefined => {
  if (typeof type !== "string") return undefined
  switch (type) {
    case "boolean":
      return new Bool()
    case "int":
      return new Int32()
    case "long":
      return new Int64()
    case "float":
      return new Float32()
    case "double":
      return new Float64()
    case "string":
      return new Utf8()
    case "binary":
      return new Binary()
    case "date":
      return new DateDay()
    case "time":
      return new TimeMicrosecond()
    case "timestamp":
      return new TimestampMicrosecond()
    case "timestamptz":
      return new TimestampMicrosecond("UTC")
    case "uuid":
      return new FixedSizeBinary(16)
  }
  const fixed = /^fixed\[(\d+)\]$/.exec(type)
  if (fixed !== null) return new FixedSizeBinary(Number(fixed[1]))
  const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(type)
  if (decimal !== null) return new Decimal(Number(decimal[2]), Number(decimal[1]), 128)
  return undefined
}

/** Keeps `LargeUtf8` out of the read path: Iceberg strings read as `Utf8`. */
export const isStringType = (type: DataType): boolean => type instanceof Utf8 || type instanceof LargeUtf8

/**
 * Type promotions format v2 allows (spec: Schema Evolution): `int` → `long`,
 * `float` → `double`, and a wider decimal precision at the same scale.
 *
 * @since 0.1.0
 */
export const canPromote = (from: IcebergType, to: IcebergType): boolean => {
  if (from === to) return true
  if (from === "int" && to === "long") return true
  if (from === "float" && to === "double") return true
  if (typeof from === "string" && typeof to === "string") {
    const a = /^decimal\((\d+),\s*(\d+)\)$/.exec(from)
    const b = /^decimal\((\d+),\s*(\d+)\)$/.exec(to)
    if (a !== null && b !== null) return a[2] === b[2] && Number(b[1]) >= Number(a[1])
  }
  return false
}

/**
 * The column of a schema with a field id.
 *
 * @since 0.1.0
 */
export const fieldById = (schema: Schema, id: number): NestedField | undefined => schema.fields.find((field) => field.id === id)

/**
 * The column of a schema with a name.
 *
 * @since 0.1.0
 */
export const fieldByName = (schema: Schema, name: string): NestedField | undefined =>
  schema.fields.find((field) => field.name === name)

/**
 * The highest field id of a schema (nested ids included).
 *
 * @since 0.1.0
 */
export const highestFieldId = (schema: Schema): number => {
  let highest = 0
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) visit(item)
    else if (typeof value === "object" && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        if ((key === "id" || key === "element-id" || key === "key-id" || key === "value-id") && typeof inner === "number") {
          highest = Math.max(highest, inner)
        } else visit(inner)
      }
    }
  }
  visit(schema.fields)
  return highest
}

const unsupported = (field: ArrowField, table: string | undefined): IcebergError.IcebergError =>
  IcebergError.make({
    reason: "unsupported-type",
    table,
    column: field.name,
    detail: `Arrow type ${String(field.type)} has no Iceberg format v2 type that @strata/iceberg writes ` +
      "(boolean, int, long, float, double, string, binary, fixed, date, timestamp, timestamptz); cast the column"
  })

/**
 * A new schema for an Arrow schema, field ids assigned from 1 in column order.
 * Nullable Arrow fields become optional columns, the others required.
 *
 * @since 0.1.0
 */
export const fromArrow = (schema: ArrowSchema, table?: string): Schema => {
  const seen = new Set<string>()
  const fields = schema.fields.map((field, index): NestedField => {
    if (seen.has(field.name)) {
      throw IcebergError.make({ reason: "invalid-argument", table, column: field.name, detail: "two columns have this name" })
    }
    seen.add(field.name)
    const type = fromArrowType(field.type)
    if (type === undefined) throw unsupported(field, table)
    return { id: index + 1, name: field.name, required: !field.nullable, type }
  })
  return { type: "struct", "schema-id": 0, fields }
}

/**
 * The Arrow schema a table with this Iceberg schema is read as (the columns
 * carry their field ids in `PARQUET:field_id`).
 *
 * @since 0.1.0
 */
export const toArrow = (schema: Schema, columns?: ReadonlyArray<NestedField>): ArrowSchema =>
  new ArrowSchema((columns ?? schema.fields).map((field) =>
    new ArrowField(
      field.name,
      toArrowType(field.type) ?? new Binary(),
      !field.required,
      new Map([[FIELD_ID_KEY, String(field.id)]])
    )
  ))

/** Thrown by {@link evolve}: the error names the column. */
export const incompatible = (table: string | undefined, column: string, detail: string): IcebergError.IcebergError =>
  IcebergError.make({ reason: "schema-incompatible", table, column, detail })

export { unsupported as unsupportedColumn }
