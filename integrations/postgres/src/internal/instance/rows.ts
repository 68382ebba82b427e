/** Rows of the Postgres instance's tables, decoded with Schema, never cast. */
import type { Instance as InstanceModule } from "@strata/core"
import { Event, Instance as InstanceValues, Metadata } from "@strata/core"
import { materializationRecord } from "@strata/core/spi"
import { Schema } from "effect"

type StoredEvent = Event.StoredEvent
type RunRecord = InstanceModule.RunRecord
type MaterializationRecord = InstanceModule.MaterializationRecord

// ---------------------------------------------------------------------------
// Row schemas: what comes back from the database is decoded, never cast.

const Nullable = <S extends Schema.Top>(schema: S) => Schema.NullOr(schema)

const runFields = {
  run_id: Schema.String,
  selection: Schema.String,
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
}
const RunRow = Schema.Struct({ ...runFields, asset_keys: Schema.Array(Schema.String) })
const RunSummaryRow = Schema.Struct({ ...runFields, selection_length: Schema.Number, asset_count: Schema.Number })
const decodeRunSummaryRow = Schema.decodeUnknownSync(RunSummaryRow)
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

const commonRunColumns =
  "run_id, partition, stale_only, parent_run_id, tags, created_at, host, pid, status, started_at, ended_at, reason, heartbeat_at, cancel_requested_at, cancel_reason"

export const runColumns = `selection, asset_keys, ${commonRunColumns}`

/**
 * The columns of a run summary: the asset keys' count, not the keys (Postgres
 * counts them and sends only the number), and the selection cut.
 */
export const runSummaryColumns = `left(selection, ${InstanceValues.summarySelectionLength}) as selection, length(selection) as selection_length,
  json_array_length(asset_keys) as asset_count, ${commonRunColumns}`

/** A run's fields but its keys and selection, which the record and the summary carry differently. */
const runFieldsOf = (r: Schema.Struct.Type<typeof runFields>) =>
  withoutUndefined({
    runId: r.run_id,
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

export const toRun = (row: unknown): RunRecord => {
  const r = decodeRunRow(row)
  return { ...runFieldsOf(r), selection: r.selection, assetKeys: r.asset_keys }
}

/** A row of {@link runSummaryColumns}. */
export const toRunSummary = (row: unknown): InstanceModule.RunSummary => {
  const r = decodeRunSummaryRow(row)
  return { ...runFieldsOf(r), selection: r.selection, selectionLength: r.selection_length, assetCount: r.asset_count }
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

