import { Effect } from "effect"
import type { StoredEvent, StrataEvent } from "../Event.ts"
import type {
  AssetRecord,
  FailureRecord,
  InstanceShape,
  MaterializationRecord,
  NewRun,
  ObservationRecord,
  RunRecord,
  RunStatus
} from "../Instance.ts"
import { cancelRefusal, InstanceError } from "../Instance.ts"
import {
  isTerminal,
  materializationRecord,
  observationRecord,
  orphanedRunEnd,
  orphanedStepFailures,
  orphanReason,
  stepKey
} from "./instanceRules.ts"

interface MutableAssetRecord {
  assetKey: string
  materialization?: MaterializationRecord | undefined
  observation?: ObservationRecord | undefined
  failure?: FailureRecord | undefined
}

export const makeMemoryInstance = (): InstanceShape => {
  const runs = new Map<string, RunRecord>()
  const runOrder: Array<string> = []
  let log: Array<StoredEvent> = []
  const byRun = new Map<string, Array<StoredEvent>>()
  const index = new Map<string, MutableAssetRecord>()
  const partitionIndex = new Map<string, Map<string, MaterializationRecord>>()
  const history = new Map<string, Array<MaterializationRecord>>()
  const materializedSteps = new Set<string>()
  let nextId = 1

  const assetRecord = (key: string): MutableAssetRecord => {
    let record = index.get(key)
    if (record === undefined) {
      record = { assetKey: key }
      index.set(key, record)
    }
    return record
  }

  const applyRun = (event: StoredEvent, run: RunRecord): RunRecord => {
    if (isTerminal(run.status)) return run
    switch (event.type) {
      case "run-started":
        return { ...run, status: "started", startedAt: event.timestamp, heartbeatAt: event.timestamp }
      case "run-succeeded":
        return { ...run, status: "succeeded", endedAt: event.timestamp }
      case "run-failed":
        return { ...run, status: "failed", endedAt: event.timestamp, reason: event.reason }
      case "run-canceled":
        return { ...run, status: "canceled", endedAt: event.timestamp, reason: event.reason }
      default:
        return run
    }
  }

  const appendEvents = (events: ReadonlyArray<StrataEvent>) =>
    Effect.suspend(() => {
      for (const event of events) {
        if (!runs.has(event.runId)) {
          return Effect.fail(
            new InstanceError({
              operation: "appendEvents",
              reason: "invalid",
              message: `event ${event.type} refers to run ${event.runId}, which does not exist; create the run first`
            })
          )
        }
      }
      for (const event of events) {
        if (event.type === "asset-materialized") {
          const step = stepKey(event.runId, event.assetKey, event.partition)
          if (materializedSteps.has(step)) continue
          materializedSteps.add(step)
        }
        const stored = { ...event, id: nextId++ } as StoredEvent
        log.push(stored)
        let list = byRun.get(event.runId)
        if (list === undefined) byRun.set(event.runId, list = [])
        list.push(stored)
        if (stored.type.startsWith("run-")) runs.set(event.runId, applyRun(stored, runs.get(event.runId)!))
        if (stored.type === "asset-materialized") {
          const record = materializationRecord(stored)
          if (stored.partition === undefined) {
            const asset = assetRecord(stored.assetKey)
            asset.materialization = record
            asset.failure = undefined
          } else {
            let partitions = partitionIndex.get(stored.assetKey)
            if (partitions === undefined) partitionIndex.set(stored.assetKey, partitions = new Map())
            partitions.set(stored.partition, record)
          }
          let list = history.get(stored.assetKey)
          if (list === undefined) history.set(stored.assetKey, list = [])
          list.push(record)
        } else if (stored.type === "asset-observed" && stored.partition === undefined) {
          const asset = assetRecord(stored.assetKey)
          asset.observation = observationRecord(stored)
          // a source observed again is no longer failed (a source has no materialization to clear it)
          asset.failure = undefined
        } else if (stored.type === "step-failed" && !stored.willRetry && stored.partition === undefined) {
          assetRecord(stored.assetKey).failure = {
            eventId: stored.id,
            runId: stored.runId,
            timestamp: stored.timestamp,
            error: stored.error
          }
        }
      }
      return Effect.void
    })

  const latestIds = (): Set<number> => {
    const keep = new Set<number>()
    for (const record of index.values()) {
      if (record.materialization) keep.add(record.materialization.eventId)
      if (record.observation) keep.add(record.observation.eventId)
    }
    for (const partitions of partitionIndex.values()) for (const record of partitions.values()) keep.add(record.eventId)
    return keep
  }

  const shape: InstanceShape = {
    capabilities: { persistent: false, multiProcess: false },
    describe: "memory",
    createRun: (run: NewRun) =>
      Effect.suspend(() => {
        if (runs.has(run.runId)) {
          return Effect.fail(
            new InstanceError({ operation: "createRun", reason: "invalid", message: `run ${run.runId} already exists` })
          )
        }
        const record: RunRecord = { ...run, status: "queued" }
        runs.set(run.runId, record)
        runOrder.push(run.runId)
        return Effect.succeed(record)
      }),
    appendEvents,
    heartbeat: (runId, at) =>
      Effect.sync(() => {
        const run = runs.get(runId)
        if (run !== undefined) runs.set(runId, { ...run, heartbeatAt: at })
      }),
    requestCancel: (runId, request) =>
      Effect.suspend(() => {
        const run = runs.get(runId)
        const refusal = cancelRefusal(runId, run)
        if (refusal !== undefined) return Effect.fail(refusal)
        if (run!.cancelRequestedAt !== undefined) return Effect.succeed(run!)
        const updated: RunRecord = request.reason === undefined
          ? { ...run!, cancelRequestedAt: request.at }
          : { ...run!, cancelRequestedAt: request.at, cancelReason: request.reason }
        runs.set(runId, updated)
        return Effect.succeed(updated)
      }),
    cancelRequest: (runId) =>
      Effect.sync(() => {
        const run = runs.get(runId)
        if (run?.cancelRequestedAt === undefined) return undefined
        return run.cancelReason === undefined
          ? { at: run.cancelRequestedAt }
          : { at: run.cancelRequestedAt, reason: run.cancelReason }
      }),
    getRun: (runId) => Effect.sync(() => runs.get(runId)),
    listRuns: (query) =>
      Effect.sync(() => {
        const statuses = query?.status === undefined
          ? undefined
          : new Set<RunStatus>(typeof query.status === "string" ? [query.status] : query.status)
        const limit = query?.limit ?? 50
        let end = runOrder.length
        if (query?.before !== undefined) {
          const at = runOrder.lastIndexOf(query.before)
          end = at === -1 ? 0 : at
        }
        const result: Array<RunRecord> = []
        for (let i = end - 1; i >= 0 && result.length < limit; i--) {
          const run = runs.get(runOrder[i]!)!
          if (statuses === undefined || statuses.has(run.status)) result.push(run)
        }
        return result
      }),
    runEvents: (runId, query) => Effect.sync(() => page(byRun.get(runId) ?? [], query?.after, query?.limit)),
    events: (query) => Effect.sync(() => page(log, query?.after, query?.limit)),
    assets: (keys) =>
      Effect.sync(() => {
        const result = new Map<string, AssetRecord>()
        if (keys === undefined) {
          for (const [key, record] of index) result.set(key, { ...record })
        } else {
          for (const key of keys) {
            const record = index.get(key)
            if (record !== undefined) result.set(key, { ...record })
          }
        }
        return result
      }),
    partitions: (assetKey) => Effect.sync(() => new Map(partitionIndex.get(assetKey) ?? [])),
    history: (assetKey, query) =>
      Effect.sync(() => {
        const list = history.get(assetKey) ?? []
        const limit = query?.limit ?? 100
        const result: Array<MaterializationRecord> = []
        for (let i = list.length - 1; i >= 0 && result.length < limit; i--) {
          const record = list[i]!
          if (query?.before !== undefined && record.eventId >= query.before) continue
          if (query?.partition !== undefined && record.partition !== query.partition) continue
          result.push(record)
        }
        return result
      }),
    reapOrphanedRuns: ({ heartbeatTimeoutMs, host, now }) =>
      Effect.suspend(() => {
        const reaped: Array<RunRecord> = []
        const events: Array<StrataEvent> = []
        for (const run of runs.values()) {
          const reason = orphanReason(run, { now, heartbeatTimeoutMs, host })
          if (reason === undefined) continue
          events.push(...orphanedStepFailures(byRun.get(run.runId) ?? [], now, reason))
          events.push(orphanedRunEnd(run, now, reason))
        }
        return appendEvents(events).pipe(
          Effect.map(() => {
            for (const event of events) {
              if (event.type === "run-failed" || event.type === "run-canceled") reaped.push(runs.get(event.runId)!)
            }
            return reaped
          })
        )
      }),
    prune: ({ endedBefore, keepMaterializationsPerAsset }) =>
      Effect.sync(() => {
        const keep = latestIds()
        let removedRuns = 0
        const removedEvents = new Set<number>()
        if (endedBefore !== undefined) {
          for (const runId of [...runOrder]) {
            const run = runs.get(runId)!
            if (!isTerminal(run.status) || (run.endedAt ?? 0) >= endedBefore) continue
            for (const event of byRun.get(runId) ?? []) if (!keep.has(event.id)) removedEvents.add(event.id)
            runs.delete(runId)
            runOrder.splice(runOrder.indexOf(runId), 1)
            removedRuns++
          }
        }
        if (keepMaterializationsPerAsset !== undefined) {
          for (const list of history.values()) {
            const perPartition = new Map<string, number>()
            for (let i = list.length - 1; i >= 0; i--) {
              const part = list[i]!.partition ?? ""
              const seen = (perPartition.get(part) ?? 0) + 1
              perPartition.set(part, seen)
              if (seen > keepMaterializationsPerAsset && !keep.has(list[i]!.eventId)) removedEvents.add(list[i]!.eventId)
            }
          }
        }
        if (removedEvents.size > 0) {
          log = log.filter((event) => !removedEvents.has(event.id))
          for (const [runId, list] of byRun) {
            const kept = list.filter((event) => !removedEvents.has(event.id))
            if (kept.length === 0 && !runs.has(runId)) byRun.delete(runId)
            else byRun.set(runId, kept)
          }
          for (const [key, list] of history) history.set(key, list.filter((r) => !removedEvents.has(r.eventId)))
        }
        for (const runId of [...byRun.keys()]) if (!runs.has(runId) && byRun.get(runId)!.length === 0) byRun.delete(runId)
        return { runs: removedRuns, events: removedEvents.size }
      }),
    wipeAssets: (keys) =>
      Effect.sync(() => {
        const wiped = new Set(keys)
        for (const key of keys) {
          index.delete(key)
          partitionIndex.delete(key)
          history.delete(key)
        }
        const isWiped = (event: StoredEvent) =>
          (event.type === "asset-materialized" || event.type === "asset-observed") && wiped.has(event.assetKey)
        log = log.filter((event) => !isWiped(event))
        for (const [runId, list] of byRun) byRun.set(runId, list.filter((event) => !isWiped(event)))
      })
  }
  return shape
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
