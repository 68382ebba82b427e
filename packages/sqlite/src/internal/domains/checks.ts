/**
 * The check store on SQLite: `check_results` (one row per result, for history,
 * retention and wiping) and `check_latest` (the latest result of each asset,
 * check and partition). The results themselves are the `check-evaluated`
 * events' bodies.
 */
import type { Event, Instance } from "@strata/core"
import type { EventProjection } from "@strata/core/spi"
import { checkResultRecord } from "@strata/core/spi"
import { decodeEvent } from "../codec.ts"
import type { Connection } from "../connection.ts"

type CheckResultRecord = Instance.CheckResultRecord

export class SqliteCheckStore {
  private readonly c: Connection

  constructor(connection: Connection) {
    this.c = connection
  }

  /** A batch's results, inside the caller's transaction (after its events are stored). */
  apply(delta: EventProjection.IndexDelta, runSeq: (runId: string) => number): void {
    if (delta.checks.length === 0) return
    const insert = this.c.sql("INSERT INTO check_results (event_id, run_seq, asset_key, check_name, partition) VALUES (?, ?, ?, ?, ?)")
    const latest = this.c.sql(
      `INSERT INTO check_latest (asset_key, check_name, partition, event_id) VALUES (?, ?, ?, ?)
       ON CONFLICT (asset_key, check_name, partition) DO UPDATE SET event_id = excluded.event_id`
    )
    for (const r of delta.checks) {
      insert.run(r.eventId, runSeq(r.runId), r.assetKey, r.check, r.partition ?? "")
      latest.run(r.assetKey, r.check, r.partition ?? "", r.eventId)
    }
  }

  private records(rows: ReadonlyArray<unknown>, operation: string): Array<CheckResultRecord> {
    return (rows as Array<{ id: number; body: string }>).map((row) => {
      const event = decodeEvent(row.id, row.body, this.c.path, operation)
      if (event.type !== "check-evaluated") {
        throw this.c.corrupt(operation, `${this.c.path}: the check store points at event ${row.id}, a ${event.type} event`)
      }
      return checkResultRecord(event as Event.CheckEvaluated & { readonly id: number })
    })
  }

  private latestChecks(keys: ReadonlyArray<string> | undefined): Map<string, ReadonlyArray<CheckResultRecord>> {
    const select = `SELECT e.id AS id, e.body AS body FROM check_latest l JOIN events e ON e.id = l.event_id`
    const order = "ORDER BY l.asset_key, l.check_name, l.partition"
    const rows = keys === undefined
      ? this.c.sql(`${select} ${order}`).all()
      : this.c.sql(`${select} WHERE l.asset_key IN (SELECT value FROM json_each(?)) ${order}`).all(JSON.stringify(keys))
    const result = new Map<string, Array<CheckResultRecord>>()
    for (const record of this.records(rows, "latestChecks")) {
      let list = result.get(record.assetKey)
      if (list === undefined) result.set(record.assetKey, list = [])
      list.push(record)
    }
    return result
  }

  private checkHistory(assetKey: string, query: Parameters<Instance.CheckStore["checkHistory"]>[1]): Array<CheckResultRecord> {
    const where = ["r.asset_key = ?"]
    const parameters: Array<string | number> = [assetKey]
    const filter = (clause: string, value: string | number | undefined) => {
      if (value === undefined) return
      where.push(clause)
      parameters.push(value)
    }
    filter("r.check_name = ?", query?.check)
    filter("r.partition = ?", query?.partition)
    filter("r.event_id < ?", query?.before)
    parameters.push(Math.max(1, query?.limit ?? 100))
    const rows = this.c.sql(
      `SELECT e.id AS id, e.body AS body FROM check_results r JOIN events e ON e.id = r.event_id
       WHERE ${where.join(" AND ")} ORDER BY r.event_id DESC LIMIT ?`
    ).all(...parameters)
    return this.records(rows, "checkHistory")
  }

  domain(): Instance.CheckStore {
    const c = this.c
    return {
      latestChecks: (keys) => c.attempt("latestChecks", () => this.latestChecks(keys)),
      checkHistory: (assetKey, query) => c.attempt("checkHistory", () => this.checkHistory(assetKey, query))
    }
  }
}
