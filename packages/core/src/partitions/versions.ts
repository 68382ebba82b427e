/**
 * Partition versions: which materialization wrote each partition of an
 * asset, kept as sorted, disjoint segments of index ranges. A new
 * materialization overwrites the parts of the segments it covers; a part
 * whose data version did not change keeps the event at which its data last
 * changed (`changedAt`), so that an identical rebuild stops the staleness
 * cascade. A materialization may carry a data version per partition
 * (`dataVersions`, from an I/O manager storing each partition on its own):
 * each partition is then compared with its own, and segments split where
 * versions differ; touching partitions with equal versions stay one segment.
 * Linear in the number of segments and version ranges; nothing is enumerated.
 */
import type { PartitionVersion, PartitionVersions } from "../Instance.ts"
import type * as Ranges from "./Ranges.ts"

/**
 * Partitions of an asset written by one materialization.
 *
 * @since 0.1.0
 */
export interface PartitionVersionChange {
  readonly assetKey: string
  readonly fingerprint: string
  readonly ranges: Ranges.Ranges
  readonly eventId: number
  readonly runId: string
  readonly codeVersion: string
  readonly dataVersion: string
  readonly inputVersions: Readonly<Record<string, string>>
  /**
   * Each partition's own data version, as sorted, disjoint index ranges
   * `[start, end, dataVersion]`; partitions of `ranges` outside them have
   * `dataVersion`.
   */
  readonly dataVersions?: ReadonlyArray<readonly [number, number, string]> | undefined
}

const stamp = (change: PartitionVersionChange, start: number, end: number, dataVersion: string, changedAt: number): PartitionVersion => ({
  start,
  end,
  eventId: change.eventId,
  changedAt,
  runId: change.runId,
  codeVersion: change.codeVersion,
  dataVersion,
  inputVersions: change.inputVersions
})

/**
 * The change's ranges cut where its per-partition data versions change:
 * `[start, end, dataVersion]`, in order.
 */
export const pieces = (change: PartitionVersionChange): Array<readonly [number, number, string]> => {
  const versions = change.dataVersions
  if (versions === undefined || versions.length === 0) return change.ranges.map(([s, e]) => [s, e, change.dataVersion] as const)
  const out: Array<readonly [number, number, string]> = []
  let v = 0
  for (const [rs, re] of change.ranges) {
    let cursor = rs
    while (v < versions.length && versions[v]![1] <= cursor) v++
    while (cursor < re) {
      const next = versions[v]
      if (next === undefined || next[0] >= re) {
        out.push([cursor, re, change.dataVersion])
        break
      }
      if (next[0] > cursor) out.push([cursor, next[0], change.dataVersion])
      const to = Math.min(next[1], re)
      out.push([Math.max(next[0], cursor), to, next[2]])
      cursor = to
      if (next[1] <= re) v++
    }
  }
  return out
}

/** Joins touching segments written by the same event with the same `changedAt` and data version. */
const coalesce = (segments: ReadonlyArray<PartitionVersion>): Array<PartitionVersion> => {
  const out: Array<PartitionVersion> = []
  for (const segment of segments) {
    const last = out[out.length - 1]
    if (
      last !== undefined && last.end === segment.start && last.eventId === segment.eventId &&
      last.changedAt === segment.changedAt && last.dataVersion === segment.dataVersion
    ) {
      out[out.length - 1] = { ...last, end: segment.end }
    } else out.push(segment)
  }
  return out
}

/**
 * An asset's versions after a materialization. Versions recorded under
 * another definition (another fingerprint) are dropped.
 *
 * @since 0.1.0
 */
export const applyVersions = (current: PartitionVersions | undefined, change: PartitionVersionChange): PartitionVersions => {
  const old = current !== undefined && current.fingerprint === change.fingerprint ? [...current.segments] : []
  const out: Array<PartitionVersion> = []
  let i = 0
  for (const [rs, re, version] of pieces(change)) {
    while (i < old.length && old[i]!.end <= rs) out.push(old[i++]!)
    let cursor = rs
    while (i < old.length && old[i]!.start < re) {
      const segment = old[i]!
      if (segment.start < rs) out.push({ ...segment, end: rs })
      if (segment.start > cursor) out.push(stamp(change, cursor, segment.start, version, change.eventId))
      const from = Math.max(segment.start, rs)
      const to = Math.min(segment.end, re)
      out.push(stamp(change, from, to, version, segment.dataVersion === version ? segment.changedAt : change.eventId))
      cursor = to
      if (segment.end > re) {
        old[i] = { ...segment, start: re }
        break
      }
      i++
    }
    if (cursor < re) out.push(stamp(change, cursor, re, version, change.eventId))
  }
  while (i < old.length) out.push(old[i++]!)
  return { assetKey: change.assetKey, fingerprint: change.fingerprint, segments: coalesce(out) }
}

/**
 * One stored segment as SQL backends keep it in `partition_versions`: the
 * numbers as the driver returns them (Postgres gives `bigint` as text), the
 * input versions as JSON text. (A type, not an interface: drivers' row
 * types ask for an index signature.)
 *
 * @since 0.1.0
 */
export type PartitionVersionRow = {
  readonly fingerprint: string
  readonly start: number | string
  readonly end: number | string
  readonly event_id: number | string
  readonly changed_at: number | string
  readonly run_id: string
  readonly code_version: string
  readonly data_version: string
  readonly input_versions: string
}

/**
 * An asset's versions from its stored segments, in start order; `undefined`
 * when it has none. The fold SQL backends read with.
 *
 * @since 0.1.0
 */
export const versionsOfRows = (assetKey: string, rows: ReadonlyArray<PartitionVersionRow>): PartitionVersions | undefined => {
  if (rows.length === 0) return undefined
  return {
    assetKey,
    fingerprint: rows[0]!.fingerprint,
    segments: rows.map((row) => ({
      start: Number(row.start),
      end: Number(row.end),
      eventId: Number(row.event_id),
      changedAt: Number(row.changed_at),
      runId: row.run_id,
      codeVersion: row.code_version,
      dataVersion: row.data_version,
      inputVersions: JSON.parse(row.input_versions) as Record<string, string>
    }))
  }
}

/**
 * The key of a segment, to tell which stored rows a change left as they were.
 *
 * @since 0.1.0
 */
export const segmentKey = (segment: PartitionVersion): string =>
  `${segment.start}:${segment.end}:${segment.eventId}:${segment.changedAt}`

/**
 * The segments to delete and to insert to go from `before` to `after` (rows
 * not touched by a change stay): what SQL backends write.
 *
 * @since 0.1.0
 */
export const versionsDiff = (
  before: PartitionVersions | undefined,
  after: PartitionVersions
): { readonly removeAll: boolean; readonly remove: Array<PartitionVersion>; readonly insert: Array<PartitionVersion> } => {
  if (before === undefined || before.fingerprint !== after.fingerprint) {
    return { removeAll: before !== undefined, remove: [], insert: [...after.segments] }
  }
  const kept = new Set(after.segments.map(segmentKey))
  const had = new Set(before.segments.map(segmentKey))
  return {
    removeAll: false,
    remove: before.segments.filter((segment) => !kept.has(segmentKey(segment))),
    insert: after.segments.filter((segment) => !had.has(segmentKey(segment)))
  }
}

/**
 * Per-partition data versions given in index order over `ranges` (one per
 * partition, as `StoreResult.partitionVersions`), as `[start, end, version]`
 * ranges: touching partitions with the same version share one. `undefined`
 * when there is not exactly one version per partition.
 *
 * @since 0.1.0
 */
export const byIndex = (
  ranges: Ranges.Ranges,
  versions: ReadonlyArray<string> | undefined
): Array<readonly [number, number, string]> | undefined => {
  if (versions === undefined) return undefined
  let total = 0
  for (const [s, e] of ranges) total += e - s
  if (total !== versions.length) return undefined
  const out: Array<[number, number, string]> = []
  let k = 0
  for (const [s, e] of ranges) {
    for (let index = s; index < e; index++) {
      const version = versions[k++]!
      const last = out[out.length - 1]
      if (last !== undefined && last[1] === index && last[2] === version) last[1] = index + 1
      else out.push([index, index + 1, version])
    }
  }
  return out
}
