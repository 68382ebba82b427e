/**
 * The instance over one SQLite connection: every operation is synchronous
 * SQL with prepared statements, writes in one immediate transaction.
 */
import type { Event } from "@strata/core"
import { Instance } from "@strata/core"
import { materializationRecord, observationRecord, orphanedRunEnd, orphanedStepFailures, orphanReason } from "@strata/core/spi"
import { Effect } from "effect"
import { Abort, type AssetRow, decodeAssetRow, decodeError, decodeEvent, decodeRun, type RunRow } from "./codec.ts"
import type { Database, Statement } from "./database.ts"
import { returnArrays, rollback, toInstanceError } from "./database.ts"

type StrataEvent = Event.StrataEvent
type StoredEvent = Event.StoredEvent

const TERMINAL = "('succeeded', 'failed', 'canceled')"

export interface StoreOptions {
  readonly path: string
  readonly persistent: boolean
}

export const makeStore = (db: Database, options: StoreOptions): Instance.InstanceShape => {
  const path = options.path
  const statements = new Map<string, Statement>()
  const sql = (text: string): Statement => {
    let statement = statements.get(text)
    if (statement === undefined) {
      statement = db.prepare(text)
      statements.set(text, statement)
    }
    return statement
  }

  /** Runs `body` in an immediate transaction (the write lock is taken at BEGIN, not at the first write). */
  const transaction = <A>(body: () => A): A => {
    db.exec("BEGIN IMMEDIATE")
    try {
      const result = body()
      db.exec("COMMIT")
      return result
    } catch (error) {
      rollback(db)
      throw error
    }
  }

  const attempt = <A>(operation: string, body: () => A): Effect.Effect<A, Instance.InstanceError> =>
    Effect.try({
      try: body,
      catch: (error) => error instanceof Abort ? error.error : toInstanceError(operation, path, error)
    })

  // run ids never change their seq, so the write path looks them up once
  const runSeqs = new Map<string, number>()
  const selectRunSeq = sql("SELECT seq FROM runs WHERE run_id = ?")
  const runSeq = (runId: string): number | undefined => {
    let seq = runSeqs.get(runId)
    if (seq === undefined) {
      const row = selectRunSeq.get(runId) as { seq: number } | undefined
      if (row === undefined) return undefined
      seq = row.seq
      runSeqs.set(runId, seq)
    }
    return seq
  }

  const insertEvent = sql("INSERT INTO events (run_seq, type, body) VALUES (?, ?, ?)")
  const findMaterialization = sql(
    "SELECT 1 AS found FROM materializations WHERE run_seq = ? AND asset_key = ? AND partition = ?"
  )
  const insertMaterialization = sql(
    "INSERT INTO materializations (event_id, run_seq, asset_key, partition) VALUES (?, ?, ?, ?)"
  )
  const insertObservation = sql(
    "INSERT INTO observations (event_id, run_seq, asset_key, partition) VALUES (?, ?, ?, ?)"
  )
  const setLatestMaterialization = sql(
    `INSERT INTO assets (asset_key, materialization_id) VALUES (?, ?)
     ON CONFLICT (asset_key) DO UPDATE SET materialization_id = excluded.materialization_id,
       failure_id = NULL, failure_run_id = NULL, failure_at = NULL, failure_error = NULL`
  )
  const setLatestPartition = sql(
    `INSERT INTO asset_partitions (asset_key, partition, materialization_id) VALUES (?, ?, ?)
     ON CONFLICT (asset_key, partition) DO UPDATE SET materialization_id = excluded.materialization_id`
  )
  // a source observed again is no longer failed (a source has no materialization to clear it)
  const setLatestObservation = sql(
    `INSERT INTO assets (asset_key, observation_id) VALUES (?, ?)
     ON CONFLICT (asset_key) DO UPDATE SET observation_id = excluded.observation_id,
       failure_id = NULL, failure_run_id = NULL, failure_at = NULL, failure_error = NULL`
  )
  const setLatestFailure = sql(
    `INSERT INTO assets (asset_key, failure_id, failure_run_id, failure_at, failure_error) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (asset_key) DO UPDATE SET failure_id = excluded.failure_id, failure_run_id = excluded.failure_run_id,
       failure_at = excluded.failure_at, failure_error = excluded.failure_error`
  )
  const runStarted = sql(
    `UPDATE runs SET status = 'started', started_at = ?, heartbeat_at = ? WHERE seq = ? AND status NOT IN ${TERMINAL}`
  )
  const runEnded = sql(
    `UPDATE runs SET status = ?, ended_at = ?, reason = ? WHERE seq = ? AND status NOT IN ${TERMINAL}`
  )

  /** Writes a batch inside the caller's transaction. */
  const writeEvents = (events: ReadonlyArray<StrataEvent>): void => {
    const seqs = new Array<number>(events.length)
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!
      const seq = runSeq(event.runId)
      if (seq === undefined) {
        throw new Abort(
          new Instance.InstanceError({
            operation: "appendEvents",
            reason: "invalid",
            path,
            message: `event ${event.type} refers to run ${event.runId}, which does not exist; create the run first`
          })
        )
      }
      seqs[i] = seq
    }
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!
      const seq = seqs[i]!
      switch (event.type) {
        case "asset-materialized": {
          const partition = event.partition ?? ""
          if (findMaterialization.get(seq, event.assetKey, partition) !== undefined) continue
          const id = insertEvent.run(seq, event.type, JSON.stringify(event)).lastInsertRowid
          insertMaterialization.run(id, seq, event.assetKey, partition)
          if (event.partition === undefined) setLatestMaterialization.run(event.assetKey, id)
          else setLatestPartition.run(event.assetKey, event.partition, id)
          break
        }
        case "asset-observed": {
          const id = insertEvent.run(seq, event.type, JSON.stringify(event)).lastInsertRowid
          insertObservation.run(id, seq, event.assetKey, event.partition ?? "")
          if (event.partition === undefined) setLatestObservation.run(event.assetKey, id)
          break
        }
        case "step-failed": {
          const id = insertEvent.run(seq, event.type, JSON.stringify(event)).lastInsertRowid
          if (!event.willRetry && event.partition === undefined) {
            setLatestFailure.run(event.assetKey, id, event.runId, event.timestamp, JSON.stringify(event.error))
          }
          break
        }
        case "run-started":
          insertEvent.run(seq, event.type, JSON.stringify(event))
          runStarted.run(event.timestamp, event.timestamp, seq)
          break
        case "run-succeeded":
          insertEvent.run(seq, event.type, JSON.stringify(event))
          runEnded.run("succeeded", event.timestamp, null, seq)
          break
        case "run-failed":
          insertEvent.run(seq, event.type, JSON.stringify(event))
          runEnded.run("failed", event.timestamp, event.reason, seq)
          break
        case "run-canceled":
          insertEvent.run(seq, event.type, JSON.stringify(event))
          runEnded.run("canceled", event.timestamp, event.reason, seq)
          break
        default:
          insertEvent.run(seq, event.type, JSON.stringify(event))
      }
    }
  }

  const appendEvents = (events: ReadonlyArray<StrataEvent>) =>
    events.length === 0 ? Effect.void : attempt("appendEvents", () => transaction(() => writeEvents(events)))

  const decodeEvents = (rows: ReadonlyArray<unknown>, operation: string): Array<StoredEvent> => {
    const result = new Array<StoredEvent>(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as { id: number; body: string }
      result[i] = decodeEvent(row.id, row.body, path, operation)
    }
    return result
  }

  const decodeRuns = (rows: ReadonlyArray<unknown>): Array<Instance.RunRecord> =>
    rows.map((row) => decodeRun(row as RunRow, path))

  const insertRun = sql(
    `INSERT INTO runs (run_id, status, created_at, heartbeat_at, host, pid, selection, partition, stale_only,
       parent_run_id, asset_keys, tags)
     VALUES (?, 'queued', ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING`
  )
  const getRun = sql("SELECT * FROM runs WHERE run_id = ?")
  const heartbeat = sql("UPDATE runs SET heartbeat_at = ? WHERE run_id = ?")
  // the first request wins; a finished run is left alone (the caller then reads why)
  const requestCancel = sql(
    `UPDATE runs SET cancel_requested_at = ?, cancel_reason = ?
     WHERE run_id = ? AND cancel_requested_at IS NULL AND status NOT IN ${TERMINAL}`
  )
  const cancelRequest = sql("SELECT cancel_requested_at AS at, cancel_reason AS reason FROM runs WHERE run_id = ?")
  const runEventsAll = sql("SELECT id, body FROM events WHERE run_seq = ? AND id > ? ORDER BY id")
  const runEventsLimit = sql("SELECT id, body FROM events WHERE run_seq = ? AND id > ? ORDER BY id LIMIT ?")
  const eventsAll = sql("SELECT id, body FROM events WHERE id > ? ORDER BY id")
  const eventsLimit = sql("SELECT id, body FROM events WHERE id > ? ORDER BY id LIMIT ?")
  // in the order of assetRowColumns; the rows come back as arrays
  const assetColumns = `a.asset_key AS asset_key,
    m.id AS m_id, m.body AS m_body, o.id AS o_id, o.body AS o_body,
    a.failure_id AS f_id, a.failure_run_id AS f_run_id, a.failure_at AS f_at, a.failure_error AS f_error
    FROM assets a LEFT JOIN events m ON m.id = a.materialization_id LEFT JOIN events o ON o.id = a.observation_id`
  const assetsAll = returnArrays(db.prepare(`SELECT ${assetColumns} ORDER BY a.asset_key`))
  const assetsByKey = returnArrays(db.prepare(`SELECT ${assetColumns} WHERE a.asset_key IN (SELECT value FROM json_each(?))`))
  // the same columns without the event bodies, for when most records are already decoded
  const indexColumns = `a.asset_key, a.materialization_id, NULL, a.observation_id, NULL,
    a.failure_id, a.failure_run_id, a.failure_at, a.failure_error FROM assets a`
  const indexAll = returnArrays(db.prepare(`SELECT ${indexColumns} ORDER BY a.asset_key`))
  const indexByKey = returnArrays(db.prepare(`SELECT ${indexColumns} WHERE a.asset_key IN (SELECT value FROM json_each(?))`))
  const bodiesById = returnArrays(db.prepare("SELECT id, body FROM events WHERE id IN (SELECT value FROM json_each(?))"))
  const partitions = sql(
    `SELECT e.id AS id, e.body AS body FROM asset_partitions p
     JOIN events e ON e.id = p.materialization_id WHERE p.asset_key = ? ORDER BY p.partition`
  )
  const historyAll = sql(
    `SELECT e.id AS id, e.body AS body FROM materializations m JOIN events e ON e.id = m.event_id
     WHERE m.asset_key = ? AND m.event_id < ? ORDER BY m.event_id DESC LIMIT ?`
  )
  const historyPartition = sql(
    `SELECT e.id AS id, e.body AS body FROM materializations m JOIN events e ON e.id = m.event_id
     WHERE m.asset_key = ? AND m.partition = ? AND m.event_id < ? ORDER BY m.event_id DESC LIMIT ?`
  )
  const stepEvents = sql(
    `SELECT id, body FROM events
     WHERE run_seq = ? AND type IN ('step-started', 'step-succeeded', 'step-failed', 'step-skipped') ORDER BY id`
  )
  const activeRuns = sql("SELECT * FROM runs WHERE status IN ('queued', 'started') ORDER BY seq")

  const reap = (options: { readonly now: number; readonly heartbeatTimeoutMs: number; readonly host: string }) =>
    attempt("reapOrphanedRuns", () =>
      transaction(() => {
        const events: Array<StrataEvent> = []
        for (const run of decodeRuns(activeRuns.all())) {
          const reason = orphanReason(run, options)
          if (reason === undefined) continue
          const steps = decodeEvents(stepEvents.all(runSeq(run.runId)!), "reapOrphanedRuns")
          events.push(...orphanedStepFailures(steps, options.now, reason))
          events.push(orphanedRunEnd(run, options.now, reason))
        }
        writeEvents(events)
        return events.filter((event) => event.type === "run-failed" || event.type === "run-canceled").map((event) =>
          decodeRun(getRun.get(event.runId) as RunRow, path)
        )
      }))

  const keepIds = `(SELECT materialization_id FROM assets WHERE materialization_id IS NOT NULL
    UNION ALL SELECT observation_id FROM assets WHERE observation_id IS NOT NULL
    UNION ALL SELECT materialization_id FROM asset_partitions)`

  const prune = (options: Instance.PruneOptions) =>
    attempt("prune", () =>
      transaction(() => {
        let runs = 0
        let events = 0
        if (options.endedBefore !== undefined) {
          db.exec("CREATE TEMP TABLE IF NOT EXISTS prune_runs (seq INTEGER PRIMARY KEY)")
          db.exec("DELETE FROM prune_runs")
          sql(`INSERT INTO prune_runs SELECT seq FROM runs WHERE status IN ${TERMINAL} AND ifnull(ended_at, 0) < ?`)
            .run(options.endedBefore)
          events += Number(
            sql(`DELETE FROM events WHERE run_seq IN (SELECT seq FROM prune_runs) AND id NOT IN ${keepIds}`).run().changes
          )
          sql(`DELETE FROM materializations WHERE run_seq IN (SELECT seq FROM prune_runs) AND event_id NOT IN ${keepIds}`)
            .run()
          sql(`DELETE FROM observations WHERE run_seq IN (SELECT seq FROM prune_runs) AND event_id NOT IN ${keepIds}`).run()
          runs = Number(sql("DELETE FROM runs WHERE seq IN (SELECT seq FROM prune_runs)").run().changes)
          db.exec("DELETE FROM prune_runs")
          runSeqs.clear()
        }
        if (options.keepMaterializationsPerAsset !== undefined) {
          db.exec("CREATE TEMP TABLE IF NOT EXISTS prune_events (id INTEGER PRIMARY KEY)")
          db.exec("DELETE FROM prune_events")
          sql(
            `INSERT INTO prune_events SELECT event_id FROM (
               SELECT event_id, row_number() OVER (PARTITION BY asset_key, partition ORDER BY event_id DESC) AS rank
               FROM materializations)
             WHERE rank > ? AND event_id NOT IN ${keepIds}`
          ).run(Math.max(0, Math.floor(options.keepMaterializationsPerAsset)))
          events += Number(sql("DELETE FROM events WHERE id IN (SELECT id FROM prune_events)").run().changes)
          sql("DELETE FROM materializations WHERE event_id IN (SELECT id FROM prune_events)").run()
          db.exec("DELETE FROM prune_events")
        }
        return { runs, events }
      }))

  const wipeAssets = (assetKeys: ReadonlyArray<string>) =>
    assetKeys.length === 0 ? Effect.void : attempt("wipeAssets", () =>
      transaction(() => {
        const keys = JSON.stringify(assetKeys)
        const selected = "(SELECT value FROM json_each(?))"
        sql(`DELETE FROM events WHERE id IN (SELECT event_id FROM materializations WHERE asset_key IN ${selected})`).run(keys)
        sql(`DELETE FROM events WHERE id IN (SELECT event_id FROM observations WHERE asset_key IN ${selected})`).run(keys)
        sql(`DELETE FROM materializations WHERE asset_key IN ${selected}`).run(keys)
        sql(`DELETE FROM observations WHERE asset_key IN ${selected}`).run(keys)
        sql(`DELETE FROM assets WHERE asset_key IN ${selected}`).run(keys)
        sql(`DELETE FROM asset_partitions WHERE asset_key IN ${selected}`).run(keys)
        for (const key of assetKeys) {
          latestMaterializations.delete(key)
          latestObservations.delete(key)
        }
      }))

  const latestEvent = <T extends "asset-materialized" | "asset-observed">(id: number, body: string, type: T) => {
    const event = decodeEvent(id, body, path, "assets")
    if (event.type !== type) {
      throw new Abort(
        new Instance.InstanceError({
          operation: "assets",
          reason: "corrupt",
          path,
          message: `${path}: the asset index points at event ${id}, a ${event.type} event, where an ${type} event belongs; the database was changed outside Strata or is damaged. Move it away, or run 'strata wipe' to start a new instance`
        })
      )
    }
    return event as Extract<StoredEvent, { readonly type: T }>
  }

  // The latest materialization and observation of each asset, decoded, by asset key. Events never
  // change and their ids are never reused (AUTOINCREMENT), so a record stays right for as long as the
  // index points at its event: once an asset's record is here, `assets` reads only the index and the
  // events that are new since (written by any process). Bounded by the number of assets.
  const latestMaterializations = new Map<string, Instance.MaterializationRecord>()
  const latestObservations = new Map<string, Instance.ObservationRecord>()

  const failureOf = (row: AssetRow): Instance.AssetRecord["failure"] => {
    const fId = row[5], fRunId = row[6], fAt = row[7], fError = row[8]
    return fId === null || fRunId === null || fAt === null || fError === null
      ? undefined
      : { eventId: fId, runId: fRunId, timestamp: fAt, error: decodeError(fError, path) }
  }

  // The records of index rows, reusing those decoded before; `bodyOf` gives the body of an event a row
  // names whose record is not decoded yet.
  const recordsOf = (
    rows: ReadonlyArray<AssetRow>,
    bodyOf: (row: AssetRow, id: number) => string
  ): Map<string, Instance.AssetRecord> => {
    const result = new Map<string, Instance.AssetRecord>()
    for (const row of rows) {
      // indexed reads, not destructuring: this runs 10,000 times per staleness pass, mostly not yet optimized
      const key = row[0], mId = row[1], oId = row[3]
      let materialization = mId === null ? undefined : latestMaterializations.get(key)
      if (mId !== null && materialization?.eventId !== mId) {
        materialization = materializationRecord(latestEvent(mId, bodyOf(row, mId), "asset-materialized"))
        latestMaterializations.set(key, materialization)
      }
      let observation = oId === null ? undefined : latestObservations.get(key)
      if (oId !== null && observation?.eventId !== oId) {
        observation = observationRecord(latestEvent(oId, bodyOf(row, oId), "asset-observed"))
        latestObservations.set(key, observation)
      }
      result.set(key, { assetKey: key, materialization, observation, failure: failureOf(row) })
    }
    return result
  }

  // One query joining the index with every latest event: the fastest way when few records are decoded yet.
  // The ids are the joined events' own, so a row's bodies are there for its ids.
  const readJoined = (keys: ReadonlyArray<string> | undefined): Map<string, Instance.AssetRecord> =>
    recordsOf(
      (keys === undefined ? assetsAll.all() : assetsByKey.all(JSON.stringify(keys))).map((raw) => decodeAssetRow(raw, path)),
      (row, id) => (id === row[1] ? row[2] : row[4])!
    )

  // The index alone, then the bodies of the latest events not decoded yet, in one read transaction
  // (so that no event the index names is pruned in between).
  const readIndexed = (keys: ReadonlyArray<string> | undefined): Map<string, Instance.AssetRecord> => {
    db.exec("BEGIN")
    let rows: Array<AssetRow>
    const bodies = new Map<number, string>()
    try {
      rows = (keys === undefined ? indexAll.all() : indexByKey.all(JSON.stringify(keys))).map((raw) => decodeAssetRow(raw, path))
      const missing: Array<number> = []
      for (const row of rows) {
        const key = row[0], mId = row[1], oId = row[3]
        if (mId !== null && latestMaterializations.get(key)?.eventId !== mId) missing.push(mId)
        if (oId !== null && latestObservations.get(key)?.eventId !== oId) missing.push(oId)
      }
      if (missing.length > 0) {
        for (const raw of bodiesById.all(JSON.stringify(missing))) {
          const [id, body] = raw as unknown as [unknown, unknown]
          if (typeof id === "number" && typeof body === "string") bodies.set(id, body)
        }
      }
      db.exec("COMMIT")
    } catch (error) {
      rollback(db)
      throw error
    }
    return recordsOf(rows, (_, id) => {
      const body = bodies.get(id)
      if (body !== undefined) return body
      throw new Abort(
        new Instance.InstanceError({
          operation: "assets",
          reason: "corrupt",
          path,
          message: `${path}: the asset index points at event ${id}, which does not exist; the database was changed outside Strata or is damaged. Move it away, or run 'strata wipe' to start a new instance`
        })
      )
    })
  }

  return {
    capabilities: { persistent: options.persistent, multiProcess: options.persistent },
    describe: `sqlite ${path}`,
    createRun: (run) =>
      attempt("createRun", () => {
        const result = insertRun.run(
          run.runId,
          run.createdAt,
          run.host ?? null,
          run.pid ?? null,
          run.selection,
          run.partition ?? null,
          run.staleOnly ? 1 : 0,
          run.parentRunId ?? null,
          JSON.stringify(run.assetKeys),
          JSON.stringify(run.tags)
        )
        if (Number(result.changes) === 0) {
          throw new Abort(
            new Instance.InstanceError({
              operation: "createRun",
              reason: "invalid",
              path,
              message: `run ${run.runId} already exists`
            })
          )
        }
        return { ...run, status: "queued" as const }
      }),
    appendEvents,
    heartbeat: (runId, at) => attempt("heartbeat", () => void heartbeat.run(at, runId)),
    requestCancel: (runId, request) =>
      Effect.flatMap(
        attempt("requestCancel", () =>
          transaction(() => {
            requestCancel.run(request.at, request.reason ?? null, runId)
            const row = getRun.get(runId)
            return row === undefined ? undefined : decodeRun(row as RunRow, path)
          })),
        (run): Effect.Effect<Instance.RunRecord, Instance.CancelRequestError> => {
          const refusal = Instance.cancelRefusal(runId, run)
          return refusal === undefined ? Effect.succeed(run!) : Effect.fail(refusal)
        }
      ),
    cancelRequest: (runId) =>
      attempt("cancelRequest", () => {
        const row = cancelRequest.get(runId) as { at: unknown; reason: unknown } | undefined
        if (row === undefined || row.at === null) return undefined
        if (typeof row.at !== "number" || (row.reason !== null && typeof row.reason !== "string")) {
          throw new Abort(
            new Instance.InstanceError({
              operation: "cancelRequest",
              reason: "corrupt",
              path,
              message: `${path}: the cancel request of run ${runId} does not decode; the database was changed outside Strata or is damaged`
            })
          )
        }
        return row.reason === null ? { at: row.at } : { at: row.at, reason: row.reason }
      }),
    getRun: (runId) =>
      attempt("getRun", () => {
        const row = getRun.get(runId)
        return row === undefined ? undefined : decodeRun(row as RunRow, path)
      }),
    listRuns: (query) =>
      attempt("listRuns", () => {
        const statuses = query?.status === undefined ? undefined : typeof query.status === "string" ? [query.status] : query.status
        const where: Array<string> = []
        const parameters: Array<string | number> = []
        if (statuses !== undefined && statuses.length === 1) {
          // equality walks runs_by_status in seq order: no sort of every run with that status
          where.push("status = ?")
          parameters.push(statuses[0]!)
        } else if (statuses !== undefined) {
          where.push("status IN (SELECT value FROM json_each(?))")
          parameters.push(JSON.stringify(statuses))
        }
        if (query?.before !== undefined) {
          where.push("seq < (SELECT seq FROM runs WHERE run_id = ?)")
          parameters.push(query.before)
        }
        parameters.push(query?.limit ?? 50)
        const text = `SELECT * FROM runs ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`
        return decodeRuns(sql(text).all(...parameters))
      }),
    runEvents: (runId, query) =>
      attempt("runEvents", () => {
        const seq = runSeq(runId)
        if (seq === undefined) return []
        const after = query?.after ?? 0
        const rows = query?.limit === undefined ? runEventsAll.all(seq, after) : runEventsLimit.all(seq, after, query.limit)
        return decodeEvents(rows, "runEvents")
      }),
    events: (query) =>
      attempt("events", () => {
        const after = query?.after ?? 0
        const rows = query?.limit === undefined ? eventsAll.all(after) : eventsLimit.all(after, query.limit)
        return decodeEvents(rows, "events")
      }),
    assets: (keys) =>
      attempt("assets", () => {
        const known = latestMaterializations.size + latestObservations.size
        // the joined read when most of what is asked is not decoded yet
        return known < (keys?.length ?? 1) / 2 ? readJoined(keys) : readIndexed(keys)
      }),
    partitions: (assetKey) =>
      attempt("partitions", () => {
        const result = new Map<string, Instance.MaterializationRecord>()
        for (const row of partitions.all(assetKey) as Array<{ id: number; body: string }>) {
          const event = decodeEvent(row.id, row.body, path, "partitions") as Event.AssetMaterialized & { id: number }
          // the partition comes from the Schema-decoded event, not from the raw column
          result.set(event.partition ?? "", materializationRecord(event))
        }
        return result
      }),
    history: (assetKey, query) =>
      attempt("history", () => {
        const before = query?.before ?? Number.MAX_SAFE_INTEGER
        const limit = query?.limit ?? 100
        const rows = query?.partition === undefined
          ? historyAll.all(assetKey, before, limit)
          : historyPartition.all(assetKey, query.partition, before, limit)
        return decodeEvents(rows, "history").map((event) =>
          materializationRecord(event as Event.AssetMaterialized & { id: number })
        )
      }),
    reapOrphanedRuns: reap,
    prune,
    wipeAssets
  }
}
