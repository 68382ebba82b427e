/**
 * A worker's check, before it runs a job, that the step is still wanted: its
 * run exists, has not ended and is not being canceled, and (for a job that may
 * have run before) its events are not already recorded. Asking Postgres for
 * every job cost a round trip on the way from enqueue to start; instead a run
 * found live is trusted for one heartbeat period, and a run seen stopping (the
 * coordinator's cancel notification, the heartbeat's look at the runs of
 * running steps) is remembered as stopped.
 *
 * Whether the job's events are already recorded (`step_outcomes`) is asked
 * only of a job that may have run before: a second delivery (its worker died
 * or gave it back) or a job the coordinator enqueued again after a reconnect.
 * A first delivery of a job enqueued once never ran.
 */
import type { PgClient } from "@strata/postgres"
import { Effect } from "effect"
import type { Settings } from "../WorkerQueue.ts"

const terminal = new Set(["succeeded", "failed", "canceled"])

/** How many runs each map remembers (the oldest are forgotten first). */
const remembered = 10_000

const setBounded = <V>(map: Map<string, V>, key: string, value: V): void => {
  map.delete(key)
  map.set(key, value)
  if (map.size > remembered) map.delete(map.keys().next().value!)
}

export interface JobToCheck {
  readonly runId: string
  readonly jobKey: string
  /** The job may have run before: ask whether its events were recorded. */
  readonly mayHaveRun: boolean
}

export class RunChecks {
  /** When each run was last found live. */
  private readonly live = new Map<string, number>()
  /** Runs seen ending or being canceled, with why. */
  private readonly stoppedRuns = new Map<string, string>()
  private readonly client: PgClient["Service"]
  private readonly settings: Settings
  private readonly now: () => number

  constructor(client: PgClient["Service"], settings: Settings, now: () => number = Date.now) {
    this.client = client
    this.settings = settings
    this.now = now
  }

  /** Records that a run ended or is being canceled: its jobs are dropped from now on. */
  stopped(runId: string, why: string): void {
    this.live.delete(runId)
    setBounded(this.stoppedRuns, runId, why)
  }

  /** Why the job must not run, or `undefined` when it may. */
  skipReason(job: JobToCheck): Effect.Effect<string | undefined, unknown> {
    const stopped = this.stoppedRuns.get(job.runId)
    if (stopped !== undefined) return Effect.succeed(stopped)
    const checkedAt = this.live.get(job.runId)
    if (!job.mayHaveRun && checkedAt !== undefined && this.now() - checkedAt < this.settings.heartbeatMs) {
      return Effect.succeed(undefined)
    }
    return this.ask(job)
  }

  private ask(job: JobToCheck): Effect.Effect<string | undefined, unknown> {
    const { client, settings } = this
    const askedAt = this.now()
    return Effect.map(
      client.query<{ status: string | null; cancel: unknown; done: boolean }>(
        `select (select status from ${settings.instanceSchema}.runs where run_id = $1) as status,
                (select cancel_requested_at from ${settings.instanceSchema}.runs where run_id = $1) as cancel,
                $3::boolean and exists (select 1 from ${settings.schema}.step_outcomes where job_key = $2) as done`,
        [job.runId, job.jobKey, job.mayHaveRun]
      ),
      ([row]) => {
        if (row!.done) return "its events were already recorded"
        const stopped = row!.status === null
          ? "its run does not exist"
          : terminal.has(row!.status)
          ? `its run already ${row!.status}`
          : row!.cancel !== null
          ? "its run is being canceled"
          : undefined
        if (stopped !== undefined && row!.status !== null) this.stopped(job.runId, stopped)
        if (stopped === undefined) setBounded(this.live, job.runId, askedAt)
        return stopped
      }
    )
  }
}
