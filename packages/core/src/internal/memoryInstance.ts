/**
 * The in-memory instance: its three domains (runs, event log, asset index),
 * each a small store, composed behind the instance front. Appending events
 * stores them and applies the shared projection (`EventProjection`) to the
 * other two domains, event by event (the asset index is the projection's sink).
 */
import { Effect } from "effect"
import type { StoredEvent, StrataEvent } from "../Event.ts"
import * as EventProjection from "../EventProjection.ts"
import type { EventLog, InstanceShape, PruneOptions, PruneResult, RunRecord } from "../Instance.ts"
import { InstanceError } from "../Instance.ts"
import { isTerminal, orphanedRunEnd, orphanedStepFailures, orphanReason } from "./instanceRules.ts"
import { MemoryAssetIndex } from "./memory/assetIndex.ts"
import { MemoryCheckStore } from "./memory/checks.ts"
import { MemoryAutomation } from "./memory/automation.ts"
import { MemoryBackfills } from "./memory/backfills.ts"
import { MemoryDynamicPartitions } from "./memory/dynamicPartitions.ts"
import { MemoryRuns } from "./memory/runs.ts"

/** The memory event log; appending maintains `runs` and `index`. */
class MemoryEventLog {
  log: Array<StoredEvent> = []
  readonly byRun = new Map<string, Array<StoredEvent>>()
  /** The dedupe keys held (`EventProjection.dedupeKey`). */
  private readonly held = new Set<string>()
  private nextId = 1
  private readonly runs: MemoryRuns
  private readonly index: MemoryAssetIndex
  private readonly checks: MemoryCheckStore

  constructor(runs: MemoryRuns, index: MemoryAssetIndex, checks: MemoryCheckStore) {
    this.runs = runs
    this.index = index
    this.checks = checks
  }

  append(events: ReadonlyArray<StrataEvent>): Effect.Effect<void, InstanceError> {
    return Effect.suspend(() => {
      let unknown: StrataEvent | undefined
      for (let i = 0; i < events.length && unknown === undefined; i++) {
        if (!this.runs.has(events[i]!.runId)) unknown = events[i]
      }
      if (unknown !== undefined) {
        return Effect.fail(new InstanceError({
          operation: "appendEvents",
          reason: "invalid",
          message: `event ${unknown.type} refers to run ${unknown.runId}, which does not exist; create the run first`
        }))
      }
      // one pass: each event admitted (`dedupe` adds its key to `held`) is stored, and its changes applied at once
      // `held` is all the memory log knows of held keys: no other is held
      const dedupe = new EventProjection.Dedupe(undefined, this.held)
      for (let i = 0; i < events.length; i++) {
        if (dedupe.admits(events[i]!)) EventProjection.project(this.index, this.store(events[i]!))
      }
      const runChanges = this.index.runs.take()
      for (let i = 0; i < runChanges.length; i++) this.runs.apply(runChanges[i]!)
      return Effect.void
    })
  }

  private store(event: StrataEvent): StoredEvent {
    const stored = { ...event, id: this.nextId++ } as StoredEvent
    this.log.push(stored)
    let list = this.byRun.get(event.runId)
    if (list === undefined) this.byRun.set(event.runId, list = [])
    list.push(stored)
    return stored
  }

  /** Deletes these events from the log (retention, wiping). */
  remove(isRemoved: (event: StoredEvent) => boolean): void {
    this.log = this.log.filter((event) => !isRemoved(event))
    for (const [runId, list] of this.byRun) {
      const kept = list.filter((event) => !isRemoved(event))
      if (kept.length === 0 && !this.runs.has(runId)) this.byRun.delete(runId)
      else this.byRun.set(runId, kept)
    }
  }

  prune(options: PruneOptions): PruneResult {
    const keep = this.index.latestIds()
    this.checks.latestIds(keep)
    let removedRuns = 0
    const removed = new Set<number>()
    if (options.endedBefore !== undefined) {
      for (const runId of [...this.runs.order]) {
        const run = this.runs.get(runId)!
        if (!isTerminal(run.status) || (run.endedAt ?? 0) >= options.endedBefore) continue
        for (const event of this.byRun.get(runId) ?? []) if (!keep.has(event.id)) removed.add(event.id)
        this.runs.remove(runId)
        removedRuns++
      }
    }
    if (options.keepMaterializationsPerAsset !== undefined) {
      for (const list of this.index.history.values()) {
        const perPartition = new Map<string, number>()
        for (let i = list.length - 1; i >= 0; i--) {
          const part = list[i]!.partition ?? ""
          const seen = (perPartition.get(part) ?? 0) + 1
          perPartition.set(part, seen)
          if (seen > options.keepMaterializationsPerAsset && !keep.has(list[i]!.eventId)) removed.add(list[i]!.eventId)
        }
      }
    }
    this.remove((event) => removed.has(event.id))
    for (const [key, list] of this.index.history) this.index.history.set(key, list.filter((r) => !removed.has(r.eventId)))
    this.checks.removeEvents(removed)
    for (const runId of [...this.byRun.keys()]) if (!this.runs.has(runId) && this.byRun.get(runId)!.length === 0) this.byRun.delete(runId)
    return { runs: removedRuns, events: removed.size }
  }

  domain(): EventLog {
    return {
      appendEvents: (events) => this.append(events),
      runEvents: (runId, query) => Effect.sync(() => page(this.byRun.get(runId) ?? [], query?.after, query?.limit)),
      events: (query) => Effect.sync(() => page(this.log, query?.after, query?.limit)),
      lastEventId: () => Effect.sync(() => this.log[this.log.length - 1]?.id ?? 0),
      prune: (options) => Effect.sync(() => this.prune(options))
    }
  }
}

export const makeMemoryInstance = (): InstanceShape => {
  const runs = new MemoryRuns()
  const checks = new MemoryCheckStore()
  const index = new MemoryAssetIndex(checks)
  const log = new MemoryEventLog(runs, index, checks)
  const automation = new MemoryAutomation()
  const events = log.domain()
  return {
    capabilities: { persistent: false, multiProcess: false },
    describe: "memory",
    automation: automation.domain(),
    backfills: new MemoryBackfills().domain(),
    dynamicPartitions: new MemoryDynamicPartitions().domain(),
    ...runs.storage(),
    ...events,
    appendEvents: (batch) => Effect.tap(events.appendEvents(batch), () => Effect.sync(() => automation.notify())),
    ...index.domain(),
    ...checks.domain(),
    reapOrphanedRuns: ({ heartbeatTimeoutMs, host, now }) =>
      Effect.suspend(() => {
        const events: Array<StrataEvent> = []
        for (const run of runs.runs.values()) {
          const reason = orphanReason(run, { now, heartbeatTimeoutMs, host })
          if (reason === undefined) continue
          events.push(...orphanedStepFailures(log.byRun.get(run.runId) ?? [], now, reason))
          events.push(orphanedRunEnd(run, now, reason))
        }
        return Effect.map(log.append(events), () =>
          events
            .filter((event) => event.type === "run-failed" || event.type === "run-canceled")
            .map((event) => runs.get(event.runId)!) as ReadonlyArray<RunRecord>)
      }),
    wipeAssets: (keys) =>
      Effect.sync(() => {
        const wiped = new Set(keys)
        index.wipe(keys)
        checks.wipe(keys)
        log.remove((event) =>
          (event.type === "asset-materialized" || event.type === "asset-observed" || event.type === "check-evaluated") &&
          wiped.has(event.assetKey)
        )
      })
  }
}

const page = (list: ReadonlyArray<StoredEvent>, after: number | undefined, limit: number | undefined) => {
  let start = 0
  if (after !== undefined) {
    // ids grow along the list: binary search for the first id > after
    let low = 0
    let high = list.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (list[mid]!.id <= after) low = mid + 1
      else high = mid
    }
    start = low
  }
  return list.slice(start, limit === undefined ? undefined : start + limit)
}
