/**
 * Runs that plan the same asset (and partition) write it one after the other,
 * in the order the instance recorded them. Without it, two runs materializing
 * an asset at once could leave the file of one and the recorded latest
 * materialization of the other: a file is renamed into place when its step
 * stores, but its event is written later, in a batch.
 *
 * When a run starts, it lists the runs still active that were recorded before
 * it (`listRuns` returns runs in the reverse of the order they were created)
 * and that plan some of its assets in the same partition. A step of such an
 * asset waits, before it starts, until each earlier run has recorded the end
 * of its own step for that asset (or has ended, or its process is gone). The
 * earlier run's event is then in the index before the later run stores, so the
 * later run's file and materialization are the last ones. Waits only go from a
 * later run to an earlier one: they cannot deadlock. Uncontested assets (the
 * usual case) cost nothing but the one listing at the start.
 */
import { hostname } from "node:os"
import { Effect } from "effect"
import type { StoredEvent } from "../../Event.ts"
import type { ExecutionPlan } from "../../ExecutionPlan.ts"
import type { InstanceError, InstanceShape, RunRecord } from "../../Instance.ts"
import { isTerminal, orphanReason } from "../instanceRules.ts"

const pollMs = 50
// an earlier run on another host that stopped sending heartbeats (every 10 s) for this long is not waited for
const heartbeatTimeoutMs = 60_000

/** What this run knows of one earlier run it waits for. */
class EarlierRun {
  private cursor = 0
  private ended = false
  private readonly settled = new Set<string>()
  readonly runId: string

  constructor(runId: string) {
    this.runId = runId
  }

  isSettled(key: string): boolean {
    return this.ended || this.settled.has(key)
  }

  /** Reads the run and its new events. */
  poll(instance: InstanceShape, now: number): Effect.Effect<void, InstanceError> {
    return Effect.flatMap(instance.getRun(this.runId), (run) => {
      if (run === undefined || isGone(run, now)) {
        this.ended = true
        return Effect.void
      }
      return Effect.map(instance.runEvents(this.runId, { after: this.cursor }), (events) => this.learn(events))
    })
  }

  private learn(events: ReadonlyArray<StoredEvent>): void {
    for (const event of events) {
      this.cursor = event.id
      if (event.type === "step-succeeded" || event.type === "step-skipped") this.settled.add(event.assetKey)
      else if (event.type === "step-failed" && !event.willRetry) this.settled.add(event.assetKey)
      else if (event.type === "run-succeeded" || event.type === "run-failed" || event.type === "run-canceled") this.ended = true
    }
  }
}

/** Queued in the run queue (`RunQueue.isQueued`) and not started yet. */
const waitsInQueue = (run: RunRecord): boolean => run.status === "queued" && run.tags["strata/queued"] !== undefined

const isGone = (run: RunRecord, now: number): boolean =>
  isTerminal(run.status) || orphanReason(run, { now, heartbeatTimeoutMs, host: hostname() }) !== undefined

export class WriteOrder {
  private readonly instance: InstanceShape
  /** For each contested asset key, the earlier runs that plan it. */
  private readonly contested: ReadonlyMap<string, ReadonlyArray<EarlierRun>>

  constructor(instance: InstanceShape, contested: ReadonlyMap<string, ReadonlyArray<EarlierRun>>) {
    this.instance = instance
    this.contested = contested
  }

  /**
   * Lists the earlier active runs that plan some of this run's assets; call it
   * once the run is recorded. A run waiting in the run queue has not started:
   * it is not waited for (it waits for this one when it starts). A run started
   * from the queue (`fromQueue`) also waits for the runs that started while it
   * was queued, though recorded after it.
   */
  static read = (instance: InstanceShape, runId: string, plan: ExecutionPlan, fromQueue = false): Effect.Effect<WriteOrder, InstanceError> =>
    Effect.map(instance.listRuns({ status: ["queued", "started"], limit: 1000 }), (active) => {
      const contested = new Map<string, Array<EarlierRun>>()
      const mine = active.findIndex((run) => run.runId === runId)
      if (mine === -1) return new WriteOrder(instance, contested)
      const planned = new Set<string>()
      for (const step of plan.steps) if (step.stepKind === "materialize") planned.add(step.key)
      const earlierRuns = active.filter((run, i) =>
        run.runId !== runId && !waitsInQueue(run) && (i > mine || (fromQueue && run.status === "started"))
      )
      for (const run of earlierRuns) {
        if (run.partition !== plan.partition) continue
        const earlier = new EarlierRun(run.runId)
        for (const key of run.assetKeys) {
          if (!planned.has(key)) continue
          let runs = contested.get(key)
          if (runs === undefined) contested.set(key, runs = [])
          runs.push(earlier)
        }
      }
      return new WriteOrder(instance, contested)
    })

  /** Whether an earlier active run plans `key` (only materialize steps are contested). */
  contests(key: string): boolean {
    return this.contested.has(key)
  }

  /** Waits until every earlier run that plans `key` is done with it. */
  waitFor(key: string, now: () => number): Effect.Effect<void, InstanceError> {
    const earlier = this.contested.get(key)
    if (earlier === undefined) return Effect.void
    return Effect.forEach(earlier, (run) => this.waitForRun(run, key, now), { discard: true })
  }

  private waitForRun(run: EarlierRun, key: string, now: () => number): Effect.Effect<void, InstanceError> {
    const loop: Effect.Effect<void, InstanceError> = Effect.suspend(() =>
      run.isSettled(key)
        ? Effect.void
        : Effect.andThen(run.poll(this.instance, now()), Effect.suspend(() => run.isSettled(key) ? Effect.void : Effect.andThen(Effect.sleep(pollMs), loop)))
    )
    return loop
  }
}
