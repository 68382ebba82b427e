// What we write is read by readers that share no code with us: icebird (whole
// tables, over HTTP), hyparquet and DuckDB (data files and their field ids),
// avro-js (manifests and manifest lists: header schema with field ids,
// key-value metadata, every block), and our strict validator on every
// metadata.json the table went through.
import * as fs from "node:fs"
import * as path from "node:path"
import { DuckDBInstance } from "@duckdb/node-api"
import { parquetMetadata, parquetReadObjects } from "hyparquet"
import { compressors } from "hyparquet-compressors"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { IcebergTable, TableMetadata } from "../src/index.ts"
import * as Json from "../src/internal/json.ts"
import {
  avroHeader,
  avroRecords,
  eventsTable,
  fileSystemLayer,
  filesUnder,
  icebirdRows,
  rowsOf,
  run,
  serveFolder,
  tempDir
} from "./support.ts"

const ROWS = 20_000
let warehouse: string
let server: { url: string; close: () => Promise<void> }
const first = eventsTable(ROWS, 1)
const second = eventsTable(5_000, 2)

beforeAll(async () => {
  warehouse = tempDir("format")
  server = await serveFolder(warehouse)
  const layer = fileSystemLayer(warehouse, server.url)
  await run(IcebergTable.append("db.events", first), layer)
  await run(IcebergTable.append("db.events", second), layer)
})
afterAll(async () => {
  await server.close()
  fs.rmSync(warehouse, { recursive: true, force: true })
})

const tableFolder = () => path.join(warehouse, "db", "events")
const expectedRows = () => [...rowsOf(first), ...rowsOf(second)]

// icebird/hyparquet give timestamps as Dates (ms) or bigints; compare as microseconds
const micros = (value: unknown): bigint | null =>
  value === null || value === undefined ? null : value instanceof Date ? BigInt(value.getTime()) * 1000n : BigInt(value as bigint)

describe("an independent Iceberg reader (icebird, over HTTP)", () => {
  it("reads every row and value of the table", async () => {
    const rows = await icebirdRows(`${server.url}/db/events`)
    const expected = expectedRows()
    expect(rows.length).toBe(expected.length)
    const byId = new Map(rows.map((row) => [BigInt(row["id"] as bigint), row]))
    for (const row of expected) {
      const other = byId.get(row["id"] as bigint)!
      expect(other["score"] ?? null).toEqual(row["score"])
      expect(other["name"] ?? null).toEqual(row["name"])
      expect(other["flag"] ?? null).toEqual(row["flag"])
      expect(other["big"] === null || other["big"] === undefined ? null : BigInt(other["big"] as bigint)).toEqual(row["big"])
    }
  })
})

describe("data files, read by hyparquet and DuckDB", () => {
  it("carry the table's field ids and the Iceberg schema, and hold the written values", async () => {
    const { metadata } = await run(IcebergTable.load("db.events"), fileSystemLayer(warehouse, server.url))
    const schema = TableMetadata.currentSchema(metadata)
    const files = filesUnder(path.join(tableFolder(), "data")).filter((file) => file.endsWith(".parquet"))
    expect(files.length).toBe(2)
    let total = 0
    for (const file of files) {
      const bytes = fs.readFileSync(file)
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
      const footer = parquetMetadata(buffer)
      const columns = footer.schema.slice(1).map((element) => [element.name, element.field_id])
      expect(columns).toEqual(schema.fields.map((field) => [field.name, field.id]))
      const kv = footer.key_value_metadata?.find((entry) => entry.key === "iceberg.schema")
      expect(JSON.parse(kv!.value!)).toMatchObject({ fields: schema.fields.map((field) => ({ id: field.id, name: field.name })) })
      expect(footer.schema.find((element) => element.name === "at")?.logical_type).toMatchObject({ type: "TIMESTAMP", unit: "MICROS", isAdjustedToUTC: true })
      const rows = await parquetReadObjects({ file: buffer, compressors })
      total += rows.length
      const source = rows[0]!["id"] as bigint >= 2_000_000n ? second : first
      const expected = rowsOf(source)
      rows.forEach((row, index) => {
        expect(row["id"]).toBe(expected[index]!["id"])
        // hyparquet turns TIMESTAMP(MICROS) into Dates (milliseconds)
        const at = expected[index]!["at"] as number | null
        expect(micros(row["at"])).toEqual(at === null ? null : BigInt(Math.floor(at)) * 1000n)
      })
    }
    expect(total).toBe(ROWS + 5_000)
  })

  it("show their field ids to DuckDB's parquet_schema", async () => {
    const instance = await DuckDBInstance.create(":memory:")
    const connection = await instance.connect()
    try {
      for (const file of filesUnder(path.join(tableFolder(), "data"))) {
        const result = await connection.runAndReadAll(`select name, field_id from parquet_schema('${file.replaceAll("'", "''")}') where name <> 'arrow_schema' order by field_id`)
        expect(result.getRowObjects().map((row) => [row["name"], Number(row["field_id"])])).toEqual([
          ["id", 1], ["score", 2], ["name", 3], ["flag", 4], ["at", 5], ["big", 6]
        ])
      }
    } finally {
      connection.closeSync()
      instance.closeSync()
    }
  })
})

/** Every field id attribute of an Avro schema, by dotted path. */
const fieldIds = (schema: unknown, prefix = ""): Record<string, number> => {
  const out: Record<string, number> = {}
  const visit = (type: unknown, at: string) => {
    if (Array.isArray(type)) return type.forEach((branch) => visit(branch, at))
    if (typeof type !== "object" || type === null) return
    const record = type as { type?: unknown; fields?: Array<{ name: string; type: unknown; "field-id"?: number }>; items?: unknown; "element-id"?: number }
    if (record.type === "record") {
      for (const field of record.fields ?? []) {
        if (field["field-id"] !== undefined) out[`${at}${field.name}`] = field["field-id"]
        visit(field.type, `${at}${field.name}.`)
      }
    }
    if (record.type === "array") {
      if (record["element-id"] !== undefined) out[`${at}element`] = record["element-id"]
      visit(record.items, at)
    }
  }
  visit(schema, prefix)
  return out
}

describe("manifests and manifest lists, read by avro-js", () => {
  it("keep the spec's field ids and key-value metadata in the header", async () => {
    const metadataFiles = fs.readdirSync(path.join(tableFolder(), "metadata"))
    const manifests = metadataFiles.filter((name) => /-m\d\.avro$/.test(name))
    const lists = metadataFiles.filter((name) => name.startsWith("snap-"))
    expect(manifests.length).toBe(2)
    expect(lists.length).toBe(2)
    for (const name of manifests) {
      const header = await avroHeader(path.join(tableFolder(), "metadata", name))
      expect(fieldIds(header.schema)).toMatchObject({
        status: 0, snapshot_id: 1, sequence_number: 3, file_sequence_number: 4, data_file: 2,
        "data_file.content": 134, "data_file.file_path": 100, "data_file.file_format": 101, "data_file.partition": 102,
        "data_file.record_count": 103, "data_file.file_size_in_bytes": 104, "data_file.column_sizes": 108,
        "data_file.value_counts": 109, "data_file.value_counts.key": 119, "data_file.value_counts.value": 120,
        "data_file.null_value_counts": 110, "data_file.nan_value_counts": 137, "data_file.lower_bounds": 125,
        "data_file.lower_bounds.key": 126, "data_file.lower_bounds.value": 127, "data_file.upper_bounds": 128,
        "data_file.key_metadata": 131, "data_file.split_offsets": 132, "data_file.split_offsets.element": 133,
        "data_file.equality_ids": 135, "data_file.sort_order_id": 140
      })
      expect(header.meta).toMatchObject({ "format-version": "2", content: "data", "schema-id": "0", "partition-spec-id": "0", "partition-spec": "[]" })
      expect(JSON.parse(header.meta["schema"]!)).toMatchObject({ type: "struct", "schema-id": 0 })
      expect(header.meta["avro.codec"]).toBe("deflate")
    }
    for (const name of lists) {
      const header = await avroHeader(path.join(tableFolder(), "metadata", name))
      expect(fieldIds(header.schema)).toEqual({
        manifest_path: 500, manifest_length: 501, partition_spec_id: 502, content: 517, sequence_number: 515,
        min_sequence_number: 516, added_snapshot_id: 503, added_files_count: 504, existing_files_count: 505,
        deleted_files_count: 506, added_rows_count: 512, existing_rows_count: 513, deleted_rows_count: 514,
        partitions: 507, "partitions.element": 508, "partitions.contains_null": 509, "partitions.contains_nan": 518,
        "partitions.lower_bound": 510, "partitions.upper_bound": 511, key_metadata: 519
      })
      expect(header.meta["format-version"]).toBe("2")
      expect(header.meta["snapshot-id"]).toMatch(/^\d+$/)
    }
  })

  it("hold column statistics whose bounds, decoded per the spec's binary format, bound the written values", async () => {
    const metadataFiles = fs.readdirSync(path.join(tableFolder(), "metadata"))
    for (const name of metadataFiles.filter((file) => /-m\d\.avro$/.test(file))) {
      const [entry] = await avroRecords(path.join(tableFolder(), "metadata", name))
      const file = entry!["data_file"] as Record<string, Array<{ key: number; value: unknown }>> & { record_count: number }
      const source = file.record_count === ROWS ? first : second
      // avro-js returns a union's non-null branch wrapped by its type name
      const unwrap = (value: unknown): unknown =>
        value !== null && typeof value === "object" && !Array.isArray(value) && !Buffer.isBuffer(value) && Object.keys(value).length === 1
          ? Object.values(value)[0]
          : value
      const map = (key: string) =>
        new Map(((unwrap(file[key]) ?? []) as Array<{ key: number; value: unknown }>).map((item) => [item.key, unwrap(item.value)]))
      expect(entry!["status"]).toBe(1)
      expect(entry!["sequence_number"]).toBeNull() // inherited from the manifest list
      expect(map("value_counts").get(1)).toBe(source.numRows)
      expect(map("null_value_counts").get(1)).toBe(0)
      expect(map("null_value_counts").get(2)).toBe(source.getChild("score")!.nullCount)
      const lower = map("lower_bounds") as Map<number, Buffer>
      const upper = map("upper_bounds") as Map<number, Buffer>
      const ids = source.getChild("id")!.toArray() as BigInt64Array
      expect(lower.get(1)!.readBigInt64LE(0)).toBe(ids.reduce((a, b) => (a < b ? a : b)))
      expect(upper.get(1)!.readBigInt64LE(0)).toBe(ids.reduce((a, b) => (a > b ? a : b)))
      const scores = rowsOf(source).map((row) => row["score"]).filter((value): value is number => value !== null)
      expect(lower.get(2)!.readDoubleLE(0)).toBe(Math.min(...scores))
      expect(upper.get(2)!.readDoubleLE(0)).toBe(Math.max(...scores))
      const names = rowsOf(source).map((row) => row["name"]).filter((value): value is string => value !== null).map((value) => Buffer.from(value))
      const sorted = names.sort(Buffer.compare)
      expect(Buffer.compare(lower.get(3)!, sorted[0]!)).toBeLessThanOrEqual(0)
      expect(Buffer.compare(upper.get(3)!, sorted[sorted.length - 1]!)).toBeGreaterThanOrEqual(0)
      expect([...lower.get(3)!.toString("utf8")].length).toBeLessThanOrEqual(16)
      const bigs = rowsOf(source).map((row) => row["big"]).filter((value): value is bigint => value !== null)
      expect(lower.get(6)!.readBigInt64LE(0)).toBe(bigs.reduce((a, b) => (a < b ? a : b)))
      expect(upper.get(6)!.readBigInt64LE(0)).toBe(bigs.reduce((a, b) => (a > b ? a : b)))
      expect(lower.get(4)!.length).toBe(1)
    }
  })
})

describe("table metadata", () => {
  it("every metadata.json version passes the strict validator, with snapshots, refs, logs and sequence numbers", () => {
    const folder = path.join(tableFolder(), "metadata")
    const versions = fs.readdirSync(folder).filter((name) => /^v\d+\.metadata\.json$/.test(name)).sort()
    expect(versions).toEqual(["v1.metadata.json", "v2.metadata.json", "v3.metadata.json"])
    expect(fs.readFileSync(path.join(folder, "version-hint.text"), "utf8")).toBe("3")
    for (const version of versions) {
      const { problems } = TableMetadata.validate(Json.parse(fs.readFileSync(path.join(folder, version), "utf8")))
      expect(problems).toEqual([])
    }
    const last = TableMetadata.decode(fs.readFileSync(path.join(folder, "v3.metadata.json"), "utf8"))
    expect(last.snapshots.map((snapshot) => snapshot["sequence-number"])).toEqual([1n, 2n])
    expect(last["last-sequence-number"]).toBe(2n)
    expect(last.snapshots[1]!["parent-snapshot-id"]).toBe(last.snapshots[0]!["snapshot-id"])
    expect(last.refs["main"]).toEqual({ "snapshot-id": last["current-snapshot-id"], type: "branch" })
    expect(last["snapshot-log"].map((entry) => entry["snapshot-id"])).toEqual(last.snapshots.map((snapshot) => snapshot["snapshot-id"]))
    expect(last["metadata-log"].map((entry) => path.basename(entry["metadata-file"]))).toEqual(["v1.metadata.json", "v2.metadata.json"])
    expect(last["sort-orders"]).toEqual([{ "order-id": 0, fields: [] }])
    expect(last.snapshots[1]!.summary).toMatchObject({ operation: "append", "added-records": "5000", "total-records": String(ROWS + 5_000), "total-data-files": "2" })
  })

  it("the validator names every missing or inconsistent required field", () => {
    const text = fs.readFileSync(path.join(tableFolder(), "metadata", "v3.metadata.json"), "utf8")
    const json = Json.parse(text) as Record<string, unknown>
    const broken = { ...json, "last-sequence-number": 1, "table-uuid": undefined, "sort-orders": undefined, "current-schema-id": 7 }
    const { problems } = TableMetadata.validate(JSON.parse(Json.stringify(broken)))
    expect(problems).toEqual(expect.arrayContaining([
      "table: required field table-uuid is missing",
      "table: required field sort-orders is missing"
    ]))
    const inconsistent = TableMetadata.validate(JSON.parse(Json.stringify({ ...json, "last-sequence-number": 1, "current-schema-id": 7 })))
    expect(inconsistent.problems).toEqual(expect.arrayContaining([
      "current-schema-id 7 is not in schemas",
      expect.stringMatching(/sequence-number 2 exceeds last-sequence-number/)
    ]))
    expect(TableMetadata.validate({ ...json, "format-version": 1 }).problems).toContain("format-version 1 is not supported (format version 2 only)")
  })
})
