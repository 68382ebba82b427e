/**
 * `ArrowIO`: an I/O manager storing Arrow `Table`s as files, one per asset
 * (and per partition), Parquet by default or Arrow IPC.
 *
 * - Layout: `<base>/<asset/key/path>.parquet`, and for a partitioned asset
 *   `<base>/<asset/key/path>/@<partition>.parquet`. IPC files end in
 *   `.arrow`. The base defaults to `.strata/tables` under the working
 *   directory. Key segments and partition keys are escaped by core's
 *   `StoragePath` (`@strata/core/spi`): `.`, upper-case and non-ASCII
 *   characters become `%XX`, very long names are hashed, and no key or
 *   partition (`..`, `/`, NUL...) reaches outside the base or another
 *   asset's file.
 * - Writes are atomic: the file is written to a temporary file in the same
 *   folder and renamed over the old one, so a crash never leaves half a file
 *   where a reader looks. The replaced file is unlinked right after the
 *   store reports (freeing a big file's blocks takes as long as writing
 *   them). Temporary and replaced files of writers that died on this host
 *   are removed by the next writer in their folder.
 * - Parquet encoding and decoding, file writes and content hashes run in a
 *   worker thread, so big tables do not block the event loop; the main
 *   thread profiles the table meanwhile. Arrow IPC files are written from
 *   the table's own buffers by the thread pool while the main thread hashes
 *   and profiles them.
 * - Every store reports metadata (see `TableMetadata`: row count, schema,
 *   nulls, min/max, distinct estimates) plus `bytes`, `uri`, `path`, `format`
 *   and `compression`; the data version is the xxHash64 of the written file
 *   (16 hex digits: fast, not cryptographic).
 * - Before replacing a file, the new schema is compared with the stored one
 *   (read from the file's footer or header only). Dropping or retyping a
 *   column fails with a `schema-changed` error listing the column diff, and
 *   the old file stays. Added columns and nullability changes are allowed
 *   and logged. Turn the check off with `schemaChange: "allow"`, for all
 *   assets in the layer or for one asset with its static metadata
 *   `{ schema_change: "allow" }`.
 * - Loading returns the stored table with its schema: types, nullability,
 *   field and schema metadata. To load only some columns, an asset declares
 *   the upstream in `after` and calls {@link ArrowIO.read} with `columns`.
 *
 * @example
 * ```ts
 * import { ArrowIO, Tables } from "@strata/arrow"
 * import { Asset } from "@strata/core"
 * import { Effect } from "effect"
 *
 * const orders = Asset.make("bronze/orders", { io: ArrowIO }, () =>
 *   Effect.succeed(Tables.fromRows([{ id: 1n, amount: 9.5 }])))
 * const amounts = Asset.make("silver/amounts", { io: ArrowIO, after: [orders] }, () =>
 *   ArrowIO.read(orders, { columns: ["amount"] }))
 *
 * const io = ArrowIO.layer({ base: ".strata/tables", format: "parquet", compression: "zstd" })
 * ```
 * @since 0.1.0
 */
import type { Asset, IOManager } from "@strata/core"
import type { Table } from "apache-arrow"
import { Context, Effect, Layer } from "effect"
import * as ArrowError from "./ArrowError.ts"
import type { Compression, Format } from "./internal/codec.ts"
import * as Layout from "./internal/layout.ts"
import * as Load from "./internal/load.ts"
import * as Range from "./internal/range.ts"
import * as SchemaCheck from "./internal/schemaCheck.ts"
import * as Store from "./internal/store.ts"
import type * as TableMetadata from "./TableMetadata.ts"
import type { TypeHandler } from "./TypeHandler.ts"

/**
 * Options of {@link ArrowIO.layer}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** Folder holding the files. Default `.strata/tables` (relative to the working directory). */
  readonly base?: string | undefined
  /** `parquet` (default) or `ipc` (Arrow IPC file format, `.arrow`: faster, larger, uncompressed). */
  readonly format?: Format | undefined
  /** Parquet compression: `zstd` (default), `snappy` or `none`. Ignored for IPC. */
  readonly compression?: Compression | undefined
  /** `error` (default): refuse to replace a table by one that drops or retypes columns. `allow`: replace anyway. */
  readonly schemaChange?: "error" | "allow" | undefined
  /** fsync each file and its folder before reporting the store (survives power loss). Default false. */
  readonly durable?: boolean | undefined
  /** Rows per Parquet row group. Default: parquet-rs's (1,048,576). */
  readonly rowGroupRows?: number | undefined
  /**
   * `full` (default): metadata with min/max and distinct estimates per column.
   * `basic`: counts and schema only, for the fastest stores (see `TableMetadata`).
   */
  readonly statistics?: TableMetadata.Statistics | undefined
}

/**
 * Options of {@link ArrowIOShape.read}.
 *
 * @since 0.1.0
 */
export interface ReadOptions {
  /** The partition to read, for a partitioned asset (pass `context.partition`). */
  readonly partition?: string | undefined
  /** Only these columns, in this order. Parquet reads only their pages. */
  readonly columns?: ReadonlyArray<string> | undefined
}

/**
 * Options of {@link ArrowIOShape.write}.
 *
 * @since 0.1.0
 */
export interface WriteOptions {
  readonly partition?: string | undefined
  /** Overrides the layer's `schemaChange` for this write. */
  readonly schemaChange?: "error" | "allow" | undefined
}

/**
 * The `ArrowIO` service: an I/O manager for `Table`s, plus direct access to
 * the files for asset code and tools.
 *
 * @since 0.1.0
 */
export interface ArrowIOShape extends IOManager.IOManager<Table> {
  readonly format: Format
  /** The absolute base folder. */
  readonly base: string
  /** The file an asset (and partition) is stored in. */
  readonly path: (key: string, partition?: string | undefined) => string
  /** Reads a stored table, or some of its columns. */
  readonly read: (key: string, options?: ReadOptions) => Effect.Effect<Table, ArrowError.ArrowError>
  /** Writes a table as `store` does, failing with an `ArrowError` instead of an `IOError`. */
  readonly write: (
    key: string,
    table: Table,
    options?: WriteOptions
  ) => Effect.Effect<IOManager.StoreResult, ArrowError.ArrowError>
}

/**
 * The service key of the Arrow I/O manager: name it in an asset's `io`.
 * Build it with {@link ArrowIO.layer}.
 *
 * @since 0.1.0
 */
export class ArrowIO extends Context.Service<ArrowIO, ArrowIOShape>()("@strata/arrow/ArrowIO") {
  /**
   * Provides {@link ArrowIO} backed by files under `options.base`.
   *
   * @since 0.1.0
   */
  static layer(options?: Options): Layer.Layer<ArrowIO> {
    return Layer.effect(ArrowIO, Effect.sync(() => make(options)))
  }

  /**
   * Provides another I/O manager key whose values are converted to and from
   * Arrow tables by a type handler, and stored like {@link ArrowIO} stores
   * tables. Assets keep computing plain rows (or any `A`); the files and
   * metadata are the same.
   *
   * @example
   * ```ts
   * import { ArrowIO, TypeHandler } from "@strata/arrow"
   * import { IOManager } from "@strata/core"
   *
   * interface User { readonly id: number; readonly email: string }
   * class UsersIO extends IOManager.Tag<UsersIO, Array<User>>()("my-project/UsersIO") {}
   * const layer = ArrowIO.layerFor(UsersIO, TypeHandler.rows<User>(), { base: ".strata/tables" })
   * ```
   * @since 0.1.0
   */
  static layerFor<Id, A>(
    key: Context.Key<Id, IOManager.IOManager<A>>,
    handler: TypeHandler<A>,
    options?: Options
  ): Layer.Layer<Id> {
    return Layer.effect(key, Effect.sync(() => makeFor(handler, options)))
  }

  /**
   * Makes the service without a layer: for tools and tests that read or
   * write tables outside a run.
   *
   * @since 0.1.0
   */
  static make(options?: Options): ArrowIOShape {
    return make(options)
  }

  /**
   * Makes the I/O manager {@link ArrowIO.layerFor} provides, without a layer.
   *
   * @since 0.1.0
   */
  static makeFor<A>(handler: TypeHandler<A>, options?: Options): IOManager.IOManager<A> {
    return makeFor(handler, options)
  }

  /**
   * Reads an asset stored by {@link ArrowIO}, or some of its columns. Use it
   * in a compute function, with the upstream in `after` so that it runs
   * first and its version is tracked:
   *
   * @example
   * ```ts
   * const totals = Asset.make("gold/totals", { io: ArrowIO, after: [orders] }, (_, context) =>
   *   ArrowIO.read(orders, { columns: ["customer", "amount"], partition: context.partition }))
   * ```
   * @since 0.1.0
   */
  static read(
    asset: Asset.Node<Table, unknown> | string,
    options?: ReadOptions
  ): Effect.Effect<Table, ArrowError.ArrowError, ArrowIO> {
    return ArrowIO.use((io) => io.read(typeof asset === "string" ? asset : asset.key, options))
  }
}

/**
 * Compares a stored schema with a new one, by column name. Dropping or
 * retyping a column is incompatible; adding a column, changing nullability
 * or giving a type to a column that held only nulls (`Null`) is not. A
 * dictionary-encoded column and a plain column of the same value type count
 * as the same type.
 *
 * @since 0.1.0
 */
export const compareSchemas = SchemaCheck.compareSchemas

/**
 * Makes the Arrow I/O manager (the service {@link ArrowIO.layer} provides).
 *
 * @since 0.1.0
 */
export const make = (options?: Options): ArrowIOShape => {
  const settings = Layout.settings(options)
  const read = Load.read(settings)
  const write = Store.write(Store.writer(settings))
  const readRange = Range.rangeLoader(read)
  const writeRange = Range.rangeWriter(write)
  return {
    name: settings.format,
    format: settings.format,
    base: settings.base,
    path: (key, partition) => Layout.fileOf(settings, key, partition),
    read,
    write,
    store(context, value) {
      const range = context.partitions
      if (range !== undefined && range.count > 1) return writeRange(context, range.keys, value)
      return write(context.key, value, {
        partition: context.partition,
        schemaChange: SchemaCheck.schemaChangeOf(context.definitionMetadata)
      }).pipe(Effect.mapError(ArrowError.toIOError("store", context.key, context.partition)))
    },
    load(context) {
      const range = context.partitions
      if (range !== undefined && range.count > 1) return readRange(context.key, range.keys)
      return read(context.key, { partition: context.partition }).pipe(
        Effect.mapError(ArrowError.toIOError("load", context.key, context.partition))
      )
    }
  }
}

/**
 * Makes an I/O manager for values of type `A`, converted to and from Arrow
 * tables by `handler` and stored as {@link make} stores tables (the service
 * {@link ArrowIO.layerFor} provides). A value the handler cannot convert fails
 * the store with an `IOError` whose cause is the handler's `ArrowError`.
 *
 * @since 0.1.0
 */
export const makeFor = <A>(handler: TypeHandler<A>, options?: Options): IOManager.IOManager<A> => {
  const io = make(options)
  const convert = <B>(
    operation: "store" | "load",
    context: { readonly key: string; readonly partition: string | undefined },
    run: () => B
  ): Effect.Effect<B, IOManager.IOError> =>
    Effect.try({
      try: run,
      catch: (error) =>
        ArrowError.toIOError(operation, context.key, context.partition)(
          error instanceof ArrowError.ArrowError
            ? ArrowError.make({ ...fieldsOf(error), key: context.key, partition: context.partition, file: io.path(context.key, context.partition) })
            : ArrowError.make({
              reason: "invalid-value",
              key: context.key,
              partition: context.partition,
              detail: `the ${handler.name} type handler failed: ${(error as Error)?.message ?? error}`,
              cause: error
            })
        )
    })
  return {
    name: io.name,
    store(context, value) {
      return convert("store", context, () => handler.toTable(value)).pipe(Effect.flatMap((table) => io.store(context, table)))
    },
    load(context) {
      return io.load(context).pipe(Effect.flatMap((table) => convert("load", context, () => handler.fromTable(table))))
    }
  }
}

const fieldsOf = (error: ArrowError.ArrowError): ArrowError.Fields => ({
  reason: error.reason,
  column: error.column,
  detail: error.detail,
  changes: error.changes,
  cause: error.cause
})
