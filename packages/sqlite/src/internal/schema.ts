/**
 * The database schema and its migrations.
 *
 * A Strata database is marked with `PRAGMA application_id` so that a foreign
 * SQLite file is recognised (and left alone) instead of being written into;
 * `PRAGMA user_version` is the schema version. Migration `n` takes the schema
 * from version `n` to `n + 1` and runs in one transaction with the version bump.
 */
import { Instance } from "@strata/core"
import type { Database } from "./database.ts"
import { rollback } from "./database.ts"

/** "STRA" in ASCII: marks a database as a Strata instance. */
export const APPLICATION_ID = 0x53545241

/**
 * Times are REAL milliseconds since the epoch: the interface takes any number,
 * and a double holds every integer millisecond exactly.
 *
 * `runs`: one row per run; `seq` orders runs by creation and is what events
 * point at (an integer is a smaller index key than a UUID).
 *
 * `events`: the append-only log. `id` is the cursor; AUTOINCREMENT so that
 * ids are never reused, even after the newest events were pruned. `body` is
 * the event as JSON (decoded with Schema when read).
 *
 * `materializations` / `observations`: one row per recorded event, for
 * history, dedupe (`UNIQUE (run_seq, asset_key, partition)`: steps are
 * idempotent) and retention. `partition` is '' for unpartitioned assets.
 *
 * `assets` / `asset_partitions`: the maintained "latest per asset /
 * partition" index, so that the catalog never scans history. The latest
 * failure is stored inline, so it survives pruning of the run that failed.
 */
const v1 = `
CREATE TABLE runs (
  seq INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  created_at REAL NOT NULL,
  started_at REAL,
  ended_at REAL,
  heartbeat_at REAL,
  reason TEXT,
  host TEXT,
  pid INTEGER,
  selection TEXT NOT NULL,
  partition TEXT,
  stale_only INTEGER NOT NULL,
  parent_run_id TEXT,
  asset_keys TEXT NOT NULL,
  tags TEXT NOT NULL
) STRICT;
CREATE INDEX runs_by_status ON runs (status, seq);

CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL
) STRICT;
CREATE INDEX events_by_run ON events (run_seq, id);

CREATE TABLE materializations (
  event_id INTEGER PRIMARY KEY,
  run_seq INTEGER NOT NULL,
  asset_key TEXT NOT NULL,
  partition TEXT NOT NULL,
  UNIQUE (run_seq, asset_key, partition)
) STRICT;
CREATE INDEX materializations_by_asset ON materializations (asset_key, event_id);
CREATE INDEX materializations_by_partition ON materializations (asset_key, partition, event_id);

CREATE TABLE observations (
  event_id INTEGER PRIMARY KEY,
  run_seq INTEGER NOT NULL,
  asset_key TEXT NOT NULL,
  partition TEXT NOT NULL
) STRICT;
CREATE INDEX observations_by_asset ON observations (asset_key, event_id);
CREATE INDEX observations_by_run ON observations (run_seq);

CREATE TABLE assets (
  asset_key TEXT PRIMARY KEY,
  materialization_id INTEGER,
  observation_id INTEGER,
  failure_id INTEGER,
  failure_run_id TEXT,
  failure_at REAL,
  failure_error TEXT
) STRICT, WITHOUT ROWID;

CREATE TABLE asset_partitions (
  asset_key TEXT NOT NULL,
  partition TEXT NOT NULL,
  materialization_id INTEGER NOT NULL,
  PRIMARY KEY (asset_key, partition)
) STRICT, WITHOUT ROWID;
`

/**
 * v2: cancel requests (`Instance.requestCancel`): when and by whom a run's
 * cancellation was asked; the executing process polls them.
 */
const v2 = `
ALTER TABLE runs ADD COLUMN cancel_requested_at REAL;
ALTER TABLE runs ADD COLUMN cancel_reason TEXT;
`

/**
 * Check results (`check-evaluated` events): `check_results` has one row per
 * result (history, retention, wiping; `partition` is '' when unpartitioned),
 * `check_latest` the latest result of each (asset, check, partition), so that
 * `latestChecks` never scans history.
 */
const checkResults = `
CREATE TABLE check_results (
  event_id INTEGER PRIMARY KEY,
  run_seq INTEGER NOT NULL,
  asset_key TEXT NOT NULL,
  check_name TEXT NOT NULL,
  partition TEXT NOT NULL
) STRICT;
CREATE INDEX check_results_by_asset ON check_results (asset_key, event_id);
CREATE INDEX check_results_by_check ON check_results (asset_key, check_name, partition, event_id);
CREATE INDEX check_results_by_run ON check_results (run_seq);

CREATE TABLE check_latest (
  asset_key TEXT NOT NULL,
  check_name TEXT NOT NULL,
  partition TEXT NOT NULL,
  event_id INTEGER NOT NULL,
  PRIMARY KEY (asset_key, check_name, partition)
) STRICT, WITHOUT ROWID;
`

/**
 * Partition status (`Instance.partitionStatus`): per partitioned asset, its
 * materialized / failed / in-progress partitions as index ranges, one row per
 * range, under the fingerprint of the definition the indexes belong to.
 */
const partitionStatusTable = `
CREATE TABLE partition_status (
  asset_key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  status TEXT NOT NULL,
  start INTEGER NOT NULL,
  end INTEGER NOT NULL,
  PRIMARY KEY (asset_key, status, start)
) WITHOUT ROWID;
`

/**
 * Automation (`instance.automation`): the daemon's lease, its ticks (one row
 * each; `seq` orders them, `tick_id` is the deterministic id that makes a
 * second record of the same tick a no-op), each tick's evaluations (one row
 * per evaluated asset, the result tree as JSON), the cursors and per-asset
 * states ticks carry, and the on/off switches.
 */
const automation = `
CREATE TABLE automation_leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  acquired_at REAL NOT NULL,
  expires_at REAL NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE automation_ticks (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  tick_id TEXT NOT NULL UNIQUE,
  origin TEXT NOT NULL,
  name TEXT NOT NULL,
  at REAL NOT NULL,
  scheduled_at REAL,
  status TEXT NOT NULL,
  reason TEXT,
  runs TEXT NOT NULL,
  evaluated INTEGER NOT NULL,
  requested INTEGER NOT NULL
) STRICT;
CREATE INDEX automation_ticks_by_name ON automation_ticks (origin, name, seq);
CREATE INDEX automation_ticks_by_status ON automation_ticks (status, seq);

CREATE TABLE automation_evaluations (
  tick_seq INTEGER NOT NULL,
  position INTEGER NOT NULL,
  asset_key TEXT NOT NULL,
  requested INTEGER NOT NULL,
  result TEXT NOT NULL,
  PRIMARY KEY (tick_seq, position)
) STRICT, WITHOUT ROWID;
CREATE INDEX automation_evaluations_by_asset ON automation_evaluations (asset_key, tick_seq);

CREATE TABLE automation_cursors (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT, WITHOUT ROWID;
CREATE TABLE automation_asset_states (asset_key TEXT PRIMARY KEY, state TEXT NOT NULL) STRICT, WITHOUT ROWID;
CREATE TABLE automation_switches (target TEXT PRIMARY KEY, enabled INTEGER NOT NULL, at REAL NOT NULL) STRICT, WITHOUT ROWID;
`

/**
 * Backfills (`instance.backfills`): one row per backfill; `seq` orders them by
 * creation, `run_ids` is the JSON array of the runs launched for it. Progress
 * is not stored: it is derived from `partition_status`.
 */
const backfillsTable = `
CREATE TABLE backfills (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  backfill_id TEXT NOT NULL UNIQUE,
  selection TEXT NOT NULL,
  partitions TEXT NOT NULL,
  policy TEXT NOT NULL,
  asset_keys TEXT NOT NULL,
  created_at REAL NOT NULL,
  status TEXT NOT NULL,
  updated_at REAL NOT NULL,
  run_ids TEXT NOT NULL,
  reason TEXT,
  cancel_requested_at REAL
) STRICT;
`

/**
 * Partition versions (`Instance.partitionVersions`): per partitioned asset,
 * one row per segment of partitions written by one materialization (what
 * per-partition staleness reads).
 */
const partitionVersionsTable = `
CREATE TABLE partition_versions (
  asset_key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  start INTEGER NOT NULL,
  end INTEGER NOT NULL,
  event_id INTEGER NOT NULL,
  changed_at INTEGER NOT NULL,
  run_id TEXT NOT NULL,
  code_version TEXT NOT NULL,
  data_version TEXT NOT NULL,
  input_versions TEXT NOT NULL,
  PRIMARY KEY (asset_key, start)
) STRICT, WITHOUT ROWID;
`

/**
 * Dynamic partitions (`instance.dynamicPartitions`): one row per key of a
 * `Partitions.dynamic(name)` definition, with the ordinal it was added with;
 * a removed key keeps its row (`removed = 1`), so ordinals never move.
 */
const dynamicPartitionsTable = `
CREATE TABLE dynamic_partitions (
  name TEXT NOT NULL,
  ordinal INTEGER NOT NULL,
  key TEXT NOT NULL,
  removed INTEGER NOT NULL,
  PRIMARY KEY (name, ordinal)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX dynamic_partitions_present ON dynamic_partitions (name, key) WHERE removed = 0;
`

/** Backfills that rebuild every requested partition, materialized or not (`rebuild = 1`). */
const backfillRebuild = `
ALTER TABLE backfills ADD COLUMN rebuild INTEGER NOT NULL DEFAULT 0;
`

/** Migration `n` takes the schema from version `n` to `n + 1`; released ones never change. */
export const migrations: ReadonlyArray<string> = [
  v1,
  v2,
  partitionStatusTable,
  automation,
  checkResults,
  backfillsTable,
  partitionVersionsTable,
  dynamicPartitionsTable,
  backfillRebuild
]

/** The schema version this code writes. */
export const SCHEMA_VERSION = migrations.length

const TABLES = [
  "asset_partitions",
  "assets",
  "automation_asset_states",
  "automation_cursors",
  "automation_evaluations",
  "automation_leases",
  "automation_switches",
  "automation_ticks",
  "backfills",
  "check_latest",
  "check_results",
  "dynamic_partitions",
  "events",
  "materializations",
  "observations",
  "partition_status",
  "partition_versions",
  "runs"
]

/** What a database file holds, as far as Strata is concerned. */
export type Inspection =
  | { readonly kind: "empty" }
  | { readonly kind: "strata"; readonly version: number }

/** The file is not (or no longer) a Strata instance; the message says it was left untouched. */
export const corrupt = (path: string, what: string) =>
  new Instance.InstanceError({
    operation: "open",
    reason: "corrupt",
    path,
    message: `${path} ${what}; it was left untouched. Move it away (or point Strata at another path), or run 'strata wipe' to start a new instance there`
  })

/**
 * Reads the markers of a database without writing anything; fails with
 * `corrupt` for a foreign database and `unsupported-version` for a newer one.
 */
export const inspect = (db: Database, path: string): Inspection | Instance.InstanceError => {
  const applicationId = (db.prepare("PRAGMA application_id").get() as { application_id: number }).application_id
  const version = (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version
  const tables = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as Array<{ name: string }>).map((row) => row.name)
  if (applicationId !== APPLICATION_ID) {
    if (applicationId === 0 && tables.length === 0 && version === 0) return { kind: "empty" }
    const shown = tables.slice(0, 5).join(", ") + (tables.length > 5 ? ", ..." : "")
    return corrupt(
      path,
      `is an SQLite database but not a Strata instance (application id ${applicationId}${tables.length > 0 ? `, tables ${shown}` : ""})`
    )
  }
  if (version > SCHEMA_VERSION) {
    return new Instance.InstanceError({
      operation: "open",
      reason: "unsupported-version",
      path,
      message: `${path} has schema version ${version}, written by a newer @strata/sqlite (this one reads up to version ${SCHEMA_VERSION}); upgrade @strata/sqlite, or point Strata at another path`
    })
  }
  if (version === SCHEMA_VERSION) {
    const missing = TABLES.filter((table) => !tables.includes(table))
    if (missing.length > 0) return corrupt(path, `is a Strata instance missing its tables ${missing.join(", ")}`)
  }
  return { kind: "strata", version }
}

/**
 * Brings the schema up to {@link SCHEMA_VERSION}. Runs in an immediate
 * transaction and re-reads the version inside it, so that two processes
 * opening a new database at once migrate it once.
 */
export const migrate = (db: Database, path: string): void | Instance.InstanceError => {
  db.exec("BEGIN IMMEDIATE")
  try {
    const inspection = inspect(db, path)
    if (inspection instanceof Instance.InstanceError) {
      rollback(db)
      return inspection
    }
    const from = inspection.kind === "empty" ? 0 : inspection.version
    for (let version = from; version < SCHEMA_VERSION; version++) db.exec(migrations[version]!)
    if (from < SCHEMA_VERSION) {
      db.exec(`PRAGMA application_id = ${APPLICATION_ID}`)
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`)
    }
    db.exec("COMMIT")
  } catch (error) {
    rollback(db)
    throw error
  }
}
