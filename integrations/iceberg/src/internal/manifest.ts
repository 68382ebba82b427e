/**
 * Manifests and manifest lists (spec: "Manifests", "Manifest Lists"), format
 * v2: the Avro schemas with the spec's field ids, the key-value metadata the
 * spec requires, and the records in and out. Entries of files added by a
 * snapshot are written with null sequence numbers and inherit the manifest's
 * (assigned in the manifest list at commit), so a manifest can be reused when
 * a commit is retried.
 */
import * as IcebergSchema from "../IcebergSchema.ts"
import type * as PartitionSpec from "../PartitionSpec.ts"
import * as Avro from "./avro.ts"
import * as Metrics from "./metrics.ts"

/** A data file as tracked by a manifest. */
export interface DataFile {
  readonly content: 0
  readonly filePath: string
  readonly fileFormat: string
  /** Partition values in spec order. */
  readonly partition: ReadonlyArray<PartitionSpec.Value>
  readonly recordCount: number
  readonly fileSizeInBytes: number
  readonly valueCounts: ReadonlyMap<number, number>
  readonly nullValueCounts: ReadonlyMap<number, number>
  readonly nanValueCounts: ReadonlyMap<number, number>
  readonly lowerBounds: ReadonlyMap<number, Uint8Array>
  readonly upperBounds: ReadonlyMap<number, Uint8Array>
  readonly sortOrderId?: number | undefined
}

/** Entry status: 0 existing, 1 added, 2 deleted. */
export type Status = 0 | 1 | 2

/** A manifest entry, sequence numbers resolved (inherited) when read. */
export interface Entry {
  readonly status: Status
  readonly snapshotId: bigint | undefined
  readonly sequenceNumber: bigint | undefined
  readonly fileSequenceNumber: bigint | undefined
  readonly dataFile: DataFile
}

/** Summary of one partition field over a manifest's files. */
export interface FieldSummary {
  readonly containsNull: boolean
  readonly containsNan?: boolean | undefined
  readonly lowerBound?: Uint8Array | undefined
  readonly upperBound?: Uint8Array | undefined
}

/** A manifest as listed in a manifest list. */
export interface ManifestFile {
  readonly manifestPath: string
  readonly manifestLength: number
  readonly partitionSpecId: number
  readonly content: 0 | 1
  readonly sequenceNumber: bigint
  readonly minSequenceNumber: bigint
  readonly addedSnapshotId: bigint
  readonly addedFilesCount: number
  readonly existingFilesCount: number
  readonly deletedFilesCount: number
  readonly addedRowsCount: number
  readonly existingRowsCount: number
  readonly deletedRowsCount: number
  readonly partitions?: ReadonlyArray<FieldSummary> | undefined
}

// ---------------------------------------------------------------------------
// Avro schemas (field ids from the spec)

const optional = (name: string, type: unknown, fieldId: number) => ({ name, type: ["null", type], default: null, "field-id": fieldId })

const intMap = (name: string, fieldId: number, keyId: number, valueId: number, valueType: string) =>
  optional(name, {
    type: "array",
    logicalType: "map",
    items: {
      type: "record",
      name: `k${keyId}_v${valueId}`,
      fields: [
        { name: "key", type: "int", "field-id": keyId },
        { name: "value", type: valueType, "field-id": valueId }
      ]
    }
  }, fieldId)

/** The Avro type of a partition value of an Iceberg type. */
const avroType = (type: IcebergSchema.IcebergType): unknown => {
  switch (type) {
    case "boolean":
    case "int":
    case "long":
    case "float":
    case "double":
    case "string":
      return type
    case "binary":
      return "bytes"
    case "date":
      return { type: "int", logicalType: "date" }
    case "time":
      return { type: "long", logicalType: "time-micros" }
    case "timestamp":
      return { type: "long", logicalType: "timestamp-micros", "adjust-to-utc": false }
    case "timestamptz":
      return { type: "long", logicalType: "timestamp-micros", "adjust-to-utc": true }
  }
  const fixed = typeof type === "string" ? /^fixed\[(\d+)\]$/.exec(type) : null
  if (fixed !== null) return { type: "fixed", name: `fixed_${fixed[1]}`, size: Number(fixed[1]) }
  return "bytes"
}

/** The partition tuple's Avro record for a spec (field ids = partition field ids). */
const partitionRecord = (spec: PartitionSpec.PartitionSpec, types: ReadonlyArray<IcebergSchema.IcebergType>) => ({
  type: "record",
  name: "r102",
  fields: spec.fields.map((field, index) => optional(field.name, avroType(types[index]!), field["field-id"]))
})

const manifestEntrySchema = (spec: PartitionSpec.PartitionSpec, types: ReadonlyArray<IcebergSchema.IcebergType>) => ({
  type: "record",
  name: "manifest_entry",
  fields: [
    { name: "status", type: "int", "field-id": 0 },
    optional("snapshot_id", "long", 1),
    optional("sequence_number", "long", 3),
    optional("file_sequence_number", "long", 4),
    {
      name: "data_file",
      "field-id": 2,
      type: {
        type: "record",
        name: "r2",
        fields: [
          { name: "content", type: "int", "field-id": 134, doc: "Contents of the file: 0=data, 1=position deletes, 2=equality deletes" },
          { name: "file_path", type: "string", "field-id": 100, doc: "Location URI with FS scheme" },
          { name: "file_format", type: "string", "field-id": 101, doc: "File format name: avro, orc, or parquet" },
          { name: "partition", type: partitionRecord(spec, types), "field-id": 102, doc: "Partition data tuple, schema based on the partition spec" },
          { name: "record_count", type: "long", "field-id": 103, doc: "Number of records in the file" },
          { name: "file_size_in_bytes", type: "long", "field-id": 104, doc: "Total file size in bytes" },
          intMap("column_sizes", 108, 117, 118, "long"),
          intMap("value_counts", 109, 119, 120, "long"),
          intMap("null_value_counts", 110, 121, 122, "long"),
          intMap("nan_value_counts", 137, 138, 139, "long"),
          intMap("lower_bounds", 125, 126, 127, "bytes"),
          intMap("upper_bounds", 128, 129, 130, "bytes"),
          optional("key_metadata", "bytes", 131),
          optional("split_offsets", { type: "array", items: "long", "element-id": 133 }, 132),
          optional("equality_ids", { type: "array", items: "int", "element-id": 136 }, 135),
          optional("sort_order_id", "int", 140)
        ]
      }
    }
  ]
})

const manifestFileSchema = {
  type: "record",
  name: "manifest_file",
  fields: [
    { name: "manifest_path", type: "string", "field-id": 500, doc: "Location URI with FS scheme" },
    { name: "manifest_length", type: "long", "field-id": 501, doc: "Total file size in bytes" },
    { name: "partition_spec_id", type: "int", "field-id": 502, doc: "Spec ID used to write" },
    { name: "content", type: "int", "field-id": 517, doc: "Contents of the manifest: 0=data, 1=deletes" },
    { name: "sequence_number", type: "long", "field-id": 515, doc: "Sequence number when the manifest was added" },
    { name: "min_sequence_number", type: "long", "field-id": 516, doc: "Lowest sequence number in the manifest" },
    { name: "added_snapshot_id", type: "long", "field-id": 503, doc: "Snapshot ID that added the manifest" },
    { name: "added_files_count", type: "int", "field-id": 504, doc: "Added entry count" },
    { name: "existing_files_count", type: "int", "field-id": 505, doc: "Existing entry count" },
    { name: "deleted_files_count", type: "int", "field-id": 506, doc: "Deleted entry count" },
    { name: "added_rows_count", type: "long", "field-id": 512, doc: "Added rows count" },
    { name: "existing_rows_count", type: "long", "field-id": 513, doc: "Existing rows count" },
    { name: "deleted_rows_count", type: "long", "field-id": 514, doc: "Deleted rows count" },
    optional("partitions", {
      type: "array",
      items: {
        type: "record",
        name: "r508",
        fields: [
          { name: "contains_null", type: "boolean", "field-id": 509, doc: "True if any file has a null partition value" },
          optional("contains_nan", "boolean", 518),
          optional("lower_bound", "bytes", 510),
          optional("upper_bound", "bytes", 511)
        ]
      },
      "element-id": 508
    }, 507),
    optional("key_metadata", "bytes", 519)
  ]
}

// ---------------------------------------------------------------------------
// Writing

const toMapArray = <V>(map: ReadonlyMap<number, V>, value: (v: V) => unknown) =>
  map.size === 0 ? null : [...map].map(([key, inner]) => ({ key, value: value(inner) }))

/** The Avro value of a partition value (bytes as Buffers, longs as bigints). */
const partitionAvroValue = (type: IcebergSchema.IcebergType, value: PartitionSpec.Value): unknown => {
  if (value === null) return null
  if (value instanceof Uint8Array) return Buffer.from(value)
  if (type === "long" || type === "timestamp" || type === "timestamptz" || type === "time") return BigInt(value as bigint)
  return value
}

/** The result types of a spec's fields, from the schema the manifest is written with. */
export const partitionTypes = (spec: PartitionSpec.PartitionSpec, schema: IcebergSchema.Schema): Array<IcebergSchema.IcebergType> =>
  spec.fields.map((field) => {
    const source = IcebergSchema.fieldById(schema, field["source-id"])
    const sourceType = source?.type ?? "string"
    return field.transform === "identity" ? sourceType : field.transform === "day" ? "date" : "int"
  })

const entryRecord = (entry: Entry, spec: PartitionSpec.PartitionSpec, types: ReadonlyArray<IcebergSchema.IcebergType>) => {
  const file = entry.dataFile
  const partition: Record<string, unknown> = {}
  spec.fields.forEach((field, index) => {
    partition[field.name] = partitionAvroValue(types[index]!, file.partition[index] ?? null)
  })
  return {
    status: entry.status,
    snapshot_id: entry.snapshotId ?? null,
    sequence_number: entry.sequenceNumber ?? null,
    file_sequence_number: entry.fileSequenceNumber ?? null,
    data_file: {
      content: 0,
      file_path: file.filePath,
      file_format: file.fileFormat,
      partition,
      record_count: BigInt(file.recordCount),
      file_size_in_bytes: BigInt(file.fileSizeInBytes),
      column_sizes: null,
      value_counts: toMapArray(file.valueCounts, BigInt),
      null_value_counts: toMapArray(file.nullValueCounts, BigInt),
      nan_value_counts: toMapArray(file.nanValueCounts, BigInt),
      lower_bounds: toMapArray(file.lowerBounds, (bytes) => Buffer.from(bytes)),
      upper_bounds: toMapArray(file.upperBounds, (bytes) => Buffer.from(bytes)),
      key_metadata: null,
      split_offsets: null,
      equality_ids: null,
      sort_order_id: file.sortOrderId ?? null
    }
  }
}

/** The Avro bytes of a data manifest (key-value metadata as the spec requires for v2). */
export const writeManifest = (options: {
  readonly schema: IcebergSchema.Schema
  readonly spec: PartitionSpec.PartitionSpec
  readonly entries: ReadonlyArray<Entry>
}): Uint8Array => {
  const types = partitionTypes(options.spec, options.schema)
  return Avro.write(
    manifestEntrySchema(options.spec, types),
    options.entries.map((entry) => entryRecord(entry, options.spec, types)),
    {
      schema: JSON.stringify(options.schema),
      "schema-id": String(options.schema["schema-id"]),
      "partition-spec": JSON.stringify(options.spec.fields),
      "partition-spec-id": String(options.spec["spec-id"]),
      "format-version": "2",
      content: "data"
    }
  )
}

/** Summaries of the partition values of a manifest's files (for pruning whole manifests). */
export const summarize = (
  files: ReadonlyArray<DataFile>,
  types: ReadonlyArray<IcebergSchema.IcebergType>
): Array<FieldSummary> =>
  types.map((type, index) => {
    let containsNull = false
    let containsNan = false
    let lower: unknown
    let upper: unknown
    for (const file of files) {
      const value = file.partition[index] ?? null
      if (value === null) {
        containsNull = true
        continue
      }
      if (typeof value === "number" && Number.isNaN(value)) {
        containsNan = true
        continue
      }
      if (lower === undefined || Metrics.compare(value, lower) < 0) lower = value
      if (upper === undefined || Metrics.compare(value, upper) > 0) upper = value
    }
    const typeName = typeof type === "string" ? type : ""
    return {
      containsNull,
      containsNan,
      lowerBound: lower === undefined ? undefined : Metrics.serialize(typeName, lower),
      upperBound: upper === undefined ? undefined : Metrics.serialize(typeName, upper)
    }
  })

const manifestFileRecord = (file: ManifestFile) => ({
  manifest_path: file.manifestPath,
  manifest_length: BigInt(file.manifestLength),
  partition_spec_id: file.partitionSpecId,
  content: file.content,
  sequence_number: file.sequenceNumber,
  min_sequence_number: file.minSequenceNumber,
  added_snapshot_id: file.addedSnapshotId,
  added_files_count: file.addedFilesCount,
  existing_files_count: file.existingFilesCount,
  deleted_files_count: file.deletedFilesCount,
  added_rows_count: BigInt(file.addedRowsCount),
  existing_rows_count: BigInt(file.existingRowsCount),
  deleted_rows_count: BigInt(file.deletedRowsCount),
  partitions: file.partitions === undefined
    ? null
    : file.partitions.map((summary) => ({
      contains_null: summary.containsNull,
      contains_nan: summary.containsNan ?? null,
      lower_bound: summary.lowerBound === undefined ? null : Buffer.from(summary.lowerBound),
      upper_bound: summary.upperBound === undefined ? null : Buffer.from(summary.upperBound)
    })),
  key_metadata: null
})

/** The Avro bytes of a manifest list. */
export const writeManifestList = (options: {
  readonly snapshotId: bigint
  readonly parentSnapshotId: bigint | undefined
  readonly sequenceNumber: bigint
  readonly manifests: ReadonlyArray<ManifestFile>
}): Uint8Array =>
  Avro.write(manifestFileSchema, options.manifests.map(manifestFileRecord), {
    "snapshot-id": options.snapshotId.toString(),
    "parent-snapshot-id": options.parentSnapshotId === undefined ? "null" : options.parentSnapshotId.toString(),
    "sequence-number": options.sequenceNumber.toString(),
    "format-version": "2"
  })

// ---------------------------------------------------------------------------
// Reading

const num = (value: unknown): number => Number(value as bigint | number)
const optionalLong = (value: unknown): bigint | undefined =>
  value === null || value === undefined ? undefined : BigInt(value as bigint | number)

const fromMapArray = <V>(value: unknown, convert: (v: unknown) => V): Map<number, V> => {
  const map = new Map<number, V>()
  if (Array.isArray(value)) for (const item of value as Array<{ key: number; value: unknown }>) map.set(item.key, convert(item.value))
  else if (value !== null && typeof value === "object") {
    // a writer may use Avro's map type (string keys)
    for (const [key, inner] of Object.entries(value)) map.set(Number(key), convert(inner))
  }
  return map
}

const bytesOf = (value: unknown): Uint8Array => new Uint8Array(value as Buffer)

/** The partition struct's field names by partition field id, from the writer's schema. */
const partitionFieldNames = (schema: unknown): Map<number, string> => {
  const names = new Map<number, string>()
  const entry = schema as { fields?: Array<{ name: string; type: unknown }> }
  const dataFile = entry.fields?.find((field) => field.name === "data_file")?.type as { fields?: Array<{ name: string; type: unknown }> } | undefined
  const partition = dataFile?.fields?.find((field) => field.name === "partition")?.type as
    | { fields?: Array<{ name: string; "field-id"?: number }> }
    | undefined
  for (const field of partition?.fields ?? []) if (typeof field["field-id"] === "number") names.set(field["field-id"], field.name)
  return names
}

const partitionValue = (value: unknown): PartitionSpec.Value => {
  if (value === null || value === undefined) return null
  if (Buffer.isBuffer(value)) return new Uint8Array(value)
  return value as PartitionSpec.Value
}

/**
 * The entries of a manifest, sequence numbers inherited from the manifest list
 * entry for added files (spec: "Sequence Number Inheritance"), partition values
 * in the order of `spec`.
 */
export const readManifest = (bytes: Uint8Array, listed: ManifestFile, spec: PartitionSpec.PartitionSpec): Array<Entry> => {
  const { schema, records } = Avro.read(bytes)
  const names = partitionFieldNames(schema)
  return records.map((record): Entry => {
    const status = num(record["status"]) as Status
    const file = record["data_file"] as Record<string, unknown>
    const partition = (file["partition"] ?? {}) as Record<string, unknown>
    const inherit = (value: unknown) => optionalLong(value) ?? (status === 1 ? listed.sequenceNumber : undefined)
    return {
      status,
      snapshotId: optionalLong(record["snapshot_id"]) ?? listed.addedSnapshotId,
      sequenceNumber: inherit(record["sequence_number"]),
      fileSequenceNumber: inherit(record["file_sequence_number"]),
      dataFile: {
        content: 0,
        filePath: String(file["file_path"]),
        fileFormat: String(file["file_format"]),
        partition: spec.fields.map((field) => partitionValue(partition[names.get(field["field-id"]) ?? field.name])),
        recordCount: num(file["record_count"]),
        fileSizeInBytes: num(file["file_size_in_bytes"]),
        valueCounts: fromMapArray(file["value_counts"], num),
        nullValueCounts: fromMapArray(file["null_value_counts"], num),
        nanValueCounts: fromMapArray(file["nan_value_counts"], num),
        lowerBounds: fromMapArray(file["lower_bounds"], bytesOf),
        upperBounds: fromMapArray(file["upper_bounds"], bytesOf),
        sortOrderId: file["sort_order_id"] === null || file["sort_order_id"] === undefined ? undefined : num(file["sort_order_id"])
      }
    }
  })
}

/** The manifests of a manifest list. */
export const readManifestList = (bytes: Uint8Array): Array<ManifestFile> =>
  Avro.read(bytes).records.map((record): ManifestFile => {
    const partitions = record["partitions"] as Array<Record<string, unknown>> | null | undefined
    return {
      manifestPath: String(record["manifest_path"]),
      manifestLength: num(record["manifest_length"]),
      partitionSpecId: num(record["partition_spec_id"]),
      content: num(record["content"] ?? 0) === 1 ? 1 : 0,
      sequenceNumber: optionalLong(record["sequence_number"]) ?? 0n,
      minSequenceNumber: optionalLong(record["min_sequence_number"]) ?? 0n,
      addedSnapshotId: BigInt(record["added_snapshot_id"] as bigint),
      addedFilesCount: num(record["added_files_count"] ?? 0),
      existingFilesCount: num(record["existing_files_count"] ?? 0),
      deletedFilesCount: num(record["deleted_files_count"] ?? 0),
      addedRowsCount: num(record["added_rows_count"] ?? 0),
      existingRowsCount: num(record["existing_rows_count"] ?? 0),
      deletedRowsCount: num(record["deleted_rows_count"] ?? 0),
      partitions: partitions?.map((summary) => ({
        containsNull: summary["contains_null"] === true,
        containsNan: summary["contains_nan"] === true,
        lowerBound: summary["lower_bound"] === null || summary["lower_bound"] === undefined ? undefined : bytesOf(summary["lower_bound"]),
        upperBound: summary["upper_bound"] === null || summary["upper_bound"] === undefined ? undefined : bytesOf(summary["upper_bound"])
      }))
    }
  })
