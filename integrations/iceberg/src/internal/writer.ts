/**
 * Writes data files: a prepared Arrow table is split by the partition spec
 * (rows gathered per partition tuple), each part encoded to Parquet under
 * `data/<partition path>/`, and described for the manifest (record count,
 * size, partition tuple, column statistics).
 */
import { randomUUID } from "node:crypto"
import { makeData, RecordBatch, Struct, Table } from "apache-arrow"
import type * as IcebergSchema from "../IcebergSchema.ts"
import * as PartitionSpec from "../PartitionSpec.ts"
import * as FileIO from "./fileio.ts"
import type * as Manifest from "./manifest.ts"
import * as Metrics from "./metrics.ts"
import * as Parquet from "./parquet.ts"
import * as Take from "./take.ts"
import { valueAt } from "./values.ts"

/** What a write needs to know about the table. */
export interface Target {
  readonly io: FileIO.FileIO
  /** The table's location (data files go under `<location>/data`). */
  readonly location: string
  readonly schema: IcebergSchema.Schema
  readonly spec: PartitionSpec.PartitionSpec
  readonly compression: Parquet.Compression
  readonly durable: boolean
  /** Rows per data file at most (a bigger partition is split). */
  readonly targetRows: number
}

interface Part {
  readonly values: ReadonlyArray<PartitionSpec.Value>
  readonly batches: Array<RecordBatch>
}

/** Splits a prepared table into partitions (one part when unpartitioned). */
const split = (table: Table, target: Target): Array<Part> => {
  if (target.spec.fields.length === 0) return [{ values: [], batches: [...table.batches] }]
  const sources = target.spec.fields.map((field) => {
    const index = target.schema.fields.findIndex((column) => column.id === field["source-id"])
    return { field, index, type: target.schema.fields[index]!.type }
  })
  const parts = new Map<string, { values: Array<PartitionSpec.Value>; rows: Map<number, Array<number>> }>()
  table.batches.forEach((batch, batchIndex) => {
    const columns = sources.map((source) => batch.data.children[source.index]!)
    for (let row = 0; row < batch.numRows; row++) {
      const values = sources.map((source, i) => PartitionSpec.apply(source.field.transform, source.type, valueAt(columns[i]!, row, source.type)))
      const key = PartitionSpec.keyOf(target.spec["spec-id"], values)
      let part = parts.get(key)
      if (part === undefined) {
        part = { values, rows: new Map() }
        parts.set(key, part)
      }
      let rows = part.rows.get(batchIndex)
      if (rows === undefined) {
        rows = []
        part.rows.set(batchIndex, rows)
      }
      rows.push(row)
    }
  })
  return [...parts.values()].map((part) => ({
    values: part.values,
    batches: [...part.rows].map(([batchIndex, rows]) => {
      const batch = table.batches[batchIndex]!
      const indices = Int32Array.from(rows)
      const children = batch.data.children.map((child) => Take.take(child, indices))
      return new RecordBatch(table.schema, makeData({ type: new Struct(table.schema.fields), length: indices.length, nullCount: 0, children }))
    })
  }))
}

/** The statistics of a written data file, keyed by field id, from its Parquet footer. */
const statistics = (bytes: Uint8Array, schema: IcebergSchema.Schema) => {
  const types = new Map(schema.fields.filter((field) => typeof field.type === "string").map((field) => [field.id, field.type as string]))
  const valueCounts = new Map<number, number>()
  const nullValueCounts = new Map<number, number>()
  const nanValueCounts = new Map<number, number>()
  const lowerBounds = new Map<number, Uint8Array>()
  const upperBounds = new Map<number, Uint8Array>()
  for (const [id, metrics] of Metrics.fromParquetFooter(bytes, types)) {
    valueCounts.set(id, metrics.valueCount)
    if (!Number.isNaN(metrics.nullCount)) nullValueCounts.set(id, metrics.nullCount)
    if (metrics.nanCount !== undefined) nanValueCounts.set(id, metrics.nanCount)
    if (metrics.lower !== undefined) lowerBounds.set(id, metrics.lower)
    if (metrics.upper !== undefined) upperBounds.set(id, metrics.upper)
  }
  return { valueCounts, nullValueCounts, nanValueCounts, lowerBounds, upperBounds }
}

/** Slices a part's table into files of at most `targetRows` rows. */
const chunksOf = (table: Table, targetRows: number): Array<Table> => {
  if (table.numRows <= targetRows) return [table]
  const result: Array<Table> = []
  for (let start = 0; start < table.numRows; start += targetRows) result.push(table.slice(start, start + targetRows))
  return result
}

/**
 * Writes the data files of a prepared table (see `Parquet.prepare`) and
 * returns their manifest descriptions. Files that were written before a
 * failure are left for the orphan-file sweep.
 */
export const writeDataFiles = async (table: Table, target: Target): Promise<Array<Manifest.DataFile>> => {
  const files: Array<Manifest.DataFile> = []
  const prefix = randomUUID()
  let counter = 0
  for (const part of split(table, target)) {
    const partTable = new Table(table.schema, part.batches)
    // the folder is Hive-style (`name=value`, values %-escaped); in a location URI its `%` is escaped again, so that
    // a value holding `/` (escaped `%2F`) stays one folder name instead of becoming a separator
    const folder = PartitionSpec.toPath(target.spec, target.schema, part.values).replaceAll("%", "%25")
    for (const chunk of chunksOf(partTable, target.targetRows)) {
      if (chunk.numRows === 0) continue
      counter += 1
      const location = FileIO.join(target.location, "data", folder, `${prefix}-${String(counter).padStart(5, "0")}.parquet`)
      const bytes = Parquet.encode(chunk, target.schema, target.compression)
      await FileIO.write(target.io, location, bytes, target.durable)
      files.push({
        content: 0,
        filePath: location,
        fileFormat: "PARQUET",
        partition: part.values,
        recordCount: chunk.numRows,
        fileSizeInBytes: bytes.byteLength,
        ...statistics(bytes, target.schema)
      })
    }
  }
  return files
}
