/** The memory instance's automation domain. */
import { Effect } from "effect"
import type { AssetState } from "../../AutomationCondition.ts"
import type {
  AssetEvaluation,
  AutomationStore,
  EvaluationRecord,
  Lease,
  NewTick,
  RecordAnswer,
  TickQuery,
  TickRecord
} from "../../AutomationStore.ts"
import { cursorKey, leaseFree } from "../../AutomationStore.ts"

interface StoredTick {
  record: TickRecord
  readonly evaluations: ReadonlyArray<AssetEvaluation>
}

export class MemoryAutomation {
  private readonly leases = new Map<string, Lease>()
  /** In the order recorded. */
  private ticks: Array<StoredTick> = []
  private readonly byId = new Map<string, StoredTick>()
  private readonly cursors = new Map<string, string>()
  private readonly states = new Map<string, AssetState>()
  private readonly switches = new Map<string, boolean>()
  private readonly listeners = new Set<() => void>()

  /** Events were appended. */
  notify(): void {
    for (const listener of this.listeners) listener()
  }

  acquire(request: { name: string; holder: string; now: number; ttlMs: number }) {
    const current = this.leases.get(request.name)
    if (!leaseFree(current, request.holder, request.now)) return { acquired: false, lease: current! }
    const lease: Lease = {
      name: request.name,
      holder: request.holder,
      acquiredAt: current?.holder === request.holder && current.expiresAt > request.now ? current.acquiredAt : request.now,
      expiresAt: request.now + request.ttlMs
    }
    this.leases.set(request.name, lease)
    return { acquired: true, lease }
  }

  record(tick: NewTick, fence: { lease: string; holder: string; now: number }): RecordAnswer {
    const lease = this.leases.get(fence.lease)
    if (lease === undefined || lease.holder !== fence.holder || lease.expiresAt <= fence.now) return "lease-lost"
    if (this.byId.has(tick.tickId)) return "duplicate"
    const stored: StoredTick = {
      record: {
        tickId: tick.tickId,
        origin: tick.origin,
        name: tick.name,
        at: tick.at,
        ...(tick.scheduledAt === undefined ? {} : { scheduledAt: tick.scheduledAt }),
        status: tick.status,
        ...(tick.reason === undefined ? {} : { reason: tick.reason }),
        runs: tick.runs,
        evaluated: tick.evaluations.length,
        requested: tick.evaluations.filter((evaluation) => evaluation.requested).length
      },
      evaluations: tick.evaluations
    }
    this.ticks.push(stored)
    this.byId.set(tick.tickId, stored)
    if (tick.cursor !== undefined) this.cursors.set(cursorKey(tick.origin, tick.name), tick.cursor)
    for (const { assetKey, state } of tick.assetStates ?? []) this.states.set(assetKey, state)
    return "recorded"
  }

  list(query: TickQuery | undefined): Array<TickRecord> {
    let end = this.ticks.length
    if (query?.before !== undefined) {
      const at = this.ticks.findIndex((tick) => tick.record.tickId === query.before)
      end = at === -1 ? 0 : at
    }
    const result: Array<TickRecord> = []
    for (let i = end - 1; i >= 0 && result.length < (query?.limit ?? 50); i--) {
      const tick = this.ticks[i]!.record
      if (query?.origin !== undefined && tick.origin !== query.origin) continue
      if (query?.name !== undefined && tick.name !== query.name) continue
      if (query?.status !== undefined && tick.status !== query.status) continue
      result.push(tick)
    }
    return result
  }

  evaluationsOf(assetKey: string, limit: number): Array<EvaluationRecord> {
    const result: Array<EvaluationRecord> = []
    for (let i = this.ticks.length - 1; i >= 0 && result.length < limit; i--) {
      const tick = this.ticks[i]!
      const evaluation = tick.evaluations.find((candidate) => candidate.assetKey === assetKey)
      if (evaluation !== undefined) result.push({ ...evaluation, tickId: tick.record.tickId, at: tick.record.at })
    }
    return result
  }

  prune(before: number, keep: number): number {
    const seen = new Map<string, number>()
    const kept: Array<StoredTick> = []
    for (let i = this.ticks.length - 1; i >= 0; i--) {
      const tick = this.ticks[i]!
      const key = cursorKey(tick.record.origin, tick.record.name)
      const rank = (seen.get(key) ?? 0) + 1
      seen.set(key, rank)
      if (tick.record.at < before && rank > keep) this.byId.delete(tick.record.tickId)
      else kept.unshift(tick)
    }
    const removed = this.ticks.length - kept.length
    this.ticks = kept
    return removed
  }

  domain(): AutomationStore {
    return {
      acquireLease: (request) => Effect.sync(() => this.acquire(request)),
      releaseLease: (name, holder) =>
        Effect.sync(() => {
          if (this.leases.get(name)?.holder === holder) this.leases.delete(name)
        }),
      lease: (name) => Effect.sync(() => this.leases.get(name)),
      recordTick: (tick, fence) => Effect.sync(() => this.record(tick, fence)),
      markLaunched: (tickId) =>
        Effect.sync(() => {
          const tick = this.byId.get(tickId)
          if (tick !== undefined && tick.record.status === "requested") tick.record = { ...tick.record, status: "launched" }
        }),
      ticks: (query) => Effect.sync(() => this.list(query)),
      tick: (tickId) =>
        Effect.sync(() => {
          const tick = this.byId.get(tickId)
          return tick === undefined ? undefined : { tick: tick.record, evaluations: tick.evaluations }
        }),
      evaluations: (assetKey, query) => Effect.sync(() => this.evaluationsOf(assetKey, query?.limit ?? 20)),
      cursor: (key) => Effect.sync(() => this.cursors.get(key)),
      assetStates: (keys) =>
        Effect.sync(() => {
          if (keys === undefined) return new Map(this.states)
          const result = new Map<string, AssetState>()
          for (const key of keys) {
            const state = this.states.get(key)
            if (state !== undefined) result.set(key, state)
          }
          return result
        }),
      setEnabled: (target, enabled) => Effect.sync(() => void this.switches.set(target, enabled)),
      enabled: () => Effect.sync(() => new Map(this.switches)),
      pruneTicks: ({ before, keep }) => Effect.sync(() => this.prune(before, keep ?? 0)),
      watchEvents: (listener) =>
        Effect.sync(() => {
          const own = () => listener()
          this.listeners.add(own)
          return () => void this.listeners.delete(own)
        })
    }
  }
}
