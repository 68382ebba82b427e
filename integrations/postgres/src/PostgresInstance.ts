/**
 * Strata's instance (runs, the event log and the asset index) in Postgres,
 * for several Strata processes, on one or many machines, sharing one
 * database.
 *
 * - Tables live in one schema (`strata` by default): `runs`, `events`,
 *   `materialized_steps`, `asset_latest`, `asset_partitions` and
 *   `schema_migrations`. Migrations are versioned and applied in one
 *   transaction under an advisory lock, so processes starting together
 *   migrate once; a database migrated by a newer Strata is refused.
 * - `appendEvents` runs in one transaction: event ids come from an identity
 *   column; run status and the latest-per-asset tables are updated in the
 *   same transaction; a repeated materialization (same run, asset and
 *   partition) is dropped by the primary key of `materialized_steps`.
 * - Appends take a transaction-level advisory lock, so ids are handed out
 *   in commit order: a reader tailing the log with an `after` cursor can
 *   never skip an event that commits later with a smaller id.
 *
 * @since 0.1.0
 */
import type { Instance as InstanceModule } from "@strata/core"
import { Event, Instance, Metadata } from "@strata/core"
import { materializationRecord, observationRecord, orphanedRunEnd, orphanedStepFailures, orphanReason } from "@strata/core/spi"
import { Effect, Layer, Schema } from "effect"
import type { PgClientConfig, PgConnection } from "./PgClient.ts"
import { PgClient, quoteIdentifier } from "./PgClient.ts"
import type { PgError } from "./PgError.ts"

type StrataEvent = Event.StrataEvent
type StoredEvent = Event.StoredEvent
type InstanceShape = InstanceModule.InstanceShape
type RunRecord = InstanceModule.RunRecord
type MaterializationRecord = InstanceModule.MaterializationRecord
type AssetRecord = InstanceModule.AssetRecord
type InstanceError = InstanceModule.InstanceError
const InstanceError = Instance.InstanceError

/**
 * Options of {@link PostgresInstance.layer}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** The schema holding Strata's tables. Default `strata`. */
  readonly schema?: string | undefined
}

/**
 * The newest schema version this release knows.
 *
 * @since 0.1.0
 */
export const SCHEMA_VERSION = 2

// JSON columns are `json`, not `jsonb`: jsonb refuses the escape \u0000,
// which metadata and log lines may legitimately contain.
const migrations = (s: string): ReadonlyArray<{ readonly version: number; readonly statements: ReadonlyArray<string> }> => [
  {
    version: 1,
    statements: [
      `create table ${s}.runs (
        seq bigint generated always as identity,
        run_id text primary key,
        selection text not null,
        asset_keys json not null,
        partition text,
        stale_only boolean not null,
        parent_run_id text,
        tags json not null,
        created_at double precision not null,
        host text,
        pid integer,
        status text not null,
        started_at double precision,
        ended_at double precision,
        reason text,
        heartbeat_at double precision
      )`,
      `create unique index runs_seq on ${s}.runs (seq)`,
      `create index runs_status on ${s}.runs (status, seq)`,
      `create table ${s}.events (
        id bigint generated always as identity primary key,
        run_id text not null,
        type text not null,
        asset_key text,
        partition text,
        body json not null
      )`,
      `create index events_run on ${s}.events (run_id, id)`,
      `create index events_materialized on ${s}.events (asset_key, id) where type = 'asset-materialized'`,
      `create table ${s}.materialized_steps (
        run_id text not null,
        asset_key text not null,
        partition_key text not null,
        primary key (run_id, asset_key, partition_key)
      )`,
      `create table ${s}.asset_latest (
        asset_key text primary key,
        materialization_id bigint,
        materialization json,
        observation_id bigint,
        observation json,
        failure json
      )`,
      `create table ${s}.asset_partitions (
        asset_key text not null,
        partition text not null,
        event_id bigint not null,
        record json not null,
        primary key (asset_key, partition)
      )`
    ]
  },
  {
    // cancel requests (Instance.requestCancel), polled by the executing process
    version: 2,
    statements: [
      `alter table ${s}.runs add column cancel_requested_at double precision`,
      `alter table ${s}.runs add column cancel_reason text`
    ]
  }
]

// ---------------------------------------------------------------------------
// Row schemas: what comes back from the database is decoded, never cast.

const Nullable = <S extends Schema.Top>(schema: S) => Schema.NullOr(schema)

const RunRow = Schema.Struct({
  run_id: Schema.String,
  selection: Schema.String,
  asset_keys: Schema.Array(Schema.String),
  partition: Nullable(Schema.String),
  stale_only: Schema.Boolean,
  parent_run_id: Nullable(Schema.String),
  tags: Schema.Record(Schema.String, Schema.String),
  created_at: Schema.Number,
  host: Nullable(Schema.String),
  pid: Nullable(Schema.Number),
  status: Schema.Literals(["queued", "started", "succeeded", "failed", "canceled"]),
  started_at: Nullable(Schema.Number),
  ended_at: Nullable(Schema.Number),
  reason: Nullable(Schema.String),
  heartbeat_at: Nullable(Schema.Number),
  cancel_requested_at: Nullable(Schema.Number),
  cancel_reason: Nullable(Schema.String)
})
const decodeRunRow = Schema.decodeUnknownSync(RunRow)
const decodeCancelRow = Schema.decodeUnknownSync(Schema.Struct({
  cancel_requested_at: Nullable(Schema.Number),
  cancel_reason: Nullable(Schema.String)
}))
// pg parses json columns with JSON.parse, so bodies are JSON by construction (see the schema's docs)
const decodeStoredEvent = Schema.decodeUnknownSync(Event.StoredEventFromParsedJsonSchema)
const ErrorInfoRecord = Schema.Struct({
  eventId: Schema.Number,
  runId: Schema.String,
  timestamp: Schema.Number,
  error: Schema.Struct({
    tag: Schema.String,
    message: Schema.String,
    stack: Schema.optional(Schema.String),
    retryable: Schema.optional(Schema.Boolean)
  })
})
const decodeFailure = Schema.decodeUnknownSync(ErrorInfoRecord)

const runColumns =
  "run_id, selection, asset_keys, partition, stale_only, parent_run_id, tags, created_at, host, pid, status, started_at, ended_at, reason, heartbeat_at, cancel_requested_at, cancel_reason"

const toRun = (row: unknown): RunRecord => {
  const r = decodeRunRow(row)
  return withoutUndefined({
    runId: r.run_id,
    selection: r.selection,
    assetKeys: r.asset_keys,
    partition: r.partition ?? undefined,
    staleOnly: r.stale_only,
    parentRunId: r.parent_run_id ?? undefined,
    tags: r.tags,
    createdAt: r.created_at,
    host: r.host ?? undefined,
    pid: r.pid ?? undefined,
    status: r.status,
    startedAt: r.started_at ?? undefined,
    endedAt: r.ended_at ?? undefined,
    reason: r.reason ?? undefined,
    heartbeatAt: r.heartbeat_at ?? undefined,
    cancelRequestedAt: r.cancel_requested_at ?? undefined,
    cancelReason: r.cancel_reason ?? undefined
  })
}

const withoutUndefined = <A extends object>(value: A): A => {
  const out: Record<string, unknown> = {}
  for (const key in value) if (value[key] !== undefined) out[key] = value[key]
  return out as A
}

/** An event as stored: its JSON body (without `id`) plus the id column. */
const toStored = (row: { readonly id: unknown; readonly body: unknown }): StoredEvent =>
  decodeStoredEvent(
    typeof row.body === "object" && row.body !== null ? { ...row.body, id: Number(row.id) } : row.body
  )

const materializationOf = (row: { readonly id: unknown; readonly body: unknown }): MaterializationRecord => {
  const event = toStored(row)
  if (event.type !== "asset-materialized") throw new Error(`event ${event.id} is a ${event.type}, not a materialization`)
  return materializationRecord(event)
}

// ---------------------------------------------------------------------------

const errorReason = (error: PgError): InstanceError["reason"] => {
  switch (error.reason) {
    case "connection":
    case "timeout":
    case "resources":
      return "unavailable"
    case "deadlock":
    case "serialization":
      return "locked"
    default:
      return "io"
  }
}

/**
 * Builds a Postgres instance over a client: migrates the schema first.
 *
 * @since 0.1.0
 */
export const make = Effect.fn("PostgresInstance.make")(function*(client: PgClient["Service"], options?: Options) {
  const schemaName = options?.schema ?? "strata"
  const s = quoteIdentifier(schemaName)
  const describe = `postgres postgres://${client.info.host}:${client.info.port}/${client.info.database} (schema ${schemaName})`

  const wrap = (operation: string) => <A, R>(effect: Effect.Effect<A, PgError | InstanceError, R>): Effect.Effect<A, InstanceError, R> =>
    effect.pipe(
      Effect.catch((error): Effect.Effect<never, InstanceError> =>
        error._tag === "@strata/core/InstanceError"
          ? Effect.fail(error)
          : Effect.fail(
            new InstanceError({
              operation,
              reason: errorReason(error),
              message: `${describe}: ${error.message}${error.sqlState ? ` (SQLSTATE ${error.sqlState})` : ""}`,
              cause: error
            })
          )
      ),
      Effect.catchDefect((defect) =>
        Effect.fail(
          new InstanceError({
            operation,
            reason: "corrupt",
            message: `${describe}: unreadable data: ${defect instanceof Error ? defect.message : String(defect)}`,
            cause: defect
          })
        )
      ),
      Effect.withSpan(`PostgresInstance.${operation}`)
    )

  // --- migrations
  yield* wrap("migrate")(client.transaction((connection) =>
    Effect.gen(function*() {
      yield* connection.query("select pg_advisory_xact_lock(hashtext($1))", [`strata-migrate:${schemaName}`])
      yield* connection.query(`create schema if not exists ${s}`)
      yield* connection.query(
        `create table if not exists ${s}.schema_migrations (version integer primary key, applied_at timestamptz not null default now())`
      )
      const [row] = yield* connection.query<{ version: number | null }>(`select max(version) as version from ${s}.schema_migrations`)
      const current = row?.version ?? 0
      if (current > SCHEMA_VERSION) {
        return yield* Effect.fail(
          new InstanceError({
            operation: "migrate",
            reason: "unsupported-version",
            message: `${describe} is at schema version ${current}, newer than this Strata (${SCHEMA_VERSION}); upgrade @strata/postgres`
          })
        )
      }
      for (const migration of migrations(s)) {
        if (migration.version <= current) continue
        for (const statement of migration.statements) yield* connection.query(statement)
        yield* connection.query(`insert into ${s}.schema_migrations (version) values ($1)`, [migration.version])
      }
    })
  ))

  // --- appending (inside a transaction)
  const appendIn = (connection: PgConnection, events: ReadonlyArray<StrataEvent>) =>
    Effect.gen(function*() {
      if (events.length === 0) return
      yield* connection.query("select pg_advisory_xact_lock(hashtext($1))", [`strata-events:${schemaName}`])
      const runIds = [...new Set(events.map((event) => event.runId))]
      const known = yield* connection.query<{ run_id: string }>(`select run_id from ${s}.runs where run_id = any($1::text[])`, [runIds])
      const knownIds = new Set(known.map((row) => row.run_id))
      const missing = events.find((event) => !knownIds.has(event.runId))
      if (missing !== undefined) {
        return yield* Effect.fail(
          new InstanceError({
            operation: "appendEvents",
            reason: "invalid",
            message: `event ${missing.type} refers to run ${missing.runId}, which does not exist; create the run first`
          })
        )
      }
      // materializations already recorded for the same step are dropped
      const steps = events.filter((event) => event.type === "asset-materialized")
      let fresh: ReadonlySet<string> = new Set()
      if (steps.length > 0) {
        const inserted = yield* connection.query<{ run_id: string; asset_key: string; partition_key: string }>(
          `insert into ${s}.materialized_steps (run_id, asset_key, partition_key)
           select * from unnest($1::text[], $2::text[], $3::text[])
           on conflict do nothing returning run_id, asset_key, partition_key`,
          [steps.map((e) => e.runId), steps.map((e) => e.assetKey), steps.map((e) => e.partition ?? "")]
        )
        fresh = new Set(inserted.map((row) => `${row.run_id}\u0000${row.asset_key}\u0000${row.partition_key}`))
      }
      const kept: Array<StrataEvent> = []
      const claimed = new Set<string>()
      for (const event of events) {
        if (event.type === "asset-materialized") {
          const step = `${event.runId}\u0000${event.assetKey}\u0000${event.partition ?? ""}`
          if (!fresh.has(step) || claimed.has(step)) continue
          claimed.add(step)
        }
        kept.push(event)
      }
      if (kept.length === 0) return
      const rows = yield* connection.query<{ id: string }>(
        `insert into ${s}.events (run_id, type, asset_key, partition, body)
         select run_id, type, asset_key, partition, body
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::json[]) with ordinality
           as batch(run_id, type, asset_key, partition, body, position)
         order by position
         returning id`,
        [
          kept.map((e) => e.runId),
          kept.map((e) => e.type),
          kept.map((e) => ("assetKey" in e ? e.assetKey ?? null : null)),
          kept.map((e) => ("partition" in e ? e.partition ?? null : null)),
          kept.map((e) => JSON.stringify(e))
        ]
      )
      const ids = rows.map((row) => Number(row.id)).sort((a, b) => a - b)
      const stored = kept.map((event, index) => ({ ...event, id: ids[index]! }) as StoredEvent)

      // run status: a terminal status is final
      for (const event of stored) {
        const terminal = `status not in ('succeeded', 'failed', 'canceled')`
        switch (event.type) {
          case "run-started":
            yield* connection.query(
              `update ${s}.runs set status = 'started', started_at = $2, heartbeat_at = $2 where run_id = $1 and ${terminal}`,
              [event.runId, event.timestamp]
            )
            break
          case "run-succeeded":
            yield* connection.query(
              `update ${s}.runs set status = 'succeeded', ended_at = $2 where run_id = $1 and ${terminal}`,
              [event.runId, event.timestamp]
            )
            break
          case "run-failed":
          case "run-canceled":
            yield* connection.query(
              `update ${s}.runs set status = $3, ended_at = $2, reason = $4 where run_id = $1 and ${terminal}`,
              [event.runId, event.timestamp, event.type === "run-failed" ? "failed" : "canceled", event.reason]
            )
            break
        }
      }

      // the asset index: the batch's last word per asset, folded in JS, then one upsert
      interface Latest {
        materialization?: { id: number; record: unknown }
        observation?: { id: number; record: unknown }
        failure?: unknown | null
      }
      const latest = new Map<string, Latest>()
      const partitions = new Map<string, { assetKey: string; partition: string; id: number; record: unknown }>()
      const entry = (key: string) => {
        let value = latest.get(key)
        if (value === undefined) latest.set(key, value = {})
        return value
      }
      for (const event of stored) {
        if (event.type === "asset-materialized") {
          const record = materializationRecord(event)
          if (event.partition === undefined) {
            const value = entry(event.assetKey)
            value.materialization = { id: event.id, record }
            value.failure = null
          } else {
            partitions.set(`${event.assetKey}\u0000${event.partition}`, {
              assetKey: event.assetKey,
              partition: event.partition,
              id: event.id,
              record
            })
          }
        } else if (event.type === "asset-observed" && event.partition === undefined) {
          const value = entry(event.assetKey)
          value.observation = { id: event.id, record: observationRecord(event) }
          // a source observed again is no longer failed (a source has no materialization to clear it)
          value.failure = null
        } else if (event.type === "step-failed" && !event.willRetry && event.partition === undefined) {
          entry(event.assetKey).failure = { eventId: event.id, runId: event.runId, timestamp: event.timestamp, error: event.error }
        }
      }
      if (latest.size > 0) {
        const values = [...latest.entries()]
        yield* connection.query(
          `insert into ${s}.asset_latest as a (asset_key, materialization_id, materialization, observation_id, observation, failure)
           select * from unnest($1::text[], $2::bigint[], $3::json[], $4::bigint[], $5::json[], $6::json[])
           on conflict (asset_key) do update set
             materialization_id = coalesce(excluded.materialization_id, a.materialization_id),
             materialization = coalesce(excluded.materialization, a.materialization),
             observation_id = coalesce(excluded.observation_id, a.observation_id),
             observation = coalesce(excluded.observation, a.observation),
             failure = case when excluded.failure is null then a.failure else excluded.failure end`,
          [
            values.map(([key]) => key),
            values.map(([, v]) => v.materialization?.id ?? null),
            values.map(([, v]) => v.materialization === undefined ? null : JSON.stringify(v.materialization.record)),
            values.map(([, v]) => v.observation?.id ?? null),
            values.map(([, v]) => v.observation === undefined ? null : JSON.stringify(v.observation.record)),
            // SQL NULL keeps the stored failure; JSON null clears it (and reads back as no failure)
            values.map(([, v]) => v.failure === undefined ? null : JSON.stringify(v.failure))
          ]
        )
      }
      if (partitions.size > 0) {
        const values = [...partitions.values()]
        yield* connection.query(
          `insert into ${s}.asset_partitions as p (asset_key, partition, event_id, record)
           select * from unnest($1::text[], $2::text[], $3::bigint[], $4::json[])
           on conflict (asset_key, partition) do update set event_id = excluded.event_id, record = excluded.record`,
          [values.map((v) => v.assetKey), values.map((v) => v.partition), values.map((v) => v.id), values.map((v) => JSON.stringify(v.record))]
        )
      }
    })

  const appendEvents = (events: ReadonlyArray<StrataEvent>) =>
    events.length === 0 ? Effect.void : wrap("appendEvents")(client.transaction((connection) => appendIn(connection, events)))

  const eventsWhere = (where: string, params: Array<unknown>, query: InstanceModule.EventQuery | undefined) => {
    let sql = `select id, body from ${s}.events where ${where}`
    if (query?.after !== undefined) {
      params.push(query.after)
      sql += ` and id > $${params.length}`
    }
    sql += " order by id"
    if (query?.limit !== undefined) {
      params.push(query.limit)
      sql += ` limit $${params.length}`
    }
    return client.query<{ id: string; body: unknown }>(sql, params).pipe(Effect.map((rows) => rows.map(toStored)))
  }

  const shape: InstanceShape = {
    capabilities: { persistent: true, multiProcess: true },
    describe,
    createRun: (run) =>
      wrap("createRun")(
        client.query(
          `insert into ${s}.runs (run_id, selection, asset_keys, partition, stale_only, parent_run_id, tags, created_at, host, pid, status)
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
            Effect.fail(new InstanceError({ operation: "createRun", reason: "invalid", message: `run ${run.runId} already exists` }))),
          Effect.as({ ...run, status: "queued" } as RunRecord)
        )
      ),
    appendEvents,
    heartbeat: (runId, at) =>
      wrap("heartbeat")(client.query(`update ${s}.runs set heartbeat_at = $2 where run_id = $1`, [runId, at]).pipe(Effect.asVoid)),
    requestCancel: (runId, request) =>
      wrap("requestCancel")(
        client.query(
          // the first request wins; a finished run is left alone (the caller then reads why)
          `update ${s}.runs set cancel_requested_at = $2, cancel_reason = $3
           where run_id = $1 and cancel_requested_at is null and status not in ('succeeded', 'failed', 'canceled')`,
          [runId, request.at, request.reason ?? null]
        ).pipe(
          Effect.andThen(client.query(`select ${runColumns} from ${s}.runs where run_id = $1`, [runId])),
          Effect.map((rows) => rows.length === 0 ? undefined : toRun(rows[0]))
        )
      ).pipe(
        Effect.flatMap((run): Effect.Effect<RunRecord, InstanceModule.CancelRequestError> => {
          const refusal = Instance.cancelRefusal(runId, run)
          return refusal === undefined ? Effect.succeed(run!) : Effect.fail(refusal)
        })
      ),
    cancelRequest: (runId) =>
      wrap("cancelRequest")(
        client.query(`select cancel_requested_at, cancel_reason from ${s}.runs where run_id = $1`, [runId]).pipe(
          Effect.map((rows) => {
            if (rows.length === 0) return undefined
            const row = decodeCancelRow(rows[0])
            if (row.cancel_requested_at === null) return undefined
            return row.cancel_reason === null ? { at: row.cancel_requested_at } : { at: row.cancel_requested_at, reason: row.cancel_reason }
          })
        )
      ),
    getRun: (runId) =>
      wrap("getRun")(
        client.query(`select ${runColumns} from ${s}.runs where run_id = $1`, [runId]).pipe(
          Effect.map((rows) => rows.length === 0 ? undefined : toRun(rows[0]))
        )
      ),
    listRuns: (query) => {
      const params: Array<unknown> = []
      const conditions: Array<string> = []
      if (query?.status !== undefined) {
        params.push(typeof query.status === "string" ? [query.status] : [...query.status])
        conditions.push(`status = any($${params.length}::text[])`)
      }
      if (query?.before !== undefined) {
        params.push(query.before)
        conditions.push(`seq < coalesce((select seq from ${s}.runs where run_id = $${params.length}), -1)`)
      }
      params.push(query?.limit ?? 50)
      const where = conditions.length === 0 ? "" : ` where ${conditions.join(" and ")}`
      return wrap("listRuns")(
        client.query(`select ${runColumns} from ${s}.runs${where} order by seq desc limit $${params.length}`, params).pipe(
          Effect.map((rows) => rows.map(toRun))
        )
      )
    },
    runEvents: (runId, query) => wrap("runEvents")(eventsWhere("run_id = $1", [runId], query)),
    events: (query) => wrap("events")(eventsWhere("true", [], query)),
    assets: (keys) =>
      wrap("assets")(
        client.query<{ asset_key: string; materialization: unknown; observation: unknown; failure: unknown }>(
          `select asset_key, materialization, observation, failure from ${s}.asset_latest` +
            (keys === undefined ? "" : " where asset_key = any($1::text[])"),
          keys === undefined ? [] : [[...keys]]
        ).pipe(
          Effect.map((rows) => {
            const result = new Map<string, AssetRecord>()
            for (const row of rows) {
              const record: { -readonly [K in keyof AssetRecord]: AssetRecord[K] } = { assetKey: row.asset_key }
              if (row.materialization !== null) {
                record.materialization = materializationRecordOf(row.materialization)
              }
              if (row.observation !== null) record.observation = observationRecordOf(row.observation)
              if (row.failure !== null) record.failure = withoutUndefined(decodeFailure(row.failure))
              result.set(row.asset_key, record)
            }
            return result as ReadonlyMap<string, AssetRecord>
          })
        )
      ),
    partitions: (assetKey) =>
      wrap("partitions")(
        client.query<{ partition: string; record: unknown }>(
          `select partition, record from ${s}.asset_partitions where asset_key = $1 order by event_id`,
          [assetKey]
        ).pipe(Effect.map((rows) => new Map(rows.map((row) => [row.partition, materializationRecordOf(row.record)]))))
      ),
    history: (assetKey, query) => {
      const params: Array<unknown> = [assetKey]
      let sql = `select id, body from ${s}.events where type = 'asset-materialized' and asset_key = $1`
      if (query?.partition !== undefined) {
        params.push(query.partition)
        sql += ` and partition = $${params.length}`
      }
      if (query?.before !== undefined) {
        params.push(query.before)
        sql += ` and id < $${params.length}`
      }
      params.push(query?.limit ?? 100)
      sql += ` order by id desc limit $${params.length}`
      return wrap("history")(
        client.query<{ id: string; body: unknown }>(sql, params).pipe(Effect.map((rows) => rows.map(materializationOf)))
      )
    },
    reapOrphanedRuns: ({ heartbeatTimeoutMs, host, now }) =>
      wrap("reapOrphanedRuns")(client.transaction((connection) =>
        Effect.gen(function*() {
          // the append lock first: two reapers never both fail the same run
          yield* connection.query("select pg_advisory_xact_lock(hashtext($1))", [`strata-events:${schemaName}`])
          const rows = yield* connection.query(
            `select ${runColumns} from ${s}.runs where status in ('queued', 'started') order by seq`
          )
          const events: Array<StrataEvent> = []
          const reaped: Array<string> = []
          for (const row of rows) {
            const run = toRun(row)
            const reason = orphanReason(run, { now, heartbeatTimeoutMs, host })
            if (reason === undefined) continue
            // close the steps it left running, so nothing shows as running forever
            const stepRows = yield* connection.query<{ id: string; body: unknown }>(
              `select id, body from ${s}.events where run_id = $1 and type like 'step-%' order by id`,
              [run.runId]
            )
            events.push(...orphanedStepFailures(stepRows.map(toStored), now, reason))
            events.push(orphanedRunEnd(run, now, reason))
            reaped.push(run.runId)
          }
          yield* appendIn(connection, events)
          if (reaped.length === 0) return []
          const after = yield* connection.query(`select ${runColumns} from ${s}.runs where run_id = any($1::text[]) order by seq`, [reaped])
          return after.map(toRun)
        })
      )),
    prune: ({ endedBefore, keepMaterializationsPerAsset }) =>
      wrap("prune")(client.transaction((connection) =>
        Effect.gen(function*() {
          yield* connection.query("select pg_advisory_xact_lock(hashtext($1))", [`strata-events:${schemaName}`])
          const keep = `(select materialization_id from ${s}.asset_latest where materialization_id is not null
                         union all select observation_id from ${s}.asset_latest where observation_id is not null
                         union all select event_id from ${s}.asset_partitions)`
          let runs = 0
          let events = 0
          if (endedBefore !== undefined) {
            const removed = yield* connection.query<{ run_id: string }>(
              `delete from ${s}.runs where status in ('succeeded', 'failed', 'canceled') and coalesce(ended_at, 0) < $1 returning run_id`,
              [endedBefore]
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
          if (keepMaterializationsPerAsset !== undefined) {
            const deleted = yield* connection.query(
              `delete from ${s}.events where id in (
                 select id from (
                   select id, row_number() over (partition by asset_key, coalesce(partition, '') order by id desc) as rank
                   from ${s}.events where type = 'asset-materialized'
                 ) ranked where rank > $1
               ) and id not in ${keep} returning id`,
              [keepMaterializationsPerAsset]
            )
            events += deleted.length
          }
          return { runs, events }
        })
      )),
    wipeAssets: (keys) =>
      wrap("wipeAssets")(client.transaction((connection) =>
        Effect.gen(function*() {
          const list = [...keys]
          yield* connection.query(`delete from ${s}.asset_latest where asset_key = any($1::text[])`, [list])
          yield* connection.query(`delete from ${s}.asset_partitions where asset_key = any($1::text[])`, [list])
          yield* connection.query(
            `delete from ${s}.events where type in ('asset-materialized', 'asset-observed') and asset_key = any($1::text[])`,
            [list]
          )
        })
      ))
  }
  return shape
})

const ObservationJson = Schema.Struct({
  eventId: Schema.Number,
  runId: Schema.String,
  assetKey: Schema.String,
  partition: Schema.optional(Schema.String),
  timestamp: Schema.Number,
  metadata: Metadata.MetadataSchema,
  dataVersion: Schema.String
})
const MaterializationJson = Schema.Struct({
  ...ObservationJson.fields,
  codeVersion: Schema.String,
  inputVersions: Schema.Record(Schema.String, Schema.String)
})
const decodeMaterialization = Schema.decodeUnknownSync(MaterializationJson)
const decodeObservation = Schema.decodeUnknownSync(ObservationJson)

// Records keep a `partition` key (possibly undefined), like the in-memory reference.
const materializationRecordOf = (json: unknown): MaterializationRecord => {
  const record = decodeMaterialization(json)
  return { ...record, partition: record.partition }
}
const observationRecordOf = (json: unknown): InstanceModule.ObservationRecord => {
  const record = decodeObservation(json)
  return { ...record, partition: record.partition }
}

/**
 * Postgres instance storage.
 *
 * @since 0.1.0
 */
export class PostgresInstance {
  /** Builds (and migrates) an instance over a client, outside any layer. */
  static readonly make = (client: PgClient["Service"], options?: Options) => make(client, options)

  /** The instance over the {@link PgClient} in context (migrated when the layer is built). */
  static readonly layer = (options?: Options): Layer.Layer<Instance.Instance, InstanceError, PgClient> =>
    Layer.effect(
      Instance.Instance,
      Effect.gen(function*() {
        return yield* make(yield* PgClient, options)
      })
    )

  /**
   * The instance with its own connection pool, from a configuration or a
   * connection string (`postgres://user@host:5432/database`).
   */
  static readonly layerClient = (
    config: PgClientConfig | string,
    options?: Options
  ): Layer.Layer<Instance.Instance, InstanceError | PgError> =>
    PostgresInstance.layer(options).pipe(
      Layer.provide(PgClient.layer(typeof config === "string" ? { connectionString: config } : config))
    )
}
