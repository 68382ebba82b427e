/** The Postgres instance's tables and their migrations. */

/**
 * The newest schema version this release knows.
 *
 * @since 0.1.0
 */
export const SCHEMA_VERSION = 10

/** One migration: its version and its statements, run in order. */
export interface Migration {
  readonly version: number
  readonly statements: ReadonlyArray<string>
}

// JSON columns are `json`, not `jsonb`: jsonb refuses the escape \u0000,
// which metadata and log lines may legitimately contain.
// (The statements of versions 1, 2, 3 and 5 keep their SQL's whitespace byte for byte, hence their indentation.)
export const migrations = (s: string): ReadonlyArray<Migration> => [
  coreTables(s),
  cancelRequests(s),
  keyOrderIndexes(s),
  partitionStatusTable(s),
  automationTables(s),
  checkResults(s),
  backfillsTable(s),
  partitionVersionsTable(s),
  dynamicPartitionsTable(s),
  backfillRebuild(s)
]

/**
 * Runs, events, the steps already materialized (idempotent appends), and the
 * asset index: each asset's latest materialization, observation and failure,
 * and its partitions' latest materializations.
 */
const coreTables = (s: string): Migration => ({
  version: 1,
  statements: [
    `create table ${s}.runs (
        seq bigint generated always as identity,
        run_id text primary key,
        selection text not null,
        asset_keys json not null,
        partition text,
        stale_only boolean not null,
        parent_run_id text,
        tags json not null,
        created_at double precision not null,
        host text,
        pid integer,
        status text not null,
        started_at double precision,
        ended_at double precision,
        reason text,
        heartbeat_at double precision
      )`,
    `create unique index runs_seq on ${s}.runs (seq)`,
    `create index runs_status on ${s}.runs (status, seq)`,
    `create table ${s}.events (
        id bigint generated always as identity primary key,
        run_id text not null,
        type text not null,
        asset_key text,
        partition text,
        body json not null
      )`,
    `create index events_run on ${s}.events (run_id, id)`,
    `create index events_materialized on ${s}.events (asset_key, id) where type = 'asset-materialized'`,
    `create table ${s}.materialized_steps (
        run_id text not null,
        asset_key text not null,
        partition_key text not null,
        primary key (run_id, asset_key, partition_key)
      )`,
    `create table ${s}.asset_latest (
        asset_key text primary key,
        materialization_id bigint,
        materialization json,
        observation_id bigint,
        observation json,
        failure json
      )`,
    `create table ${s}.asset_partitions (
        asset_key text not null,
        partition text not null,
        event_id bigint not null,
        record json not null,
        primary key (asset_key, partition)
      )`
  ]
})

/** Cancel requests (`Instance.requestCancel`), polled by the executing process. */
const cancelRequests = (s: string): Migration => ({
  version: 2,
  statements: [
    `alter table ${s}.runs add column cancel_requested_at double precision`,
    `alter table ${s}.runs add column cancel_reason text`
  ]
})

/** Paged asset and partition listings in code point order (COLLATE "C"), whatever the database's collation. */
const keyOrderIndexes = (s: string): Migration => ({
  version: 3,
  statements: [
    `create index asset_latest_by_key on ${s}.asset_latest (asset_key collate "C")`,
    `create index asset_partitions_by_key on ${s}.asset_partitions (asset_key, partition collate "C")`
  ]
})

/**
 * Partition status (`Instance.partitionStatus`): one row per index range of a
 * partitioned asset's materialized / failed / in-progress partitions.
 */
const partitionStatusTable = (s: string): Migration => ({
  version: 4,
  statements: [
    `create table ${s}.partition_status (
      asset_key text not null,
      fingerprint text not null,
      status text not null,
      start_index bigint not null,
      end_index bigint not null,
      primary key (asset_key, status, start_index)
    )`
  ]
})

/**
 * Automation (`instance.automation`): the daemon's lease, its ticks and their
 * evaluations, cursors, per-asset states and switches; JSON as text, decoded
 * with core's schemas.
 */
const automationTables = (s: string): Migration => ({
  version: 5,
  statements: [
    `create table ${s}.automation_leases (
        name text primary key,
        holder text not null,
        acquired_at double precision not null,
        expires_at double precision not null
      )`,
    `create table ${s}.automation_ticks (
        seq bigint generated always as identity primary key,
        tick_id text not null unique,
        origin text not null,
        name text not null,
        at double precision not null,
        scheduled_at double precision,
        status text not null,
        reason text,
        runs text not null,
        evaluated integer not null,
        requested integer not null
      )`,
    `create index automation_ticks_by_name on ${s}.automation_ticks (origin, name, seq)`,
    `create index automation_ticks_by_status on ${s}.automation_ticks (status, seq)`,
    `create table ${s}.automation_evaluations (
        tick_seq bigint not null,
        position integer not null,
        asset_key text not null,
        requested boolean not null,
        result text not null,
        primary key (tick_seq, position)
      )`,
    `create index automation_evaluations_by_asset on ${s}.automation_evaluations (asset_key, tick_seq)`,
    `create table ${s}.automation_cursors (key text primary key, value text not null)`,
    `create table ${s}.automation_asset_states (asset_key text primary key, state text not null)`,
    `create table ${s}.automation_switches (target text primary key, enabled boolean not null, at double precision not null)`
  ]
})

/**
 * Check results (`check-evaluated` events): `check_latest` holds the latest
 * result of each (asset, check, partition); history reads the events through
 * a partial index.
 */
const checkResults = (s: string): Migration => ({
  version: 6,
  statements: [
    `create table ${s}.check_latest (
      asset_key text not null,
      check_name text not null,
      partition_key text not null,
      event_id bigint not null,
      primary key (asset_key, check_name, partition_key)
    )`,
    `create index events_checks on ${s}.events (asset_key, id) where type = 'check-evaluated'`
  ]
})

/**
 * Backfills (`instance.backfills`): one row per backfill, `seq` orders them by
 * creation, `run_ids` is the JSON array of its runs (as text).
 */
const backfillsTable = (s: string): Migration => ({
  version: 7,
  statements: [
    `create table ${s}.backfills (
      seq bigint generated always as identity,
      backfill_id text primary key,
      selection text not null,
      partitions text not null,
      policy text not null,
      asset_keys text not null,
      created_at double precision not null,
      status text not null,
      updated_at double precision not null,
      run_ids text not null,
      reason text,
      cancel_requested_at double precision
    )`,
    `create index backfills_by_seq on ${s}.backfills (seq)`
  ]
})

/**
 * Partition versions (`Instance.partitionVersions`): one row per segment of a
 * partitioned asset's partitions written by one materialization.
 */
const partitionVersionsTable = (s: string): Migration => ({
  version: 8,
  statements: [
    `create table ${s}.partition_versions (
      asset_key text not null,
      fingerprint text not null,
      start_index bigint not null,
      end_index bigint not null,
      event_id bigint not null,
      changed_at bigint not null,
      run_id text not null,
      code_version text not null,
      data_version text not null,
      input_versions text not null,
      primary key (asset_key, start_index)
    )`
  ]
})

/**
 * Dynamic partitions (`instance.dynamicPartitions`): one row per key of a
 * dynamic definition with the ordinal it was added with; a removed key keeps
 * its row (`removed`), so ordinals never move.
 */
const dynamicPartitionsTable = (s: string): Migration => ({
  version: 9,
  statements: [
    `create table ${s}.dynamic_partitions (
      name text not null,
      ordinal bigint not null,
      key text not null,
      removed boolean not null,
      primary key (name, ordinal)
    )`,
    `create unique index dynamic_partitions_present on ${s}.dynamic_partitions (name, key) where not removed`
  ]
})

/** Backfills that rebuild every requested partition, materialized or not. */
const backfillRebuild = (s: string): Migration => ({
  version: 10,
  statements: [`alter table ${s}.backfills add column rebuild boolean not null default false`]
})
