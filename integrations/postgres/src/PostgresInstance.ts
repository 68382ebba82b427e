/**
 * Strata's instance (runs, the event log and the asset index) in Postgres,
 * for several Strata processes, on one or many machines, sharing one
 * database. Each domain is a small store (`internal/instance/`): runs, the
 * event log (which applies core's `EventProjection` to the other two when it
 * appends), the asset index.
 *
 * - Tables live in one schema (`strata` by default): `runs`, `events`,
 *   `materialized_steps`, `asset_latest`, `asset_partitions` and
 *   `schema_migrations`. Migrations are versioned and applied in one
 *   transaction under an advisory lock, so processes starting together
 *   migrate once; a database migrated by a newer Strata is refused.
 * - `appendEvents` runs in one transaction: event ids come from an identity
 *   column; run status and the latest-per-asset tables are updated in the
 *   same transaction; a repeated materialization (same run, asset and
 *   partition) is dropped by the primary key of `materialized_steps`.
 * - Appends take a transaction-level advisory lock, so ids are handed out
 *   in commit order: a reader tailing the log with an `after` cursor can
 *   never skip an event that commits later with a smaller id.
 *
 * @since 0.1.0
 */
import type { Instance as InstanceModule } from "@strata/core"
import { Instance } from "@strata/core"
import { Effect, Layer } from "effect"
import { eventsChannelOf, PgInstanceContext } from "./internal/instance/context.ts"
import { PgAssetIndex } from "./internal/instance/assetIndex.ts"
import { PgCheckStore } from "./internal/instance/checks.ts"
import { PgEventLog } from "./internal/instance/eventLog.ts"
import { PgAutomation } from "./internal/instance/automation.ts"
import { PgBackfills } from "./internal/instance/backfills.ts"
import { PgDynamicPartitions } from "./internal/instance/dynamicPartitions.ts"
import { PgRuns } from "./internal/instance/runs.ts"
import { migrations, SCHEMA_VERSION } from "./internal/instance/schema.ts"
import type { PgClientConfig, PgConnection } from "./PgClient.ts"
import { PgClient } from "./PgClient.ts"
import type { PgError } from "./PgError.ts"

type InstanceShape = InstanceModule.InstanceShape
type InstanceError = InstanceModule.InstanceError

/**
 * Options of {@link PostgresInstance.layer}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** The schema holding Strata's tables. Default `strata`. */
  readonly schema?: string | undefined
}

/**
 * The newest schema version this release knows.
 *
 * @since 0.1.0
 */
export { SCHEMA_VERSION }

/** Applies the migrations not applied yet, in one transaction under an advisory lock (processes starting together migrate once). */
const migrate = (x: PgInstanceContext) =>
  x.wrap("migrate")(x.client.transaction((connection) =>
    Effect.gen(function*() {
      yield* connection.query("select pg_advisory_xact_lock(hashtext($1))", [`strata-migrate:${x.schemaName}`])
      yield* connection.query(`create schema if not exists ${x.s}`)
      yield* connection.query(
        `create table if not exists ${x.s}.schema_migrations (version integer primary key, applied_at timestamptz not null default now())`
      )
      const [row] = yield* connection.query<{ version: number | null }>(`select max(version) as version from ${x.s}.schema_migrations`)
      const current = row?.version ?? 0
      if (current > SCHEMA_VERSION) {
        return yield* Effect.fail(
          new Instance.InstanceError({
            operation: "migrate",
            reason: "unsupported-version",
            message: `${x.describe} is at schema version ${current}, newer than this Strata (${SCHEMA_VERSION}); upgrade @strata/postgres`
          })
        )
      }
      for (const migration of migrations(x.s)) {
        if (migration.version <= current) continue
        for (const statement of migration.statements) yield* connection.query(statement)
        yield* connection.query(`insert into ${x.s}.schema_migrations (version) values ($1)`, [migration.version])
      }
    })
  ))

/**
 * Builds a Postgres instance over a client: migrates the schema first.
 *
 * @since 0.1.0
 */
export const make = Effect.fn("PostgresInstance.make")(function*(client: PgClient["Service"], options?: Options) {
  const x = new PgInstanceContext(client, options?.schema ?? "strata")
  yield* migrate(x)
  const runs = new PgRuns(x)
  const index = new PgAssetIndex(x)
  const checks = new PgCheckStore(x)
  const log = new PgEventLog(x, runs, index, checks)
  const shape: InstanceShape = {
    capabilities: { persistent: true, multiProcess: true },
    describe: x.describe,
    automation: new PgAutomation(x).domain(),
    backfills: new PgBackfills(x).domain(),
    dynamicPartitions: new PgDynamicPartitions(x).domain(),
    ...runs.domain(),
    ...log.domain(),
    ...index.domain(),
    ...checks.domain(),
    reapOrphanedRuns: (options) => x.wrap("reapOrphanedRuns")(log.reap(options))
  }
  return shape
})

const logOf = (x: PgInstanceContext) => {
  const runs = new PgRuns(x)
  return new PgEventLog(x, runs, new PgAssetIndex(x), new PgCheckStore(x))
}

/**
 * Postgres instance storage.
 *
 * @since 0.1.0
 */
export class PostgresInstance {
  /** Builds (and migrates) an instance over a client, outside any layer. */
  static readonly make = (client: PgClient["Service"], options?: Options) => make(client, options)

  /**
   * Appends events inside a transaction of the caller's (on `connection`, from
   * `client.transaction` or {@link appendTransaction}), so they commit or roll
   * back with the caller's own writes. Same rules as `appendEvents` (the
   * append lock, the projection, a repeated materialization dropped), in two
   * statements after the lock (`locked`: the caller holds it, as in
   * {@link appendTransaction}); `notify` names a channel to notify at commit.
   * The schema must already be migrated (by {@link make} or a layer).
   */
  static readonly appendIn = (
    client: PgClient["Service"],
    connection: PgConnection,
    events: ReadonlyArray<import("@strata/core").Event.StrataEvent>,
    options?: Options & { readonly locked?: boolean; readonly notify?: string }
  ): Effect.Effect<void, InstanceError> => {
    const x = new PgInstanceContext(client, options?.schema ?? "strata")
    return x.wrap("appendEvents")(logOf(x).appendIn(connection, events, options))
  }

  /**
   * A transaction for {@link appendIn} with `locked: true`: its first round trip is one message with `begin`,
   * the instance's append lock and `first` (SQL without parameters, for the caller's own first statement; its
   * rows are given to `use`). Committed when `use` succeeds, rolled back otherwise.
   */
  static readonly appendTransaction = <A, E, R>(
    client: PgClient["Service"],
    options: Options & { readonly first?: string },
    use: (connection: PgConnection, firstRows: ReadonlyArray<Record<string, unknown>>) => Effect.Effect<A, E, R>
  ): Effect.Effect<A, E | PgError, R> => {
    const x = new PgInstanceContext(client, options.schema ?? "strata")
    return logOf(x).appendTransaction(options.first, use)
  }

  /** The channel every append notifies at commit (what `automation.watchEvents` listens on). */
  static readonly eventsChannel = (options?: Options): string => eventsChannelOf(options?.schema ?? "strata")

  /** The instance over the {@link PgClient} in context (migrated when the layer is built). */
  static readonly layer = (options?: Options): Layer.Layer<Instance.Instance, InstanceError, PgClient> =>
    Layer.effect(
      Instance.Instance,
      Effect.gen(function*() {
        return yield* make(yield* PgClient, options)
      })
    )

  /**
   * The instance with its own connection pool, from a configuration or a
   * connection string (`postgres://user@host:5432/database`).
   */
  static readonly layerClient = (
    config: PgClientConfig | string,
    options?: Options
  ): Layer.Layer<Instance.Instance, InstanceError | PgError> =>
    PostgresInstance.layer(options).pipe(
      Layer.provide(PgClient.layer(typeof config === "string" ? { connectionString: config } : config))
    )
}
