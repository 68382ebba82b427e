/** Rows of the Postgres instance's tables, decoded with Schema, never cast. */
import type { Instance as InstanceModule } from "@strata/core"
import { Event, Metadata } from "@strata/core"
import { materializationRecord } from "@strata/core/spi"
import { Schema } from "effect"

type StoredEvent = Event.StoredEvent
type RunRecord = InstanceModule.RunRecord
type MaterializationRecord = InstanceModule.MaterializationRecord

// ---------------------------------------------------------------------------
// Row schemas: what comes back from the database is decoded, never cast.

const Nullable = <S extends Schema.Top>(schema: S) => Schema.NullOr(schema)

const RunRow = Schema.Struct({
  run_id: Schema.String,
  selection: Schema.String,
  asset_keys: Schema.Array(Schema.String),
  partition: Nullable(Schema.String),
  stale_only: Schema.Boolean,
  parent_run_id: Nullable(Schema.String),
  tags: Schema.Record(Schema.String, Schema.String),
  created_at: Schema.Number,
  host: Nullable(Schema.String),
  pid: Nullable(Schema.Number),
  status: Schema.Literals(["queued", "started", "succeeded", "failed", "canceled"]),
  started_at: Nullable(Schema.Number),
  ended_at: Nullable(Schema.Number),
  reason: Nullable(Schema.String),
  heartbeat_at: Nullable(Schema.Number),
  cancel_requested_at: Nullable(Schema.Number),
  cancel_reason: Nullable(Schema.String)
})
const decodeRunRow = Schema.decodeUnknownSync(RunRow)
export const decodeCancelRow = Schema.decodeUnknownSync(Schema.Struct({
  cancel_requested_at: Nullable(Schema.Number),
  cancel_reason: Nullable(Schema.String)
}))
// pg parses json columns with JSON.parse, so bodies are JSON by construction (see the schema's docs)
const decodeStoredEvent = Schema.decodeUnknownSync(Event.StoredEventFromParsedJsonSchema)
const ErrorInfoRecord = Schema.Struct({
  eventId: Schema.Number,
  runId: Schema.String,
  timestamp: Schema.Number,
  error: Schema.Struct({
    tag: Schema.String,
    message: Schema.String,
    stack: Schema.optional(Schema.String),
    retryable: Schema.optional(Schema.Boolean)
  })
})
export const decodeFailure = Schema.decodeUnknownSync(ErrorInfoRecord)

export const runColumns =
  "run_id, selection, asset_keys, partition, stale_only, parent_run_id, tags, created_at, host, pid, status, started_at, ended_at, reason, heartbeat_at, cancel_requested_at, cancel_reason"

export const toRun = (row: unknown): RunRecord => {
  const r = decodeRunRow(row)
  return withoutUndefined({
    runId: r.run_id,
    selection: r.selection,
    assetKeys: r.asset_keys,
    partition: r.partition ?? undefined,
    staleOnly: r.stale_only,
    parentRunId: r.parent_run_id ?? undefined,
    tags: r.tags,
    createdAt: r.created_at,
    host: r.host ?? undefined,
    pid: r.pid ?? undefined,
    status: r.status,
    startedAt: r.started_at ?? undefined,
    endedAt: r.ended_at ?? undefined,
    reason: r.reason ?? undefined,
    heartbeatAt: r.heartbeat_at ?? undefined,
    cancelRequestedAt: r.cancel_requested_at ?? undefined,
    cancelReason: r.cancel_reason ?? undefined
  })
}

export const withoutUndefined = <A extends object>(value: A): A => {
  const out: Record<string, unknown> = {}
  for (const key in value) if (value[key] !== undefined) out[key] = value[key]
  return out as A
}

/** An event as stored: its JSON body (without `id`) plus the id column. */
export const toStored = (row: { readonly id: unknown; readonly body: unknown }): StoredEvent =>
  decodeStoredEvent(
    typeof row.body === "object" && row.body !== null ? { ...row.body, id: Number(row.id) } : row.body
  )

export const materializationOf = (row: { readonly id: unknown; readonly body: unknown }): MaterializationRecord => {
  const event = toStored(row)
  if (event.type !== "asset-materialized") throw new Error(`event ${event.id} is a ${event.type}, not a materialization`)
  return materializationRecord(event)
}

const ObservationJson = Schema.Struct({
  eventId: Schema.Number,
  runId: Schema.String,
  assetKey: Schema.String,
  partition: Schema.optional(Schema.String),
  timestamp: Schema.Number,
  metadata: Metadata.MetadataSchema,
  dataVersion: Schema.String
})
const MaterializationJson = Schema.Struct({
  ...ObservationJson.fields,
  codeVersion: Schema.String,
  inputVersions: Schema.Record(Schema.String, Schema.String)
})
const decodeMaterialization = Schema.decodeUnknownSync(MaterializationJson)
const decodeObservation = Schema.decodeUnknownSync(ObservationJson)

// Records keep a `partition` key (possibly undefined), like the in-memory reference.
export const materializationRecordOf = (json: unknown): MaterializationRecord => {
  const record = decodeMaterialization(json)
  return { ...record, partition: record.partition }
}
export const observationRecordOf = (json: unknown): InstanceModule.ObservationRecord => {
  const record = decodeObservation(json)
  return { ...record, partition: record.partition }
}

