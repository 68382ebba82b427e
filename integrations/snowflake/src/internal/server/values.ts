/**
 * DuckDB results -> Snowflake's JSON result format: a `rowtype` entry per
 * column and every value as a string (or null), encoded as Snowflake's
 * servers encode them for the JSON result format:
 *
 * | Snowflake type | wire value |
 * | --- | --- |
 * | fixed (NUMBER(p,s)) | decimal text, `"12.34"` |
 * | real | `"1.5"` |
 * | text | the string |
 * | boolean | `"1"` / `"0"` |
 * | date | days since 1970-01-01, `"19724"` |
 * | time | seconds since midnight with 9 decimals |
 * | timestamp_ntz / timestamp_ltz | seconds since the epoch with 9 decimals, `"1704164645.123456789"` |
 * | variant / object / array | JSON text |
 * | binary | upper-case hex |
 */
import type { DuckDBResultReader, DuckDBType, DuckDBValue } from "@duckdb/node-api"
import { DuckDBTypeId, JsonDuckDBValueConverter } from "@duckdb/node-api"

/** One column of a result, as in Snowflake's `rowtype`. */
export interface RowType {
  readonly name: string
  readonly database: string
  readonly schema: string
  readonly table: string
  readonly type: string
  readonly precision: number | null
  readonly scale: number | null
  readonly length: number | null
  readonly byteLength: number | null
  readonly nullable: boolean
  readonly collation: null
}

const MAX_TEXT = 16_777_216

const column = (name: string, type: string, fields: Partial<RowType> = {}): RowType => ({
  name,
  database: "",
  schema: "",
  table: "",
  type,
  precision: null,
  scale: null,
  length: null,
  byteLength: null,
  nullable: true,
  collation: null,
  ...fields
})

/** The Snowflake type of a DuckDB column type. */
export const rowTypeOf = (name: string, type: DuckDBType): RowType => {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return column(name, "boolean")
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return column(name, "fixed", { precision: 38, scale: 0 })
    case DuckDBTypeId.DECIMAL: {
      const decimal = type as unknown as { readonly width: number; readonly scale: number }
      return column(name, "fixed", { precision: decimal.width, scale: decimal.scale })
    }
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return column(name, "real")
    case DuckDBTypeId.DATE:
      return column(name, "date")
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_NS:
      return column(name, "time", { scale: 9 })
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return column(name, "timestamp_ntz", { scale: 9, precision: 0 })
    case DuckDBTypeId.TIMESTAMP_TZ:
      return column(name, "timestamp_ltz", { scale: 9, precision: 0 })
    case DuckDBTypeId.BLOB:
      return column(name, "binary", { length: 8_388_608, byteLength: 8_388_608 })
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return column(name, "array")
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.MAP:
      return column(name, "object")
    case DuckDBTypeId.VARCHAR:
      return type.alias === "JSON" ? column(name, "variant") : column(name, "text", { length: MAX_TEXT, byteLength: MAX_TEXT })
    default:
      return column(name, "text", { length: MAX_TEXT, byteLength: MAX_TEXT })
  }
}

const NANOS_PER_SECOND = 1_000_000_000n

/** `nanos` since an origin as `seconds.nnnnnnnnn` (floored, as Snowflake encodes negative instants). */
export const secondsText = (nanos: bigint): string => {
  let seconds = nanos / NANOS_PER_SECOND
  let fraction = nanos % NANOS_PER_SECOND
  if (fraction < 0n) {
    seconds -= 1n
    fraction += NANOS_PER_SECOND
  }
  return `${seconds}.${fraction.toString().padStart(9, "0")}`
}

/** An unscaled integer with `scale` decimals as text: `(1234n, 2)` -> `12.34`. */
export const decimalText = (value: bigint, scale: number): string => {
  if (scale === 0) return value.toString()
  const negative = value < 0n
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0")
  return `${negative ? "-" : ""}${digits.slice(0, -scale)}.${digits.slice(-scale)}`
}

const doubleText = (value: number): string =>
  Number.isNaN(value) ? "NaN" : value === Infinity ? "inf" : value === -Infinity ? "-inf" : String(value)

/** One DuckDB value as Snowflake's wire text. */
export const wireValue = (value: DuckDBValue, type: DuckDBType): string | null => {
  if (value === null) return null
  const any = value as unknown as Record<string, unknown>
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return value ? "1" : "0"
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return doubleText(value as number)
    case DuckDBTypeId.DECIMAL:
      return decimalText(any["value"] as bigint, any["scale"] as number)
    case DuckDBTypeId.DATE:
      return String(any["days"])
    case DuckDBTypeId.TIME:
      return secondsText(BigInt(any["micros"] as bigint) * 1000n)
    case DuckDBTypeId.TIME_NS:
      return secondsText(BigInt(any["nanos"] as bigint))
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return secondsText((any["micros"] as bigint) * 1000n)
    case DuckDBTypeId.TIMESTAMP_S:
      return secondsText((any["seconds"] as bigint) * NANOS_PER_SECOND)
    case DuckDBTypeId.TIMESTAMP_MS:
      return secondsText((any["millis"] as bigint) * 1_000_000n)
    case DuckDBTypeId.TIMESTAMP_NS:
      return secondsText(any["nanos"] as bigint)
    case DuckDBTypeId.BLOB:
      return Buffer.from(any["bytes"] as Uint8Array).toString("hex").toUpperCase()
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.MAP:
      return JSON.stringify(JsonDuckDBValueConverter(value, type, JsonDuckDBValueConverter))
    default:
      return typeof value === "string" ? value : String(value)
  }
}

/** A materialized result as Snowflake's `rowtype` and `rowset`. */
export const toSnowflake = (reader: DuckDBResultReader): { readonly rowtype: Array<RowType>; readonly rowset: Array<Array<string | null>> } => {
  const names = reader.columnNames()
  const types = reader.columnTypes()
  const rowtype = names.map((name, index) => rowTypeOf(name, types[index]!))
  const columns = reader.getColumns()
  const count = reader.currentRowCount
  const rowset: Array<Array<string | null>> = new Array(count)
  for (let row = 0; row < count; row++) {
    const values: Array<string | null> = new Array(columns.length)
    for (let index = 0; index < columns.length; index++) values[index] = wireValue(columns[index]![row]!, types[index]!)
    rowset[row] = values
  }
  return { rowtype, rowset }
}
