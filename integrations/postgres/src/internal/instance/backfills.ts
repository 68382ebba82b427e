/**
 * The backfill domain in Postgres (table `backfills`): one row per backfill,
 * its run ids as JSON text. Updates lock the row (`for update`) and apply
 * core's shared rules (`BackfillStore.apply*`) in one transaction.
 */
import { BackfillStore, Instance } from "@strata/core"
import { Effect, Schema } from "effect"
import type { PgConnection } from "../../PgClient.ts"
import type { PgInstanceContext } from "./context.ts"

type Row = Record<string, unknown>
type BackfillRecord = BackfillStore.BackfillRecord

const decodeKeys = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Array(Schema.String)))
const STATUSES = new Set<string>(BackfillStore.STATUSES)

const toRecord = (row: Row): BackfillRecord => {
  const status = String(row.status)
  // a defect here becomes an InstanceError `corrupt` (PgInstanceContext.wrap)
  if (!STATUSES.has(status)) throw new Error(`backfill ${String(row.backfill_id)} has status '${status}'`)
  return {
    backfillId: String(row.backfill_id),
    selection: String(row.selection),
    partitions: String(row.partitions),
    policy: String(row.policy),
    ...(row.rebuild === true ? { rebuild: true as const } : {}),
    assetKeys: decodeKeys(row.asset_keys),
    createdAt: Number(row.created_at),
    status: status as BackfillStore.BackfillStatus,
    updatedAt: Number(row.updated_at),
    runIds: decodeKeys(row.run_ids),
    ...(row.reason === null ? {} : { reason: String(row.reason) }),
    ...(row.cancel_requested_at === null ? {} : { cancelRequestedAt: Number(row.cancel_requested_at) })
  }
}

export class PgBackfills {
  private readonly x: PgInstanceContext

  constructor(context: PgInstanceContext) {
    this.x = context
  }

  private notFound(operation: string, backfillId: string) {
    return new Instance.InstanceError({ operation, reason: "not-found", message: `backfill ${backfillId} does not exist; list them with 'strata backfills'` })
  }

  private change(operation: string, backfillId: string, apply: (record: BackfillRecord) => BackfillRecord) {
    const s = this.x.s
    return this.x.client.transaction((connection: PgConnection) =>
      Effect.gen({ self: this }, function*() {
        const [row] = yield* connection.query(`select * from ${s}.backfills where backfill_id = $1 for update`, [backfillId])
        if (row === undefined) return undefined
        const record = toRecord(row)
        const next = apply(record)
        if (next !== record) {
          yield* connection.query(
            `update ${s}.backfills set status = $2, updated_at = $3, run_ids = $4, reason = $5, cancel_requested_at = $6 where backfill_id = $1`,
            [backfillId, next.status, next.updatedAt, JSON.stringify(next.runIds), next.reason ?? null, next.cancelRequestedAt ?? null]
          )
        }
        return next
      })
    )
  }

  private required(operation: string, backfillId: string, apply: (record: BackfillRecord) => BackfillRecord) {
    return Effect.flatMap(this.change(operation, backfillId, apply), (record) =>
      record === undefined ? Effect.fail(this.notFound(operation, backfillId)) : Effect.succeed(record))
  }

  private create(backfill: BackfillStore.NewBackfill) {
    return this.x.client.query(
      `insert into ${this.x.s}.backfills (backfill_id, selection, partitions, policy, asset_keys, created_at, status, updated_at, run_ids, rebuild)
       values ($1, $2, $3, $4, $5, $6, 'requested', $6, '[]', $7) on conflict (backfill_id) do nothing returning *`,
      [
        backfill.backfillId,
        backfill.selection,
        backfill.partitions,
        backfill.policy,
        JSON.stringify(backfill.assetKeys),
        backfill.createdAt,
        backfill.rebuild === true
      ]
    ).pipe(
      Effect.flatMap((rows) =>
        rows.length === 0
          ? Effect.fail(new Instance.InstanceError({ operation: "createBackfill", reason: "invalid", message: `backfill ${backfill.backfillId} already exists` }))
          : Effect.succeed(toRecord(rows[0]!))
      )
    )
  }

  domain(): BackfillStore.BackfillStore {
    const x = this.x
    const wrap = <A>(operation: string, effect: Effect.Effect<A, any>): Effect.Effect<A, Instance.InstanceError> => x.wrap(operation)(effect)
    return {
      create: (backfill) => wrap("createBackfill", this.create(backfill)),
      get: (backfillId) =>
        wrap("backfill", Effect.map(x.client.query(`select * from ${x.s}.backfills where backfill_id = $1`, [backfillId]), (rows) =>
          rows.length === 0 ? undefined : toRecord(rows[0]!))),
      list: (query) =>
        wrap("backfills", Effect.map(x.client.query(`select * from ${x.s}.backfills order by seq desc limit $1`, [query?.limit ?? 50]), (rows) =>
          rows.map(toRecord))),
      addRun: (backfillId, runId, at) =>
        wrap("addBackfillRun", this.required("addBackfillRun", backfillId, (record) => BackfillStore.applyRun(record, runId, at))),
      setStatus: (backfillId, update) =>
        wrap("setBackfillStatus", this.required("setBackfillStatus", backfillId, (record) => BackfillStore.applyStatus(record, update))),
      requestCancel: (backfillId, at) =>
        wrap("cancelBackfill", this.change("cancelBackfill", backfillId, (record) => BackfillStore.applyCancel(record, at)))
    }
  }
}
