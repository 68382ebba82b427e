/**
 * The event log's vocabulary. Every state change of a run is an event; the
 * instance stores them append-only and maintains run status and "latest
 * materialization per asset and partition" from them.
 *
 * Events are plain objects (cheap to build on the executor's hot path) and
 * have Schemas for when they cross a boundary (database rows, HTTP, SSE).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { Metadata } from "./Metadata.ts"
import { MetadataSchema } from "./Metadata.ts"

/**
 * An error as recorded in the event log.
 *
 * @since 0.1.0
 */
export interface ErrorInfo {
  /** The error's `_tag`, or its class name. */
  readonly tag: string
  readonly message: string
  readonly stack?: string | undefined
  /** Set when the error said whether it may be retried. */
  readonly retryable?: boolean | undefined
}

/**
 * Log levels recorded from compute functions.
 *
 * @since 0.1.0
 */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal"

interface Base {
  readonly runId: string
  /** Milliseconds since the epoch. */
  readonly timestamp: number
}

interface StepBase extends Base {
  readonly assetKey: string
  readonly partition?: string | undefined
  /**
   * The partitions of a partitioned asset's step, as index ranges over its
   * definition (`Partitions.fingerprint` names the definition): what the
   * asset index keeps per asset as ranges. `partition` then holds the key, or
   * `first...last` for a range.
   */
  readonly partitionSet?: PartitionSet | undefined
}

/**
 * Partitions as ranges of indexes over a definition.
 *
 * @since 0.1.0
 */
export interface PartitionSet {
  /** `Partitions.fingerprint` of the definition the indexes belong to. */
  readonly fingerprint: string
  readonly ranges: ReadonlyArray<readonly [number, number]>
}

/**
 * The JSON form of a {@link PartitionSet}.
 *
 * @since 0.1.0
 */
export const PartitionSetSchema = Schema.Struct({
  fingerprint: Schema.String,
  ranges: Schema.Array(Schema.Tuple([Schema.Number, Schema.Number]))
})

/** @since 0.1.0 */
export interface RunStarted extends Base {
  readonly type: "run-started"
}
/** @since 0.1.0 */
export interface RunSucceeded extends Base {
  readonly type: "run-succeeded"
}
/** @since 0.1.0 */
export interface RunFailed extends Base {
  readonly type: "run-failed"
  readonly reason: string
}
/** @since 0.1.0 */
export interface RunCanceled extends Base {
  readonly type: "run-canceled"
  readonly reason: string
}
/**
 * The process that ran a step outside the run's own process (a worker of a
 * queue executor).
 *
 * @since 0.1.0
 */
export interface StepWorker {
  /** The worker's id in its queue (a graphile-worker pool id, for example). */
  readonly id: string
  readonly host: string
  readonly pid: number
}
/** @since 0.1.0 */
export interface StepStarted extends StepBase {
  readonly type: "step-started"
  readonly attempt: number
  /** Set when a worker process ran the step; absent when the run's own process did. */
  readonly worker?: StepWorker | undefined
}
/** @since 0.1.0 */
export interface StepSucceeded extends StepBase {
  readonly type: "step-succeeded"
  readonly attempt: number
  readonly durationMs: number
}
/** @since 0.1.0 */
export interface StepFailed extends StepBase {
  readonly type: "step-failed"
  readonly attempt: number
  readonly durationMs: number
  readonly error: ErrorInfo
  /** Another attempt follows. */
  readonly willRetry: boolean
}
/**
 * Why a step did not run.
 *
 * @since 0.1.0
 */
export type SkipKind = "upstream-failed" | "not-stale" | "canceled"
/** @since 0.1.0 */
export interface StepSkipped extends StepBase {
  readonly type: "step-skipped"
  readonly kind: SkipKind
  readonly reason: string
}
/** @since 0.1.0 */
export interface AssetMaterialized extends StepBase {
  readonly type: "asset-materialized"
  readonly metadata: Metadata
  readonly dataVersion: string
  readonly codeVersion: string
  /** The data version of each upstream (data and `after` deps) read by this step. */
  readonly inputVersions: Readonly<Record<string, string>>
  /**
   * A step over several partitions whose I/O manager stores each on its own
   * (`StoreResult.partitionVersions`): each partition's data version, as
   * index ranges `[start, end, dataVersion]` (touching partitions with the
   * same version share one range). `dataVersion` then covers them all.
   */
  readonly partitionDataVersions?: PartitionDataVersions | undefined
}
/** @since 0.1.0 */
export interface AssetObserved extends StepBase {
  readonly type: "asset-observed"
  readonly metadata: Metadata
  readonly dataVersion: string
  /** A partitioned source's observation: each partition's data version, as for `asset-materialized`. */
  readonly partitionDataVersions?: PartitionDataVersions | undefined
}

/**
 * Data versions per partition: sorted, disjoint index ranges
 * `[start, end, dataVersion]` over the definition of the event's
 * `partitionSet`.
 *
 * @since 0.1.0
 */
export type PartitionDataVersions = ReadonlyArray<readonly [number, number, string]>
/**
 * The verdict of an asset check (`Check.make`) on one materialization.
 *
 * @since 0.1.0
 */
export interface CheckEvaluated extends StepBase {
  readonly type: "check-evaluated"
  /** The check's name, unique per asset. */
  readonly check: string
  readonly passed: boolean
  /** `error` checks block the asset's downstream when they fail. */
  readonly severity: "warn" | "error"
  /** What failed, in one line (absent when it passed). */
  readonly message?: string | undefined
  readonly metadata: Metadata
  /** The data version of the materialization checked, when there was one. */
  readonly dataVersion?: string | undefined
  /** Set when the check could not be evaluated (it raised, or its value could not be loaded). */
  readonly error?: ErrorInfo | undefined
}
/** @since 0.1.0 */
export interface Log extends Base {
  readonly type: "log"
  readonly assetKey?: string | undefined
  readonly partition?: string | undefined
  readonly level: LogLevel
  readonly message: string
}

/**
 * Any event.
 *
 * @since 0.1.0
 */
export type StrataEvent =
  | RunStarted
  | RunSucceeded
  | RunFailed
  | RunCanceled
  | StepStarted
  | StepSucceeded
  | StepFailed
  | StepSkipped
  | AssetMaterialized
  | AssetObserved
  | CheckEvaluated
  | Log

/**
 * The type names of events.
 *
 * @since 0.1.0
 */
export type EventType = StrataEvent["type"]

/**
 * An event as stored, with its position in the instance's log. `id`s grow
 * monotonically in the order events were appended and serve as cursors.
 *
 * @since 0.1.0
 */
export type StoredEvent = StrataEvent & { readonly id: number }

const ErrorInfoSchema = Schema.Struct({
  tag: Schema.String,
  message: Schema.String,
  stack: Schema.optional(Schema.UndefinedOr(Schema.String)),
  retryable: Schema.optional(Schema.UndefinedOr(Schema.Boolean))
})

const base = { runId: Schema.String, timestamp: Schema.Number }
const step = {
  ...base,
  assetKey: Schema.String,
  partition: Schema.optional(Schema.UndefinedOr(Schema.String)),
  partitionSet: Schema.optional(Schema.UndefinedOr(PartitionSetSchema))
}

const partitionDataVersions = Schema.optional(
  Schema.UndefinedOr(Schema.Array(Schema.Tuple([Schema.Number, Schema.Number, Schema.String])))
)

const makeMembers = <M extends Schema.Top, I extends Schema.Top>(metadata: M, inputVersions: I) => [
  Schema.Struct({ type: Schema.Literal("run-started"), ...base }),
  Schema.Struct({ type: Schema.Literal("run-succeeded"), ...base }),
  Schema.Struct({ type: Schema.Literal("run-failed"), ...base, reason: Schema.String }),
  Schema.Struct({ type: Schema.Literal("run-canceled"), ...base, reason: Schema.String }),
  Schema.Struct({
    type: Schema.Literal("step-started"),
    ...step,
    attempt: Schema.Number,
    worker: Schema.optional(Schema.UndefinedOr(Schema.Struct({ id: Schema.String, host: Schema.String, pid: Schema.Number })))
  }),
  Schema.Struct({ type: Schema.Literal("step-succeeded"), ...step, attempt: Schema.Number, durationMs: Schema.Number }),
  Schema.Struct({
    type: Schema.Literal("step-failed"),
    ...step,
    attempt: Schema.Number,
    durationMs: Schema.Number,
    error: ErrorInfoSchema,
    willRetry: Schema.Boolean
  }),
  Schema.Struct({
    type: Schema.Literal("step-skipped"),
    ...step,
    kind: Schema.Literals(["upstream-failed", "not-stale", "canceled"]),
    reason: Schema.String
  }),
  Schema.Struct({
    type: Schema.Literal("asset-materialized"),
    ...step,
    metadata,
    dataVersion: Schema.String,
    codeVersion: Schema.String,
    inputVersions,
    partitionDataVersions
  }),
  Schema.Struct({ type: Schema.Literal("asset-observed"), ...step, metadata, dataVersion: Schema.String, partitionDataVersions }),
  Schema.Struct({
    type: Schema.Literal("check-evaluated"),
    ...step,
    check: Schema.String,
    passed: Schema.Boolean,
    severity: Schema.Literals(["warn", "error"]),
    message: Schema.optional(Schema.UndefinedOr(Schema.String)),
    metadata,
    dataVersion: Schema.optional(Schema.UndefinedOr(Schema.String)),
    error: Schema.optional(Schema.UndefinedOr(ErrorInfoSchema))
  }),
  Schema.Struct({
    type: Schema.Literal("log"),
    ...base,
    assetKey: Schema.optional(Schema.UndefinedOr(Schema.String)),
    partition: Schema.optional(Schema.UndefinedOr(Schema.String)),
    level: Schema.Literals(["trace", "debug", "info", "warn", "error", "fatal"]),
    message: Schema.String
  })
] as const

const members = makeMembers(MetadataSchema, Schema.Record(Schema.String, Schema.String))

/**
 * Schema of {@link StrataEvent}.
 *
 * @since 0.1.0
 */
export const StrataEventSchema: Schema.Codec<StrataEvent> = Schema.Union(members)

/**
 * Schema of {@link StoredEvent}.
 *
 * @since 0.1.0
 */
export const StoredEventSchema: Schema.Codec<StoredEvent> = Schema.Union(
  members.map((member) => Schema.Struct({ ...member.fields, id: Schema.Number }))
) as unknown as Schema.Codec<StoredEvent>

const isPlainObject = (u: unknown): u is { readonly [key: string]: unknown } => {
  if (typeof u !== "object" || u === null || Array.isArray(u)) return false
  const proto: unknown = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

const ParsedMetadataSchema = Schema.declare((u: unknown): u is Metadata => isPlainObject(u), {
  expected: "a JSON object"
})

const ParsedInputVersionsSchema = Schema.declare(
  (u: unknown): u is Readonly<Record<string, string>> => {
    if (!isPlainObject(u)) return false
    for (const key in u) if (typeof u[key] !== "string") return false
    return true
  },
  { expected: "an object of strings" }
)

/**
 * Schema of {@link StoredEvent} for values that `JSON.parse` just produced,
 * for storage backends decoding the JSON bodies they wrote.
 *
 * It checks everything {@link StoredEventSchema} checks except that
 * `metadata` is only checked to be a plain object: whatever `JSON.parse`
 * returns is JSON by construction, and walking every metadata value with the
 * recursive `Schema.Json` decode was most of the cost of reading the asset
 * index (10,000 `asset-materialized` bodies in a fresh process: ~65 ms with
 * `Schema.Json`, ~18 ms with this schema). `inputVersions` is checked to be
 * an object of strings with one loop instead of a `Schema.Record` decode.
 * Do not use it for values that did not come out of `JSON.parse` (HTTP
 * bodies already parsed by someone else, objects built in code): use
 * {@link StoredEventSchema} there.
 *
 * @since 0.1.0
 */
export const StoredEventFromParsedJsonSchema: Schema.Decoder<StoredEvent> = Schema.Union(
  makeMembers(ParsedMetadataSchema, ParsedInputVersionsSchema).map((member) =>
    Schema.Struct({ ...member.fields, id: Schema.Number })
  )
) as unknown as Schema.Decoder<StoredEvent>

/**
 * Turns any failure into an {@link ErrorInfo}.
 *
 * @since 0.1.0
 */
export const errorInfo = (error: unknown): ErrorInfo => {
  if (typeof error === "object" && error !== null) {
    const record = error as { _tag?: unknown; name?: unknown; message?: unknown; stack?: unknown; isRetryable?: unknown }
    const tag = typeof record._tag === "string" ? record._tag : typeof record.name === "string" ? record.name : "Error"
    const message = typeof record.message === "string" && record.message.length > 0 ? record.message : String(error)
    return {
      tag,
      message,
      stack: typeof record.stack === "string" ? record.stack : undefined,
      retryable: typeof record.isRetryable === "boolean" ? record.isRetryable : undefined
    }
  }
  return { tag: typeof error, message: String(error) }
}
