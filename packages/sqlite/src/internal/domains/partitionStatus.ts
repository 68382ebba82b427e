/**
 * Partition status on SQLite: `partition_status` holds one row per range
 * (asset, status, start, end) under the definition's fingerprint. A batch's
 * changes are applied with core's `EventProjection.applyStatus` to the asset's
 * rows, and only the statuses that changed are rewritten: the cost follows the
 * number of ranges, never the number of partitions.
 */
import type { Instance } from "@strata/core"
import type { EventProjection } from "@strata/core/spi"
import { EventProjection as Projection } from "@strata/core/spi"
import type { Connection } from "../connection.ts"

type Range = readonly [number, number]
type Status = "materialized" | "failed" | "in-progress"

const STATUSES: ReadonlyArray<Status> = ["materialized", "failed", "in-progress"]

const field = (status: Status): "materialized" | "failed" | "inProgress" => status === "in-progress" ? "inProgress" : status

const sameRanges = (a: ReadonlyArray<Range>, b: ReadonlyArray<Range>) =>
  a.length === b.length && a.every(([s, e], i) => s === b[i]![0] && e === b[i]![1])

/** Reads an asset's status (`undefined` when it has no rows). */
export const read = (c: Connection, assetKey: string): Instance.PartitionStatus | undefined => {
  const rows = c.sql("SELECT fingerprint, status, start, end FROM partition_status WHERE asset_key = ? ORDER BY status, start")
    .all(assetKey) as Array<{ fingerprint: string; status: Status; start: number; end: number }>
  if (rows.length === 0) return undefined
  const sets: Record<Status, Array<Range>> = { materialized: [], failed: [], "in-progress": [] }
  for (const row of rows) sets[row.status].push([Number(row.start), Number(row.end)])
  return {
    assetKey,
    fingerprint: rows[0]!.fingerprint,
    materialized: sets.materialized,
    failed: sets.failed,
    inProgress: sets["in-progress"]
  }
}

/** Applies a batch's partition status changes, inside the caller's transaction. */
export const apply = (c: Connection, changes: ReadonlyArray<EventProjection.PartitionStatusChange>): void => {
  if (changes.length === 0) return
  const before = new Map<string, Instance.PartitionStatus | undefined>()
  const after = new Map<string, Instance.PartitionStatus>()
  for (const change of changes) {
    if (!before.has(change.assetKey)) before.set(change.assetKey, read(c, change.assetKey))
    const base = after.get(change.assetKey) ?? before.get(change.assetKey)
    after.set(change.assetKey, Projection.applyStatus(base, change))
  }
  const remove = c.sql("DELETE FROM partition_status WHERE asset_key = ? AND status = ?")
  const removeAll = c.sql("DELETE FROM partition_status WHERE asset_key = ?")
  const insert = c.sql("INSERT INTO partition_status (asset_key, fingerprint, status, start, end) VALUES (?, ?, ?, ?, ?)")
  for (const [key, now] of after) {
    const old = before.get(key)
    const refingerprinted = old !== undefined && old.fingerprint !== now.fingerprint
    if (refingerprinted) removeAll.run(key)
    for (const status of STATUSES) {
      const ranges = now[field(status)]
      if (old !== undefined && !refingerprinted) {
        if (sameRanges(old[field(status)], ranges)) continue
        remove.run(key, status)
      }
      for (const [start, end] of ranges) insert.run(key, now.fingerprint, status, start, end)
    }
  }
}
