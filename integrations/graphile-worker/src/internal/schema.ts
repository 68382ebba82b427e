/**
 * The tables: graphile-worker's own (its migrations, run by its `runMigrations`)
 * and this package's, in their own schema:
 * - `workers`: the live worker processes and their last heartbeat; a worker
 *   whose heartbeat is older than the lease is dead, and its jobs are
 *   unlocked for another worker (graphile-worker's `force_unlock_workers`).
 * - `step_outcomes`: one row per job whose step's events were recorded,
 *   written in the same transaction as those events, so a job delivered
 *   again after its events committed (its worker died before telling
 *   graphile-worker it was done) is not run twice.
 * - `step_events`: the events workers wrote, one row per step (or per early
 *   `step-started`), until the run's coordinator moves them into the
 *   instance's event log (it deletes the rows in the transaction that
 *   appends them).
 */
import type { PgClient } from "@strata/postgres"
import { Effect } from "effect"
import { runMigrations } from "graphile-worker"
import type { Settings } from "../WorkerQueue.ts"
import { ensurePoolHandlers } from "./listener.ts"
import { graphileLogger, type LogLine } from "./logging.ts"

export const migrations = (s: string): ReadonlyArray<string> => [
  `create schema if not exists ${s}`,
  `create table if not exists ${s}.workers (
    worker_id text primary key,
    queue text not null,
    host text not null,
    pid integer not null,
    concurrency integer not null,
    started_at timestamptz not null default now(),
    heartbeat_at timestamptz not null default now()
  )`,
  `create table if not exists ${s}.step_outcomes (
    job_key text primary key,
    run_id text not null,
    worker_id text not null,
    finished_at timestamptz not null default now()
  )`,
  `create index if not exists step_outcomes_finished on ${s}.step_outcomes (finished_at)`,
  // a step's events, written by its worker, until the run's coordinator appends them to the instance
  `create table if not exists ${s}.step_events (
    seq bigserial primary key,
    run_id text not null,
    events json not null,
    written_at timestamptz not null default now()
  )`,
  `create index if not exists step_events_run on ${s}.step_events (run_id, seq)`
]

/** Migrates graphile-worker's schema and this package's (once, under an advisory lock, when processes start together). */
export const migrate = (client: PgClient["Service"], settings: Settings, log: (line: LogLine) => void) =>
  Effect.andThen(
    Effect.tryPromise({
      try: () => {
        ensurePoolHandlers(client.pool)
        return runMigrations({ pgPool: client.pool, schema: settings.graphileSchema, logger: graphileLogger(log) })
      },
      catch: (error) => new Error(`graphile-worker's migrations failed: ${error instanceof Error ? error.message : String(error)}`)
    }),
    client.transaction((connection) =>
      Effect.gen(function*() {
        yield* connection.query("select pg_advisory_xact_lock(hashtext($1))", [`strata-workers-migrate:${settings.schema}`])
        for (const statement of migrations(settings.schema)) yield* connection.query(statement)
      })
    )
  )
