/**
 * The backfill domain on SQLite (table `backfills`): one row per backfill,
 * its run ids as a JSON array. Updates read and write the row in one
 * immediate transaction, through core's shared rules (`BackfillStore.apply*`).
 */
import { BackfillStore, Instance } from "@strata/core"
import { Schema } from "effect"
import { Abort } from "../codec.ts"
import type { Connection } from "../connection.ts"

type Record = BackfillStore.BackfillRecord

interface Row {
  backfill_id: string
  selection: string
  partitions: string
  policy: string
  asset_keys: string
  created_at: number
  status: string
  updated_at: number
  run_ids: string
  reason: string | null
  cancel_requested_at: number | null
  rebuild: number
}

const decodeKeys = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Array(Schema.String)))
const STATUSES = new Set<string>(BackfillStore.STATUSES)

export class SqliteBackfills {
  private readonly c: Connection

  constructor(connection: Connection) {
    this.c = connection
  }

  private toRecord(row: Row, operation: string): Record {
    if (!STATUSES.has(row.status)) throw this.c.corrupt(operation, `${this.c.path}: backfill ${row.backfill_id} has status '${row.status}'`)
    let assetKeys: ReadonlyArray<string>
    let runIds: ReadonlyArray<string>
    try {
      assetKeys = decodeKeys(row.asset_keys)
      runIds = decodeKeys(row.run_ids)
    } catch {
      throw this.c.corrupt(operation, `${this.c.path}: backfill ${row.backfill_id} has unreadable asset keys or run ids`)
    }
    return {
      backfillId: row.backfill_id,
      selection: row.selection,
      partitions: row.partitions,
      policy: row.policy,
      ...(row.rebuild === 1 ? { rebuild: true as const } : {}),
      assetKeys,
      createdAt: row.created_at,
      status: row.status as BackfillStore.BackfillStatus,
      updatedAt: row.updated_at,
      runIds,
      ...(row.reason === null ? {} : { reason: row.reason }),
      ...(row.cancel_requested_at === null ? {} : { cancelRequestedAt: row.cancel_requested_at })
    }
  }

  private read(backfillId: string, operation: string): Record | undefined {
    const row = this.c.sql("SELECT * FROM backfills WHERE backfill_id = ?").get(backfillId) as Row | undefined
    return row === undefined ? undefined : this.toRecord(row, operation)
  }

  private write(record: Record): void {
    this.c.sql(
      `UPDATE backfills SET status = ?, updated_at = ?, run_ids = ?, reason = ?, cancel_requested_at = ? WHERE backfill_id = ?`
    ).run(record.status, record.updatedAt, JSON.stringify(record.runIds), record.reason ?? null, record.cancelRequestedAt ?? null, record.backfillId)
  }

  private change(operation: string, backfillId: string, apply: (record: Record) => Record, missing: "fail" | "undefined"): Record | undefined {
    return this.c.transaction(() => {
      const record = this.read(backfillId, operation)
      if (record === undefined) {
        if (missing === "undefined") return undefined
        throw new Abort(new Instance.InstanceError({
          operation,
          reason: "not-found",
          path: this.c.path,
          message: `backfill ${backfillId} does not exist; list them with 'strata backfills'`
        }))
      }
      const next = apply(record)
      if (next !== record) this.write(next)
      return next
    })
  }

  private create(backfill: BackfillStore.NewBackfill): Record {
    return this.c.transaction(() => {
      if (this.c.sql("SELECT 1 FROM backfills WHERE backfill_id = ?").get(backfill.backfillId) !== undefined) {
        throw new Abort(new Instance.InstanceError({
          operation: "createBackfill",
          reason: "invalid",
          path: this.c.path,
          message: `backfill ${backfill.backfillId} already exists`
        }))
      }
      this.c.sql(
        `INSERT INTO backfills (backfill_id, selection, partitions, policy, asset_keys, created_at, status, updated_at, run_ids, rebuild)
         VALUES (?, ?, ?, ?, ?, ?, 'requested', ?, '[]', ?)`
      ).run(
        backfill.backfillId,
        backfill.selection,
        backfill.partitions,
        backfill.policy,
        JSON.stringify(backfill.assetKeys),
        backfill.createdAt,
        backfill.createdAt,
        backfill.rebuild === true ? 1 : 0
      )
      return this.read(backfill.backfillId, "createBackfill")!
    })
  }

  domain(): BackfillStore.BackfillStore {
    const c = this.c
    return {
      create: (backfill) => c.attempt("createBackfill", () => this.create(backfill)),
      get: (backfillId) => c.attempt("backfill", () => this.read(backfillId, "backfill")),
      list: (query) =>
        c.attempt("backfills", () =>
          (c.sql("SELECT * FROM backfills ORDER BY seq DESC LIMIT ?").all(query?.limit ?? 50) as Array<Row>)
            .map((row) => this.toRecord(row, "backfills"))),
      addRun: (backfillId, runId, at) =>
        c.attempt("addBackfillRun", () =>
          this.change("addBackfillRun", backfillId, (record) => BackfillStore.applyRun(record, runId, at), "fail")!),
      setStatus: (backfillId, update) =>
        c.attempt("setBackfillStatus", () =>
          this.change("setBackfillStatus", backfillId, (record) => BackfillStore.applyStatus(record, update), "fail")!),
      requestCancel: (backfillId, at) =>
        c.attempt("cancelBackfill", () =>
          this.change("cancelBackfill", backfillId, (record) => BackfillStore.applyCancel(record, at), "undefined"))
    }
  }
}
