/** Run storage in Postgres: the `runs` table. */
import type { Instance as InstanceModule } from "@strata/core"
import { Instance } from "@strata/core"
import type { EventProjection } from "@strata/core/spi"
import { Effect } from "effect"
import type { PgConnection } from "../../PgClient.ts"
import type { PgInstanceContext } from "./context.ts"
import { decodeCancelRow, runColumns, runSummaryColumns, toRun, toRunSummary } from "./rows.ts"

type RunRecord = InstanceModule.RunRecord

export const TERMINAL = "('succeeded', 'failed', 'canceled')"

export class PgRuns {
  private readonly x: PgInstanceContext

  constructor(context: PgInstanceContext) {
    this.x = context
  }

  /** A batch's changes to its runs, inside the append's transaction; a run that ended keeps its end. */
  apply(connection: PgConnection, changes: ReadonlyArray<EventProjection.RunChange>) {
    const s = this.x.s
    return Effect.forEach(changes, (change) =>
      Effect.gen(function*() {
        if (change.startedAt !== undefined) {
          yield* connection.query(
            `update ${s}.runs set status = 'started', started_at = $2, heartbeat_at = $2 where run_id = $1 and status not in ${TERMINAL}`,
            [change.runId, change.startedAt]
          )
        }
        if (change.ended !== undefined) {
          yield* connection.query(
            `update ${s}.runs set status = $3, ended_at = $2, reason = $4 where run_id = $1 and status not in ${TERMINAL}`,
            [change.runId, change.ended.at, change.ended.status, change.ended.reason ?? null]
          )
        }
      }), { discard: true })
  }

  private create(run: InstanceModule.NewRun) {
    return this.x.client.query(
      `insert into ${this.x.s}.runs (run_id, selection, asset_keys, partition, stale_only, parent_run_id, tags, created_at, host, pid, status)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'queued')`,
      [
        run.runId,
        run.selection,
        JSON.stringify(run.assetKeys),
        run.partition ?? null,
        run.staleOnly,
        run.parentRunId ?? null,
        JSON.stringify(run.tags),
        run.createdAt,
        run.host ?? null,
        run.pid ?? null
      ]
    ).pipe(
      Effect.catchIf((error) => error.reason === "unique-violation", () =>
        Effect.fail(new Instance.InstanceError({ operation: "createRun", reason: "invalid", message: `run ${run.runId} already exists` }))),
      Effect.as({ ...run, status: "queued" } as RunRecord)
    )
  }

  private get(runId: string) {
    return this.x.client.query(`select ${runColumns} from ${this.x.s}.runs where run_id = $1`, [runId]).pipe(
      Effect.map((rows) => rows.length === 0 ? undefined : toRun(rows[0]))
    )
  }

  private requestCancel(runId: string, request: InstanceModule.CancelRequest) {
    return this.x.client.query(
      // the first request wins; a finished run is left alone (the caller then reads why)
      `update ${this.x.s}.runs set cancel_requested_at = $2, cancel_reason = $3
       where run_id = $1 and cancel_requested_at is null and status not in ${TERMINAL}`,
      [runId, request.at, request.reason ?? null]
    ).pipe(Effect.andThen(this.get(runId)))
  }

  private cancelRequest(runId: string) {
    return this.x.client.query(`select cancel_requested_at, cancel_reason from ${this.x.s}.runs where run_id = $1`, [runId]).pipe(
      Effect.map((rows) => {
        if (rows.length === 0) return undefined
        const row = decodeCancelRow(rows[0])
        if (row.cancel_requested_at === null) return undefined
        return row.cancel_reason === null ? { at: row.cancel_requested_at } : { at: row.cancel_requested_at, reason: row.cancel_reason }
      })
    )
  }

  /** Runs, newest first, reading `columns`. */
  private listQuery(columns: string, query: InstanceModule.RunQuery | undefined) {
    const params: Array<unknown> = []
    const conditions: Array<string> = []
    if (query?.status !== undefined) {
      params.push(typeof query.status === "string" ? [query.status] : [...query.status])
      conditions.push(`status = any($${params.length}::text[])`)
    }
    if (query?.before !== undefined) {
      params.push(query.before)
      conditions.push(`seq < coalesce((select seq from ${this.x.s}.runs where run_id = $${params.length}), -1)`)
    }
    params.push(query?.limit ?? 50)
    const where = conditions.length === 0 ? "" : ` where ${conditions.join(" and ")}`
    return this.x.client.query(`select ${columns} from ${this.x.s}.runs${where} order by seq desc limit $${params.length}`, params)
  }

  private list(query: InstanceModule.RunQuery | undefined) {
    return this.listQuery(runColumns, query).pipe(Effect.map((rows) => rows.map(toRun)))
  }

  private summaries(query: InstanceModule.RunQuery | undefined) {
    return this.listQuery(runSummaryColumns, query).pipe(Effect.map((rows) => rows.map(toRunSummary)))
  }

  domain(): Omit<InstanceModule.RunStorage, "reapOrphanedRuns"> {
    const x = this.x
    return {
      createRun: (run) => x.wrap("createRun")(this.create(run)),
      heartbeat: (runId, at) =>
        x.wrap("heartbeat")(x.client.query(`update ${x.s}.runs set heartbeat_at = $2 where run_id = $1`, [runId, at]).pipe(Effect.asVoid)),
      requestCancel: (runId, request) =>
        x.wrap("requestCancel")(this.requestCancel(runId, request)).pipe(
          Effect.flatMap((run): Effect.Effect<RunRecord, InstanceModule.CancelRequestError> => {
            const refusal = Instance.cancelRefusal(runId, run)
            return refusal === undefined ? Effect.succeed(run!) : Effect.fail(refusal)
          })
        ),
      cancelRequest: (runId) => x.wrap("cancelRequest")(this.cancelRequest(runId)),
      getRun: (runId) => x.wrap("getRun")(this.get(runId)),
      listRuns: (query) => x.wrap("listRuns")(this.list(query)),
      listRunSummaries: (query) => x.wrap("listRunSummaries")(this.summaries(query))
    }
  }
}
