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
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import type { Asset, IOManager, Metadata } from "@strata/core"
import { AssetKey, Version } from "@strata/core"
import { isProcessAlive, StoragePath } from "@strata/core/spi"
import type { Schema, Table } from "apache-arrow"
import * as Arrow from "apache-arrow"
import { DataType, tableFromIPC, tableToIPC, util } from "apache-arrow"
import { Context, Effect, Exit, Layer } from "effect"
import * as ArrowError from "./ArrowError.ts"
import type { Compression, Format } from "./internal/codec.ts"
import * as Codec from "./internal/codec.ts"
import * as ContentHash from "./internal/contentHash.ts"
import * as WorkerClient from "./internal/workerClient.ts"
import * as TableMetadata from "./TableMetadata.ts"
import type { TypeHandler } from "./TypeHandler.ts"
import { assertTable } from "./TypeHandler.ts"

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

type Where = { key: string; partition: string | undefined; file: string }

const otherFormat = (format: Format): Format => format === "parquet" ? "ipc" : "parquet"

/**
 * Compares a stored schema with a new one, by column name. Dropping or
 * retyping a column is incompatible; adding a column, changing nullability
 * or giving a type to a column that held only nulls (`Null`) is not. A
 * dictionary-encoded column and a plain column of the same value type count
 * as the same type.
 *
 * @since 0.1.0
 */
export const compareSchemas = (
  before: Schema,
  after: Schema
): { readonly incompatible: ReadonlyArray<ArrowError.ColumnChange>; readonly compatible: ReadonlyArray<ArrowError.ColumnChange> } => {
  const incompatible: Array<ArrowError.ColumnChange> = []
  const compatible: Array<ArrowError.ColumnChange> = []
  const describe = (field: { readonly type: DataType; readonly nullable: boolean }) =>
    `${field.type}${field.nullable ? "" : " not null"}`
  const logical = (type: DataType): DataType => DataType.isDictionary(type) ? type.dictionary : type
  const next = new Map(after.fields.map((field) => [field.name, field]))
  for (const old of before.fields) {
    const field = next.get(old.name)
    if (field === undefined) {
      incompatible.push({ column: old.name, change: "removed", before: describe(old) })
      continue
    }
    next.delete(old.name)
    if (DataType.isNull(old.type) && !DataType.isNull(field.type)) {
      // a column that held only nulls got values: nothing that read it breaks
      compatible.push({ column: old.name, change: "type-changed", before: describe(old), after: describe(field) })
    } else if (!util.compareTypes(logical(old.type), logical(field.type))) {
      incompatible.push({ column: old.name, change: "type-changed", before: describe(old), after: describe(field) })
    } else if (old.nullable !== field.nullable) {
      compatible.push({
        column: old.name,
        change: field.nullable ? "became-nullable" : "became-required",
        before: describe(old),
        after: describe(field)
      })
    }
  }
  for (const field of next.values()) compatible.push({ column: field.name, change: "added", after: describe(field) })
  return { incompatible, compatible }
}

const formatChanges = (changes: ReadonlyArray<ArrowError.ColumnChange>): string =>
  changes.map((change) =>
    change.change === "removed"
      ? `${change.column} removed (was ${change.before})`
      : change.change === "added"
      ? `${change.column} added (${change.after})`
      : `${change.column} ${change.before} -> ${change.after}`
  ).join("; ")

const schemaChangeOf = (metadata: Metadata.Metadata): "error" | "allow" | undefined => {
  const value = metadata.schema_change
  return value === "allow" || value === "error" ? value : undefined
}

/**
 * Makes the Arrow I/O manager (the service {@link ArrowIO.layer} provides).
 *
 * @since 0.1.0
 */
export const make = (options?: Options): ArrowIOShape => {
  const base = path.resolve(options?.base ?? path.join(".strata", "tables"))
  const format: Format = options?.format ?? "parquet"
  const compression: Compression = options?.compression ?? "zstd"
  const defaultSchemaChange = options?.schemaChange ?? "error"
  const durable = options?.durable ?? false
  const rowGroupRows = options?.rowGroupRows
  const statistics = options?.statistics ?? "full"
  const host = os.hostname()
  let sequence = 0
  const swept = new Set<string>()

  // Temporary files and replaced files (`.old`) left by writers that died on
  // this host (killed, power cut) are removed the first time this manager
  // writes into their folder: once per folder, so a folder of many
  // partitions is listed once.
  const sweep = async (folder: string): Promise<void> => {
    if (swept.has(folder)) return
    swept.add(folder)
    const names = await fs.promises.readdir(folder).catch(() => [] as Array<string>)
    const marker = `.${host}.`
    for (const name of names) {
      if (!name.endsWith(".tmp") && !name.endsWith(".old")) continue
      const at = name.lastIndexOf(marker)
      if (at < 0) continue
      const [pid, seq, extra] = name.slice(at + marker.length, -".tmp".length).split(".")
      if (extra !== undefined || !/^\d+$/.test(pid ?? "") || !/^\d+$/.test(seq ?? "")) continue
      if (Number(pid) === process.pid || isProcessAlive(Number(pid))) continue
      await fs.promises.rm(path.join(folder, name), { force: true }).catch(() => {})
    }
  }

  // core's shared mapping: no key or partition escapes the base or lands on another's file
  const stem = (key: string, partition: string | undefined): string => StoragePath.stem(base, key, partition)

  const fileOf = (key: string, partition: string | undefined, as: Format = format): string =>
    `${stem(key, partition)}.${Codec.extensions[as]}`

  const checkKey = (key: string): Effect.Effect<void, ArrowError.ArrowError> => {
    const problem = AssetKey.problem(key)
    return problem === undefined
      ? Effect.void
      : Effect.fail(ArrowError.make({ reason: "invalid-value", key, detail: problem }))
  }

  const encodeFailed = (cause: unknown, where: Where) =>
    cause instanceof Codec.UnsupportedColumn
      ? ArrowError.make({
        reason: "unsupported-type",
        ...where,
        column: cause.column,
        detail: `${cause.message}; cast the column to a type Parquet supports, or use format 'ipc'`,
        cause
      })
      : ArrowError.make({
        reason: "encode-failed",
        ...where,
        detail: `${format === "parquet" ? "Parquet" : "Arrow IPC"} encoding failed: ${(cause as Error)?.message ?? cause}` +
          (format === "parquet" ? " (a table of more than about a gigabyte: split it into partitions, or use format 'ipc')" : ""),
        cause
      })

  const checkSchema = Effect.fnUntraced(function*(
    table: Table,
    where: Where
  ) {
    const previous = yield* Effect.tryPromise(async () =>
      await Codec.readFileSchema(where.file, format) ??
        await Codec.readFileSchema(fileOf(where.key, where.partition, otherFormat(format)), otherFormat(format))
    ).pipe(
      Effect.catch((error) =>
        Effect.as(
          Effect.logWarning(
            `@strata/arrow: cannot read the schema of ${where.file} (${error.cause instanceof Error ? error.cause.message : String(error.cause)}); ` +
              "replacing it without a schema check"
          ),
          undefined
        )
      )
    )
    if (previous === undefined) return
    const { compatible, incompatible } = compareSchemas(previous, table.schema)
    if (incompatible.length > 0) {
      return yield* ArrowError.make({
        reason: "schema-changed",
        ...where,
        changes: [...incompatible, ...compatible],
        detail: `the new table ${formatChanges(incompatible)} compared with the stored one, which was kept. ` +
          "If downstream assets are ready for it, allow it with ArrowIO.layer({ schemaChange: 'allow' }) or the asset's " +
          "metadata { schema_change: 'allow' }, or delete the file"
      })
    }
    if (compatible.length > 0) yield* Effect.logInfo(`@strata/arrow: schema of ${where.key} changed: ${formatChanges(compatible)}`)
  })

  // Parquet: the main thread turns the table into an Arrow IPC stream (a
  // copy of its buffers, handed over without another copy); the worker
  // encodes Parquet, writes the temporary file and hashes it while the main
  // thread profiles the table.
  const writeParquet = Effect.fnUntraced(function*(table: Table, temp: string, where: Where) {
    const bytes = yield* Effect.try({
      try: () => {
        Codec.checkParquetTypes(table)
        return tableToIPC(table, "stream")
      },
      catch: (cause) => encodeFailed(cause, where)
    })
    const pending = WorkerClient.run<WorkerClient.Written>(
      { kind: "write-parquet", ipc: bytes, compression, rowGroupRows, temp, durable },
      bytes
    )
    pending.catch(() => {})
    return yield* Effect.gen(function*() {
      const profile = TableMetadata.describe(table, statistics)
      const written = yield* Effect.tryPromise({
        try: () => pending,
        catch: (cause) =>
          cause instanceof WorkerClient.WorkerFailure && cause.stage === "encode"
            ? encodeFailed(cause, where)
            : ArrowError.fromSystemError(cause, where)
      })
      return { profile, written: { hash: written.hash, size: written.size } }
    }).pipe(
      // the worker may still be writing the temporary file: let it finish before it is removed
      Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : Effect.promise(() => pending.catch(() => {})))
    )
  })

  // Arrow IPC has no encoding to hide the extra passes behind, so nothing is
  // copied: the file is the writer's chunks, views of the table's own
  // buffers. The thread pool writes them (one writev) while the main thread
  // hashes the same chunks and profiles the table.
  const writeIpc = Effect.fnUntraced(function*(table: Table, temp: string, where: Where) {
    const hasher = yield* Effect.promise(ContentHash.load)
    const chunks = yield* Effect.tryPromise({ try: () => Codec.encodeIpcChunks(table), catch: (cause) => encodeFailed(cause, where) })
    let size = 0
    for (const chunk of chunks) size += chunk.byteLength
    // opened before the write starts, so that the write is under way while the main thread is busy
    const handle = yield* Effect.tryPromise({
      try: async () => {
        await fs.promises.mkdir(path.dirname(temp), { recursive: true })
        return await fs.promises.open(temp, "w")
      },
      catch: (cause) => ArrowError.fromSystemError(cause, where)
    })
    const pending = (async () => {
      try {
        const { bytesWritten } = await handle.writev(chunks)
        if (bytesWritten !== size) throw new Error(`wrote ${bytesWritten} of ${size} bytes to ${temp}`)
        if (durable) await handle.sync()
      } finally {
        await handle.close()
      }
    })()
    pending.catch(() => {})
    return yield* Effect.gen(function*() {
      const hash = ContentHash.hashChunks(hasher, chunks)
      const profile = TableMetadata.describe(table, statistics)
      yield* Effect.tryPromise({ try: () => pending, catch: (cause) => ArrowError.fromSystemError(cause, where) })
      return { profile, written: { hash, size } }
    }).pipe(
      // the write may still be under way: let it finish (and close the file) before the file is removed
      Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : Effect.promise(() => pending.catch(() => {})))
    )
  })

  const write = Effect.fn("ArrowIO.write")(function*(key: string, value: Table, writeOptions?: WriteOptions) {
    yield* checkKey(key)
    const partition = writeOptions?.partition
    const file = fileOf(key, partition)
    const where = { key, partition, file }
    const table = yield* Effect.try({
      try: () => assertTable(value),
      catch: (error) => ArrowError.make({ reason: "invalid-value", detail: (error as ArrowError.ArrowError).detail, ...where })
    })
    if ((writeOptions?.schemaChange ?? defaultSchemaChange) === "error") yield* checkSchema(table, where)
    yield* Effect.promise(() => sweep(path.dirname(file)))
    const temp = `${file}.${host}.${process.pid}.${++sequence}.tmp`
    const { profile, written } = yield* (format === "parquet" ? writeParquet(table, temp, where) : writeIpc(table, temp, where)).pipe(
      Effect.tap(() =>
        Effect.tryPromise({
          try: async () => {
            // Replacing a file frees the old one's blocks inside the rename: about 20 ms for 50 MB on
            // ext4, as long as the write itself. A second link to the old file keeps the rename a mere
            // swap of names; the old file is unlinked after the store reports (a writer that dies first
            // leaves it to the next writer's sweep, like a temporary file).
            const old = `${file}.${host}.${process.pid}.${++sequence}.old`
            const kept = await fs.promises.link(file, old).then(() => true, () => false)
            try {
              await fs.promises.rename(temp, file)
            } catch (error) {
              if (kept) await fs.promises.rm(old, { force: true }).catch(() => {})
              throw error
            }
            if (kept) fs.promises.rm(old, { force: true }).catch(() => {})
            if (durable) await syncFolder(path.dirname(file))
            // the file of the other format, if the layer's format changed: the new file wins anyway
            await fs.promises.rm(fileOf(key, partition, otherFormat(format)), { force: true }).catch(() => {})
          },
          catch: (cause) => ArrowError.fromSystemError(cause, where)
        })
      ),
      Effect.onExit((exit) =>
        Exit.isSuccess(exit) ? Effect.void : Effect.promise(() => fs.promises.rm(temp, { force: true }).catch(() => {}))
      )
    )
    const dataVersion = written.hash
    const metadata: Record<string, Metadata.Json> = {
      ...profile,
      bytes: written.size,
      uri: pathToFileURL(file).href,
      path: file,
      format
    }
    if (format === "parquet") metadata.compression = compression
    return { metadata, dataVersion } satisfies IOManager.StoreResult
  })

  const readIfExists = (file: string): Promise<Uint8Array | undefined> =>
    fs.promises.readFile(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined
      throw error
    })

  const readBytes = (key: string, partition: string | undefined) =>
    Effect.tryPromise({
      try: async (): Promise<{ bytes: Uint8Array; file: string; format: Format } | undefined> => {
        const file = fileOf(key, partition)
        const bytes = await readIfExists(file)
        if (bytes !== undefined) return { bytes, file, format }
        // the layer's format changed since the asset was stored: read what is there
        const other = fileOf(key, partition, otherFormat(format))
        const otherBytes = await readIfExists(other)
        return otherBytes === undefined ? undefined : { bytes: otherBytes, file: other, format: otherFormat(format) }
      },
      catch: (cause) => ArrowError.fromSystemError(cause, { key, partition, file: fileOf(key, partition) })
    }).pipe(
      Effect.flatMap((stored) =>
        stored !== undefined ? Effect.succeed(stored) : Effect.fail(ArrowError.make({
          reason: "missing",
          key,
          partition,
          file: fileOf(key, partition),
          detail: `nothing is stored at ${fileOf(key, partition)} (nor as .${Codec.extensions[otherFormat(format)]}); ` +
            "materialize the asset first"
        }))
      )
    )

  const read = Effect.fn("ArrowIO.read")(function*(key: string, readOptions?: ReadOptions) {
    yield* checkKey(key)
    const partition = readOptions?.partition
    const columns = readOptions?.columns
    const stored = yield* readBytes(key, partition)
    const where = { key, partition, file: stored.file }
    const corrupt = (cause: unknown) =>
      ArrowError.make({
        reason: "corrupt-file",
        ...where,
        detail: `${(cause as Error)?.message ?? cause}; the file is damaged or was not written by @strata/arrow: ` +
          "re-materialize the asset (the file will be replaced)",
        cause
      })
    if (columns !== undefined) {
      const schema = yield* Effect.try({
        try: () => stored.format === "parquet" ? Codec.parquetSchema(stored.bytes) : undefined,
        catch: corrupt
      })
      if (schema !== undefined) yield* checkColumns(schema, columns, where)
    }
    const table = stored.format === "parquet"
      // parquet-rs decodes in the worker; the Arrow IPC it returns is read without copying
      ? yield* Effect.try({ try: () => Codec.checkParquet(stored.bytes), catch: corrupt }).pipe(
        Effect.andThen(Effect.tryPromise({
          try: () =>
            WorkerClient.run<WorkerClient.Decoded>({
              kind: "read-parquet",
              bytes: stored.bytes,
              columns: columns === undefined ? undefined : [...columns]
            }, stored.bytes),
          catch: corrupt
        })),
        Effect.flatMap((reply) => Effect.try({ try: () => tableFromIPC(reply.ipc), catch: corrupt }))
      )
      : yield* Effect.try({ try: () => Codec.decodeIpc(stored.bytes), catch: corrupt })
    if (columns === undefined) return table
    yield* checkColumns(table.schema, columns, where)
    return table.select(columns as Array<string>)
  })

  const readRange = rangeLoader(read)
  const writeRange = rangeWriter(write)

  return {
    name: format,
    format,
    base,
    path: (key, partition) => fileOf(key, partition),
    read,
    write,
    store(context, value) {
      const range = context.partitions
      if (range !== undefined && range.count > 1) return writeRange(context, range.keys, value)
      return write(context.key, value, {
        partition: context.partition,
        schemaChange: schemaChangeOf(context.definitionMetadata)
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
 * A step over several partitions (a single-run backfill) stores one table per
 * partition: its value is an object with exactly one table per partition key,
 * each written to its partition's file. The data version covers them all;
 * each partition's own is reported too (`partitionVersions`).
 */
const rangeWriter = (write: ArrowIOShape["write"]) =>
(
  context: IOManager.OutputContext,
  keys: ReadonlyArray<string>,
  value: unknown
): Effect.Effect<IOManager.StoreResult, IOManager.IOError> => {
  const byKey = value as Record<string, unknown>
  const valid = typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype &&
    Object.keys(byKey).length === keys.length && keys.every((key) => byKey[key] instanceof Arrow.Table)
  if (!valid) {
    return Effect.fail(ArrowError.toIOError("store", context.key, context.partition)(ArrowError.make({
      reason: "invalid-value",
      key: context.key,
      partition: context.partition,
      detail: `asset ${context.key} was computed for ${keys.length} partitions (${context.partition}) and ArrowIO stores one ` +
        `table per partition: return an object with exactly one table per partition key ` +
        `(${keys.slice(0, 3).join(", ")}${keys.length > 3 ? ", …" : ""}), or run one partition per step`
    })))
  }
  return Effect.map(
    Effect.forEach(keys, (partition) =>
      write(context.key, byKey[partition] as Table, { partition, schemaChange: schemaChangeOf(context.definitionMetadata) }).pipe(
        Effect.mapError(ArrowError.toIOError("store", context.key, partition))
      )),
    (results): IOManager.StoreResult => ({
      dataVersion: Version.hash(results.map((result, i) => `${keys[i]}=${result.dataVersion ?? ""}`).join("\n")),
      // each partition's own version, recorded per partition (a rebuild of one day alone compares with it)
      partitionVersions: results.every((result) => result.dataVersion !== undefined)
        ? results.map((result) => result.dataVersion!)
        : undefined,
      // the first partition's metadata, with the totals of the range
      metadata: {
        ...(results[0]?.metadata ?? {}),
        partitions: results.length,
        row_count: results.reduce((sum, result) => sum + Number(result.metadata?.row_count ?? 0), 0),
        bytes: results.reduce((sum, result) => sum + Number(result.metadata?.bytes ?? 0), 0)
      }
    })
  )
}

/**
 * A range of partitions as one table: each partition's file read (in
 * partition order), their record batches concatenated. A missing partition
 * fails naming it. The tables must have the same columns.
 */
const rangeLoader = (read: ArrowIOShape["read"]) => (key: string, partitions: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const tables: Array<Table> = []
    for (const partition of partitions) {
      tables.push(yield* read(key, { partition }).pipe(Effect.mapError(ArrowError.toIOError("load", key, partition))))
    }
    const first = tables[0]!
    const shape = first.schema.fields.map((field) => `${field.name}: ${field.type}`).join(", ")
    for (const [index, table] of tables.entries()) {
      const other = table.schema.fields.map((field) => `${field.name}: ${field.type}`).join(", ")
      if (other !== shape) {
        return yield* Effect.fail(ArrowError.toIOError("load", key, partitions[index])(ArrowError.make({
          reason: "schema-changed",
          key,
          partition: partitions[index],
          detail: `partition ${partitions[index]} has columns (${other}) but ${partitions[0]} has (${shape}): ` +
            "a range loads as one table, so every partition must have the same columns (re-materialize the older ones)"
        })))
      }
    }
    return first.concat(...tables.slice(1))
  })

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

const checkColumns = (
  schema: Schema,
  columns: ReadonlyArray<string>,
  where: Where
): Effect.Effect<void, ArrowError.ArrowError> => {
  const names = new Set(schema.fields.map((field) => field.name))
  const unknown = columns.find((column) => !names.has(column))
  return unknown === undefined ? Effect.void : Effect.fail(ArrowError.make({
    reason: "unknown-column",
    ...where,
    column: unknown,
    detail: `the stored table has no column ${JSON.stringify(unknown)}; its columns are ${[...names].join(", ")}`
  }))
}

const syncFolder = async (folder: string): Promise<void> => {
  const handle = await fs.promises.open(folder, "r")
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
