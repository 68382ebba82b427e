/**
 * Worker leases. A worker registers a row in `workers` when it starts and
 * heartbeats it; a worker silent for longer than the lease is dead: its row is
 * deleted and its jobs unlocked (graphile-worker's `force_unlock_workers`),
 * so another worker runs its steps. Every worker and every coordinator with
 * steps outstanding looks for dead workers once per heartbeat period; an
 * advisory lock lets one of them do it at a time.
 */
import type { PgClient } from "@strata/postgres"
import { Effect } from "effect"
import type { Settings } from "../WorkerQueue.ts"

export interface WorkerIdentity {
  readonly id: string
  readonly host: string
  readonly pid: number
  readonly queue: string
  readonly concurrency: number
}

export const register = (client: PgClient["Service"], settings: Settings, worker: WorkerIdentity) =>
  client.query(
    `insert into ${settings.schema}.workers (worker_id, queue, host, pid, concurrency) values ($1, $2, $3, $4, $5)`,
    [worker.id, worker.queue, worker.host, worker.pid, worker.concurrency]
  )

/** Heartbeats; `false` when the worker's row is gone: it was taken for dead and its steps were handed on. */
export const heartbeat = (client: PgClient["Service"], settings: Settings, workerId: string) =>
  Effect.map(
    client.query(`update ${settings.schema}.workers set heartbeat_at = now() where worker_id = $1 returning worker_id`, [workerId]),
    (rows) => rows.length === 1
  )

export const unregister = (client: PgClient["Service"], settings: Settings, workerId: string) =>
  client.query(`delete from ${settings.schema}.workers where worker_id = $1`, [workerId])

/**
 * Unlocks the jobs of dead workers: those whose heartbeat is older than the
 * lease, and those holding a step job for longer than the lease without ever
 * registering. Returns the ids of the workers found dead.
 */
export const reap = (client: PgClient["Service"], settings: Settings) =>
  client.transaction((connection) =>
    Effect.gen(function*() {
      const [lock] = yield* connection.query<{ locked: boolean }>("select pg_try_advisory_xact_lock(hashtext($1)) as locked", [
        `strata-workers-reap:${settings.schema}`
      ])
      if (lock?.locked !== true) return []
      const lease = settings.leaseMs / 1000
      const dead = yield* connection.query<{ worker_id: string }>(
        `select worker_id from ${settings.schema}.workers where heartbeat_at < now() - make_interval(secs => $1)
         union
         select distinct jobs.locked_by from ${settings.graphileSchema}.jobs as jobs
         where jobs.locked_by is not null and jobs.task_identifier like 'strata\\_step:%'
           and jobs.locked_at < now() - make_interval(secs => $1)
           and not exists (select 1 from ${settings.schema}.workers as w where w.worker_id = jobs.locked_by)`,
        [lease]
      )
      const ids = dead.map((row) => row.worker_id)
      if (ids.length === 0) return ids
      yield* connection.query(`select ${settings.graphileSchema}.force_unlock_workers($1::text[])`, [ids])
      yield* connection.query(`delete from ${settings.schema}.workers where worker_id = any($1::text[])`, [ids])
      yield* connection.query(`delete from ${settings.schema}.step_outcomes where finished_at < now() - interval '1 day'`)
      // events no coordinator took (its process died): the run was failed by the instance's orphan reaping
      yield* connection.query(`delete from ${settings.schema}.step_events where written_at < now() - interval '1 day'`)
      return ids
    })
  )

/** How many workers of this queue are alive (heartbeat within the lease). */
export const liveWorkers = (client: PgClient["Service"], settings: Settings) =>
  Effect.map(
    client.query<{ live: number }>(
      `select count(*)::int as live from ${settings.schema}.workers
       where queue = $1 and heartbeat_at >= now() - make_interval(secs => $2)`,
      [settings.queue, settings.leaseMs / 1000]
    ),
    (rows) => rows[0]?.live ?? 0
  )
