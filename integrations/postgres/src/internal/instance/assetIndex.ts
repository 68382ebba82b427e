/**
 * The asset index in Postgres: `asset_latest` (the latest materialization,
 * observation and failure of each asset, as JSON records), `asset_partitions`
 * (the latest materialization of each partition) and, for history, the
 * materialization events themselves.
 */
import type { Instance as InstanceModule } from "@strata/core"
import type { EventProjection } from "@strata/core/spi"
import { Effect } from "effect"
import type { PgConnection } from "../../PgClient.ts"
import type { PgInstanceContext } from "./context.ts"
import * as PartitionStatus from "./partitionStatus.ts"
import * as PartitionVersions from "./partitionVersions.ts"
import type { Part } from "./statements.ts"
import { decodeFailure, materializationOf, materializationRecordOf, observationRecordOf, withoutUndefined } from "./rows.ts"

type AssetRecord = InstanceModule.AssetRecord
type MaterializationRecord = InstanceModule.MaterializationRecord

type AssetRow = {
  readonly asset_key: string
  readonly materialization: unknown
  readonly observation: unknown
  readonly failure: unknown
}

const recordOf = (row: AssetRow): AssetRecord => {
  const record: { -readonly [K in keyof AssetRecord]: AssetRecord[K] } = { assetKey: row.asset_key }
  if (row.materialization !== null) record.materialization = materializationRecordOf(row.materialization)
  if (row.observation !== null) record.observation = observationRecordOf(row.observation)
  if (row.failure !== null) record.failure = withoutUndefined(decodeFailure(row.failure))
  return record
}

export class PgAssetIndex {
  private readonly x: PgInstanceContext

  constructor(context: PgInstanceContext) {
    this.x = context
  }

  /**
   * A batch's changes to `asset_latest` and `asset_partitions`, one upsert per table (set-based), as parts of the
   * append's statement ({@link combine}).
   */
  parts(delta: EventProjection.IndexDelta): Array<Part> {
    const s = this.x.s
    const parts: Array<Part> = []
    const assets = delta.assets
    if (assets.length > 0) {
      parts.push({
        sql: `insert into ${s}.asset_latest as a (asset_key, materialization_id, materialization, observation_id, observation, failure)
           select * from unnest($1::text[], $2::bigint[], $3::json[], $4::bigint[], $5::json[], $6::json[])
           on conflict (asset_key) do update set
             materialization_id = coalesce(excluded.materialization_id, a.materialization_id),
             materialization = coalesce(excluded.materialization, a.materialization),
             observation_id = coalesce(excluded.observation_id, a.observation_id),
             observation = coalesce(excluded.observation, a.observation),
             failure = case when excluded.failure is null then a.failure else excluded.failure end`,
        params: [
          assets.map((change) => change.assetKey),
          assets.map((change) => change.materialization?.eventId ?? null),
          assets.map((change) => change.materialization === undefined ? null : JSON.stringify(change.materialization)),
          assets.map((change) => change.observation?.eventId ?? null),
          assets.map((change) => change.observation === undefined ? null : JSON.stringify(change.observation)),
          // SQL NULL keeps the stored failure; JSON null clears it (and reads back as no failure)
          assets.map((change) => change.failure === undefined ? null : JSON.stringify(change.failure))
        ]
      })
    }
    const partitions = delta.partitions
    if (partitions.length > 0) {
      parts.push({
        sql: `insert into ${s}.asset_partitions as p (asset_key, partition, event_id, record)
           select * from unnest($1::text[], $2::text[], $3::bigint[], $4::json[])
           on conflict (asset_key, partition) do update set event_id = excluded.event_id, record = excluded.record`,
        params: [
          partitions.map((r) => r.assetKey),
          partitions.map((r) => r.partition!),
          partitions.map((r) => r.eventId),
          partitions.map((r) => JSON.stringify(r))
        ]
      })
    }
    return parts
  }

  /** A batch's changes to the partition status and versions (read, merged, written back under a per-asset lock). */
  applyPartitioned(connection: PgConnection, delta: EventProjection.IndexDelta) {
    const s = this.x.s
    return Effect.andThen(
      PartitionStatus.apply(connection, s, delta.partitionStatus),
      PartitionVersions.apply(connection, s, delta.partitionVersions)
    )
  }

  private assets(keys: ReadonlyArray<string> | undefined) {
    return this.x.client.query<AssetRow>(
      `select asset_key, materialization, observation, failure from ${this.x.s}.asset_latest` +
        (keys === undefined ? "" : " where asset_key = any($1::text[])"),
      keys === undefined ? [] : [[...keys]]
    ).pipe(Effect.map((rows) => new Map(rows.map((row) => [row.asset_key, recordOf(row)])) as ReadonlyMap<string, AssetRecord>))
  }

  private assetPage(query: InstanceModule.PageQuery | undefined) {
    const limit = Math.max(1, query?.limit ?? 100)
    return this.x.client.query<AssetRow>(
      `select asset_key, materialization, observation, failure from ${this.x.s}.asset_latest
       where asset_key collate "C" > $1 order by asset_key collate "C" limit $2`,
      [query?.after ?? "", limit + 1]
    ).pipe(Effect.map((rows): InstanceModule.Page<AssetRecord> => {
      const records = rows.slice(0, limit).map(recordOf)
      return rows.length > limit ? { records, next: records[records.length - 1]!.assetKey } : { records }
    }))
  }

  private partitionPage(assetKey: string, query: InstanceModule.PageQuery | undefined) {
    const limit = Math.max(1, query?.limit ?? 100)
    return this.x.client.query<{ partition: string; record: unknown }>(
      `select partition, record from ${this.x.s}.asset_partitions
       where asset_key = $1 and partition collate "C" > $2 order by partition collate "C" limit $3`,
      [assetKey, query?.after ?? "", limit + 1]
    ).pipe(Effect.map((rows): InstanceModule.Page<MaterializationRecord> => {
      const records = rows.slice(0, limit).map((row) => materializationRecordOf(row.record))
      return rows.length > limit ? { records, next: rows[limit - 1]!.partition } : { records }
    }))
  }

  private history(
    assetKey: string,
    query: { readonly partition?: string | undefined; readonly limit?: number | undefined; readonly before?: number | undefined } | undefined
  ) {
    const params: Array<unknown> = [assetKey]
    let sql = `select id, body from ${this.x.s}.events where type = 'asset-materialized' and asset_key = $1`
    if (query?.partition !== undefined) {
      params.push(query.partition)
      sql += ` and partition = $${params.length}`
    }
    if (query?.before !== undefined) {
      params.push(query.before)
      sql += ` and id < $${params.length}`
    }
    params.push(query?.limit ?? 100)
    sql += ` order by id desc limit $${params.length}`
    return this.x.client.query<{ id: string; body: unknown }>(sql, params).pipe(Effect.map((rows) => rows.map(materializationOf)))
  }

  private count(sql: string, params: Array<unknown>) {
    return this.x.client.query<{ n: string }>(sql, params).pipe(Effect.map((rows) => Number(rows[0]?.n ?? 0)))
  }

  domain(): InstanceModule.AssetIndex {
    const x = this.x
    const s = x.s
    return {
      assets: (keys) => x.wrap("assets")(this.assets(keys)),
      assetPage: (query) => x.wrap("assetPage")(this.assetPage(query)),
      assetCount: () => x.wrap("assetCount")(this.count(`select count(*) as n from ${s}.asset_latest`, [])),
      partitions: (assetKey) =>
        x.wrap("partitions")(
          x.client.query<{ partition: string; record: unknown }>(
            `select partition, record from ${s}.asset_partitions where asset_key = $1 order by event_id`,
            [assetKey]
          ).pipe(Effect.map((rows) => new Map(rows.map((row) => [row.partition, materializationRecordOf(row.record)]))))
        ),
      partitionPage: (assetKey, query) => x.wrap("partitionPage")(this.partitionPage(assetKey, query)),
      partitionCount: (assetKey) =>
        x.wrap("partitionCount")(this.count(`select count(*) as n from ${s}.asset_partitions where asset_key = $1`, [assetKey])),
      history: (assetKey, query) => x.wrap("history")(this.history(assetKey, query)),
      partitionStatus: (assetKey) => x.wrap("partitionStatus")(PartitionStatus.read(x.client.query, s, assetKey)),
      partitionVersions: (assetKey) => x.wrap("partitionVersions")(PartitionVersions.read(x.client.query, s, assetKey)),
      wipeAssets: (keys) =>
        x.wrap("wipeAssets")(x.client.transaction((connection) =>
          Effect.gen(function*() {
            const list = [...keys]
            yield* connection.query(`delete from ${s}.asset_latest where asset_key = any($1::text[])`, [list])
            yield* connection.query(`delete from ${s}.asset_partitions where asset_key = any($1::text[])`, [list])
            yield* connection.query(`delete from ${s}.check_latest where asset_key = any($1::text[])`, [list])
            yield* connection.query(`delete from ${s}.partition_status where asset_key = any($1::text[])`, [list])
            yield* connection.query(`delete from ${s}.partition_versions where asset_key = any($1::text[])`, [list])
            yield* connection.query(
              `delete from ${s}.events where type in ('asset-materialized', 'asset-observed', 'check-evaluated') and asset_key = any($1::text[])`,
              [list]
            )
          })
        ))
    }
  }
}
