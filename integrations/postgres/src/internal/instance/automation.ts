/**
 * The automation domain in Postgres: leases, ticks with their evaluations,
 * cursors, per-asset states and switches (tables `automation_*`). Acquiring a
 * lease is one conditional upsert; recording a tick locks the lease row
 * (`for update`) and checks its holder in the same transaction, so two
 * daemons on one database can never both record (and launch) a tick.
 */
import type { AutomationCondition, Instance } from "@strata/core"
import { AutomationStore } from "@strata/core"
import { Effect, Schema } from "effect"
import type { PgConnection } from "../../PgClient.ts"
import type { PgInstanceContext } from "./context.ts"

type Row = Record<string, unknown>

const ORIGINS = new Set(["conditions", "schedule", "sensor"])
const STATUSES = new Set(["requested", "launched", "skipped", "failed"])
const decodeRuns = Schema.decodeUnknownSync(Schema.fromJsonString(AutomationStore.TickRunsSchema))
const decodeResult = Schema.decodeUnknownSync(Schema.fromJsonString(AutomationStore.EvaluationResultSchema))
const decodeState = Schema.decodeUnknownSync(Schema.fromJsonString(AutomationStore.StateSchema))

const toLease = (row: Row): AutomationStore.Lease => ({
  name: String(row.name),
  holder: String(row.holder),
  acquiredAt: Number(row.acquired_at),
  expiresAt: Number(row.expires_at)
})

const toTick = (row: Row): AutomationStore.TickRecord => {
  const origin = String(row.origin)
  const status = String(row.status)
  // a defect here becomes an InstanceError `corrupt` (PgInstanceContext.wrap)
  if (!ORIGINS.has(origin) || !STATUSES.has(status)) throw new Error(`tick ${String(row.tick_id)} has origin '${origin}' and status '${status}'`)
  return {
    tickId: String(row.tick_id),
    origin: origin as AutomationStore.TickOrigin,
    name: String(row.name),
    at: Number(row.at),
    ...(row.scheduled_at === null ? {} : { scheduledAt: Number(row.scheduled_at) }),
    status: status as AutomationStore.TickStatus,
    ...(row.reason === null ? {} : { reason: String(row.reason) }),
    runs: decodeRuns(row.runs),
    evaluated: Number(row.evaluated),
    requested: Number(row.requested)
  }
}

const toEvaluation = (row: Row): AutomationStore.AssetEvaluation => ({
  assetKey: String(row.asset_key),
  requested: row.requested === true,
  result: decodeResult(row.result)
})

export class PgAutomation {
  private readonly x: PgInstanceContext

  constructor(context: PgInstanceContext) {
    this.x = context
  }

  private lease(name: string) {
    return this.x.client.query(`select * from ${this.x.s}.automation_leases where name = $1`, [name]).pipe(
      Effect.map((rows) => rows.length === 0 ? undefined : toLease(rows[0]!))
    )
  }

  private acquire(request: { name: string; holder: string; now: number; ttlMs: number }) {
    const s = this.x.s
    return this.x.client.query(
      `insert into ${s}.automation_leases as l (name, holder, acquired_at, expires_at) values ($1, $2, $3, $4)
       on conflict (name) do update set
         holder = excluded.holder,
         acquired_at = case when l.holder = excluded.holder and l.expires_at > $3 then l.acquired_at else excluded.acquired_at end,
         expires_at = excluded.expires_at
       where l.holder = excluded.holder or l.expires_at <= $3
       returning *`,
      [request.name, request.holder, request.now, request.now + request.ttlMs]
    ).pipe(
      Effect.flatMap((rows) =>
        rows.length > 0
          ? Effect.succeed({ acquired: true, lease: toLease(rows[0]!) })
          : Effect.map(this.lease(request.name), (lease) => ({ acquired: false, lease: lease! }))
      )
    )
  }

  private insertTick(connection: PgConnection, tick: AutomationStore.NewTick) {
    const s = this.x.s
    return Effect.gen(function*() {
      const inserted = yield* connection.query(
        `insert into ${s}.automation_ticks (tick_id, origin, name, at, scheduled_at, status, reason, runs, evaluated, requested)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (tick_id) do nothing returning seq`,
        [
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
        ]
      )
      if (inserted.length === 0) return false
      if (tick.evaluations.length > 0) {
        yield* connection.query(
          `insert into ${s}.automation_evaluations (tick_seq, position, asset_key, requested, result)
           select $1, p - 1, k, r, j from unnest($2::text[], $3::boolean[], $4::text[]) with ordinality as t(k, r, j, p)`,
          [
            inserted[0]!.seq,
            tick.evaluations.map((evaluation) => evaluation.assetKey),
            tick.evaluations.map((evaluation) => evaluation.requested),
            tick.evaluations.map((evaluation) => JSON.stringify(evaluation.result))
          ]
        )
      }
      return true
    })
  }

  private record(tick: AutomationStore.NewTick, fence: { lease: string; holder: string; now: number }) {
    const s = this.x.s
    return this.x.client.transaction((connection) =>
      Effect.gen({ self: this }, function*() {
        const [lease] = yield* connection.query(`select holder, expires_at from ${s}.automation_leases where name = $1 for update`, [fence.lease])
        if (lease === undefined || lease.holder !== fence.holder || Number(lease.expires_at) <= fence.now) return "lease-lost" as const
        if (!(yield* this.insertTick(connection, tick))) return "duplicate" as const
        if (tick.cursor !== undefined) {
          yield* connection.query(
            `insert into ${s}.automation_cursors (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value`,
            [AutomationStore.cursorKey(tick.origin, tick.name), tick.cursor]
          )
        }
        const states = tick.assetStates ?? []
        if (states.length > 0) {
          yield* connection.query(
            `insert into ${s}.automation_asset_states (asset_key, state) select * from unnest($1::text[], $2::text[])
             on conflict (asset_key) do update set state = excluded.state`,
            [states.map((entry) => entry.assetKey), states.map((entry) => JSON.stringify(entry.state))]
          )
        }
        return "recorded" as const
      })
    )
  }

  private list(query: AutomationStore.TickQuery | undefined) {
    const params: Array<unknown> = []
    const where: Array<string> = []
    const add = (clause: string, value: unknown) => {
      params.push(value)
      where.push(clause.replace("?", `$${params.length}`))
    }
    if (query?.origin !== undefined) add("origin = ?", query.origin)
    if (query?.name !== undefined) add("name = ?", query.name)
    if (query?.status !== undefined) add("status = ?", query.status)
    if (query?.before !== undefined) add(`seq < coalesce((select seq from ${this.x.s}.automation_ticks where tick_id = ?), 0)`, query.before)
    params.push(query?.limit ?? 50)
    return this.x.client.query(
      `select * from ${this.x.s}.automation_ticks ${where.length > 0 ? `where ${where.join(" and ")}` : ""} order by seq desc limit $${params.length}`,
      params
    ).pipe(Effect.map((rows) => rows.map(toTick)))
  }

  private tick(tickId: string) {
    const s = this.x.s
    return Effect.gen({ self: this }, function*() {
      const [row] = yield* this.x.client.query(`select * from ${s}.automation_ticks where tick_id = $1`, [tickId])
      if (row === undefined) return undefined
      const rows = yield* this.x.client.query(
        `select asset_key, requested, result from ${s}.automation_evaluations where tick_seq = $1 order by position`,
        [row.seq]
      )
      return { tick: toTick(row), evaluations: rows.map(toEvaluation) }
    })
  }

  private states(keys: ReadonlyArray<string> | undefined) {
    const s = this.x.s
    const query = keys === undefined
      ? this.x.client.query(`select asset_key, state from ${s}.automation_asset_states`)
      : this.x.client.query(`select asset_key, state from ${s}.automation_asset_states where asset_key = any($1::text[])`, [keys])
    return Effect.map(query, (rows) => {
      const result = new Map<string, AutomationCondition.AssetState>()
      for (const row of rows) result.set(String(row.asset_key), decodeState(row.state))
      return result
    })
  }

  private prune(before: number, keep: number) {
    const s = this.x.s
    const doomed = `select seq from (
        select seq, at, row_number() over (partition by origin, name order by seq desc) as rank from ${s}.automation_ticks
      ) ranked where at < $1 and rank > $2`
    return this.x.client.transaction((connection) =>
      Effect.gen(function*() {
        yield* connection.query(`delete from ${s}.automation_evaluations where tick_seq in (${doomed})`, [before, keep])
        const deleted = yield* connection.query(`delete from ${s}.automation_ticks where seq in (${doomed}) returning seq`, [before, keep])
        return deleted.length
      })
    )
  }

  /**
   * LISTENs on the events channel on a connection of its own (taken out of
   * the pool until the returned function is called). A dropped connection ends
   * the notifications; the daemon's fallback timer still reads the log.
   */
  private listen(listener: () => void) {
    const x = this.x
    return Effect.tryPromise({
      try: async () => {
        const client = await x.client.pool.connect()
        client.on("notification", (message) => {
          if (message.channel === x.eventsChannel) listener()
        })
        client.on("error", () => listener())
        await client.query(`listen "${x.eventsChannel.replaceAll('"', '""')}"`)
        let released = false
        return () => {
          if (released) return
          released = true
          client.release(true)
        }
      },
      catch: (error) => error as never
    })
  }

  domain(): AutomationStore.AutomationStore {
    const x = this.x
    const s = x.s
    const wrap = <A>(operation: string, effect: Effect.Effect<A, any>): Effect.Effect<A, Instance.InstanceError> => x.wrap(operation)(effect)
    return {
      acquireLease: (request) => wrap("acquireLease", this.acquire(request)),
      releaseLease: (name, holder) =>
        wrap("releaseLease", Effect.asVoid(x.client.query(`delete from ${s}.automation_leases where name = $1 and holder = $2`, [name, holder]))),
      lease: (name) => wrap("lease", this.lease(name)),
      recordTick: (tick, fence) => wrap("recordTick", this.record(tick, fence)),
      markLaunched: (tickId) =>
        wrap("markLaunched", Effect.asVoid(x.client.query(`update ${s}.automation_ticks set status = 'launched' where tick_id = $1 and status = 'requested'`, [tickId]))),
      ticks: (query) => wrap("ticks", this.list(query)),
      tick: (tickId) => wrap("tick", this.tick(tickId)),
      evaluations: (assetKey, query) =>
        wrap(
          "evaluations",
          x.client.query(
            `select e.asset_key, e.requested, e.result, t.tick_id, t.at from ${s}.automation_evaluations e
             join ${s}.automation_ticks t on t.seq = e.tick_seq where e.asset_key = $1 order by e.tick_seq desc limit $2`,
            [assetKey, query?.limit ?? 20]
          ).pipe(Effect.map((rows) => rows.map((row) => ({ ...toEvaluation(row), tickId: String(row.tick_id), at: Number(row.at) }))))
        ),
      cursor: (key) =>
        wrap("cursor", x.client.query(`select value from ${s}.automation_cursors where key = $1`, [key]).pipe(
          Effect.map((rows) => rows.length === 0 ? undefined : String(rows[0]!.value))
        )),
      assetStates: (keys) => wrap("assetStates", this.states(keys)),
      setEnabled: (target, enabled, at) =>
        wrap("setEnabled", Effect.asVoid(x.client.query(
          `insert into ${s}.automation_switches (target, enabled, at) values ($1, $2, $3)
           on conflict (target) do update set enabled = excluded.enabled, at = excluded.at`,
          [target, enabled, at]
        ))),
      enabled: () =>
        wrap("enabled", x.client.query(`select target, enabled from ${s}.automation_switches`).pipe(
          Effect.map((rows) => new Map(rows.map((row) => [String(row.target), row.enabled === true])))
        )),
      pruneTicks: ({ before, keep }) => wrap("pruneTicks", this.prune(before, keep ?? 0)),
      watchEvents: (listener) => wrap("watchEvents", this.listen(listener))
    }
  }
}
