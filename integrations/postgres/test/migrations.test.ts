import { assert, expect, layer } from "@effect/vitest"
import { Instance } from "@strata/core"
import { Context, Effect, Exit, Layer } from "effect"
import { PgClient, PostgresInstance, SCHEMA_VERSION } from "../src/index.ts"
import { migrations } from "../src/internal/instance/schema.ts"
import { clientLayer, TestDb } from "./support.ts"

// every migration's version, in order (versions may leave gaps for migrations merged from other branches)
const VERSIONS = migrations("s").map((migration) => ({ version: migration.version }))

layer(clientLayer, { timeout: 30_000 })("PostgresInstance migrations", (it) => {
  it.effect("processes starting together migrate once (advisory lock), and again is a no-op", () =>
    Effect.gen(function*() {
      const database = yield* TestDb
      // separate pools, as separate processes would have
      const open = Effect.scoped(Effect.gen(function*() {
        const context = yield* Layer.build(PostgresInstance.layerClient(database.config, { schema: "together" }))
        return context
      }))
      yield* Effect.all(Array.from({ length: 6 }, () => open), { concurrency: "unbounded" })
      // and from a connection string, as a deployment would configure it
      yield* Effect.scoped(Layer.build(PostgresInstance.layerClient(database.url, { schema: "together" })))
      const client = yield* PgClient
      const versions = yield* client.query(`select version from together.schema_migrations order by version`)
      // one row per migration, each applied once
      expect(versions).toEqual(VERSIONS)
    }))

  it.effect("a schema at version 1 (before cancel requests, key-ordered listings, partition status, automation and check results) is migrated to the current version and keeps its runs", () =>
    Effect.gen(function*() {
      const database = yield* TestDb
      const client = yield* PgClient
      yield* Effect.scoped(Layer.build(PostgresInstance.layerClient(database.config, { schema: "older" })))
      // take it back to what version 1 created
      yield* client.query(`alter table older.runs drop column cancel_requested_at, drop column cancel_reason`)
      yield* client.query(`drop index older.asset_latest_by_key, older.asset_partitions_by_key, older.events_checks`)
      yield* client.query(`drop table older.partition_status`)
      yield* client.query(
        `drop table older.automation_leases, older.automation_ticks, older.automation_evaluations, older.automation_cursors,
           older.automation_asset_states, older.automation_switches`
      )
      yield* client.query(`drop table older.check_latest`)
      yield* client.query(`drop table older.backfills`)
      yield* client.query(`drop table older.partition_versions`)
      yield* client.query(`drop table older.dynamic_partitions`)
      yield* client.query(`delete from older.schema_migrations where version >= 2`)
      yield* client.query(
        `insert into older.runs (run_id, selection, asset_keys, stale_only, tags, created_at, status, started_at)
         values ('old-run', '*', '["a"]', false, '{}', 1000, 'started', 1001)`
      )
      yield* Effect.scoped(Effect.gen(function*() {
        const context = yield* Layer.build(PostgresInstance.layerClient(database.config, { schema: "older" }))
        const instance = Context.get(context, Instance.Instance)
        const run = (yield* instance.getRun("old-run"))!
        expect([run.status, run.createdAt, run.startedAt, run.cancelRequestedAt]).toEqual(["started", 1000, 1001, undefined])
        const requested = yield* instance.requestCancel("old-run", { at: 2000, reason: "after the upgrade" })
        expect([requested.cancelRequestedAt, requested.cancelReason]).toEqual([2000, "after the upgrade"])
        // check results (version 6) are stored after the upgrade
        yield* instance.appendEvents([
          { type: "check-evaluated", runId: "old-run", timestamp: 2001, assetKey: "a", check: "unique", passed: true, severity: "error", metadata: {} }
        ])
        expect((yield* instance.latestChecks()).get("a")!.map((r) => r.check)).toEqual(["unique"])
      }))
      const versions = yield* client.query(`select version from older.schema_migrations order by version`)
      expect(versions).toEqual(VERSIONS)
      const indexes = yield* client.query<{ indexname: string }>(
        `select indexname from pg_indexes where schemaname = 'older' and indexname like '%_by_key' order by indexname`
      )
      expect(indexes.map((row) => row.indexname)).toEqual(["asset_latest_by_key", "asset_partitions_by_key"])
    }))

  it.effect("a schema migrated by a newer Strata is refused with unsupported-version", () =>
    Effect.gen(function*() {
      const client = yield* PgClient
      yield* client.query(`create schema future`)
      yield* client.query(`create table future.schema_migrations (version integer primary key, applied_at timestamptz not null default now())`)
      yield* client.query(`insert into future.schema_migrations (version) values (${SCHEMA_VERSION + 1})`)
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(PostgresInstance.layer({ schema: "future" }))))
      if (Exit.isSuccess(exit)) return assert.fail("expected a failure")
      const error = (exit.cause.reasons.find((r) => r._tag === "Fail") as unknown as { error: Instance.InstanceError }).error
      expect(error).toBeInstanceOf(Instance.InstanceError)
      expect(error.reason).toBe("unsupported-version")
      expect(error.message).toContain("upgrade @strata/postgres")
    }))

  it.effect("an unreachable server is an unavailable (retryable) instance error", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(PostgresInstance.layerClient({ host: "127.0.0.1", port: 1 }))))
      if (Exit.isSuccess(exit)) return assert.fail("expected a failure")
      const error = (exit.cause.reasons.find((r) => r._tag === "Fail") as unknown as { error: { isRetryable: boolean } }).error
      expect(error.isRetryable).toBe(true)
    }))
})
