/**
 * Step requests: what crosses a process or machine boundary. A request names a
 * step of a run and everything the step needs that is not in the project
 * itself: the attempt, the partitions, and the data versions of the upstreams
 * it reads (so that the step records what it consumed without reading the
 * instance). It is plain data, JSON-encodable with {@link StepRequestSchema};
 * `Step.execute(request)` runs it in any process that loaded the same project.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { ErrorInfo, PartitionSet, StrataEvent } from "./Event.ts"
import { PartitionSetSchema } from "./Event.ts"
import type { StepKind } from "./ExecutionPlan.ts"
import { PartitionKeySchema } from "./PartitionKey.ts"

/**
 * One attempt of one step of a run.
 *
 * @since 0.1.0
 */
export interface StepRequest {
  readonly runId: string
  readonly assetKey: string
  readonly stepKind: StepKind
  /** The check to evaluate, for a `check` step (`assetKey` is the checked asset). */
  readonly check?: string | undefined
  /** The partitions the step writes (or observes); empty for an unpartitioned asset. */
  readonly partitions: ReadonlyArray<string>
  /** 1 for the first attempt, 2 for the first retry... */
  readonly attempt: number
  /**
   * The current data version of each upstream the step reads, by key; a
   * missing upstream is absent. A check step reads its asset.
   */
  readonly inputVersions: Readonly<Record<string, string>>
  /** A partitioned asset's step: its partitions as ranges over the asset's definition. */
  readonly partitionSet?: PartitionSet | undefined
  /** When the plan resolved the definitions (ms since the epoch): the step resolves them at the same instant. */
  readonly resolvedAt?: number | undefined
  /** The keys of the dynamic definitions involved, by name, by ordinal (`null`: deleted). */
  readonly dynamicKeys?: Readonly<Record<string, ReadonlyArray<string | null>>> | undefined
  /**
   * The asset's code version in the project that planned the run
   * (`Version.ofAsset`: its `codeVersion`, or a hash of its compute
   * function's source). Set for requests sent to another process; a process
   * whose project has another version of the asset fails the step with
   * `VersionSkew` instead of running other code than the run planned.
   */
  readonly codeVersion?: string | undefined
}

/**
 * The JSON form of a {@link StepRequest}.
 *
 * @since 0.1.0
 */
export const StepRequestSchema: Schema.Codec<StepRequest> = Schema.Struct({
  runId: Schema.String,
  assetKey: Schema.String,
  stepKind: Schema.Literals(["materialize", "observe", "check"]),
  check: Schema.optional(Schema.String),
  // a request may come from another process: its partitions are checked like a run's
  partitions: Schema.Array(PartitionKeySchema),
  attempt: Schema.Number,
  inputVersions: Schema.Record(Schema.String, Schema.String),
  partitionSet: Schema.optional(Schema.UndefinedOr(PartitionSetSchema)),
  resolvedAt: Schema.optional(Schema.UndefinedOr(Schema.Number)),
  dynamicKeys: Schema.optional(Schema.UndefinedOr(Schema.Record(Schema.String, Schema.Array(Schema.NullOr(Schema.String))))),
  codeVersion: Schema.optional(Schema.UndefinedOr(Schema.String))
})

/**
 * Encodes a request as JSON text.
 *
 * @since 0.1.0
 */
export const toJson = (request: StepRequest): string => JSON.stringify(Schema.encodeSync(StepRequestSchema)(request))

/**
 * Decodes a request from JSON text; throws a `SchemaError` naming the bad field.
 *
 * @since 0.1.0
 */
export const fromJson = (text: string): StepRequest => Schema.decodeUnknownSync(StepRequestSchema)(JSON.parse(text))

/**
 * How one attempt of a step ended.
 *
 * @since 0.1.0
 */
export interface StepResult {
  readonly status: "succeeded" | "failed"
  /** The data version the step recorded, when it succeeded. */
  readonly dataVersion?: string | undefined
  /** Set when it failed. */
  readonly error?: ErrorInfo | undefined
  /** The step failed and its retry policy allows another attempt. */
  readonly willRetry: boolean
  /**
   * The events the step appended in another process (in order), for the
   * coordinator to learn from without reading them back; absent when they
   * went through this process's `StepEnvironment.emit`.
   */
  readonly events?: ReadonlyArray<StrataEvent> | undefined
}
