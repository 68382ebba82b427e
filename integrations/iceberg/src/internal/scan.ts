/**
 * Scan planning (spec: "Scan Planning"): the live data files of a snapshot,
 * skipping manifests whose partition summaries cannot match the filter and
 * files whose partition values or column statistics cannot.
 */
import * as Filter from "../Filter.ts"
import * as IcebergError from "../IcebergError.ts"
import * as IcebergSchema from "../IcebergSchema.ts"
import type * as PartitionSpec from "../PartitionSpec.ts"
import type * as TableMetadata from "../TableMetadata.ts"
import * as FileIO from "./fileio.ts"
import * as Manifest from "./manifest.ts"
import * as Metrics from "./metrics.ts"

/** A data file to read. */
export interface PlannedFile {
  readonly dataFile: Manifest.DataFile
  readonly specId: number
  readonly sequenceNumber: bigint | undefined
}

/** The files to read and what pruning skipped. */
export interface Plan {
  readonly files: ReadonlyArray<PlannedFile>
  readonly manifestsRead: number
  readonly manifestsSkipped: number
  readonly filesSkipped: number
}

const specOf = (metadata: TableMetadata.TableMetadata, id: number, table: string): PartitionSpec.PartitionSpec => {
  const spec = metadata["partition-specs"].find((candidate) => candidate["spec-id"] === id)
  if (spec === undefined) throw IcebergError.make({ reason: "invalid-metadata", table, detail: `a manifest uses partition spec ${id}, which the table does not have` })
  return spec
}

/** The manifests of a snapshot (from its manifest list). */
export const manifestsOf = async (io: FileIO.FileIO, snapshot: TableMetadata.Snapshot, table: string): Promise<Array<Manifest.ManifestFile>> => {
  const bytes = await FileIO.read(io, snapshot["manifest-list"])
  try {
    return Manifest.readManifestList(bytes)
  } catch (cause) {
    throw IcebergError.make({ reason: "invalid-metadata", table, location: snapshot["manifest-list"], detail: `unreadable manifest list: ${(cause as Error).message}`, cause })
  }
}

/** The entries of a manifest. */
export const entriesOf = async (
  io: FileIO.FileIO,
  metadata: TableMetadata.TableMetadata,
  manifest: Manifest.ManifestFile,
  table: string
): Promise<Array<Manifest.Entry>> => {
  const spec = specOf(metadata, manifest.partitionSpecId, table)
  const bytes = await FileIO.read(io, manifest.manifestPath)
  try {
    return Manifest.readManifest(bytes, manifest, spec)
  } catch (cause) {
    throw IcebergError.make({ reason: "invalid-metadata", table, location: manifest.manifestPath, detail: `unreadable manifest: ${(cause as Error).message}`, cause })
  }
}

const manifestMightMatch = (bounds: ReadonlyArray<Filter.Bound>, manifest: Manifest.ManifestFile, spec: PartitionSpec.PartitionSpec): boolean => {
  if (manifest.partitions === undefined) return true
  return bounds.every((bound) =>
    spec.fields.every((field, index) => {
      const projected = Filter.project(bound, field)
      const summary = manifest.partitions![index]
      if (projected === undefined || summary === undefined) return true
      const decode = (bytes: Uint8Array | undefined) => bytes === undefined ? undefined : Metrics.deserialize(projected.type, bytes) as PartitionSpec.Value
      return Filter.mightMatch(projected, {
        lower: decode(summary.lowerBound),
        upper: decode(summary.upperBound),
        nullCount: summary.containsNull ? undefined : 0,
        valueCount: undefined
      })
    })
  )
}

const fileMightMatch = (bounds: ReadonlyArray<Filter.Bound>, file: Manifest.DataFile, spec: PartitionSpec.PartitionSpec, schema: IcebergSchema.Schema): boolean =>
  bounds.every((bound) => {
    const partitionOk = spec.fields.every((field, index) => {
      const projected = Filter.project(bound, field)
      if (projected === undefined) return true
      const value = file.partition[index] ?? null
      return Filter.mightMatch(projected, {
        lower: value ?? undefined,
        upper: value ?? undefined,
        nullCount: value === null ? 1 : 0,
        valueCount: 1
      })
    })
    if (!partitionOk) return false
    const type = IcebergSchema.fieldById(schema, bound.fieldId)?.type
    if (typeof type !== "string") return true
    const decode = (bytes: Uint8Array | undefined) => bytes === undefined ? undefined : Metrics.deserialize(type, bytes) as PartitionSpec.Value
    return Filter.mightMatch(bound, {
      lower: decode(file.lowerBounds.get(bound.fieldId)),
      upper: decode(file.upperBounds.get(bound.fieldId)),
      nullCount: file.nullValueCounts.get(bound.fieldId),
      valueCount: file.valueCounts.get(bound.fieldId)
    })
  })

/** The live data files of a snapshot that may hold rows matching `bounds`. */
export const plan = async (
  io: FileIO.FileIO,
  metadata: TableMetadata.TableMetadata,
  snapshot: TableMetadata.Snapshot | undefined,
  schema: IcebergSchema.Schema,
  bounds: ReadonlyArray<Filter.Bound>,
  table: string
): Promise<Plan> => {
  if (snapshot === undefined) return { files: [], manifestsRead: 0, manifestsSkipped: 0, filesSkipped: 0 }
  const files: Array<PlannedFile> = []
  let manifestsRead = 0
  let manifestsSkipped = 0
  let filesSkipped = 0
  for (const manifest of await manifestsOf(io, snapshot, table)) {
    if (manifest.content !== 0) {
      throw IcebergError.make({ reason: "invalid-metadata", table, location: manifest.manifestPath, detail: "the table has delete files (row-level deletes), which this reader does not apply yet" })
    }
    const spec = specOf(metadata, manifest.partitionSpecId, table)
    if (manifest.addedFilesCount + manifest.existingFilesCount === 0 || !manifestMightMatch(bounds, manifest, spec)) {
      manifestsSkipped += 1
      continue
    }
    manifestsRead += 1
    for (const entry of await entriesOf(io, metadata, manifest, table)) {
      if (entry.status === 2) continue
      if (!fileMightMatch(bounds, entry.dataFile, spec, schema)) {
        filesSkipped += 1
        continue
      }
      files.push({ dataFile: entry.dataFile, specId: manifest.partitionSpecId, sequenceNumber: entry.sequenceNumber })
    }
  }
  return { files, manifestsRead, manifestsSkipped, filesSkipped }
}
