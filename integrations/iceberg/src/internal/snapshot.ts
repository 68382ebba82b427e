/**
 * Producing a snapshot on a base table state: which existing files an
 * operation removes, the manifests that record it, the manifest list, the
 * summary, and the commit (requirements + updates). Also the rules for
 * re-applying an operation on a newer base after a conflict.
 */
import { randomBytes, randomUUID } from "node:crypto"
import type * as IcebergSchema from "../IcebergSchema.ts"
import * as PartitionSpec from "../PartitionSpec.ts"
import * as TableMetadata from "../TableMetadata.ts"
import type * as TableUpdate from "../TableUpdate.ts"
import * as FileIO from "./fileio.ts"
import * as Manifest from "./manifest.ts"
import * as Scan from "./scan.ts"

/** What an operation does to the table's existing files. */
export type Kind = "append" | "overwrite" | "replace-partitions"

/** A data operation, planned once and applied to one base or another. */
export interface Operation {
  readonly kind: Kind
  readonly table: string
  readonly io: FileIO.FileIO
  readonly snapshotId: bigint
  /** The schema the data files were written with. */
  readonly schema: IcebergSchema.Schema
  /** True when `schema` is new and must be added. */
  readonly schemaChanged: boolean
  readonly spec: PartitionSpec.PartitionSpec
  readonly added: ReadonlyArray<Manifest.DataFile>
  /** The manifest of the added files, written once, reused by every attempt. */
  readonly addedManifest: Manifest.ManifestFile | undefined
  readonly extraSummary: Readonly<Record<string, string>>
}

/** A random positive snapshot id below 2^53, so that every JSON parser keeps it exact. */
export const newSnapshotId = (): bigint => {
  const bytes = randomBytes(8)
  return (bytes.readBigUInt64BE(0) & 0x1f_ffff_ffff_ffffn) || 1n
}

/** Writes the manifest of the added files (null sequence numbers: inherited at commit). */
export const writeAddedManifest = async (
  io: FileIO.FileIO,
  location: string,
  schema: IcebergSchema.Schema,
  spec: PartitionSpec.PartitionSpec,
  snapshotId: bigint,
  files: ReadonlyArray<Manifest.DataFile>
): Promise<Manifest.ManifestFile | undefined> => {
  if (files.length === 0) return undefined
  const path = FileIO.join(location, "metadata", `${randomUUID()}-m0.avro`)
  const bytes = Manifest.writeManifest({
    schema,
    spec,
    entries: files.map((dataFile) => ({ status: 1, snapshotId, sequenceNumber: undefined, fileSequenceNumber: undefined, dataFile }))
  })
  await FileIO.write(io, path, bytes)
  return {
    manifestPath: path,
    manifestLength: bytes.byteLength,
    partitionSpecId: spec["spec-id"],
    content: 0,
    sequenceNumber: -1n, // assigned per attempt
    minSequenceNumber: -1n,
    addedSnapshotId: snapshotId,
    addedFilesCount: files.length,
    existingFilesCount: 0,
    deletedFilesCount: 0,
    addedRowsCount: files.reduce((sum, file) => sum + file.recordCount, 0),
    existingRowsCount: 0,
    deletedRowsCount: 0,
    partitions: Manifest.summarize(files, Manifest.partitionTypes(spec, schema))
  }
}

/** The partition tuples an operation writes (for replace-partitions). */
const writtenPartitions = (operation: Operation): Set<string> =>
  new Set(operation.added.map((file) => PartitionSpec.keyOf(operation.spec["spec-id"], file.partition)))

const removes = (operation: Operation, specId: number, file: Manifest.DataFile, partitions: Set<string>): boolean =>
  operation.kind === "overwrite" ||
  (operation.kind === "replace-partitions" && partitions.has(PartitionSpec.keyOf(specId, file.partition)))

/** Totals of the files a snapshot keeps, for its summary. */
interface Totals {
  files: number
  records: number
  bytes: number
  deletedFiles: number
  deletedRecords: number
  deletedBytes: number
}

/** Keeps, rewrites or drops the base snapshot's manifests; returns them and the totals of live files. */
const carryManifests = async (
  operation: Operation,
  metadata: TableMetadata.TableMetadata,
  base: TableMetadata.Snapshot | undefined,
  sequenceNumber: bigint,
  totals: Totals,
  changed: Set<string>
): Promise<Array<Manifest.ManifestFile>> => {
  if (base === undefined) return []
  const kept: Array<Manifest.ManifestFile> = []
  const partitions = writtenPartitions(operation)
  for (const manifest of await Scan.manifestsOf(operation.io, base, operation.table)) {
    const live = manifest.addedFilesCount + manifest.existingFilesCount
    if (live === 0) continue // only deleted entries: informational, dropped after one snapshot
    const entries = await Scan.entriesOf(operation.io, metadata, manifest, operation.table)
    const liveEntries = entries.filter((entry) => entry.status !== 2)
    const removed = liveEntries.filter((entry) => removes(operation, manifest.partitionSpecId, entry.dataFile, partitions))
    if (removed.length === 0) {
      for (const entry of liveEntries) {
        totals.files += 1
        totals.records += entry.dataFile.recordCount
        totals.bytes += entry.dataFile.fileSizeInBytes
      }
      kept.push(manifest)
      continue
    }
    kept.push(await rewriteManifest(operation, metadata, manifest, liveEntries, new Set(removed), sequenceNumber, totals, changed))
  }
  return kept
}

/** A manifest with the removed entries marked DELETED and the others EXISTING (sequence numbers explicit). */
const rewriteManifest = async (
  operation: Operation,
  metadata: TableMetadata.TableMetadata,
  manifest: Manifest.ManifestFile,
  liveEntries: ReadonlyArray<Manifest.Entry>,
  removed: ReadonlySet<Manifest.Entry>,
  sequenceNumber: bigint,
  totals: Totals,
  changed: Set<string>
): Promise<Manifest.ManifestFile> => {
  const spec = metadata["partition-specs"].find((candidate) => candidate["spec-id"] === manifest.partitionSpecId)!
  const schema = TableMetadata.currentSchema(metadata)
  const entries = liveEntries.map((entry): Manifest.Entry => {
    const deleted = removed.has(entry)
    if (deleted) {
      totals.deletedFiles += 1
      totals.deletedRecords += entry.dataFile.recordCount
      totals.deletedBytes += entry.dataFile.fileSizeInBytes
      changed.add(PartitionSpec.keyOf(manifest.partitionSpecId, entry.dataFile.partition))
    } else {
      totals.files += 1
      totals.records += entry.dataFile.recordCount
      totals.bytes += entry.dataFile.fileSizeInBytes
    }
    return {
      status: deleted ? 2 : 0,
      snapshotId: deleted ? operation.snapshotId : entry.snapshotId,
      sequenceNumber: entry.sequenceNumber,
      fileSequenceNumber: entry.fileSequenceNumber,
      dataFile: entry.dataFile
    }
  })
  const path = FileIO.join(metadata.location, "metadata", `${randomUUID()}-m1.avro`)
  const bytes = Manifest.writeManifest({ schema, spec, entries })
  await FileIO.write(operation.io, path, bytes)
  const live = entries.filter((entry) => entry.status === 0)
  const deleted = entries.filter((entry) => entry.status === 2)
  const liveSequences = live.map((entry) => entry.sequenceNumber ?? sequenceNumber)
  return {
    manifestPath: path,
    manifestLength: bytes.byteLength,
    partitionSpecId: manifest.partitionSpecId,
    content: 0,
    sequenceNumber,
    minSequenceNumber: liveSequences.length === 0 ? sequenceNumber : liveSequences.reduce((a, b) => (a < b ? a : b)),
    addedSnapshotId: operation.snapshotId,
    addedFilesCount: 0,
    existingFilesCount: live.length,
    deletedFilesCount: deleted.length,
    addedRowsCount: 0,
    existingRowsCount: live.reduce((sum, entry) => sum + entry.dataFile.recordCount, 0),
    deletedRowsCount: deleted.reduce((sum, entry) => sum + entry.dataFile.recordCount, 0),
    partitions: Manifest.summarize(entries.map((entry) => entry.dataFile), Manifest.partitionTypes(spec, schema))
  }
}

/** The commit of an operation on a base: files written, commit built. */
export interface Attempt {
  readonly commit: TableUpdate.Commit
  readonly snapshot: TableMetadata.Snapshot
  /** Files this attempt wrote (manifest list, rewritten manifests), removed if it does not land. */
  readonly written: ReadonlyArray<string>
}

/** The operation's name in the snapshot summary. */
const operationName = (operation: Operation, totals: Totals): TableMetadata.Operation =>
  operation.kind === "append" || totals.deletedFiles === 0 ? "append" : "overwrite"

/** Builds the snapshot of an operation on `metadata` (its main branch) and the commit that adds it. */
export const prepare = async (operation: Operation, metadata: TableMetadata.TableMetadata, attempt: number, nowMs: number): Promise<Attempt> => {
  const base = TableMetadata.currentSnapshot(metadata)
  const sequenceNumber = metadata["last-sequence-number"] + 1n
  const totals: Totals = { files: 0, records: 0, bytes: 0, deletedFiles: 0, deletedRecords: 0, deletedBytes: 0 }
  const changed = new Set<string>(operation.added.map((file) => PartitionSpec.keyOf(operation.spec["spec-id"], file.partition)))
  const carried = await carryManifests(operation, metadata, base, sequenceNumber, totals, changed)
  const written = carried.filter((manifest) => manifest.addedSnapshotId === operation.snapshotId && manifest.sequenceNumber === sequenceNumber)
    .map((manifest) => manifest.manifestPath)
  const added = operation.addedManifest === undefined ? [] : [{ ...operation.addedManifest, sequenceNumber, minSequenceNumber: sequenceNumber }]
  const manifests = [...added, ...carried]
  const listPath = FileIO.join(metadata.location, "metadata", `snap-${operation.snapshotId}-${attempt}-${randomUUID()}.avro`)
  await FileIO.write(operation.io, listPath, Manifest.writeManifestList({
    snapshotId: operation.snapshotId,
    parentSnapshotId: base?.["snapshot-id"],
    sequenceNumber,
    manifests
  }))
  const addedRecords = operation.added.reduce((sum, file) => sum + file.recordCount, 0)
  const addedBytes = operation.added.reduce((sum, file) => sum + file.fileSizeInBytes, 0)
  const schemaId = operation.schemaChanged ? nextSchemaId(metadata) : operation.schema["schema-id"]
  const snapshot: TableMetadata.Snapshot = {
    "snapshot-id": operation.snapshotId,
    ...(base !== undefined ? { "parent-snapshot-id": base["snapshot-id"] } : {}),
    "sequence-number": sequenceNumber,
    "timestamp-ms": Math.max(nowMs, metadata["last-updated-ms"]),
    "manifest-list": listPath,
    summary: {
      operation: operationName(operation, totals),
      "added-data-files": String(operation.added.length),
      "deleted-data-files": String(totals.deletedFiles),
      "added-records": String(addedRecords),
      "deleted-records": String(totals.deletedRecords),
      "added-files-size": String(addedBytes),
      "removed-files-size": String(totals.deletedBytes),
      "changed-partition-count": String(changed.size),
      "total-records": String(totals.records + addedRecords),
      "total-files-size": String(totals.bytes + addedBytes),
      "total-data-files": String(totals.files + operation.added.length),
      "total-delete-files": "0",
      "total-position-deletes": "0",
      "total-equality-deletes": "0",
      "engine-name": "strata",
      ...operation.extraSummary
    },
    "schema-id": schemaId
  }
  return { commit: commitOf(operation, metadata, snapshot, schemaId), snapshot, written: [...written, listPath] }
}

/** The id a new schema gets: above every schema id the table has. */
export const nextSchemaId = (metadata: TableMetadata.TableMetadata): number =>
  Math.max(...metadata.schemas.map((schema) => schema["schema-id"])) + 1

const commitOf = (
  operation: Operation,
  metadata: TableMetadata.TableMetadata,
  snapshot: TableMetadata.Snapshot,
  schemaId: number
): TableUpdate.Commit => {
  const base = TableMetadata.currentSnapshot(metadata)
  const requirements: Array<TableUpdate.Requirement> = [
    { type: "assert-table-uuid", uuid: metadata["table-uuid"] },
    { type: "assert-ref-snapshot-id", ref: TableMetadata.MAIN, "snapshot-id": base?.["snapshot-id"] ?? null }
  ]
  const updates: Array<TableUpdate.Update> = []
  if (operation.schemaChanged) {
    requirements.push(
      { type: "assert-current-schema-id", "current-schema-id": metadata["current-schema-id"] },
      { type: "assert-last-assigned-field-id", "last-assigned-field-id": metadata["last-column-id"] }
    )
    updates.push(
      { action: "add-schema", schema: { ...operation.schema, "schema-id": schemaId } },
      { action: "set-current-schema", "schema-id": -1 }
    )
  }
  updates.push(
    { action: "add-snapshot", snapshot },
    { action: "set-snapshot-ref", "ref-name": TableMetadata.MAIN, type: "branch", "snapshot-id": snapshot["snapshot-id"] }
  )
  return { requirements, updates }
}

/**
 * Why the operation cannot be re-applied on `current` after being planned on
 * `base`, or `undefined` when it can (spec: "Commit Conflict Resolution and
 * Retry"). Appends always can. An overwrite cannot when a newer commit added
 * data (it would silently remove it); a partition replacement cannot when a
 * newer commit added or removed files in the partitions it replaces. A write
 * that changes the schema cannot when the schema changed meanwhile; a write
 * that does not cannot when a column it wrote is gone or retyped.
 */
export const conflict = async (
  operation: Operation,
  base: TableMetadata.TableMetadata,
  current: TableMetadata.TableMetadata
): Promise<string | undefined> => {
  if (current["table-uuid"] !== base["table-uuid"]) return "the table was dropped and created again"
  if (operation.schemaChanged && current["current-schema-id"] !== base["current-schema-id"]) {
    return "another writer changed the schema while this write was changing it"
  }
  if (!operation.schemaChanged) {
    const schema = TableMetadata.currentSchema(current)
    for (const field of operation.schema.fields) {
      const now = schema.fields.find((candidate) => candidate.id === field.id)
      if (now === undefined) return `column ${field.name} was dropped by another writer`
      if (now.type !== field.type && !(now.type === "long" && field.type === "int") && !(now.type === "double" && field.type === "float")) {
        return `column ${field.name} changed type to ${String(now.type)} in another commit`
      }
    }
  }
  if (operation.kind === "append") return undefined
  const since = newerSnapshots(base, current)
  if (operation.kind === "overwrite") {
    const adding = since.find((snapshot) => snapshot.summary["added-data-files"] !== "0")
    return adding === undefined ? undefined : `snapshot ${adding["snapshot-id"]} (${adding.summary.operation}) added data after this overwrite started`
  }
  const partitions = writtenPartitions(operation)
  for (const snapshot of since) {
    for (const manifest of await Scan.manifestsOf(operation.io, snapshot, operation.table)) {
      if (manifest.addedSnapshotId !== snapshot["snapshot-id"]) continue
      for (const entry of await Scan.entriesOf(operation.io, current, manifest, operation.table)) {
        if (entry.status === 0 || entry.snapshotId !== snapshot["snapshot-id"]) continue
        if (partitions.has(PartitionSpec.keyOf(manifest.partitionSpecId, entry.dataFile.partition))) {
          return `snapshot ${snapshot["snapshot-id"]} changed files in a partition this write replaces`
        }
      }
    }
  }
  return undefined
}

/** The snapshots committed on main after the base's head, oldest first. */
const newerSnapshots = (base: TableMetadata.TableMetadata, current: TableMetadata.TableMetadata): Array<TableMetadata.Snapshot> => {
  const baseHead = TableMetadata.currentSnapshot(base)?.["snapshot-id"]
  const result: Array<TableMetadata.Snapshot> = []
  for (const snapshot of TableMetadata.ancestors(current, TableMetadata.currentSnapshot(current)?.["snapshot-id"])) {
    if (snapshot["snapshot-id"] === baseHead) break
    result.push(snapshot)
  }
  return result.reverse()
}
