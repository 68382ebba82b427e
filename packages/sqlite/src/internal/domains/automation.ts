/**
 * The automation domain on SQLite: leases, ticks with their evaluations,
 * cursors, per-asset states and switches (tables `automation_*`). A tick is
 * recorded in one immediate transaction that first checks the lease, so two
 * daemons on one file can never both record (and launch) a tick.
 */
import * as fs from "node:fs"
import * as nodePath from "node:path"
import type { AutomationCondition } from "@strata/core"
import { AutomationStore } from "@strata/core"
import { Effect, Schema } from "effect"
import type { Connection } from "../connection.ts"

type Store = AutomationStore.AutomationStore

interface TickRow {
  seq: number
  tick_id: string
  origin: string
  name: string
  at: number
  scheduled_at: number | null
  status: string
  reason: string | null
  runs: string
  evaluated: number
  requested: number
}

const ORIGINS = new Set(["conditions", "schedule", "sensor"])
const STATUSES = new Set(["requested", "launched", "skipped", "failed"])
const decodeRuns = Schema.decodeUnknownSync(Schema.fromJsonString(AutomationStore.TickRunsSchema))
const decodeResult = Schema.decodeUnknownSync(Schema.fromJsonString(AutomationStore.EvaluationResultSchema))
const decodeState = Schema.decodeUnknownSync(Schema.fromJsonString(AutomationStore.StateSchema))

export class SqliteAutomation {
  private readonly c: Connection
  private readonly listeners = new Set<() => void>()

  /** This process appended events. */
  notify(): void {
    for (const listener of this.listeners) listener()
  }

  /**
   * Other processes' appends change the database or its WAL file: watching the
   * folder (the WAL may not exist yet) reports them without polling.
   */
  private watch(listener: () => void): () => void {
    const own = () => listener()
    this.listeners.add(own)
    let watcher: fs.FSWatcher | undefined
    if (this.c.path !== ":memory:") {
      const file = nodePath.basename(this.c.path)
      try {
        watcher = fs.watch(nodePath.dirname(nodePath.resolve(this.c.path)), { persistent: false }, (_event, name) => {
          if (name === null || name.startsWith(file)) listener()
        })
        watcher.on("error", () => watcher?.close())
      } catch {
        // no file watching here (a platform without it): in-process appends still notify, the daemon's timer does the rest
      }
    }
    return () => {
      this.listeners.delete(own)
      watcher?.close()
    }
  }

  constructor(connection: Connection) {
    this.c = connection
  }

  private decode<A>(operation: string, what: string, decode: () => A): A {
    try {
      return decode()
    } catch (error) {
      throw this.c.corrupt(operation, `${this.c.path}: ${what} does not decode (${error instanceof Error ? error.message.slice(0, 200) : String(error)}); the database was changed outside Strata or is damaged`)
    }
  }

  private tickOf(row: TickRow, operation: string): AutomationStore.TickRecord {
    if (!ORIGINS.has(row.origin) || !STATUSES.has(row.status)) {
      throw this.c.corrupt(operation, `${this.c.path}: tick ${row.tick_id} has origin '${row.origin}' and status '${row.status}'`)
    }
    return {
      tickId: row.tick_id,
      origin: row.origin as AutomationStore.TickOrigin,
      name: row.name,
      at: row.at,
      ...(row.scheduled_at === null ? {} : { scheduledAt: row.scheduled_at }),
      status: row.status as AutomationStore.TickStatus,
      ...(row.reason === null ? {} : { reason: row.reason }),
      runs: this.decode(operation, `the runs of tick ${row.tick_id}`, () => decodeRuns(row.runs)),
      evaluated: row.evaluated,
      requested: row.requested
    }
  }

  private lease(name: string): AutomationStore.Lease | undefined {
    const row = this.c.sql("SELECT holder, acquired_at, expires_at FROM automation_leases WHERE name = ?").get(name) as
      | { holder: string; acquired_at: number; expires_at: number }
      | undefined
    return row === undefined ? undefined : { name, holder: row.holder, acquiredAt: row.acquired_at, expiresAt: row.expires_at }
  }

  private acquire(request: { name: string; holder: string; now: number; ttlMs: number }): AutomationStore.LeaseAnswer {
    return this.c.transaction(() => {
      const current = this.lease(request.name)
      if (!AutomationStore.leaseFree(current, request.holder, request.now)) return { acquired: false, lease: current! }
      const acquiredAt = current?.holder === request.holder && current.expiresAt > request.now ? current.acquiredAt : request.now
      const lease = { name: request.name, holder: request.holder, acquiredAt, expiresAt: request.now + request.ttlMs }
      this.c.sql(
        `INSERT INTO automation_leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`
      ).run(lease.name, lease.holder, lease.acquiredAt, lease.expiresAt)
      return { acquired: true, lease }
    })
  }

  private record(tick: AutomationStore.NewTick, fence: { lease: string; holder: string; now: number }): AutomationStore.RecordAnswer {
    return this.c.transaction(() => {
      const lease = this.lease(fence.lease)
      if (lease === undefined || lease.holder !== fence.holder || lease.expiresAt <= fence.now) return "lease-lost"
      const inserted = this.c.sql(
        `INSERT INTO automation_ticks (tick_id, origin, name, at, scheduled_at, status, reason, runs, evaluated, requested)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tick_id) DO NOTHING`
      ).run(
        tick.tickId,
        tick.origin,
        tick.name,
        tick.at,
        tick.scheduledAt ?? null,
        tick.status,
        tick.reason ?? null,
        JSON.stringify(tick.runs),
        tick.evaluations.length,
        tick.evaluations.filter((evaluation) => evaluation.requested).length
      )
      if (Number(inserted.changes) === 0) return "duplicate"
      const seq = Number(inserted.lastInsertRowid)
      const insertEvaluation = this.c.sql(
        "INSERT INTO automation_evaluations (tick_seq, position, asset_key, requested, result) VALUES (?, ?, ?, ?, ?)"
      )
      tick.evaluations.forEach((evaluation, position) =>
        insertEvaluation.run(seq, position, evaluation.assetKey, evaluation.requested ? 1 : 0, JSON.stringify(evaluation.result))
      )
      if (tick.cursor !== undefined) {
        this.c.sql("INSERT INTO automation_cursors (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
          .run(AutomationStore.cursorKey(tick.origin, tick.name), tick.cursor)
      }
      const upsertState = this.c.sql(
        "INSERT INTO automation_asset_states (asset_key, state) VALUES (?, ?) ON CONFLICT (asset_key) DO UPDATE SET state = excluded.state"
      )
      for (const { assetKey, state } of tick.assetStates ?? []) upsertState.run(assetKey, JSON.stringify(state))
      return "recorded"
    })
  }

  private list(query: AutomationStore.TickQuery | undefined): Array<AutomationStore.TickRecord> {
    const where: Array<string> = []
    const parameters: Array<string | number> = []
    if (query?.origin !== undefined) where.push("origin = ?"), parameters.push(query.origin)
    if (query?.name !== undefined) where.push("name = ?"), parameters.push(query.name)
    if (query?.status !== undefined) where.push("status = ?"), parameters.push(query.status)
    if (query?.before !== undefined) {
      where.push("seq < coalesce((SELECT seq FROM automation_ticks WHERE tick_id = ?), 0)")
      parameters.push(query.before)
    }
    parameters.push(query?.limit ?? 50)
    const rows = this.c.sql(
      `SELECT * FROM automation_ticks ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`
    ).all(...parameters) as Array<TickRow>
    return rows.map((row) => this.tickOf(row, "ticks"))
  }

  private evaluationOf(row: { asset_key: string; requested: number; result: string }, operation: string): AutomationStore.AssetEvaluation {
    return {
      assetKey: row.asset_key,
      requested: row.requested === 1,
      result: this.decode(operation, `the evaluation of ${row.asset_key}`, () => decodeResult(row.result))
    }
  }

  private tick(tickId: string) {
    const row = this.c.sql("SELECT * FROM automation_ticks WHERE tick_id = ?").get(tickId) as TickRow | undefined
    if (row === undefined) return undefined
    const rows = this.c.sql("SELECT asset_key, requested, result FROM automation_evaluations WHERE tick_seq = ? ORDER BY position")
      .all(row.seq) as Array<{ asset_key: string; requested: number; result: string }>
    return { tick: this.tickOf(row, "tick"), evaluations: rows.map((evaluation) => this.evaluationOf(evaluation, "tick")) }
  }

  private evaluations(assetKey: string, limit: number): Array<AutomationStore.EvaluationRecord> {
    const rows = this.c.sql(
      `SELECT e.asset_key, e.requested, e.result, t.tick_id, t.at FROM automation_evaluations e
       JOIN automation_ticks t ON t.seq = e.tick_seq WHERE e.asset_key = ? ORDER BY e.tick_seq DESC LIMIT ?`
    ).all(assetKey, limit) as Array<{ asset_key: string; requested: number; result: string; tick_id: string; at: number }>
    return rows.map((row) => ({ ...this.evaluationOf(row, "evaluations"), tickId: row.tick_id, at: row.at }))
  }

  private states(keys: ReadonlyArray<string> | undefined): Map<string, AutomationCondition.AssetState> {
    const rows = (keys === undefined
      ? this.c.sql("SELECT asset_key, state FROM automation_asset_states").all()
      : this.c.sql("SELECT asset_key, state FROM automation_asset_states WHERE asset_key IN (SELECT value FROM json_each(?))")
        .all(JSON.stringify(keys))) as Array<{ asset_key: string; state: string }>
    const result = new Map<string, AutomationCondition.AssetState>()
    for (const row of rows) result.set(row.asset_key, this.decode("assetStates", `the state of ${row.asset_key}`, () => decodeState(row.state)))
    return result
  }

  private prune(before: number, keep: number): number {
    return this.c.transaction(() => {
      const doomed = `SELECT seq FROM (
          SELECT seq, at, row_number() OVER (PARTITION BY origin, name ORDER BY seq DESC) AS rank FROM automation_ticks
        ) WHERE at < ? AND rank > ?`
      this.c.sql(`DELETE FROM automation_evaluations WHERE tick_seq IN (${doomed})`).run(before, keep)
      return Number(this.c.sql(`DELETE FROM automation_ticks WHERE seq IN (${doomed})`).run(before, keep).changes)
    })
  }

  domain(): Store {
    const c = this.c
    return {
      acquireLease: (request) => c.attempt("acquireLease", () => this.acquire(request)),
      releaseLease: (name, holder) =>
        c.attempt("releaseLease", () => void c.sql("DELETE FROM automation_leases WHERE name = ? AND holder = ?").run(name, holder)),
      lease: (name) => c.attempt("lease", () => this.lease(name)),
      recordTick: (tick, fence) => c.attempt("recordTick", () => this.record(tick, fence)),
      markLaunched: (tickId) =>
        c.attempt("markLaunched", () => void c.sql("UPDATE automation_ticks SET status = 'launched' WHERE tick_id = ? AND status = 'requested'").run(tickId)),
      ticks: (query) => c.attempt("ticks", () => this.list(query)),
      tick: (tickId) => c.attempt("tick", () => this.tick(tickId)),
      evaluations: (assetKey, query) => c.attempt("evaluations", () => this.evaluations(assetKey, query?.limit ?? 20)),
      cursor: (key) =>
        c.attempt("cursor", () => (c.sql("SELECT value FROM automation_cursors WHERE key = ?").get(key) as { value: string } | undefined)?.value),
      assetStates: (keys) => c.attempt("assetStates", () => this.states(keys)),
      setEnabled: (target, enabled, at) =>
        c.attempt("setEnabled", () =>
          void c.sql(
            "INSERT INTO automation_switches (target, enabled, at) VALUES (?, ?, ?) ON CONFLICT (target) DO UPDATE SET enabled = excluded.enabled, at = excluded.at"
          ).run(target, enabled ? 1 : 0, at)),
      enabled: () =>
        c.attempt("enabled", () =>
          new Map((c.sql("SELECT target, enabled FROM automation_switches").all() as Array<{ target: string; enabled: number }>)
            .map((row) => [row.target, row.enabled === 1]))),
      pruneTicks: ({ before, keep }) => c.attempt("pruneTicks", () => this.prune(before, keep ?? 0)),
      watchEvents: (listener) => Effect.sync(() => this.watch(listener))
    }
  }
}
