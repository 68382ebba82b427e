/**
 * The settings a coordinator and its workers share: which graphile-worker
 * task steps are enqueued as, where the tables are, and how long a worker may
 * stay silent before its steps are handed to another. The queue executor's
 * layer provides them, so a `strata worker` that builds the same environment
 * reads the same settings as the runs it serves.
 *
 * @since 0.1.0
 */
import { Context } from "effect"

/**
 * Options of the queue (all optional).
 *
 * @since 0.1.0
 */
export interface Options {
  /** Workers started with `--queue NAME` take only this queue's steps. Default `default`. */
  readonly queue?: string | undefined
  /** graphile-worker's schema. Default `graphile_worker`. */
  readonly graphileSchema?: string | undefined
  /** The schema of this package's tables (live workers, finished steps). Default `strata_workers`. */
  readonly schema?: string | undefined
  /** The schema of `PostgresInstance`'s tables (its `schema` option). Default `strata`. */
  readonly instanceSchema?: string | undefined
  /**
   * How long a worker may go without a heartbeat before it is taken for dead
   * and its running steps are given to another worker. Default 30 s.
   */
  readonly leaseMs?: number | undefined
  /** How often a worker heartbeats (and looks for dead workers). Default `leaseMs / 6`. */
  readonly heartbeatMs?: number | undefined
  /**
   * How many times one attempt of a step is handed to a worker when the
   * workers running it die (or shut down before it ended); after that the
   * attempt fails with `WorkerLost`, and the asset's retry policy decides
   * whether another attempt follows. Default 3.
   */
  readonly maxDeliveries?: number | undefined
  /**
   * How often graphile-worker looks for jobs when no notification came
   * (retries scheduled later, steps released by a dead worker). Default 1 s.
   */
  readonly pollIntervalMs?: number | undefined
}

/**
 * The resolved settings.
 *
 * @since 0.1.0
 */
export interface Settings {
  readonly queue: string
  readonly graphileSchema: string
  readonly schema: string
  readonly instanceSchema: string
  readonly leaseMs: number
  readonly heartbeatMs: number
  readonly maxDeliveries: number
  readonly pollIntervalMs: number
  /** The graphile-worker task identifier of this queue's steps. */
  readonly task: string
}

/**
 * The service.
 *
 * @since 0.1.0
 */
export class WorkerQueue extends Context.Service<WorkerQueue, Settings>()("@strata/graphile-worker/WorkerQueue") {}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/
const queueName = /^[A-Za-z0-9_.-]{1,100}$/

/**
 * Resolves and checks options; throws a `TypeError` naming the bad one.
 *
 * @since 0.1.0
 */
export const settings = (options?: Options): Settings => {
  const queue = options?.queue ?? "default"
  if (!queueName.test(queue)) throw new TypeError(`queue ${JSON.stringify(queue)}: use 1-100 letters, digits, '_', '.', '-'`)
  const names = {
    graphileSchema: options?.graphileSchema ?? "graphile_worker",
    schema: options?.schema ?? "strata_workers",
    instanceSchema: options?.instanceSchema ?? "strata"
  }
  for (const [name, value] of Object.entries(names)) {
    if (!identifier.test(value)) throw new TypeError(`${name} ${JSON.stringify(value)}: use a lower-case SQL identifier`)
  }
  const leaseMs = options?.leaseMs ?? 30_000
  const heartbeatMs = options?.heartbeatMs ?? Math.max(50, Math.floor(leaseMs / 6))
  const maxDeliveries = options?.maxDeliveries ?? 3
  const pollIntervalMs = options?.pollIntervalMs ?? 1_000
  if (!(leaseMs >= 100)) throw new TypeError(`leaseMs must be at least 100 (got ${leaseMs})`)
  if (!(heartbeatMs > 0 && heartbeatMs * 2 <= leaseMs)) {
    throw new TypeError(`heartbeatMs must be positive and at most half of leaseMs (got ${heartbeatMs} for a lease of ${leaseMs})`)
  }
  if (!(Number.isInteger(maxDeliveries) && maxDeliveries >= 1)) throw new TypeError(`maxDeliveries must be a whole number >= 1 (got ${maxDeliveries})`)
  if (!(pollIntervalMs >= 10)) throw new TypeError(`pollIntervalMs must be at least 10 (got ${pollIntervalMs})`)
  return { queue, ...names, leaseMs, heartbeatMs, maxDeliveries, pollIntervalMs, task: `strata_step:${queue}` }
}

/**
 * The job key of one attempt of one step: a re-enqueue of the same attempt is
 * deduplicated by graphile-worker.
 *
 * @since 0.1.0
 */
export const jobKey = (request: { readonly runId: string; readonly assetKey: string; readonly partitions: ReadonlyArray<string>; readonly attempt: number }): string =>
  JSON.stringify([request.runId, request.assetKey, request.partitions, request.attempt])

/**
 * The notification channels: workers tell coordinators that a run has new
 * step events; coordinators tell workers that a run was canceled.
 *
 * @since 0.1.0
 */
export const channels = (settings: Settings) => ({
  events: `${settings.schema}:events`,
  cancel: `${settings.schema}:cancel`
})
