/**
 * Rows → records and events, decoded with Schema: a row that does not decode
 * is reported as a corrupt database (naming the row), never cast through.
 */
import { Event, Instance } from "@strata/core"
import { Exit, Schema } from "effect"

/** A `runs` row as the driver returns it. */
export interface RunRow {
  readonly [column: string]: unknown
}

const runFields = {
  run_id: Schema.String,
  status: Schema.Literals(["queued", "started", "succeeded", "failed", "canceled"]),
  created_at: Schema.Number,
  started_at: Schema.NullOr(Schema.Number),
  ended_at: Schema.NullOr(Schema.Number),
  heartbeat_at: Schema.NullOr(Schema.Number),
  cancel_requested_at: Schema.NullOr(Schema.Number),
  cancel_reason: Schema.NullOr(Schema.String),
  reason: Schema.NullOr(Schema.String),
  host: Schema.NullOr(Schema.String),
  pid: Schema.NullOr(Schema.Number),
  selection: Schema.String,
  partition: Schema.NullOr(Schema.String),
  stale_only: Schema.Number,
  parent_run_id: Schema.NullOr(Schema.String),
  tags: Schema.fromJsonString(Schema.Record(Schema.String, Schema.String))
}

const RunRowSchema = Schema.Struct({ ...runFields, asset_keys: Schema.fromJsonString(Schema.Array(Schema.String)) })

/**
 * The columns of a run summary: the asset keys' count, not the keys (SQLite
 * counts them without handing the text over), and the selection cut.
 */
export const runSummaryColumns = `run_id, status, created_at, started_at, ended_at, heartbeat_at, cancel_requested_at,
  cancel_reason, reason, host, pid, substr(selection, 1, ${Instance.summarySelectionLength}) AS selection,
  length(selection) AS selection_length, partition, stale_only, parent_run_id, tags,
  json_array_length(asset_keys) AS asset_count`

const RunSummaryRowSchema = Schema.Struct({ ...runFields, selection_length: Schema.Number, asset_count: Schema.Number })

const decodeRunRow = Schema.decodeUnknownExit(RunRowSchema)
const decodeRunSummaryRow = Schema.decodeUnknownExit(RunSummaryRowSchema)
// bodies come out of JSON.parse, so metadata need not be walked value by value (see the schema's docs)
const decodeStoredEvent = Schema.decodeUnknownExit(Event.StoredEventFromParsedJsonSchema)
const decodeErrorInfo = Schema.decodeUnknownExit(
  Schema.fromJsonString(Schema.Struct({
    tag: Schema.String,
    message: Schema.String,
    stack: Schema.optional(Schema.String),
    retryable: Schema.optional(Schema.Boolean)
  }))
)

/** Thrown inside the store's synchronous code (decoders, transactions) to fail with a typed error. */
export class Abort {
  readonly error: Instance.InstanceError
  constructor(error: Instance.InstanceError) {
    this.error = error
  }
}

const corrupt = (path: string, operation: string, what: string, cause: unknown) =>
  new Abort(
    new Instance.InstanceError({
      operation,
      reason: "corrupt",
      path,
      message:
        `${path}: ${what} does not decode (${String(cause)}); the database was changed outside Strata or is damaged. Move it away, or run 'strata wipe' to start a new instance`,
      cause
    })
  )

/** Decodes a `runs` row. */
type RunFieldsRow = Schema.Struct.Type<typeof runFields>
type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** A run's fields but its keys and selection, which the record and the summary carry differently. */
const runFieldsOf = (value: RunFieldsRow) => {
  const record: Mutable<Omit<Instance.RunRecord, "assetKeys" | "selection">> = {
    runId: value.run_id,
    staleOnly: value.stale_only !== 0,
    tags: value.tags,
    createdAt: value.created_at,
    status: value.status
  }
  if (value.partition !== null) record.partition = value.partition
  if (value.parent_run_id !== null) record.parentRunId = value.parent_run_id
  if (value.host !== null) record.host = value.host
  if (value.pid !== null) record.pid = value.pid
  if (value.started_at !== null) record.startedAt = value.started_at
  if (value.ended_at !== null) record.endedAt = value.ended_at
  if (value.reason !== null) record.reason = value.reason
  if (value.heartbeat_at !== null) record.heartbeatAt = value.heartbeat_at
  if (value.cancel_requested_at !== null) record.cancelRequestedAt = value.cancel_requested_at
  if (value.cancel_reason !== null) record.cancelReason = value.cancel_reason
  return record
}

export const decodeRun = (row: RunRow, path: string): Instance.RunRecord => {
  const exit = decodeRunRow(row)
  if (Exit.isFailure(exit)) throw corrupt(path, "getRun", `run ${String(row["run_id"])}`, exit.cause)
  return { ...runFieldsOf(exit.value), selection: exit.value.selection, assetKeys: exit.value.asset_keys }
}

/** A row of {@link runSummaryColumns}. */
export const decodeRunSummary = (row: RunRow, path: string): Instance.RunSummary => {
  const exit = decodeRunSummaryRow(row)
  if (Exit.isFailure(exit)) throw corrupt(path, "listRunSummaries", `run ${String(row["run_id"])}`, exit.cause)
  const value = exit.value
  return { ...runFieldsOf(value), selection: value.selection, selectionLength: value.selection_length, assetCount: value.asset_count }
}

const AssetRowSchema = Schema.Struct({
  asset_key: Schema.String,
  m_id: Schema.NullOr(Schema.Number),
  m_body: Schema.NullOr(Schema.String),
  o_id: Schema.NullOr(Schema.Number),
  o_body: Schema.NullOr(Schema.String),
  f_id: Schema.NullOr(Schema.Number),
  f_run_id: Schema.NullOr(Schema.String),
  f_at: Schema.NullOr(Schema.Number),
  f_error: Schema.NullOr(Schema.String)
})

/**
 * The columns of an asset index row, in the order the store selects them.
 * The store reads these rows as arrays (no object with a property per column
 * for each of 10,000 rows).
 */
export const assetRowColumns = [
  "asset_key",
  "m_id",
  "m_body",
  "o_id",
  "o_body",
  "f_id",
  "f_run_id",
  "f_at",
  "f_error"
] as const satisfies ReadonlyArray<keyof typeof AssetRowSchema.fields>

/** An asset index row as an array, in {@link assetRowColumns} order. */
export type AssetRow = readonly [
  assetKey: string,
  mId: number | null,
  mBody: string | null,
  oId: number | null,
  oBody: string | null,
  fId: number | null,
  fRunId: string | null,
  fAt: number | null,
  fError: string | null
]

const isNullOrNumber = (u: unknown): u is number | null => u === null || typeof u === "number"
const isNullOrString = (u: unknown): u is string | null => u === null || typeof u === "string"

// The checks of AssetRowSchema in one guard: every staleness pass reads the whole index (10,000 rows
// in the benchmark), and a Struct or Tuple decode walks and copies each row column by column (about
// 2x slower on a fresh process). A row that fails is decoded again with AssetRowSchema, so that the
// error names the offending column.
const AssetRowArraySchema = Schema.declare(
  (u: unknown): u is AssetRow =>
    Array.isArray(u) && u.length === 9 && typeof u[0] === "string" &&
    isNullOrNumber(u[1]) && isNullOrString(u[2]) &&
    isNullOrNumber(u[3]) && isNullOrString(u[4]) &&
    isNullOrNumber(u[5]) && isNullOrString(u[6]) &&
    isNullOrNumber(u[7]) && isNullOrString(u[8]),
  { expected: `a row of the asset index (${assetRowColumns.join(", ")})` }
)
const decodeAssetRowArray = Schema.decodeUnknownExit(AssetRowArraySchema)
const decodeAssetRowStruct = Schema.decodeUnknownExit(AssetRowSchema)

/** Decodes a row of the asset index joined with its latest events, read as an array. */
export const decodeAssetRow = (row: unknown, path: string): AssetRow => {
  const exit = decodeAssetRowArray(row)
  if (Exit.isSuccess(exit)) return exit.value
  // decoded again by column name, for an issue that says which column is wrong
  let cause: unknown = exit.cause
  if (Array.isArray(row)) {
    const named: Record<string, unknown> = {}
    assetRowColumns.forEach((column, i) => named[column] = row[i])
    const detailed = decodeAssetRowStruct(named)
    if (Exit.isFailure(detailed)) cause = detailed.cause
  }
  throw corrupt(path, "assets", "a row of the asset index", cause)
}

/** Decodes an `events` row (its id and JSON body). */
export const decodeEvent = (id: number, body: string, path: string, operation: string): Event.StoredEvent => {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch (cause) {
    throw corrupt(path, operation, `event ${id}`, cause)
  }
  if (typeof parsed === "object" && parsed !== null) (parsed as { id: number }).id = id
  const exit = decodeStoredEvent(parsed)
  if (Exit.isFailure(exit)) {
    const type = (parsed as { type?: unknown } | null)?.type
    if (typeof type === "string" && !knownTypes.has(type)) {
      // written by a newer Strata whose vocabulary this version does not know
      throw new Abort(
        new Instance.InstanceError({
          operation,
          reason: "unsupported-version",
          path,
          message: `${path}: event ${id} has type "${type}", which this version of @strata/core does not know; upgrade @strata/core and @strata/sqlite`
        })
      )
    }
    throw corrupt(path, operation, `event ${id}`, exit.cause)
  }
  return exit.value
}

const knownTypes: ReadonlySet<string> = new Set<Event.EventType>([
  "run-started",
  "run-succeeded",
  "run-failed",
  "run-canceled",
  "step-started",
  "step-succeeded",
  "step-failed",
  "step-skipped",
  "asset-materialized",
  "asset-observed",
  "check-evaluated",
  "log"
])

/** Decodes the inline latest failure of an asset. */
export const decodeError = (json: string, path: string): Event.ErrorInfo => {
  const exit = decodeErrorInfo(json)
  if (Exit.isFailure(exit)) throw corrupt(path, "assets", "an asset's latest failure", exit.cause)
  return exit.value
}
