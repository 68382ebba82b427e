/** The memory instance's check store: the latest result per (asset, check, partition) and the history per asset. */
import { Effect } from "effect"
import type { CheckResultRecord, CheckStore } from "../../Instance.ts"
import { checkKey } from "../instanceRules.ts"

const byCheckThenPartition = (a: CheckResultRecord, b: CheckResultRecord) =>
  a.check < b.check ? -1 : a.check > b.check ? 1 : (a.partition ?? "") < (b.partition ?? "") ? -1 : (a.partition ?? "") > (b.partition ?? "") ? 1 : 0

export class MemoryCheckStore {
  /** asset key -> check key -> latest result */
  readonly latest = new Map<string, Map<string, CheckResultRecord>>()
  readonly history = new Map<string, Array<CheckResultRecord>>()

  /** A check result (`EventProjection.IndexSink`): the latest of its check, and history. */
  check(record: CheckResultRecord): void {
    let latest = this.latest.get(record.assetKey)
    if (latest === undefined) this.latest.set(record.assetKey, latest = new Map())
    latest.set(checkKey(record.assetKey, record.check, record.partition), record)
    let list = this.history.get(record.assetKey)
    if (list === undefined) this.history.set(record.assetKey, list = [])
    list.push(record)
  }

  /** The event ids retention must keep: every latest result. */
  latestIds(keep: Set<number>): void {
    for (const latest of this.latest.values()) for (const record of latest.values()) keep.add(record.eventId)
  }

  /** Forgets the results whose events were removed. */
  removeEvents(removed: ReadonlySet<number>): void {
    for (const [key, list] of this.history) this.history.set(key, list.filter((record) => !removed.has(record.eventId)))
  }

  wipe(keys: ReadonlyArray<string>): void {
    for (const key of keys) {
      this.latest.delete(key)
      this.history.delete(key)
    }
  }

  domain(): CheckStore {
    return {
      latestChecks: (keys) =>
        Effect.sync(() => {
          const result = new Map<string, ReadonlyArray<CheckResultRecord>>()
          for (const key of keys ?? [...this.latest.keys()]) {
            const latest = this.latest.get(key)
            if (latest !== undefined) result.set(key, [...latest.values()].sort(byCheckThenPartition))
          }
          return result
        }),
      checkHistory: (assetKey, query) =>
        Effect.sync(() => {
          const list = this.history.get(assetKey) ?? []
          const limit = Math.max(1, query?.limit ?? 100)
          const result: Array<CheckResultRecord> = []
          for (let i = list.length - 1; i >= 0 && result.length < limit; i--) {
            const record = list[i]!
            if (query?.before !== undefined && record.eventId >= query.before) continue
            if (query?.check !== undefined && record.check !== query.check) continue
            if (query?.partition !== undefined && record.partition !== query.partition) continue
            result.push(record)
          }
          return result
        })
    }
  }
}
