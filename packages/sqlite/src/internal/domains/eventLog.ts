/**
 * The event log on SQLite: the `events` table. Appending a batch stores its
 * events and applies the shared projection (`EventProjection`) to the runs and
 * the asset index, in one immediate transaction.
 */
import type { Event } from "@strata/core"
import { Instance } from "@strata/core"
import { EventProjection } from "@strata/core/spi"
import { Effect } from "effect"
import { Abort, decodeEvent } from "../codec.ts"
import type { Connection } from "../connection.ts"
import type { SqliteAssetIndex } from "./assetIndex.ts"
import type { SqliteCheckStore } from "./checks.ts"
import type { SqliteRuns } from "./runs.ts"
import { TERMINAL } from "./runs.ts"

type StrataEvent = Event.StrataEvent
type StoredEvent = Event.StoredEvent

// the event ids retention keeps: every latest record of the index
const keepIds = `(SELECT materialization_id FROM assets WHERE materialization_id IS NOT NULL
  UNION ALL SELECT observation_id FROM assets WHERE observation_id IS NOT NULL
  UNION ALL SELECT materialization_id FROM asset_partitions
  UNION ALL SELECT event_id FROM check_latest)`

export class SqliteEventLog {
  private readonly c: Connection
  private readonly runs: SqliteRuns
  private readonly index: SqliteAssetIndex
  private readonly checks: SqliteCheckStore

  constructor(connection: Connection, runs: SqliteRuns, index: SqliteAssetIndex, checks: SqliteCheckStore) {
    this.c = connection
    this.runs = runs
    this.index = index
    this.checks = checks
  }

  private seqOf(runId: string): number {
    const seq = this.c.runSeq(runId)
    if (seq === undefined) throw new Error(`run ${runId} vanished during the write`)
    return seq
  }

  /** Writes a batch inside the caller's transaction. */
  write(events: ReadonlyArray<StrataEvent>): void {
    for (const event of events) {
      if (this.c.runSeq(event.runId) !== undefined) continue
      throw new Abort(new Instance.InstanceError({
        operation: "appendEvents",
        reason: "invalid",
        path: this.c.path,
        message: `event ${event.type} refers to run ${event.runId}, which does not exist; create the run first`
      }))
    }
    const kept = EventProjection.keep(events, (_, event) =>
      event.type === "asset-materialized" && this.index.isMaterialized(this.seqOf(event.runId), event.assetKey, event.partition))
    const insert = this.c.sql("INSERT INTO events (run_seq, type, body) VALUES (?, ?, ?)")
    const stored = new Array<StoredEvent>(kept.length)
    for (let i = 0; i < kept.length; i++) {
      const event = kept[i]!
      const id = Number(insert.run(this.seqOf(event.runId), event.type, JSON.stringify(event)).lastInsertRowid)
      stored[i] = { ...event, id } as StoredEvent
    }
    const delta = EventProjection.fold(stored)
    for (const change of delta.runs) this.runs.apply(change, this.seqOf(change.runId))
    this.index.apply(delta, (runId) => this.seqOf(runId))
    this.checks.apply(delta, (runId) => this.seqOf(runId))
  }

  decode(rows: ReadonlyArray<unknown>, operation: string): Array<StoredEvent> {
    const result = new Array<StoredEvent>(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as { id: number; body: string }
      result[i] = decodeEvent(row.id, row.body, this.c.path, operation)
    }
    return result
  }

  private runEvents(runId: string, query: Instance.EventQuery | undefined): Array<StoredEvent> {
    const seq = this.c.runSeq(runId)
    if (seq === undefined) return []
    const after = query?.after ?? 0
    const rows = query?.limit === undefined
      ? this.c.sql("SELECT id, body FROM events WHERE run_seq = ? AND id > ? ORDER BY id").all(seq, after)
      : this.c.sql("SELECT id, body FROM events WHERE run_seq = ? AND id > ? ORDER BY id LIMIT ?").all(seq, after, query.limit)
    return this.decode(rows, "runEvents")
  }

  private events(query: Instance.EventQuery | undefined): Array<StoredEvent> {
    const after = query?.after ?? 0
    const rows = query?.limit === undefined
      ? this.c.sql("SELECT id, body FROM events WHERE id > ? ORDER BY id").all(after)
      : this.c.sql("SELECT id, body FROM events WHERE id > ? ORDER BY id LIMIT ?").all(after, query.limit)
    return this.decode(rows, "events")
  }

  private pruneRuns(endedBefore: number): { runs: number; events: number } {
    const c = this.c
    c.db.exec("CREATE TEMP TABLE IF NOT EXISTS prune_runs (seq INTEGER PRIMARY KEY)")
    c.db.exec("DELETE FROM prune_runs")
    c.sql(`INSERT INTO prune_runs SELECT seq FROM runs WHERE status IN ${TERMINAL} AND ifnull(ended_at, 0) < ?`).run(endedBefore)
    const events = Number(c.sql(`DELETE FROM events WHERE run_seq IN (SELECT seq FROM prune_runs) AND id NOT IN ${keepIds}`).run().changes)
    c.sql(`DELETE FROM materializations WHERE run_seq IN (SELECT seq FROM prune_runs) AND event_id NOT IN ${keepIds}`).run()
    c.sql(`DELETE FROM observations WHERE run_seq IN (SELECT seq FROM prune_runs) AND event_id NOT IN ${keepIds}`).run()
    c.sql(`DELETE FROM check_results WHERE run_seq IN (SELECT seq FROM prune_runs) AND event_id NOT IN ${keepIds}`).run()
    const runs = Number(c.sql("DELETE FROM runs WHERE seq IN (SELECT seq FROM prune_runs)").run().changes)
    c.db.exec("DELETE FROM prune_runs")
    c.forgetRuns()
    return { runs, events }
  }

  private pruneHistory(keep: number): number {
    const c = this.c
    c.db.exec("CREATE TEMP TABLE IF NOT EXISTS prune_events (id INTEGER PRIMARY KEY)")
    c.db.exec("DELETE FROM prune_events")
    c.sql(
      `INSERT INTO prune_events SELECT event_id FROM (
         SELECT event_id, row_number() OVER (PARTITION BY asset_key, partition ORDER BY event_id DESC) AS rank
         FROM materializations)
       WHERE rank > ? AND event_id NOT IN ${keepIds}`
    ).run(Math.max(0, Math.floor(keep)))
    const events = Number(c.sql("DELETE FROM events WHERE id IN (SELECT id FROM prune_events)").run().changes)
    c.sql("DELETE FROM materializations WHERE event_id IN (SELECT id FROM prune_events)").run()
    c.db.exec("DELETE FROM prune_events")
    return events
  }

  private prune(options: Instance.PruneOptions): Instance.PruneResult {
    let runs = 0
    let events = 0
    if (options.endedBefore !== undefined) ({ events, runs } = this.pruneRuns(options.endedBefore))
    if (options.keepMaterializationsPerAsset !== undefined) events += this.pruneHistory(options.keepMaterializationsPerAsset)
    return { runs, events }
  }

  domain(): Instance.EventLog {
    const c = this.c
    return {
      appendEvents: (events) =>
        events.length === 0 ? Effect.void : c.attempt("appendEvents", () => c.transaction(() => this.write(events))),
      runEvents: (runId, query) => c.attempt("runEvents", () => this.runEvents(runId, query)),
      events: (query) => c.attempt("events", () => this.events(query)),
      lastEventId: () => c.attempt("lastEventId", () => Number((c.sql("SELECT ifnull(max(id), 0) AS id FROM events").get() as { id: number }).id)),
      prune: (options) => c.attempt("prune", () => c.transaction(() => this.prune(options)))
    }
  }
}
