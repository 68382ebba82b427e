/**
 * The check store in Postgres: `check_latest` (the latest result of each
 * asset, check and partition, as an event id) and, for history, the
 * `check-evaluated` events themselves (partial index `events_checks`).
 */
import type { Event, Instance as InstanceModule } from "@strata/core"
import type { EventProjection } from "@strata/core/spi"
import { checkResultRecord } from "@strata/core/spi"
import { Effect } from "effect"
import type { PgInstanceContext } from "./context.ts"
import { toStored } from "./rows.ts"
import type { Part } from "./statements.ts"

type CheckResultRecord = InstanceModule.CheckResultRecord

const recordsOf = (rows: ReadonlyArray<{ id: string; body: unknown }>): Array<CheckResultRecord> =>
  rows.map((row) => {
    const event = toStored(row)
    if (event.type !== "check-evaluated") throw new Error(`event ${row.id} is a ${event.type} event, not a check result`)
    return checkResultRecord(event as Event.CheckEvaluated & { readonly id: number })
  })

export class PgCheckStore {
  private readonly x: PgInstanceContext

  constructor(context: PgInstanceContext) {
    this.x = context
  }

  /** A batch's latest check results, as a part of the append's statement ({@link combine}); none without checks. */
  parts(delta: EventProjection.IndexDelta): Array<Part> {
    const checks = delta.checks
    if (checks.length === 0) return []
    // the last result of a (asset, check, partition) in the batch wins: keep one row per key for the upsert
    const latest = new Map<string, CheckResultRecord>()
    for (const record of checks) latest.set(`${record.assetKey}\u0000${record.check}\u0000${record.partition ?? ""}`, record)
    const rows = [...latest.values()]
    return [{
      sql: `insert into ${this.x.s}.check_latest as l (asset_key, check_name, partition_key, event_id)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
       on conflict (asset_key, check_name, partition_key) do update set event_id = excluded.event_id`,
      params: [rows.map((r) => r.assetKey), rows.map((r) => r.check), rows.map((r) => r.partition ?? ""), rows.map((r) => r.eventId)]
    }]
  }

  private latestChecks(keys: ReadonlyArray<string> | undefined) {
    const s = this.x.s
    const where = keys === undefined ? "" : "where l.asset_key = any($1::text[])"
    return this.x.client.query<{ id: string; body: unknown }>(
      `select e.id, e.body from ${s}.check_latest l join ${s}.events e on e.id = l.event_id ${where}
       order by l.asset_key collate "C", l.check_name collate "C", l.partition_key collate "C"`,
      keys === undefined ? [] : [[...keys]]
    ).pipe(Effect.map((rows) => {
      const result = new Map<string, Array<CheckResultRecord>>()
      for (const record of recordsOf(rows)) {
        let list = result.get(record.assetKey)
        if (list === undefined) result.set(record.assetKey, list = [])
        list.push(record)
      }
      return result as ReadonlyMap<string, ReadonlyArray<CheckResultRecord>>
    }))
  }

  private checkHistory(assetKey: string, query: Parameters<InstanceModule.CheckStore["checkHistory"]>[1]) {
    const params: Array<unknown> = [assetKey]
    let sql = `select id, body from ${this.x.s}.events where type = 'check-evaluated' and asset_key = $1`
    if (query?.check !== undefined) {
      params.push(query.check)
      sql += ` and body->>'check' = $${params.length}`
    }
    if (query?.partition !== undefined) {
      params.push(query.partition)
      sql += ` and partition = $${params.length}`
    }
    if (query?.before !== undefined) {
      params.push(query.before)
      sql += ` and id < $${params.length}`
    }
    params.push(Math.max(1, query?.limit ?? 100))
    sql += ` order by id desc limit $${params.length}`
    return this.x.client.query<{ id: string; body: unknown }>(sql, params).pipe(Effect.map(recordsOf))
  }

  domain(): InstanceModule.CheckStore {
    const x = this.x
    return {
      latestChecks: (keys) => x.wrap("latestChecks")(this.latestChecks(keys)),
      checkHistory: (assetKey, query) => x.wrap("checkHistory")(this.checkHistory(assetKey, query))
    }
  }
}
