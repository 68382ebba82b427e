/** Run storage on SQLite: the `runs` table. */
import type { EventProjection } from "@strata/core/spi"
import { Instance } from "@strata/core"
import { Effect } from "effect"
import { Abort, decodeRun, decodeRunSummary, type RunRow, runSummaryColumns } from "../codec.ts"
import type { Connection } from "../connection.ts"

export const TERMINAL = "('succeeded', 'failed', 'canceled')"

export class SqliteRuns {
  private readonly c: Connection

  constructor(connection: Connection) {
    this.c = connection
  }

  /** A batch's change to a run, inside the caller's transaction; a run that ended keeps its end. */
  apply(change: EventProjection.RunChange, seq: number): void {
    if (change.startedAt !== undefined) {
      this.c.sql(`UPDATE runs SET status = 'started', started_at = ?, heartbeat_at = ? WHERE seq = ? AND status NOT IN ${TERMINAL}`)
        .run(change.startedAt, change.startedAt, seq)
    }
    if (change.ended !== undefined) {
      this.c.sql(`UPDATE runs SET status = ?, ended_at = ?, reason = ? WHERE seq = ? AND status NOT IN ${TERMINAL}`)
        .run(change.ended.status, change.ended.at, change.ended.reason ?? null, seq)
    }
  }

  decode(rows: ReadonlyArray<unknown>): Array<Instance.RunRecord> {
    return rows.map((row) => decodeRun(row as RunRow, this.c.path))
  }

  get(runId: string): Instance.RunRecord | undefined {
    const row = this.c.sql("SELECT * FROM runs WHERE run_id = ?").get(runId)
    return row === undefined ? undefined : decodeRun(row as RunRow, this.c.path)
  }

  active(): Array<Instance.RunRecord> {
    return this.decode(this.c.sql("SELECT * FROM runs WHERE status IN ('queued', 'started') ORDER BY seq").all())
  }

  private create(run: Instance.NewRun): Instance.RunRecord {
    const result = this.c.sql(
      `INSERT INTO runs (run_id, status, created_at, heartbeat_at, host, pid, selection, partition, stale_only,
         parent_run_id, asset_keys, tags)
       VALUES (?, 'queued', ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING`
    ).run(
      run.runId,
      run.createdAt,
      run.host ?? null,
      run.pid ?? null,
      run.selection,
      run.partition ?? null,
      run.staleOnly ? 1 : 0,
      run.parentRunId ?? null,
      JSON.stringify(run.assetKeys),
      JSON.stringify(run.tags)
    )
    if (Number(result.changes) === 0) {
      throw new Abort(
        new Instance.InstanceError({ operation: "createRun", reason: "invalid", path: this.c.path, message: `run ${run.runId} already exists` })
      )
    }
    return { ...run, status: "queued" }
  }

  private cancelRequest(runId: string): Instance.CancelRequest | undefined {
    const row = this.c.sql("SELECT cancel_requested_at AS at, cancel_reason AS reason FROM runs WHERE run_id = ?").get(runId) as
      | { at: unknown; reason: unknown }
      | undefined
    if (row === undefined || row.at === null) return undefined
    if (typeof row.at !== "number" || (row.reason !== null && typeof row.reason !== "string")) {
      throw this.c.corrupt(
        "cancelRequest",
        `${this.c.path}: the cancel request of run ${runId} does not decode; the database was changed outside Strata or is damaged`
      )
    }
    return row.reason === null ? { at: row.at } : { at: row.at, reason: row.reason }
  }

  /** The statement and parameters of a runs query, reading `columns`. */
  private listQuery(columns: string, query: Instance.RunQuery | undefined) {
    const statuses = query?.status === undefined ? undefined : typeof query.status === "string" ? [query.status] : query.status
    const where: Array<string> = []
    const parameters: Array<string | number> = []
    if (statuses !== undefined && statuses.length === 1) {
      // equality walks runs_by_status in seq order: no sort of every run with that status
      where.push("status = ?")
      parameters.push(statuses[0]!)
    } else if (statuses !== undefined) {
      where.push("status IN (SELECT value FROM json_each(?))")
      parameters.push(JSON.stringify(statuses))
    }
    if (query?.before !== undefined) {
      where.push("seq < (SELECT seq FROM runs WHERE run_id = ?)")
      parameters.push(query.before)
    }
    parameters.push(query?.limit ?? 50)
    const text = `SELECT ${columns} FROM runs ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`
    return this.c.sql(text).all(...parameters)
  }

  private list(query: Instance.RunQuery | undefined): Array<Instance.RunRecord> {
    return this.decode(this.listQuery("*", query))
  }

  private summaries(query: Instance.RunQuery | undefined): Array<Instance.RunSummary> {
    return this.listQuery(runSummaryColumns, query).map((row) => decodeRunSummary(row as RunRow, this.c.path))
  }

  domain(): Omit<Instance.RunStorage, "reapOrphanedRuns"> {
    const c = this.c
    return {
      createRun: (run) => c.attempt("createRun", () => this.create(run)),
      heartbeat: (runId, at) => c.attempt("heartbeat", () => void c.sql("UPDATE runs SET heartbeat_at = ? WHERE run_id = ?").run(at, runId)),
      requestCancel: (runId, request) =>
        Effect.flatMap(
          c.attempt("requestCancel", () =>
            c.transaction(() => {
              // the first request wins; a finished run is left alone (the caller then reads why)
              c.sql(
                `UPDATE runs SET cancel_requested_at = ?, cancel_reason = ?
                 WHERE run_id = ? AND cancel_requested_at IS NULL AND status NOT IN ${TERMINAL}`
              ).run(request.at, request.reason ?? null, runId)
              return this.get(runId)
            })),
          (run): Effect.Effect<Instance.RunRecord, Instance.CancelRequestError> => {
            const refusal = Instance.cancelRefusal(runId, run)
            return refusal === undefined ? Effect.succeed(run!) : Effect.fail(refusal)
          }
        ),
      cancelRequest: (runId) => c.attempt("cancelRequest", () => this.cancelRequest(runId)),
      getRun: (runId) => c.attempt("getRun", () => this.get(runId)),
      listRuns: (query) => c.attempt("listRuns", () => this.list(query)),
      listRunSummaries: (query) => c.attempt("listRunSummaries", () => this.summaries(query))
    }
  }
}
