/**
 * Table maintenance: which snapshots a retention policy keeps (spec:
 * "Snapshot Retention Policy"), which files only expired snapshots reference,
 * and which files under the table no snapshot or metadata file references
 * (orphans: files of commits that failed or were killed).
 */
import * as path from "node:path"
import * as TableMetadata from "../TableMetadata.ts"
import * as FileIO from "./fileio.ts"
import * as Scan from "./scan.ts"

/** A retention policy; unset fields fall back to the branch's settings, then the table properties, then the defaults. */
export interface Retention {
  /** Snapshots older than this (ms) may expire. Default: property `history.expire.max-snapshot-age-ms`, else 5 days. */
  readonly maxSnapshotAgeMs?: number | undefined
  /** Always keep this many snapshots of each branch, the head included. Default: `history.expire.min-snapshots-to-keep`, else 1. */
  readonly minSnapshotsToKeep?: number | undefined
  /** Refs other than main older than this expire. Default: `history.expire.max-ref-age-ms`, else never. */
  readonly maxRefAgeMs?: number | undefined
}

const DEFAULT_MAX_AGE_MS = 5 * 24 * 3600 * 1000

const numberProperty = (metadata: TableMetadata.TableMetadata, key: string): number | undefined => {
  const value = metadata.properties[key]
  return value === undefined || !/^\d+$/.test(value) ? undefined : Number(value)
}

/** The snapshot ids a policy keeps and the refs it drops. */
export const retained = (
  metadata: TableMetadata.TableMetadata,
  policy: Retention,
  nowMs: number
): { readonly keep: ReadonlySet<bigint>; readonly droppedRefs: ReadonlyArray<string> } => {
  const maxRefAge = policy.maxRefAgeMs ?? numberProperty(metadata, "history.expire.max-ref-age-ms")
  const keep = new Set<bigint>()
  const droppedRefs: Array<string> = []
  for (const [name, ref] of Object.entries(metadata.refs)) {
    const snapshot = TableMetadata.snapshotById(metadata, ref["snapshot-id"])
    const refMaxAge = ref["max-ref-age-ms"] ?? maxRefAge
    if (name !== TableMetadata.MAIN && snapshot !== undefined && refMaxAge !== undefined && nowMs - snapshot["timestamp-ms"] > refMaxAge) {
      droppedRefs.push(name)
      continue
    }
    keep.add(ref["snapshot-id"])
    if (ref.type !== "branch") continue
    const maxAge = policy.maxSnapshotAgeMs ?? ref["max-snapshot-age-ms"] ?? numberProperty(metadata, "history.expire.max-snapshot-age-ms") ?? DEFAULT_MAX_AGE_MS
    const minKeep = policy.minSnapshotsToKeep ?? ref["min-snapshots-to-keep"] ?? numberProperty(metadata, "history.expire.min-snapshots-to-keep") ?? 1
    TableMetadata.ancestors(metadata, ref["snapshot-id"]).forEach((snapshot, index) => {
      if (index < minKeep || nowMs - snapshot["timestamp-ms"] <= maxAge) keep.add(snapshot["snapshot-id"])
    })
  }
  return { keep, droppedRefs }
}

/** Every file a set of snapshots references: manifest lists, manifests, and live data files. */
export const referencedFiles = async (
  io: FileIO.FileIO,
  metadata: TableMetadata.TableMetadata,
  snapshots: ReadonlyArray<TableMetadata.Snapshot>,
  table: string,
  options: { readonly includeDeletedEntries: boolean }
): Promise<Set<string>> => {
  const files = new Set<string>()
  const seenManifests = new Set<string>()
  for (const snapshot of snapshots) {
    files.add(FileIO.toPath(io, snapshot["manifest-list"]))
    for (const manifest of await Scan.manifestsOf(io, snapshot, table)) {
      const manifestPath = FileIO.toPath(io, manifest.manifestPath)
      files.add(manifestPath)
      if (seenManifests.has(manifestPath)) continue
      seenManifests.add(manifestPath)
      for (const entry of await Scan.entriesOf(io, metadata, manifest, table)) {
        if (entry.status === 2 && !options.includeDeletedEntries) continue
        files.add(FileIO.toPath(io, entry.dataFile.filePath))
      }
    }
  }
  return files
}

/** The local paths of files only expired snapshots reference (safe to delete once the expiry committed). */
export const expiredFiles = async (
  io: FileIO.FileIO,
  before: TableMetadata.TableMetadata,
  after: TableMetadata.TableMetadata,
  table: string
): Promise<Array<string>> => {
  const kept = new Set(after.snapshots.map((snapshot) => snapshot["snapshot-id"]))
  const expired = before.snapshots.filter((snapshot) => !kept.has(snapshot["snapshot-id"]))
  if (expired.length === 0) return []
  const candidates = await referencedFiles(io, before, expired, table, { includeDeletedEntries: true })
  const live = await referencedFiles(io, after, after.snapshots, table, { includeDeletedEntries: false })
  return [...candidates].filter((file) => !live.has(file))
}

/** Files under the table's location that nothing references and that are older than the cutoff. */
export const orphanFiles = async (
  io: FileIO.FileIO,
  metadata: TableMetadata.TableMetadata,
  table: string,
  olderThanMs: number
): Promise<Array<string>> => {
  const referenced = await referencedFiles(io, metadata, metadata.snapshots, table, { includeDeletedEntries: true })
  for (const entry of metadata["metadata-log"]) referenced.add(FileIO.toPath(io, entry["metadata-file"]))
  const found = await FileIO.list(io, metadata.location)
  return found
    .map((file) => ({ path: FileIO.toPath(io, file.location), modifiedMs: file.modifiedMs }))
    .filter((file) => {
      const name = path.basename(file.path)
      // the catalog's own files: every metadata version and the hint
      if (/^v\d+\.metadata\.json$/.test(name) || name === "version-hint.text") return false
      return !referenced.has(file.path) && file.modifiedMs < olderThanMs
    })
    .map((file) => file.path)
}
