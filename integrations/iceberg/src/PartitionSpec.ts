/**
 * Partition specs (spec: Partitioning) and the transforms Strata writes:
 * `identity`, `year`, `month`, `day` and `hour`. A daily Strata partition maps
 * to a `day(ts)` or an identity partition on a date or string column.
 *
 * Partition values are kept in their Iceberg representation: `day` as days
 * since 1970-01-01, `month`/`year`/`hour` as months/years/hours since the
 * epoch, `identity` as the column's value (`bigint` for longs and timestamps in
 * microseconds, days for dates).
 *
 * @since 0.1.0
 */
import * as IcebergError from "./IcebergError.ts"
import * as IcebergSchema from "./IcebergSchema.ts"

/**
 * One field of a partition spec (JSON form).
 *
 * @since 0.1.0
 */
export interface PartitionField {
  readonly "source-id": number
  readonly "field-id": number
  readonly name: string
  readonly transform: string
}

/**
 * A partition spec (JSON form).
 *
 * @since 0.1.0
 */
export interface PartitionSpec {
  readonly "spec-id": number
  readonly fields: ReadonlyArray<PartitionField>
}

/**
 * The transforms Strata writes.
 *
 * @since 0.1.0
 */
export type Transform = "identity" | "year" | "month" | "day" | "hour"

/**
 * How a table is partitioned, by column name: `{ column: "placed_at", transform: "day" }`.
 *
 * @since 0.1.0
 */
export interface PartitionBy {
  readonly column: string
  /** Default `identity`. */
  readonly transform?: Transform | undefined
  /** The partition field's name. Default `<column>` for identity, `<column>_<transform>` otherwise. */
  readonly name?: string | undefined
}

/**
 * A partition value in its Iceberg representation (`null` for a null source).
 *
 * @since 0.1.0
 */
export type Value = number | bigint | string | boolean | Uint8Array | null

/** The unpartitioned spec. */
export const unpartitioned: PartitionSpec = { "spec-id": 0, fields: [] }

/** Partition field ids start at 1000 (the reference implementation's convention). */
export const FIRST_FIELD_ID = 1000

const temporal = new Set(["date", "timestamp", "timestamptz"])

/**
 * Builds a spec from column names, checking each transform against the column's type.
 *
 * @since 0.1.0
 */
export const make = (
  schema: IcebergSchema.Schema,
  partitionBy: ReadonlyArray<PartitionBy>,
  options: { readonly specId?: number; readonly lastPartitionId?: number; readonly table?: string | undefined } = {}
): PartitionSpec => {
  let fieldId = options.lastPartitionId ?? FIRST_FIELD_ID - 1
  const fields = partitionBy.map((by): PartitionField => {
    const source = IcebergSchema.fieldByName(schema, by.column)
    const transform = by.transform ?? "identity"
    if (source === undefined) {
      throw IcebergError.make({ reason: "invalid-argument", table: options.table, column: by.column, detail: "cannot partition by a column the table does not have" })
    }
    if (typeof source.type !== "string") {
      throw IcebergError.make({ reason: "invalid-argument", table: options.table, column: by.column, detail: "cannot partition by a nested column" })
    }
    if (transform !== "identity" && !temporal.has(source.type)) {
      throw IcebergError.make({ reason: "invalid-argument", table: options.table, column: by.column, detail: `the ${transform} transform needs a date or timestamp column, not ${source.type}` })
    }
    if (transform === "hour" && source.type === "date") {
      throw IcebergError.make({ reason: "invalid-argument", table: options.table, column: by.column, detail: "the hour transform needs a timestamp column" })
    }
    fieldId += 1
    return {
      "source-id": source.id,
      "field-id": fieldId,
      name: by.name ?? (transform === "identity" ? by.column : `${by.column}_${transform}`),
      transform
    }
  })
  return { "spec-id": options.specId ?? 0, fields }
}

/**
 * The Iceberg type of a partition field's values.
 *
 * @since 0.1.0
 */
export const resultType = (transform: string, sourceType: IcebergSchema.IcebergType): IcebergSchema.IcebergType =>
  transform === "identity" ? sourceType : transform === "day" ? "date" : "int"

const MICROS_PER_HOUR = 3_600_000_000n
const MICROS_PER_DAY = 86_400_000_000n

const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q
}

/** Days since the epoch of a source value (date: days; timestamp: microseconds). */
const daysOf = (value: number | bigint, sourceType: string): number =>
  sourceType === "date" ? Number(value) : Number(floorDiv(BigInt(value), MICROS_PER_DAY))

const monthsOfDays = (days: number): number => {
  const date = new Date(days * 86_400_000)
  return (date.getUTCFullYear() - 1970) * 12 + date.getUTCMonth()
}

/**
 * Applies a transform to a source value in its Iceberg representation.
 *
 * @since 0.1.0
 */
export const apply = (transform: string, sourceType: IcebergSchema.IcebergType, value: Value): Value => {
  if (value === null || transform === "identity") return value
  if (typeof value !== "number" && typeof value !== "bigint") return null
  const type = typeof sourceType === "string" ? sourceType : ""
  switch (transform) {
    case "day":
      return daysOf(value, type)
    case "month":
      return monthsOfDays(daysOf(value, type))
    case "year":
      return new Date(daysOf(value, type) * 86_400_000).getUTCFullYear() - 1970
    case "hour":
      return Number(floorDiv(BigInt(value), MICROS_PER_HOUR))
    default:
      return null
  }
}

const pad = (n: number, width: number) => String(n).padStart(width, "0")

const isoDay = (days: number): string => new Date(days * 86_400_000).toISOString().slice(0, 10)

/**
 * A partition value as it appears in a data file's folder name
 * (`placed_at_day=2024-05-01`), the spec's human-readable form.
 *
 * @since 0.1.0
 */
export const toPathValue = (transform: string, resultType: IcebergSchema.IcebergType, value: Value): string => {
  if (value === null) return "null"
  if (transform === "day" || (transform === "identity" && resultType === "date")) return isoDay(Number(value))
  if (transform === "month") {
    const n = Number(value)
    return `${1970 + Math.floor(n / 12)}-${pad(((n % 12) + 12) % 12 + 1, 2)}`
  }
  if (transform === "year") return String(1970 + Number(value))
  if (transform === "hour") {
    const n = Number(value)
    return `${isoDay(Math.floor(n / 24))}-${pad(((n % 24) + 24) % 24, 2)}`
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex")
  return encodeURIComponent(String(value))
}

/**
 * The folder of a partition under `data/`: `a=1/b_day=2024-05-01`.
 *
 * @since 0.1.0
 */
export const toPath = (spec: PartitionSpec, schema: IcebergSchema.Schema, values: ReadonlyArray<Value>): string =>
  spec.fields.map((field, index) => {
    const source = IcebergSchema.fieldById(schema, field["source-id"])
    const type = resultType(field.transform, source?.type ?? "string")
    return `${encodeURIComponent(field.name)}=${toPathValue(field.transform, type, values[index] ?? null)}`
  }).join("/")

/**
 * True when two specs partition the same way (same source ids, transforms, names).
 *
 * @since 0.1.0
 */
export const equivalent = (a: PartitionSpec, b: PartitionSpec): boolean =>
  a.fields.length === b.fields.length &&
  a.fields.every((field, index) => {
    const other = b.fields[index]!
    return field["source-id"] === other["source-id"] && field.transform === other.transform && field.name === other.name
  })

/**
 * The key identifying a partition tuple (for grouping and comparisons).
 *
 * @since 0.1.0
 */
export const keyOf = (specId: number, values: ReadonlyArray<Value>): string =>
  `${specId}|${values.map((value) =>
    value === null ? "\u0000" : value instanceof Uint8Array ? `b:${Buffer.from(value).toString("hex")}` : `${typeof value}:${String(value)}`
  ).join("|")}`
