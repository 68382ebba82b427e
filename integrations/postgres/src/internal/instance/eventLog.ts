/**
 * The event log in Postgres: the `events` table (ids from an identity column,
 * handed out in commit order under the append lock). Appending a batch stores
 * its events and applies core's projection (`EventProjection`) to the runs and
 * the asset index in the same transaction; a repeated materialization (same
 * run, asset and partition) is dropped by the primary key of
 * `materialized_steps`.
 */
import type { Event, Instance as InstanceModule } from "@strata/core"
import { Instance } from "@strata/core"
import { EventProjection, orphanedRunEnd, orphanedStepFailures, orphanReason } from "@strata/core/spi"
import { Effect, Exit } from "effect"
import type { PgConnection } from "../../PgClient.ts"
import type { PgError } from "../../PgError.ts"
import type { PgAssetIndex } from "./assetIndex.ts"
import type { PgCheckStore } from "./checks.ts"
import type { PgInstanceContext } from "./context.ts"
import { runColumns, toRun, toStored } from "./rows.ts"
import type { PgRuns } from "./runs.ts"
import { combine, type Part } from "./statements.ts"
import { TERMINAL } from "./runs.ts"

type StrataEvent = Event.StrataEvent
type StoredEvent = Event.StoredEvent
type ClaimRow = {
  readonly claimed: ReadonlyArray<readonly [string, string, string]> | null
  readonly known: ReadonlyArray<string> | null
  readonly ids: ReadonlyArray<string> | null
}

export class PgEventLog {
  private readonly x: PgInstanceContext
  private readonly runs: PgRuns
  private readonly index: PgAssetIndex
  private readonly checks: PgCheckStore

  constructor(context: PgInstanceContext, runs: PgRuns, index: PgAssetIndex, checks: PgCheckStore) {
    this.x = context
    this.runs = runs
    this.index = index
    this.checks = checks
  }

  /**
   * A transaction that holds the append lock from its first round trip: `begin`, the lock and `first` (SQL
   * without parameters; its rows go to `use`) are one message. `use` appends with `appendIn(..., { locked: true })`.
   */
  appendTransaction<A, E, R>(
    first: string | undefined,
    use: (connection: PgConnection, firstRows: ReadonlyArray<Record<string, unknown>>) => Effect.Effect<A, E, R>
  ): Effect.Effect<A, E | PgError, R> {
    const opening = `begin; ${this.x.lockSql}${first === undefined ? "" : `; ${first}`}`
    return this.x.client.withConnection((connection) =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(Effect.flatMap(connection.query(opening), (rows) => use(connection, rows)))
        if (Exit.isSuccess(exit)) {
          yield* connection.query("commit")
          return exit.value
        }
        yield* connection.query("rollback").pipe(Effect.ignore)
        return yield* exit
      })
    )
  }

  /**
   * Appends inside the caller's transaction, in two statements after the append lock (skipped when the caller
   * took it, `locked`): one claims the batch's materialized steps, checks its runs exist and reserves its event
   * ids (under the lock, ids follow commit order); one inserts the events kept and applies the projection to the
   * asset index and checks (and `notify`, a channel to notify at commit). Partition status and versions, and
   * runs that start or end, take statements of their own.
   */
  appendIn(
    connection: PgConnection,
    events: ReadonlyArray<StrataEvent>,
    options?: { readonly locked?: boolean; readonly notify?: string }
  ): Effect.Effect<void, PgError | InstanceModule.InstanceError> {
    const self = this
    return Effect.gen(function*() {
      if (events.length === 0) return
      if (options?.locked !== true) yield* self.x.lockEvents(connection)
      const { claimed, ids } = yield* self.prepare(connection, events)
      const kept = EventProjection.keep(events, (key) => !claimed.has(key))
      if (kept.length === 0) {
        if (options?.notify !== undefined) yield* connection.query("select pg_notify($1, '')", [options.notify])
        return
      }
      const stored = kept.map((event, index) => ({ ...event, id: ids[index]! }) as StoredEvent)
      const delta = EventProjection.fold(stored)
      yield* self.runs.apply(connection, delta.runs)
      yield* self.index.applyPartitioned(connection, delta)
      const parts = [self.insertPart(kept, ids), ...self.index.parts(delta), ...self.checks.parts(delta)]
      const final = options?.notify === undefined ? undefined : { sql: "select pg_notify($1, '') as done", params: [options.notify] }
      const statement = combine(parts, final)
      yield* connection.query(statement.sql, statement.params)
    })
  }

  /**
   * One statement: claims the batch's materialized steps (the dedupe keys newly claimed come back; the others
   * were held), reads which of its runs exist (a missing one fails the append) and takes one event id per event
   * from the events' identity (ascending; the ids of events dropped stay unused, as after a rollback).
   */
  private prepare(connection: PgConnection, events: ReadonlyArray<StrataEvent>) {
    const s = this.x.s
    const steps = events.filter((event) => event.type === "asset-materialized")
    const runIds = [...new Set(events.map((event) => event.runId))]
    return Effect.flatMap(
      connection.query<ClaimRow>(
        `with claimed as (
           insert into ${s}.materialized_steps (run_id, asset_key, partition_key)
           select * from unnest($1::text[], $2::text[], $3::text[])
           on conflict do nothing returning run_id, asset_key, partition_key
         )
         select (select json_agg(json_build_array(run_id, asset_key, partition_key)) from claimed) as claimed,
                (select array_agg(run_id) from ${s}.runs where run_id = any($4::text[])) as known,
                (select array_agg(nextval(pg_get_serial_sequence($5, 'id'))) from generate_series(1, $6::int)) as ids`,
        [
          steps.map((e) => e.runId),
          steps.map((e) => e.assetKey),
          steps.map((e) => e.partition ?? ""),
          runIds,
          `${s}.events`,
          events.length
        ]
      ),
      ([row]) => {
        const known = new Set(row?.known ?? [])
        const missing = events.find((event) => !known.has(event.runId))
        if (missing !== undefined) {
          return Effect.fail(
            new Instance.InstanceError({
              operation: "appendEvents",
              reason: "invalid",
              message: `event ${missing.type} refers to run ${missing.runId}, which does not exist; create the run first`
            })
          )
        }
        const ids = (row?.ids ?? []).map(Number).sort((a, b) => a - b)
        const claimed = new Set((row?.claimed ?? []).map(([run, asset, partition]) => `${run}\u0000${asset}\u0000${partition}`))
        return Effect.succeed({ claimed, ids })
      }
    )
  }

  /** The events kept, with the ids reserved for them, as a part of the append's statement. */
  private insertPart(kept: ReadonlyArray<StrataEvent>, ids: ReadonlyArray<number>): Part {
    return {
      sql: `insert into ${this.x.s}.events (id, run_id, type, asset_key, partition, body) overriding system value
         select * from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::json[])`,
      params: [
        ids.slice(0, kept.length),
        kept.map((e) => e.runId),
        kept.map((e) => e.type),
        kept.map((e) => ("assetKey" in e ? e.assetKey ?? null : null)),
        kept.map((e) => ("partition" in e ? e.partition ?? null : null)),
        kept.map((e) => JSON.stringify(e))
      ]
    }
  }

  private eventsWhere(where: string, params: Array<unknown>, query: InstanceModule.EventQuery | undefined) {
    let sql = `select id, body from ${this.x.s}.events where ${where}`
    if (query?.after !== undefined) {
      params.push(query.after)
      sql += ` and id > $${params.length}`
    }
    sql += " order by id"
    if (query?.limit !== undefined) {
      params.push(query.limit)
      sql += ` limit $${params.length}`
    }
    return this.x.client.query<{ id: string; body: unknown }>(sql, params).pipe(Effect.map((rows) => rows.map(toStored)))
  }

  /** Fails the runs whose process is gone (see `Instance.reapOrphanedRuns`), under the append lock. */
  reap(options: { readonly now: number; readonly heartbeatTimeoutMs: number; readonly host: string }) {
    const self = this
    const s = this.x.s
    return this.x.client.transaction((connection) =>
      Effect.gen(function*() {
        // the append lock first: two reapers never both fail the same run
        yield* self.x.lockEvents(connection)
        const rows = yield* connection.query(`select ${runColumns} from ${s}.runs where status in ('queued', 'started') order by seq`)
        const events: Array<StrataEvent> = []
        const reaped: Array<string> = []
        for (const row of rows) {
          const run = toRun(row)
          const reason = orphanReason(run, options)
          if (reason === undefined) continue
          // close the steps it left running, so nothing shows as running forever
          const stepRows = yield* connection.query<{ id: string; body: unknown }>(
            `select id, body from ${s}.events where run_id = $1 and type like 'step-%' order by id`,
            [run.runId]
          )
          events.push(...orphanedStepFailures(stepRows.map(toStored), options.now, reason))
          events.push(orphanedRunEnd(run, options.now, reason))
          reaped.push(run.runId)
        }
        yield* self.appendIn(connection, events, { locked: true })
        if (reaped.length === 0) return []
        const after = yield* connection.query(`select ${runColumns} from ${s}.runs where run_id = any($1::text[]) order by seq`, [reaped])
        return after.map(toRun)
      })
    )
  }

  private prune(options: InstanceModule.PruneOptions) {
    const self = this
    const s = this.x.s
    return this.x.client.transaction((connection) =>
      Effect.gen(function*() {
        yield* self.x.lockEvents(connection)
        const keep = `(select materialization_id from ${s}.asset_latest where materialization_id is not null
                       union all select observation_id from ${s}.asset_latest where observation_id is not null
                       union all select event_id from ${s}.asset_partitions
                       union all select event_id from ${s}.check_latest)`
        let runs = 0
        let events = 0
        if (options.endedBefore !== undefined) {
          const removed = yield* connection.query<{ run_id: string }>(
            `delete from ${s}.runs where status in ${TERMINAL} and coalesce(ended_at, 0) < $1 returning run_id`,
            [options.endedBefore]
          )
          runs = removed.length
          if (removed.length > 0) {
            const deleted = yield* connection.query(
              `delete from ${s}.events where run_id = any($1::text[]) and id not in ${keep} returning id`,
              [removed.map((row) => row.run_id)]
            )
            events += deleted.length
          }
        }
        if (options.keepMaterializationsPerAsset !== undefined) {
          const deleted = yield* connection.query(
            `delete from ${s}.events where id in (
               select id from (
                 select id, row_number() over (partition by asset_key, coalesce(partition, '') order by id desc) as rank
                 from ${s}.events where type = 'asset-materialized'
               ) ranked where rank > $1
             ) and id not in ${keep} returning id`,
            [options.keepMaterializationsPerAsset]
          )
          events += deleted.length
        }
        return { runs, events }
      })
    )
  }

  domain(): InstanceModule.EventLog {
    const x = this.x
    return {
      appendEvents: (events) =>
        events.length === 0 ? Effect.void : x.wrap("appendEvents")(Effect.asVoid(this.appendTransaction(undefined, (connection) =>
          // the notification is delivered at commit, to the daemons watching (instance.automation.watchEvents)
          this.appendIn(connection, events, { locked: true, notify: x.eventsChannel })
        ))),
      runEvents: (runId, query) => x.wrap("runEvents")(this.eventsWhere("run_id = $1", [runId], query)),
      events: (query) => x.wrap("events")(this.eventsWhere("true", [], query)),
      lastEventId: () =>
        x.wrap("lastEventId")(
          x.client.query<{ id: string | null }>(`select max(id) as id from ${x.s}.events`).pipe(Effect.map((rows) => Number(rows[0]?.id ?? 0)))
        ),
      prune: (options) => x.wrap("prune")(this.prune(options))
    }
  }
}
