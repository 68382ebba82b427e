/**
 * Partition versions on SQLite: `partition_versions` holds one row per
 * segment (asset, start, end) with the materialization that wrote it. A
 * batch's materializations are applied with core's
 * `EventProjection.applyVersions`; only the rows that changed are deleted
 * and inserted, so the cost follows the segments a change touches.
 */
import type { Instance } from "@strata/core"
import type { EventProjection } from "@strata/core/spi"
import { EventProjection as Projection } from "@strata/core/spi"
import type { Connection } from "../connection.ts"

/** Reads an asset's versions (`undefined` when it has no rows). */
export const read = (c: Connection, assetKey: string): Instance.PartitionVersions | undefined => {
  const rows = c.sql(
    `SELECT fingerprint, start, end, event_id, changed_at, run_id, code_version, data_version, input_versions
     FROM partition_versions WHERE asset_key = ? ORDER BY start`
  ).all(assetKey) as unknown as Array<EventProjection.PartitionVersionRow>
  return Projection.versionsOfRows(assetKey, rows)
}

/** Applies a batch's partition versions, inside the caller's transaction. */
export const apply = (c: Connection, changes: ReadonlyArray<EventProjection.PartitionVersionChange>): void => {
  if (changes.length === 0) return
  const before = new Map<string, Instance.PartitionVersions | undefined>()
  const after = new Map<string, Instance.PartitionVersions>()
  for (const change of changes) {
    if (!before.has(change.assetKey)) before.set(change.assetKey, read(c, change.assetKey))
    after.set(change.assetKey, Projection.applyVersions(after.get(change.assetKey) ?? before.get(change.assetKey), change))
  }
  const removeAll = c.sql("DELETE FROM partition_versions WHERE asset_key = ?")
  const remove = c.sql("DELETE FROM partition_versions WHERE asset_key = ? AND start = ?")
  const insert = c.sql(
    `INSERT INTO partition_versions
     (asset_key, fingerprint, start, end, event_id, changed_at, run_id, code_version, data_version, input_versions)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  )
  for (const [key, now] of after) {
    const diff = Projection.versionsDiff(before.get(key), now)
    if (diff.removeAll) removeAll.run(key)
    for (const segment of diff.remove) remove.run(key, segment.start)
    for (const s of diff.insert) {
      insert.run(key, now.fingerprint, s.start, s.end, s.eventId, s.changedAt, s.runId, s.codeVersion, s.dataVersion, JSON.stringify(s.inputVersions))
    }
  }
}
