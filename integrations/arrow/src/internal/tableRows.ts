/**
 * Arrays of plain row objects <-> Arrow tables, for the warehouse I/O
 * managers' `rows` and `values` (see `TableIO`). Column types are inferred
 * from the values: number -> float64, bigint -> int64, string -> utf8,
 * boolean -> bool, Date -> timestamp (UTC, microseconds), plain objects and
 * arrays -> JSON text marked with Arrow's canonical JSON extension (a
 * warehouse stores it as its JSON type: jsonb, VARIANT); null and undefined
 * are NULL. A column mixing kinds is refused.
 */
import * as Arrow from "apache-arrow"

/** Field metadata naming JSON text (Arrow's canonical JSON extension type). */
export const EXTENSION_NAME = "ARROW:extension:name"
export const JSON_EXTENSION = "arrow.json"
/**
 * Field metadata `exact`: the JSON text must be kept byte for byte (a
 * backend picks a type that does not normalise it: Postgres `json`, not `jsonb`).
 */
export const JSON_TEXT = "strata:json_text"

/**
 * A row: column name to value.
 *
 * @since 0.1.0
 */
export type Row = Readonly<Record<string, unknown>>

type Kind = "number" | "bigint" | "string" | "boolean" | "date" | "json"

const kindOf = (value: unknown): Kind | undefined => {
  if (value === null || value === undefined) return undefined
  switch (typeof value) {
    case "number":
      return "number"
    case "bigint":
      return "bigint"
    case "string":
      return "string"
    case "boolean":
      return "boolean"
    case "object":
      return value instanceof Date ? "date" : "json"
  }
  return "json"
}

const jsonText = (value: unknown) => JSON.stringify(value, (_key, inner) => typeof inner === "bigint" ? inner.toString() : inner)

/** The table; throws an error saying which row or column cannot be stored. */
export const rowsToTable = (rows: ReadonlyArray<Row>): Arrow.Table => {
  const table = rowsToTableOrProblem(rows)
  if (typeof table === "string") throw new Error(table)
  return table
}

const rowsToTableOrProblem = (rows: ReadonlyArray<Row>): Arrow.Table | string => {
  if (!Array.isArray(rows)) return "the value is not an array of row objects"
  const names: Array<string> = []
  const kinds = new Map<string, Kind | undefined>()
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]
    if (typeof row !== "object" || row === null || Array.isArray(row)) return `row ${index} is not an object`
    for (const name of Object.keys(row)) {
      const kind = kindOf(row[name])
      if (!kinds.has(name)) {
        names.push(name)
        kinds.set(name, kind)
      } else if (kind !== undefined) {
        const known = kinds.get(name)
        if (known === undefined) kinds.set(name, kind)
        else if (known !== kind) return `column ${JSON.stringify(name)} holds both ${known} and ${kind} values (row ${index})`
      }
    }
  }
  const vectors: Record<string, Arrow.Vector> = {}
  const fields: Array<Arrow.Field> = []
  for (const name of names) {
    const kind = kinds.get(name) ?? "string"
    const values = rows.map((row) => row[name] ?? null)
    let type: Arrow.DataType
    let metadata: Map<string, string> | undefined
    let input: Array<unknown> = values
    switch (kind) {
      case "number":
        type = new Arrow.Float64()
        break
      case "bigint":
        type = new Arrow.Int64()
        break
      case "string":
        type = new Arrow.Utf8()
        break
      case "boolean":
        type = new Arrow.Bool()
        break
      case "date":
        type = new Arrow.TimestampMicrosecond("UTC")
        input = values.map((value) => value === null ? null : (value as Date).getTime())
        break
      case "json":
        type = new Arrow.Utf8()
        metadata = new Map([[EXTENSION_NAME, JSON_EXTENSION]])
        input = values.map((value) => value === null ? null : jsonText(value))
        break
    }
    const vector = Arrow.vectorFromArray(input, type)
    vectors[name] = vector
    fields.push(new Arrow.Field(name, type, true, metadata))
  }
  const schema = new Arrow.Schema(fields)
  if (fields.length === 0) return new Arrow.Table(schema)
  const data = Arrow.makeData({
    type: new Arrow.Struct(fields),
    length: rows.length,
    nullCount: 0,
    children: fields.map((field) => vectors[field.name]!.data[0]!)
  })
  return new Arrow.Table(schema, [new Arrow.RecordBatch(schema, data)])
}

/**
 * Rows of a table: integers of 64 bits stay `bigint`, timestamps and dates
 * become `Date`, JSON columns are parsed, decimals become strings.
 */
export const tableToRows = (table: Arrow.Table): ReadonlyArray<Row> => {
  const fields = table.schema.fields
  const converters = fields.map((field) => {
    const type = field.type as Arrow.DataType
    if (field.metadata.get(EXTENSION_NAME) === JSON_EXTENSION) return (value: unknown) => value == null ? null : JSON.parse(value as string)
    switch (type.typeId) {
      case Arrow.Type.Timestamp:
      case Arrow.Type.Date:
        return (value: unknown) => value == null ? null : new Date(value as number)
      case Arrow.Type.Decimal: {
        const scale = (type as Arrow.Decimal).scale
        return (value: unknown) => value == null ? null : decimalText(BigInt(String(value)), scale)
      }
    }
    return (value: unknown) => value ?? null
  })
  const columns = fields.map((field) => table.getChild(field.name)!)
  const rows: Array<Row> = new Array(table.numRows)
  for (let index = 0; index < table.numRows; index++) {
    const row: Record<string, unknown> = {}
    for (let c = 0; c < fields.length; c++) row[fields[c]!.name] = converters[c]!(columns[c]!.get(index))
    rows[index] = row
  }
  return rows
}

/** An unscaled decimal as text: `12345` with scale 2 is `123.45`. */
export const decimalText = (unscaled: bigint, scale: number): string => {
  const negative = unscaled < 0n
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, "0")
  const text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`
  return negative ? `-${text}` : text
}

/** A one-row table with a JSON column `value` holding `json` exactly (the `values` manager's JSON kind). */
export const jsonValueTable = (json: string): Arrow.Table => {
  const field = new Arrow.Field("value", new Arrow.Utf8(), false, new Map([[EXTENSION_NAME, JSON_EXTENSION], [JSON_TEXT, "exact"]]))
  const schema = new Arrow.Schema([field])
  const bytes = Buffer.from(json, "utf8")
  const column = Arrow.makeData({ type: new Arrow.Utf8(), length: 1, nullCount: 0, valueOffsets: Int32Array.from([0, bytes.length]), data: new Uint8Array(bytes) })
  const data = Arrow.makeData({ type: new Arrow.Struct([field]), length: 1, nullCount: 0, children: [column] })
  return new Arrow.Table(schema, [new Arrow.RecordBatch(schema, data)])
}
