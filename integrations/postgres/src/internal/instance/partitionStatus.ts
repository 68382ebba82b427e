/**
 * Partition status on Postgres: `partition_status` holds one row per index
 * range (asset, fingerprint, status, start, end). A batch's changes are
 * applied with core's `EventProjection.applyStatus` to the asset's rows under
 * a transaction-scoped advisory lock per asset (two processes appending to one
 * asset take turns), rewriting only the statuses that changed: the cost
 * follows the number of ranges, never the number of partitions.
 */
import type { Instance as InstanceModule } from "@strata/core"
import type { EventProjection } from "@strata/core/spi"
import { EventProjection as Projection } from "@strata/core/spi"
import { Effect } from "effect"
import type { PgConnection } from "../../PgClient.ts"

type Range = readonly [number, number]
type Status = "materialized" | "failed" | "in-progress"
type StatusRow = { fingerprint: string; status: Status; start: string; end: string }

const STATUSES: ReadonlyArray<Status> = ["materialized", "failed", "in-progress"]
const field = (status: Status) => status === "in-progress" ? "inProgress" as const : status

const sameRanges = (a: ReadonlyArray<Range>, b: ReadonlyArray<Range>) =>
  a.length === b.length && a.every(([start, end], i) => start === b[i]![0] && end === b[i]![1])

const statusOf = (assetKey: string, rows: ReadonlyArray<StatusRow>): InstanceModule.PartitionStatus | undefined => {
  if (rows.length === 0) return undefined
  const sets: Record<Status, Array<Range>> = { materialized: [], failed: [], "in-progress": [] }
  for (const row of rows) sets[row.status].push([Number(row.start), Number(row.end)])
  return { assetKey, fingerprint: rows[0]!.fingerprint, materialized: sets.materialized, failed: sets.failed, inProgress: sets["in-progress"] }
}

/** Reads an asset's status (`undefined` when it has no rows). */
export const read = (
  query: PgConnection["query"],
  s: string,
  assetKey: string
) =>
  Effect.map(
    query<StatusRow>(
      `select fingerprint, status, start_index as start, end_index as end from ${s}.partition_status
       where asset_key = $1 order by status, start_index`,
      [assetKey]
    ),
    (rows) => statusOf(assetKey, rows)
  )

/** Applies a batch's partition status changes, inside the append's transaction. */
export const apply = (connection: PgConnection, s: string, changes: ReadonlyArray<EventProjection.PartitionStatusChange>) =>
  Effect.gen(function*() {
    if (changes.length === 0) return
    const before = new Map<string, InstanceModule.PartitionStatus | undefined>()
    const after = new Map<string, InstanceModule.PartitionStatus>()
    for (const change of changes) {
      if (!before.has(change.assetKey)) {
        yield* connection.query(`select pg_advisory_xact_lock(hashtext($1))`, [`${s}.partition_status/${change.assetKey}`])
        before.set(change.assetKey, yield* read(connection.query, s, change.assetKey))
      }
      after.set(change.assetKey, Projection.applyStatus(after.get(change.assetKey) ?? before.get(change.assetKey), change))
    }
    for (const [key, now] of after) {
      const old = before.get(key)
      const refingerprinted = old !== undefined && old.fingerprint !== now.fingerprint
      if (refingerprinted) yield* connection.query(`delete from ${s}.partition_status where asset_key = $1`, [key])
      for (const status of STATUSES) {
        const ranges = now[field(status)]
        if (old !== undefined && !refingerprinted) {
          if (sameRanges(old[field(status)], ranges)) continue
          yield* connection.query(`delete from ${s}.partition_status where asset_key = $1 and status = $2`, [key, status])
        }
        if (ranges.length === 0) continue
        yield* connection.query(
          `insert into ${s}.partition_status (asset_key, fingerprint, status, start_index, end_index)
           select $1, $2, $3, * from unnest($4::bigint[], $5::bigint[])`,
          [key, now.fingerprint, status, ranges.map((r) => r[0]), ranges.map((r) => r[1])]
        )
      }
    }
  })
