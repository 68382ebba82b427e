/**
 * Reads the data files of a scan plan into one Arrow table with the requested
 * schema: columns found by field id in each file (whatever the file called
 * them), renamed to the schema's names, widened where the schema was widened
 * after the file was written, and null for columns the file predates.
 */
import { type Data, DataType, Field, makeData, RecordBatch, Schema, Struct, Table } from "apache-arrow"
import type * as Filter from "../Filter.ts"
import * as FilterOps from "../Filter.ts"
import * as IcebergError from "../IcebergError.ts"
import * as IcebergSchema from "../IcebergSchema.ts"
import * as FileIO from "./fileio.ts"
import * as Parquet from "./parquet.ts"
import type * as Scan from "./scan.ts"
import * as Take from "./take.ts"
import { valueAt } from "./values.ts"

const widen = (data: Data, target: DataType): Data => {
  if (DataType.isInt(target) && DataType.isInt(data.type) && (target as unknown as { bitWidth: number }).bitWidth === 64 &&
    (data.type as unknown as { bitWidth: number }).bitWidth < 64) {
    const end = data.offset + data.length
    const source = data.values as Int32Array
    const out = new BigInt64Array(end)
    for (let i = data.offset; i < end; i++) out[i] = BigInt(source[i]!)
    return makeData({ type: target, offset: data.offset, length: data.length, nullCount: data.nullCount, nullBitmap: data.nullBitmap, data: out } as never)
  }
  if (DataType.isFloat(target) && DataType.isFloat(data.type) && (target as unknown as { precision: number }).precision === 2 &&
    (data.type as unknown as { precision: number }).precision !== 2) {
    return makeData({ type: target, offset: data.offset, length: data.length, nullCount: data.nullCount, nullBitmap: data.nullBitmap, data: Float64Array.from(data.values as Float32Array) } as never)
  }
  return data
}

/** The output field of a column: the file's Arrow type unless the schema's type is wider. */
const outputType = (field: IcebergSchema.NestedField, fileType: DataType | undefined): DataType => {
  const schemaType = IcebergSchema.toArrowType(field.type)
  if (fileType === undefined) return schemaType ?? new Struct([])
  if (schemaType !== undefined && (field.type === "long" || field.type === "double") && fileType.typeId === schemaType.typeId) return schemaType
  return fileType
}

/** The batches of one data file mapped onto the output columns. */
const mapFile = (
  decoded: Table | undefined,
  rows: number,
  columns: ReadonlyArray<IcebergSchema.NestedField>,
  fields: Array<Field | undefined>
): Array<{ length: number; children: Array<Data> }> => {
  const byId = new Map<number, number>()
  decoded?.schema.fields.forEach((field, index) => {
    const id = Parquet.fieldIdOf(field)
    if (id !== undefined) byId.set(id, index)
  })
  const batches = decoded === undefined ? [{ numRows: rows, data: { children: [] as Array<Data> } }] : decoded.batches
  return batches.map((batch) => ({
    length: batch.numRows,
    children: columns.map((column, index) => {
      const at = byId.get(column.id)
      const fileType = at === undefined ? undefined : decoded!.schema.fields[at]!.type
      const type = fields[index]?.type ?? outputType(column, fileType)
      fields[index] ??= new Field(column.name, type, !column.required, new Map([[IcebergSchema.FIELD_ID_KEY, String(column.id)]]))
      const target = fields[index].type
      return at === undefined ? Parquet.nullChunk(target, batch.numRows) : widen(batch.data.children[at]!, target)
    })
  }))
}

/** Keeps the rows of a batch that satisfy every bound predicate. */
const filterRows = (
  batch: { length: number; children: Array<Data> },
  bounds: ReadonlyArray<Filter.Bound>,
  columns: ReadonlyArray<IcebergSchema.NestedField>
): { length: number; children: Array<Data> } => {
  if (bounds.length === 0) return batch
  const tests = bounds.map((bound) => ({ bound, index: columns.findIndex((column) => column.id === bound.fieldId) }))
  const keep: Array<number> = []
  for (let row = 0; row < batch.length; row++) {
    if (tests.every(({ bound, index }) => FilterOps.test(bound, valueAt(batch.children[index]!, row, bound.type)))) keep.push(row)
  }
  if (keep.length === batch.length) return batch
  const indices = Int32Array.from(keep)
  return { length: keep.length, children: batch.children.map((child) => Take.take(child, indices)) }
}

/**
 * Reads planned files into a table with `columns` (in that order). Row filters
 * need their columns among `columns` plus `filterColumns` (read, then dropped).
 */
export const read = async (
  io: FileIO.FileIO,
  files: ReadonlyArray<Scan.PlannedFile>,
  columns: ReadonlyArray<IcebergSchema.NestedField>,
  bounds: ReadonlyArray<Filter.Bound>,
  options: { readonly projected: boolean; readonly outputCount: number; readonly table: string }
): Promise<Table> => {
  const fields: Array<Field | undefined> = columns.map(() => undefined)
  const batches: Array<{ length: number; children: Array<Data> }> = []
  for (const file of files) {
    const bytes = await FileIO.read(io, file.dataFile.filePath)
    let decoded: Table | undefined
    try {
      decoded = Parquet.decode(bytes, options.projected ? columns.map((column) => column.id) : undefined)
    } catch (cause) {
      throw IcebergError.make({ reason: "invalid-metadata", table: options.table, location: file.dataFile.filePath, detail: `unreadable data file: ${String(cause)}`, cause })
    }
    for (const batch of mapFile(decoded, file.dataFile.recordCount, columns, fields)) {
      const kept = filterRows(batch, bounds, columns)
      if (kept.length > 0) batches.push(kept)
    }
  }
  const allFields = columns.map((column, index) =>
    fields[index] ?? new Field(column.name, IcebergSchema.toArrowType(column.type) ?? new Struct([]), !column.required, new Map([[IcebergSchema.FIELD_ID_KEY, String(column.id)]]))
  )
  const output = allFields.slice(0, options.outputCount)
  const schema = new Schema(output)
  return new Table(schema, batches.map((batch) =>
    new RecordBatch(schema, makeData({ type: new Struct(output), length: batch.length, nullCount: 0, children: batch.children.slice(0, options.outputCount) }))
  ))
}
