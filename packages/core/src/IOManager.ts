/**
 * I/O managers store the value an asset computes and load it for the assets
 * downstream of it. Which implementation backs an asset is chosen by a Layer,
 * so the same asset code stores JSON files locally and warehouse tables in
 * production.
 *
 * An asset names an I/O manager by its service key (`io: ArrowIO`); assets
 * that name none use {@link DefaultIO}. Define your own key with {@link Tag}.
 *
 * @since 0.1.0
 */
import { Context, Schema } from "effect"
import type * as Effect from "effect/Effect"
import type { AssetKey } from "./AssetKey.ts"
import type { Metadata } from "./Metadata.ts"
import type { Measure, MeasureResult } from "./TableMeasure.ts"
import type { StepPartitions } from "./partitions/stepPartitions.ts"

/**
 * What an I/O manager knows when it stores an asset's value.
 *
 * @since 0.1.0
 */
export interface OutputContext {
  /** The asset being stored. */
  readonly key: AssetKey
  /** The partition being stored, when the asset is partitioned (`first...last` for a range). */
  readonly partition: string | undefined
  /** A partitioned asset's partitions being stored: their keys, ranges and time window. */
  readonly partitions?: StepPartitions | undefined
  /** The run storing it. */
  readonly runId: string
  /** The asset's static metadata (from its definition). */
  readonly definitionMetadata: Metadata
}

/**
 * What an I/O manager knows when it loads an asset's value.
 *
 * @since 0.1.0
 */
export interface InputContext {
  /** The asset being loaded (the upstream). */
  readonly key: AssetKey
  /** The partition being loaded, when the asset is partitioned (`first...last` for a range). */
  readonly partition: string | undefined
  /**
   * A partitioned upstream's partitions the step reads (through the edge's
   * partition mapping): load them as one value when you can (a table of all
   * the days), else `partitions.keys` one by one.
   */
  readonly partitions?: StepPartitions | undefined
  /** The asset that asked for it, when loading an input of a step. */
  readonly downstream: AssetKey | undefined
  /** The upstream asset's static metadata (from its definition). */
  readonly definitionMetadata: Metadata
}

/**
 * What a store reports back: runtime metadata (row count, URI, bytes...) and,
 * when the manager knows one, a data version (a content hash, a snapshot id).
 * When no data version is returned, the executor derives one.
 *
 * @since 0.1.0
 */
export interface StoreResult {
  readonly metadata?: Metadata | undefined
  readonly dataVersion?: string | undefined
  /**
   * A store of several partitions (`context.partitions`) that wrote each on
   * its own: each partition's data version, in `partitions.keys` order (the
   * version a store of that partition alone would report). Recorded per
   * partition, so that rebuilding one partition with the same data later
   * leaves its downstream partitions fresh. Ignored unless there is one per key.
   */
  readonly partitionVersions?: ReadonlyArray<string> | undefined
}

/**
 * Raised by I/O managers. `isRetryable` is read by retry policies.
 *
 * @since 0.1.0
 */
export class IOError extends Schema.TaggedError<IOError>()("@strata/core/IOError", {
  operation: Schema.Literals(["store", "load"]),
  key: Schema.String,
  partition: Schema.optional(Schema.String),
  uri: Schema.optional(Schema.String),
  message: Schema.String,
  isRetryable: Schema.Boolean,
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * The I/O manager interface, typed by the values it handles.
 *
 * `store` and `load` are methods (not function properties) on purpose: an
 * `IOManager<Table>` serves an asset whose value is a more precise `Table<...>`.
 *
 * @since 0.1.0
 */
export interface IOManager<A> {
  /** A short name shown in `strata list` and the catalog (`filesystem`, `parquet`). */
  readonly name: string
  store(context: OutputContext, value: A): Effect.Effect<StoreResult, IOError>
  load(context: InputContext): Effect.Effect<A, IOError>
  /**
   * Optional capability: computes table measures (`TableMeasure`) where the
   * stored value lives (a SQL query in the warehouse) instead of loading it,
   * for checks declared with measures (the built-ins). Answers one result per
   * measure, in order, equal to `TableMeasure.compute` over what `load` would
   * return; or `undefined` when it cannot compute them all (the check step
   * then loads the value and computes them in memory).
   */
  measure?(context: InputContext, measures: ReadonlyArray<Measure>): Effect.Effect<ReadonlyArray<MeasureResult> | undefined, IOError>
}

/**
 * A service key for an I/O manager that handles values of type `A`.
 *
 * @since 0.1.0
 */
export type Key<Id, A> = Context.Key<Id, IOManager<A>>

/**
 * Defines a service key for an I/O manager handling values of type `A`.
 *
 * @example
 * ```ts
 * import { IOManager } from "@strata/core"
 * import type { Table } from "apache-arrow"
 *
 * export class TableIO extends IOManager.Tag<TableIO, Table>()("my-project/TableIO") {}
 * ```
 * @since 0.1.0
 */
export const Tag = <Self, A>() => <const Id extends string>(id: Id) => Context.Service<Self, IOManager<A>>()(id)

/**
 * The I/O manager used by assets that name none. It handles any value:
 * provide `FileSystemIO.layer(...)` or `InMemoryIO.layer` for it.
 *
 * @since 0.1.0
 */
export class DefaultIO extends Context.Service<DefaultIO, IOManager<unknown>>()("@strata/core/DefaultIO") {}
