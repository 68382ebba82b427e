/**
 * Data files: Arrow tables prepared for an Iceberg schema (columns in schema
 * order, field ids in `PARQUET:field_id`, types Iceberg defines: microsecond
 * timestamps, day dates, widened integers and floats, null columns for optional
 * columns the table lacks), encoded to Parquet by parquet-wasm, and decoded
 * back with projection by field id.
 */
import {
  type Data,
  DataType,
  Field,
  type Float64,
  Int32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableFromIPC,
  tableToIPC,
  TimestampMicrosecond,
  Type
} from "apache-arrow"
import * as Parquet from "parquet-wasm"
import * as IcebergSchema from "../IcebergSchema.ts"
import type * as SchemaEvolution from "../SchemaEvolution.ts"

/** Parquet codecs. */
export type Compression = "zstd" | "snappy" | "gzip" | "none"

const codecs: Record<Compression, Parquet.Compression> = {
  zstd: Parquet.Compression.ZSTD,
  snappy: Parquet.Compression.SNAPPY,
  gzip: Parquet.Compression.GZIP,
  none: Parquet.Compression.UNCOMPRESSED
}

// ---------------------------------------------------------------------------
// Preparing columns

/** The Arrow type a column is written as, given its Iceberg type and the source Arrow type. */
const targetType = (icebergType: IcebergSchema.IcebergType, source: DataType | undefined): DataType => {
  if (icebergType === "timestamptz") {
    // keep the source's zone name; values are UTC either way
    const zone = (source as { timezone?: string | null } | undefined)?.timezone
    return new TimestampMicrosecond(zone === undefined || zone === null || zone === "" ? "UTC" : zone)
  }
  // numbers, dates and timestamps are cast to Iceberg's physical types; the others keep the source's type
  if (typeof icebergType === "string" && ["int", "long", "float", "double", "date", "timestamp"].includes(icebergType)) {
    return IcebergSchema.toArrowType(icebergType)!
  }
  return source ?? IcebergSchema.toArrowType(icebergType) ?? new Int32()
}

const sameType = (a: DataType, b: DataType): boolean => DataType.isTimestamp(a) && DataType.isTimestamp(b)
  ? (a as TimestampMicrosecond).unit === (b as TimestampMicrosecond).unit
  : a.typeId === b.typeId && a.toString() === b.toString()

const MICROS: Record<number, bigint> = { 0: 1_000_000n, 1: 1_000n, 2: 1n }

/** The values of `data` converted for `target`, at the same positions (so offset and validity stay). */
const convertValues = (data: Data, target: DataType): ArrayLike<unknown> & { length: number } => {
  const end = data.offset + data.length
  const source = data.values as ArrayLike<number | bigint>
  if (target.typeId === Type.Int && (target as Int32).bitWidth === 32) {
    const out = new Int32Array(end)
    for (let i = data.offset; i < end; i++) out[i] = Number(source[i])
    return out
  }
  if (target.typeId === Type.Int) {
    const out = new BigInt64Array(end)
    for (let i = data.offset; i < end; i++) out[i] = BigInt(source[i]!)
    return out
  }
  if (target.typeId === Type.Float) {
    return (target as Float64).precision === 2 ? Float64Array.from(source as ArrayLike<number>) : Float32Array.from(source as ArrayLike<number>)
  }
  if (target.typeId === Type.Date) {
    // Date64: milliseconds -> days
    const out = new Int32Array(end)
    for (let i = data.offset; i < end; i++) out[i] = Math.floor(Number(source[i]) / 86_400_000)
    return out
  }
  // timestamps: seconds or milliseconds -> microseconds
  const factor = MICROS[(data.type as TimestampMicrosecond).unit] ?? 1n
  const out = new BigInt64Array(end)
  for (let i = data.offset; i < end; i++) out[i] = BigInt(source[i]!) * factor
  return out
}

const castChunk = (data: Data, target: DataType): Data => {
  if (sameType(data.type, target)) return data
  if (DataType.isDictionary(data.type) || !(DataType.isInt(target) || DataType.isFloat(target) || DataType.isDate(target) || DataType.isTimestamp(target))) {
    return data
  }
  return makeData({
    type: target,
    offset: data.offset,
    length: data.length,
    nullCount: data.nullCount,
    nullBitmap: data.nullBitmap,
    data: convertValues(data, target)
  } as never)
}

/** A chunk of `length` nulls of a type. */
export const nullChunk = (type: DataType, length: number): Data => {
  const nullBitmap = new Uint8Array(Math.ceil(length / 8))
  switch (type.typeId) {
    case Type.Utf8:
    case Type.Binary:
      return makeData({ type, length, nullCount: length, nullBitmap, valueOffsets: new Int32Array(length + 1), data: new Uint8Array(0) } as never)
    case Type.Bool:
      return makeData({ type, length, nullCount: length, nullBitmap, data: new Uint8Array(Math.ceil(length / 8)) } as never)
    case Type.FixedSizeBinary:
      return makeData({ type, length, nullCount: length, nullBitmap, data: new Uint8Array(length * (type as unknown as { byteWidth: number }).byteWidth) } as never)
  }
  const stride = DataType.isDecimal(type) ? 4 : 1
  return makeData({ type, length, nullCount: length, nullBitmap, data: new type.ArrayType(length * stride) } as never)
}

/**
 * The Arrow table written to a data file: one column per schema column, in
 * schema order, named as in the schema, carrying its field id.
 */
export const prepare = (table: Table, columns: ReadonlyArray<SchemaEvolution.ColumnSource>): Table => {
  const fields = columns.map(({ field, arrowIndex }) => {
    const source = arrowIndex === undefined ? undefined : table.schema.fields[arrowIndex]!.type
    return new Field(field.name, targetType(field.type, source), !field.required, new Map([[IcebergSchema.FIELD_ID_KEY, String(field.id)]]))
  })
  const schema = new Schema(fields)
  const batches = table.batches.map((batch) => {
    const children = columns.map(({ arrowIndex }, index) => {
      const type = fields[index]!.type
      if (arrowIndex === undefined) return nullChunk(type, batch.numRows)
      return castChunk(batch.data.children[arrowIndex]!, type)
    })
    return new RecordBatch(schema, makeData({ type: new Struct(fields), length: batch.numRows, nullCount: 0, children }))
  })
  return new Table(schema, batches)
}

// ---------------------------------------------------------------------------
// Encoding and decoding

/** The Parquet bytes of a prepared table; the Iceberg schema goes in the footer as `iceberg.schema`. */
export const encode = (table: Table, schema: IcebergSchema.Schema, compression: Compression): Uint8Array => {
  const properties = new Parquet.WriterPropertiesBuilder()
    .setCompression(codecs[compression])
    .setCreatedBy("@strata/iceberg (parquet-wasm)")
    .setKeyValueMetadata(new Map([["iceberg.schema", JSON.stringify(schema)]]))
    .build()
  return Parquet.writeParquet(Parquet.Table.fromIPCStream(tableToIPC(table, "stream")), properties)
}

/** The Arrow schema of a Parquet file (its footer). */
export const readSchema = (bytes: Uint8Array): Schema => tableFromIPC(Parquet.readSchema(bytes).intoIPCStream()).schema

/** The field id of an Arrow field read from Parquet, if it has one. */
export const fieldIdOf = (field: Field): number | undefined => {
  const id = field.metadata.get(IcebergSchema.FIELD_ID_KEY)
  return id === undefined ? undefined : Number(id)
}

/**
 * Decodes a data file, reading only the columns with the given field ids
 * (all when `undefined`); `undefined` when the file has none of them.
 */
export const decode = (bytes: Uint8Array, fieldIds: ReadonlyArray<number> | undefined): Table | undefined => {
  const options: Parquet.ReaderOptions = { batchSize: 1 << 20 }
  if (fieldIds !== undefined) {
    const wanted = new Set(fieldIds)
    const columns = readSchema(bytes).fields.filter((field) => wanted.has(fieldIdOf(field) ?? -1)).map((field) => field.name)
    if (columns.length === 0) return undefined
    options.columns = columns
  }
  return tableFromIPC(Parquet.readParquet(bytes, options).intoIPCStream())
}
