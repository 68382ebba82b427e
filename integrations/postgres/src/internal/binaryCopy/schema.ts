/**
 * The mapping between Postgres column types and Arrow fields: the column type a
 * field is stored as, and the field a column is loaded as.
 */
import { EXTENSION_NAME, JSON_EXTENSION, JSON_TEXT } from "@strata/arrow/TableIO"
import * as Arrow from "apache-arrow"
import { ColumnError, PG_TYPE } from "./format.ts"

/** The Postgres column type for an Arrow field. */
export const sqlTypeOf = (field: Arrow.Field): string => {
  const type = field.type as Arrow.DataType
  const pgType = field.metadata.get(PG_TYPE)
  switch (type.typeId) {
    case Arrow.Type.Int: {
      const int = type as Arrow.Int
      if (int.isSigned) return int.bitWidth <= 16 ? "smallint" : int.bitWidth === 32 ? "integer" : "bigint"
      return int.bitWidth <= 8 ? "smallint" : int.bitWidth === 16 ? "integer" : int.bitWidth === 32 ? "bigint" : "numeric(20,0)"
    }
    case Arrow.Type.Float:
      return (type as Arrow.Float).precision === Arrow.Precision.DOUBLE ? "double precision" : "real"
    case Arrow.Type.Decimal: {
      const decimal = type as Arrow.Decimal
      return `numeric(${decimal.precision},${decimal.scale})`
    }
    case Arrow.Type.Utf8:
    case Arrow.Type.LargeUtf8:
      if (field.metadata.get(EXTENSION_NAME) === JSON_EXTENSION) {
        // exact JSON text (the values manager's JSON kind) is kept byte for byte: json, not jsonb
        return pgType === "json" || field.metadata.get(JSON_TEXT) === "exact" ? "json" : "jsonb"
      }
      return "text"
    case Arrow.Type.Dictionary: {
      const value = (type as Arrow.Dictionary).dictionary
      if (value.typeId === Arrow.Type.Utf8 || value.typeId === Arrow.Type.LargeUtf8) return "text"
      break
    }
    case Arrow.Type.Bool:
      return "boolean"
    case Arrow.Type.Date:
      return "date"
    case Arrow.Type.Timestamp:
      return (type as Arrow.Timestamp).timezone ? "timestamptz" : "timestamp"
    case Arrow.Type.Binary:
    case Arrow.Type.LargeBinary:
      return "bytea"
    case Arrow.Type.Null:
      return "text"
  }
  throw new ColumnError(
    field.name,
    `column ${JSON.stringify(field.name)} has Arrow type ${String(type)}, which the Postgres I/O manager cannot store; ` +
      "convert it to one of: integers, floats, decimal, utf8 (JSON text with field metadata ARROW:extension:name=arrow.json), " +
      "bool, date, timestamp, binary"
  )
}

/** A column as Postgres describes it (`pg_attribute`). */
export interface PgColumn {
  readonly name: string
  readonly oid: number
  readonly typmod: number
  readonly sqlType: string
  readonly notNull: boolean
}

/** The Postgres type OIDs decoded natively; anything else is read as `::text`. */
export const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  json: 114,
  float4: 700,
  float8: 701,
  varchar: 1043,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  jsonb: 3802
} as const

const numericPrecision = (typmod: number) => typmod < 4 ? undefined : { precision: ((typmod - 4) >> 16) & 0xffff, scale: (typmod - 4) & 0xffff }

/** `true` when a column is decoded from its binary format (else it is selected as `::text`). */
export const isNative = (column: PgColumn): boolean => {
  switch (column.oid) {
    case OID.bool:
    case OID.bytea:
    case OID.int8:
    case OID.int2:
    case OID.int4:
    case OID.text:
    case OID.varchar:
    case OID.json:
    case OID.jsonb:
    case OID.float4:
    case OID.float8:
    case OID.date:
    case OID.timestamp:
    case OID.timestamptz:
      return true
    case OID.numeric: {
      const numeric = numericPrecision(column.typmod)
      return numeric !== undefined && numeric.precision <= 76 && numeric.scale <= numeric.precision
    }
  }
  return false
}

/** The Arrow field a column is loaded as. */
export const arrowFieldOf = (column: PgColumn): Arrow.Field =>
  new Arrow.Field(column.name, isNative(column) ? nativeTypeOf(column) : new Arrow.Utf8(), !column.notNull, fieldMetadataOf(column))

/** The Arrow type of a natively decoded column; text, varchar, json and jsonb are UTF-8. */
const nativeTypeOf = (column: PgColumn): Arrow.DataType => {
  switch (column.oid) {
    case OID.bool:
      return new Arrow.Bool()
    case OID.bytea:
      return new Arrow.Binary()
    case OID.int2:
      return new Arrow.Int16()
    case OID.int4:
      return new Arrow.Int32()
    case OID.int8:
      return new Arrow.Int64()
    case OID.float4:
      return new Arrow.Float32()
    case OID.float8:
      return new Arrow.Float64()
    case OID.date:
      return new Arrow.DateDay()
    case OID.timestamp:
      return new Arrow.TimestampMicrosecond()
    case OID.timestamptz:
      return new Arrow.TimestampMicrosecond("UTC")
    case OID.numeric: {
      const { precision, scale } = numericPrecision(column.typmod)!
      return new Arrow.Decimal(scale, precision, precision <= 38 ? 128 : 256)
    }
  }
  return new Arrow.Utf8()
}

/**
 * The field metadata that lets a stored table come back with its column types:
 * JSON's extension name, and the Postgres type of JSON, varchar and of anything
 * read as text.
 */
const fieldMetadataOf = (column: PgColumn): Map<string, string> => {
  const metadata = new Map<string, string>()
  if (!isNative(column) || column.oid === OID.varchar) {
    metadata.set(PG_TYPE, column.sqlType)
  } else if (column.oid === OID.json || column.oid === OID.jsonb) {
    metadata.set(EXTENSION_NAME, JSON_EXTENSION)
    metadata.set(PG_TYPE, column.oid === OID.json ? "json" : "jsonb")
  }
  return metadata
}
