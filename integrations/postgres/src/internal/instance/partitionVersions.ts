/**
 * Partition versions on Postgres: `partition_versions` holds one row per
 * segment (asset, start, end) with the materialization that wrote it. A
 * batch's materializations are applied with core's
 * `EventProjection.applyVersions` under a transaction-scoped advisory lock
 * per asset; only the rows that changed are deleted and inserted.
 */
import type { Instance as InstanceModule } from "@strata/core"
import type { EventProjection } from "@strata/core/spi"
import { EventProjection as Projection } from "@strata/core/spi"
import { Effect } from "effect"
import type { PgConnection } from "../../PgClient.ts"

/** Reads an asset's versions (`undefined` when it has no rows). */
export const read = (query: PgConnection["query"], s: string, assetKey: string) =>
  Effect.map(
    query<EventProjection.PartitionVersionRow>(
      `select fingerprint, start_index as start, end_index as end, event_id, changed_at, run_id, code_version,
              data_version, input_versions
       from ${s}.partition_versions where asset_key = $1 order by start_index`,
      [assetKey]
    ),
    (rows) => Projection.versionsOfRows(assetKey, rows)
  )

/** Applies a batch's partition versions, inside the append's transaction. */
export const apply = (connection: PgConnection, s: string, changes: ReadonlyArray<EventProjection.PartitionVersionChange>) =>
  Effect.gen(function*() {
    if (changes.length === 0) return
    const before = new Map<string, InstanceModule.PartitionVersions | undefined>()
    const after = new Map<string, InstanceModule.PartitionVersions>()
    for (const change of changes) {
      if (!before.has(change.assetKey)) {
        yield* connection.query(`select pg_advisory_xact_lock(hashtext($1))`, [`${s}.partition_versions/${change.assetKey}`])
        before.set(change.assetKey, yield* read(connection.query, s, change.assetKey))
      }
      after.set(change.assetKey, Projection.applyVersions(after.get(change.assetKey) ?? before.get(change.assetKey), change))
    }
    for (const [key, now] of after) {
      const diff = Projection.versionsDiff(before.get(key), now)
      if (diff.removeAll) yield* connection.query(`delete from ${s}.partition_versions where asset_key = $1`, [key])
      if (diff.remove.length > 0) {
        yield* connection.query(`delete from ${s}.partition_versions where asset_key = $1 and start_index = any($2::bigint[])`, [
          key,
          diff.remove.map((segment) => segment.start)
        ])
      }
      if (diff.insert.length === 0) continue
      const rows = diff.insert
      yield* connection.query(
        `insert into ${s}.partition_versions
           (asset_key, fingerprint, start_index, end_index, event_id, changed_at, run_id, code_version, data_version, input_versions)
         select $1, $2, * from unnest($3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[])`,
        [
          key,
          now.fingerprint,
          rows.map((r) => r.start),
          rows.map((r) => r.end),
          rows.map((r) => r.eventId),
          rows.map((r) => r.changedAt),
          rows.map((r) => r.runId),
          rows.map((r) => r.codeVersion),
          rows.map((r) => r.dataVersion),
          rows.map((r) => JSON.stringify(r.inputVersions))
        ]
      )
    }
  })
