/**
 * The asset index on SQLite: `assets` (latest materialization, observation and
 * failure per asset, as event ids), `asset_partitions` (latest materialization
 * per partition), and the `materializations`/`observations` history tables.
 */
import type { Event } from "@strata/core"
import type { EventProjection } from "@strata/core/spi"
import { Instance } from "@strata/core"
import { materializationRecord, observationRecord } from "@strata/core/spi"
import { type AssetRow, decodeAssetRow, decodeError, decodeEvent } from "../codec.ts"
import type { Connection } from "../connection.ts"
import type { Statement } from "../database.ts"
import { returnArrays, rollback } from "../database.ts"
import * as PartitionStatus from "./partitionStatus.ts"
import * as PartitionVersions from "./partitionVersions.ts"

type StoredEvent = Event.StoredEvent

// in the order of assetRowColumns; the rows come back as arrays
const assetColumns = `a.asset_key AS asset_key,
  m.id AS m_id, m.body AS m_body, o.id AS o_id, o.body AS o_body,
  a.failure_id AS f_id, a.failure_run_id AS f_run_id, a.failure_at AS f_at, a.failure_error AS f_error
  FROM assets a LEFT JOIN events m ON m.id = a.materialization_id LEFT JOIN events o ON o.id = a.observation_id`
// the same columns without the event bodies, for when most records are already decoded
const indexColumns = `a.asset_key, a.materialization_id, NULL, a.observation_id, NULL,
  a.failure_id, a.failure_run_id, a.failure_at, a.failure_error FROM assets a`

const noBodies = "the database was changed outside Strata or is damaged. Move it away, or run 'strata wipe' to start a new instance"

export class SqliteAssetIndex {
  private readonly c: Connection
  private readonly assetsAll: Statement
  private readonly assetsByKey: Statement
  private readonly assetsAfter: Statement
  private readonly indexAll: Statement
  private readonly indexByKey: Statement
  private readonly bodiesById: Statement
  // The latest materialization and observation of each asset, decoded, by asset key. Events never
  // change and their ids are never reused (AUTOINCREMENT), so a record stays right for as long as the
  // index points at its event: once an asset's record is here, `assets` reads only the index and the
  // events that are new since (written by any process). Bounded by the number of assets.
  private readonly latestMaterializations = new Map<string, Instance.MaterializationRecord>()
  private readonly latestObservations = new Map<string, Instance.ObservationRecord>()

  constructor(connection: Connection) {
    this.c = connection
    const db = connection.db
    this.assetsAll = returnArrays(db.prepare(`SELECT ${assetColumns} ORDER BY a.asset_key`))
    this.assetsByKey = returnArrays(db.prepare(`SELECT ${assetColumns} WHERE a.asset_key IN (SELECT value FROM json_each(?))`))
    this.assetsAfter = returnArrays(db.prepare(`SELECT ${assetColumns} WHERE a.asset_key > ? ORDER BY a.asset_key LIMIT ?`))
    this.indexAll = returnArrays(db.prepare(`SELECT ${indexColumns} ORDER BY a.asset_key`))
    this.indexByKey = returnArrays(db.prepare(`SELECT ${indexColumns} WHERE a.asset_key IN (SELECT value FROM json_each(?))`))
    this.bodiesById = returnArrays(db.prepare("SELECT id, body FROM events WHERE id IN (SELECT value FROM json_each(?))"))
  }

  /** A batch's changes, inside the caller's transaction (after its events are stored). */
  apply(delta: EventProjection.IndexDelta, runSeq: (runId: string) => number): void {
    // failure: 0 unchanged, 1 cleared, 2 set
    const upsert = this.c.sql(
      `INSERT INTO assets (asset_key, materialization_id, observation_id, failure_id, failure_run_id, failure_at, failure_error)
       VALUES (?1, ?2, ?3, CASE WHEN ?4 = 2 THEN ?5 END, CASE WHEN ?4 = 2 THEN ?6 END, CASE WHEN ?4 = 2 THEN ?7 END, CASE WHEN ?4 = 2 THEN ?8 END)
       ON CONFLICT (asset_key) DO UPDATE SET
         materialization_id = coalesce(?2, materialization_id), observation_id = coalesce(?3, observation_id),
         failure_id = CASE ?4 WHEN 0 THEN failure_id WHEN 1 THEN NULL ELSE ?5 END,
         failure_run_id = CASE ?4 WHEN 0 THEN failure_run_id WHEN 1 THEN NULL ELSE ?6 END,
         failure_at = CASE ?4 WHEN 0 THEN failure_at WHEN 1 THEN NULL ELSE ?7 END,
         failure_error = CASE ?4 WHEN 0 THEN failure_error WHEN 1 THEN NULL ELSE ?8 END`
    )
    // the usual change, a materialization that clears the failure, binds 2 values instead of 8
    const materialized = this.c.sql(
      `INSERT INTO assets (asset_key, materialization_id) VALUES (?, ?)
       ON CONFLICT (asset_key) DO UPDATE SET materialization_id = excluded.materialization_id,
         failure_id = NULL, failure_run_id = NULL, failure_at = NULL, failure_error = NULL`
    )
    for (const change of delta.assets) {
      const failure = change.failure
      if (failure === null && change.materialization !== undefined && change.observation === undefined) {
        materialized.run(change.assetKey, change.materialization.eventId)
        continue
      }
      upsert.run(
        change.assetKey,
        change.materialization?.eventId ?? null,
        change.observation?.eventId ?? null,
        failure === undefined ? 0 : failure === null ? 1 : 2,
        failure?.eventId ?? null,
        failure?.runId ?? null,
        failure?.timestamp ?? null,
        failure === undefined || failure === null ? null : JSON.stringify(failure.error)
      )
    }
    const partition = this.c.sql(
      `INSERT INTO asset_partitions (asset_key, partition, materialization_id) VALUES (?, ?, ?)
       ON CONFLICT (asset_key, partition) DO UPDATE SET materialization_id = excluded.materialization_id`
    )
    for (const record of delta.partitions) partition.run(record.assetKey, record.partition!, record.eventId)
    const materialization = this.c.sql("INSERT INTO materializations (event_id, run_seq, asset_key, partition) VALUES (?, ?, ?, ?)")
    for (const r of delta.materializations) materialization.run(r.eventId, runSeq(r.runId), r.assetKey, r.partition ?? "")
    const observation = this.c.sql("INSERT INTO observations (event_id, run_seq, asset_key, partition) VALUES (?, ?, ?, ?)")
    for (const r of delta.observations) observation.run(r.eventId, runSeq(r.runId), r.assetKey, r.partition ?? "")
    PartitionStatus.apply(this.c, delta.partitionStatus)
    PartitionVersions.apply(this.c, delta.partitionVersions)
  }

  /** Whether (run, asset, partition) is already materialized: a step delivered twice records once. */
  isMaterialized(runSeq: number, assetKey: string, partition: string | undefined): boolean {
    return this.c.sql("SELECT 1 AS found FROM materializations WHERE run_seq = ? AND asset_key = ? AND partition = ?")
      .get(runSeq, assetKey, partition ?? "") !== undefined
  }

  /** Forgets decoded records of wiped assets. */
  forget(keys: ReadonlyArray<string>): void {
    for (const key of keys) {
      this.latestMaterializations.delete(key)
      this.latestObservations.delete(key)
    }
  }

  private latestEvent<T extends "asset-materialized" | "asset-observed">(id: number, body: string, type: T) {
    const event = decodeEvent(id, body, this.c.path, "assets")
    if (event.type !== type) {
      throw this.c.corrupt(
        "assets",
        `${this.c.path}: the asset index points at event ${id}, a ${event.type} event, where an ${type} event belongs; ${noBodies}`
      )
    }
    return event as Extract<StoredEvent, { readonly type: T }>
  }

  private failureOf(row: AssetRow): Instance.AssetRecord["failure"] {
    const fId = row[5], fRunId = row[6], fAt = row[7], fError = row[8]
    return fId === null || fRunId === null || fAt === null || fError === null
      ? undefined
      : { eventId: fId, runId: fRunId, timestamp: fAt, error: decodeError(fError, this.c.path) }
  }

  // The records of index rows, reusing those decoded before; `bodyOf` gives the body of an event a row
  // names whose record is not decoded yet.
  private recordsOf(rows: ReadonlyArray<AssetRow>, bodyOf: (row: AssetRow, id: number) => string): Map<string, Instance.AssetRecord> {
    const result = new Map<string, Instance.AssetRecord>()
    for (const row of rows) {
      // indexed reads, not destructuring: this runs 10,000 times per staleness pass, mostly not yet optimized
      const key = row[0], mId = row[1], oId = row[3]
      let materialization = mId === null ? undefined : this.latestMaterializations.get(key)
      if (mId !== null && materialization?.eventId !== mId) {
        materialization = materializationRecord(this.latestEvent(mId, bodyOf(row, mId), "asset-materialized"))
        this.latestMaterializations.set(key, materialization)
      }
      let observation = oId === null ? undefined : this.latestObservations.get(key)
      if (oId !== null && observation?.eventId !== oId) {
        observation = observationRecord(this.latestEvent(oId, bodyOf(row, oId), "asset-observed"))
        this.latestObservations.set(key, observation)
      }
      result.set(key, { assetKey: key, materialization, observation, failure: this.failureOf(row) })
    }
    return result
  }

  // One query joining the index with every latest event: the fastest way when few records are decoded yet.
  // The ids are the joined events' own, so a row's bodies are there for its ids.
  private readJoined(rows: ReadonlyArray<unknown>): Map<string, Instance.AssetRecord> {
    return this.recordsOf(rows.map((raw) => decodeAssetRow(raw, this.c.path)), (row, id) => (id === row[1] ? row[2] : row[4])!)
  }

  // The index alone, then the bodies of the latest events not decoded yet, in one read transaction
  // (so that no event the index names is pruned in between).
  private readIndexed(keys: ReadonlyArray<string> | undefined): Map<string, Instance.AssetRecord> {
    const c = this.c
    c.db.exec("BEGIN")
    let rows: Array<AssetRow>
    const bodies = new Map<number, string>()
    try {
      rows = (keys === undefined ? this.indexAll.all() : this.indexByKey.all(JSON.stringify(keys))).map((raw) => decodeAssetRow(raw, c.path))
      const missing: Array<number> = []
      for (const row of rows) {
        const key = row[0], mId = row[1], oId = row[3]
        if (mId !== null && this.latestMaterializations.get(key)?.eventId !== mId) missing.push(mId)
        if (oId !== null && this.latestObservations.get(key)?.eventId !== oId) missing.push(oId)
      }
      if (missing.length > 0) {
        for (const raw of this.bodiesById.all(JSON.stringify(missing))) {
          const [id, body] = raw as unknown as [unknown, unknown]
          if (typeof id === "number" && typeof body === "string") bodies.set(id, body)
        }
      }
      c.db.exec("COMMIT")
    } catch (error) {
      rollback(c.db)
      throw error
    }
    return this.recordsOf(rows, (_, id) => {
      const body = bodies.get(id)
      if (body !== undefined) return body
      throw c.corrupt("assets", `${c.path}: the asset index points at event ${id}, which does not exist; ${noBodies}`)
    })
  }

  private materializations(rows: ReadonlyArray<unknown>, operation: string): Array<Instance.MaterializationRecord> {
    return (rows as Array<{ id: number; body: string }>).map((row) =>
      materializationRecord(decodeEvent(row.id, row.body, this.c.path, operation) as Event.AssetMaterialized & { id: number })
    )
  }

  private partitionPage(assetKey: string, query: Instance.PageQuery | undefined): Instance.Page<Instance.MaterializationRecord> {
    const limit = Math.max(1, query?.limit ?? 100)
    const rows = this.c.sql(
      `SELECT e.id AS id, e.body AS body FROM asset_partitions p JOIN events e ON e.id = p.materialization_id
       WHERE p.asset_key = ? AND p.partition > ? ORDER BY p.partition LIMIT ?`
    ).all(assetKey, query?.after ?? "", limit + 1)
    const records = this.materializations(rows.slice(0, limit), "partitionPage")
    return rows.length > limit ? { records, next: records[records.length - 1]!.partition } : { records }
  }

  private assetPage(query: Instance.PageQuery | undefined): Instance.Page<Instance.AssetRecord> {
    const limit = Math.max(1, query?.limit ?? 100)
    // "" sorts before every key, so it means "from the start"
    const rows = this.assetsAfter.all(query?.after ?? "", limit + 1)
    const records = [...this.readJoined(rows.slice(0, limit)).values()]
    return rows.length > limit ? { records, next: records[records.length - 1]!.assetKey } : { records }
  }

  private history(
    assetKey: string,
    query: { readonly partition?: string | undefined; readonly limit?: number | undefined; readonly before?: number | undefined } | undefined
  ) {
    const before = query?.before ?? Number.MAX_SAFE_INTEGER
    const limit = query?.limit ?? 100
    const rows = query?.partition === undefined
      ? this.c.sql(
        `SELECT e.id AS id, e.body AS body FROM materializations m JOIN events e ON e.id = m.event_id
         WHERE m.asset_key = ? AND m.event_id < ? ORDER BY m.event_id DESC LIMIT ?`
      ).all(assetKey, before, limit)
      : this.c.sql(
        `SELECT e.id AS id, e.body AS body FROM materializations m JOIN events e ON e.id = m.event_id
         WHERE m.asset_key = ? AND m.partition = ? AND m.event_id < ? ORDER BY m.event_id DESC LIMIT ?`
      ).all(assetKey, query.partition, before, limit)
    return this.materializations(rows, "history")
  }

  domain(): Omit<Instance.AssetIndex, "wipeAssets"> {
    const c = this.c
    return {
      assets: (keys) =>
        c.attempt("assets", () => {
          const known = this.latestMaterializations.size + this.latestObservations.size
          // the joined read when most of what is asked is not decoded yet
          if (known >= (keys?.length ?? 1) / 2) return this.readIndexed(keys)
          return this.readJoined(keys === undefined ? this.assetsAll.all() : this.assetsByKey.all(JSON.stringify(keys)))
        }),
      assetPage: (query) => c.attempt("assetPage", () => this.assetPage(query)),
      assetCount: () => c.attempt("assetCount", () => Number((c.sql("SELECT count(*) AS n FROM assets").get() as { n: number }).n)),
      partitions: (assetKey) =>
        c.attempt("partitions", () => {
          const rows = c.sql(
            `SELECT e.id AS id, e.body AS body FROM asset_partitions p
             JOIN events e ON e.id = p.materialization_id WHERE p.asset_key = ? ORDER BY p.partition`
          ).all(assetKey)
          // the partition comes from the Schema-decoded event, not from the raw column
          return new Map(this.materializations(rows, "partitions").map((record) => [record.partition ?? "", record]))
        }),
      partitionPage: (assetKey, query) => c.attempt("partitionPage", () => this.partitionPage(assetKey, query)),
      partitionCount: (assetKey) =>
        c.attempt("partitionCount", () =>
          Number((c.sql("SELECT count(*) AS n FROM asset_partitions WHERE asset_key = ?").get(assetKey) as { n: number }).n)),
      history: (assetKey, query) => c.attempt("history", () => this.history(assetKey, query)),
      partitionStatus: (assetKey) => c.attempt("partitionStatus", () => PartitionStatus.read(c, assetKey)),
      partitionVersions: (assetKey) => c.attempt("partitionVersions", () => PartitionVersions.read(c, assetKey))
    }
  }
}
