/** The backfill domain in memory: one record per backfill, in creation order. */
import { Effect } from "effect"
import type { BackfillRecord, BackfillStore } from "../../BackfillStore.ts"
import { applyCancel, applyRun, applyStatus } from "../../BackfillStore.ts"
import { InstanceError } from "../../Instance.ts"

const notFound = (operation: string, backfillId: string) =>
  new InstanceError({ operation, reason: "not-found", message: `backfill ${backfillId} does not exist; list them with 'strata backfills'` })

export class MemoryBackfills {
  private readonly records = new Map<string, BackfillRecord>()

  private update(operation: string, backfillId: string, change: (record: BackfillRecord) => BackfillRecord) {
    return Effect.suspend(() => {
      const record = this.records.get(backfillId)
      if (record === undefined) return Effect.fail(notFound(operation, backfillId))
      const next = change(record)
      this.records.set(backfillId, next)
      return Effect.succeed(next)
    })
  }

  domain(): BackfillStore {
    return {
      create: (backfill) =>
        Effect.suspend(() => {
          if (this.records.has(backfill.backfillId)) {
            return Effect.fail(new InstanceError({ operation: "createBackfill", reason: "invalid", message: `backfill ${backfill.backfillId} already exists` }))
          }
          const { rebuild, ...rest } = backfill
          const record: BackfillRecord = {
            ...rest,
            ...(rebuild === true ? { rebuild } : {}),
            assetKeys: [...backfill.assetKeys],
            status: "requested",
            updatedAt: backfill.createdAt,
            runIds: []
          }
          this.records.set(backfill.backfillId, record)
          return Effect.succeed(record)
        }),
      get: (backfillId) => Effect.sync(() => this.records.get(backfillId)),
      list: (query) => Effect.sync(() => Array.from(this.records.values()).reverse().slice(0, query?.limit ?? 50)),
      addRun: (backfillId, runId, at) => this.update("addBackfillRun", backfillId, (record) => applyRun(record, runId, at)),
      setStatus: (backfillId, update) => this.update("setBackfillStatus", backfillId, (record) => applyStatus(record, update)),
      requestCancel: (backfillId, at) =>
        Effect.sync(() => {
          const record = this.records.get(backfillId)
          if (record === undefined) return undefined
          const next = applyCancel(record, at)
          this.records.set(backfillId, next)
          return next
        })
    }
  }
}
