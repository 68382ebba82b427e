/**
 * The instance over one SQLite connection: its three domains (runs, event log,
 * asset index), each a small store over the same connection, composed behind
 * the instance front. Every operation is synchronous SQL with prepared
 * statements; writes run in one immediate transaction.
 */
import type { Event } from "@strata/core"
import type { Instance } from "@strata/core"
import { orphanedRunEnd, orphanedStepFailures, orphanReason } from "@strata/core/spi"
import { Effect } from "effect"
import { Connection } from "./connection.ts"
import type { Database } from "./database.ts"
import { SqliteAssetIndex } from "./domains/assetIndex.ts"
import { SqliteCheckStore } from "./domains/checks.ts"
import { SqliteAutomation } from "./domains/automation.ts"
import { SqliteBackfills } from "./domains/backfills.ts"
import { SqliteDynamicPartitions } from "./domains/dynamicPartitions.ts"
import { SqliteEventLog } from "./domains/eventLog.ts"
import { SqliteRuns } from "./domains/runs.ts"

export interface StoreOptions {
  readonly path: string
  readonly persistent: boolean
}

export const makeStore = (db: Database, options: StoreOptions): Instance.InstanceShape => {
  const c = new Connection(db, options.path)
  const runs = new SqliteRuns(c)
  const index = new SqliteAssetIndex(c)
  const checks = new SqliteCheckStore(c)
  const log = new SqliteEventLog(c, runs, index, checks)
  const automation = new SqliteAutomation(c)
  const events = log.domain()
  return {
    capabilities: { persistent: options.persistent, multiProcess: options.persistent },
    describe: `sqlite ${options.path}`,
    automation: automation.domain(),
    backfills: new SqliteBackfills(c).domain(),
    dynamicPartitions: new SqliteDynamicPartitions(c).domain(),
    ...runs.domain(),
    ...events,
    appendEvents: (batch) => Effect.tap(events.appendEvents(batch), () => Effect.sync(() => automation.notify())),
    ...index.domain(),
    ...checks.domain(),
    reapOrphanedRuns: (reap) =>
      c.attempt("reapOrphanedRuns", () =>
        c.transaction(() => {
          const events: Array<Event.StrataEvent> = []
          for (const run of runs.active()) {
            const reason = orphanReason(run, reap)
            if (reason === undefined) continue
            const steps = log.decode(
              c.sql(
                `SELECT id, body FROM events
                 WHERE run_seq = ? AND type IN ('step-started', 'step-succeeded', 'step-failed', 'step-skipped') ORDER BY id`
              ).all(c.runSeq(run.runId)!),
              "reapOrphanedRuns"
            )
            events.push(...orphanedStepFailures(steps, reap.now, reason))
            events.push(orphanedRunEnd(run, reap.now, reason))
          }
          log.write(events)
          return events.filter((event) => event.type === "run-failed" || event.type === "run-canceled").map((event) => runs.get(event.runId)!)
        })),
    wipeAssets: (assetKeys) =>
      assetKeys.length === 0 ? Effect.void : c.attempt("wipeAssets", () =>
        c.transaction(() => {
          const keys = JSON.stringify(assetKeys)
          const selected = "(SELECT value FROM json_each(?))"
          c.sql(`DELETE FROM events WHERE id IN (SELECT event_id FROM materializations WHERE asset_key IN ${selected})`).run(keys)
          c.sql(`DELETE FROM events WHERE id IN (SELECT event_id FROM observations WHERE asset_key IN ${selected})`).run(keys)
          c.sql(`DELETE FROM materializations WHERE asset_key IN ${selected}`).run(keys)
          c.sql(`DELETE FROM observations WHERE asset_key IN ${selected}`).run(keys)
          c.sql(`DELETE FROM events WHERE id IN (SELECT event_id FROM check_results WHERE asset_key IN ${selected})`).run(keys)
          c.sql(`DELETE FROM check_results WHERE asset_key IN ${selected}`).run(keys)
          c.sql(`DELETE FROM check_latest WHERE asset_key IN ${selected}`).run(keys)
          c.sql(`DELETE FROM assets WHERE asset_key IN ${selected}`).run(keys)
          c.sql(`DELETE FROM asset_partitions WHERE asset_key IN ${selected}`).run(keys)
          c.sql(`DELETE FROM partition_status WHERE asset_key IN ${selected}`).run(keys)
          c.sql(`DELETE FROM partition_versions WHERE asset_key IN ${selected}`).run(keys)
          index.forget(assetKeys)
        }))
  }
}
