/**
 * The catalog service: where tables are found and how commits land. One
 * interface, two implementations:
 *
 * - the filesystem catalog (`layerFileSystem`): a warehouse folder, commits by
 *   an atomic hard link of the next `v<N>.metadata.json` (see the README for
 *   the layout and guarantees);
 * - the REST catalog (`layerRest`): any server that speaks the Iceberg REST
 *   catalog protocol, through `iceberg-js`.
 *
 * Commits are `TableUpdate.Commit` values (requirements + updates); a broken
 * requirement fails with `commit-conflict`. Table operations
 * (`IcebergTable.append`, `overwrite`, ...) build commits and retry them.
 *
 * @example
 * ```ts
 * import { IcebergCatalog, IcebergTable } from "@strata/iceberg"
 * import { Effect } from "effect"
 *
 * const tables = Effect.gen(function*() {
 *   const catalog = yield* IcebergCatalog.IcebergCatalog
 *   return yield* catalog.listTables(["analytics"])
 * }).pipe(Effect.provide(IcebergCatalog.layerFileSystem({ warehouse: ".strata/warehouse" })))
 * void IcebergTable
 * ```
 *
 * @since 0.1.0
 */
import { Clock, Config, Context, Effect, Layer, Option, Redacted } from "effect"
import * as IcebergError from "./IcebergError.ts"
import type * as IcebergSchema from "./IcebergSchema.ts"
import * as FileIO from "./internal/fileio.ts"
import * as FileSystemCatalog from "./internal/filesystemCatalog.ts"
import * as RestCatalog from "./internal/restCatalog.ts"
import type * as PartitionSpec from "./PartitionSpec.ts"
import type * as TableIdentifier from "./TableIdentifier.ts"
import type * as TableMetadata from "./TableMetadata.ts"
import type * as TableUpdate from "./TableUpdate.ts"

/**
 * A table as loaded from the catalog.
 *
 * @since 0.1.0
 */
export interface LoadedTable {
  readonly metadata: TableMetadata.TableMetadata
  /** The metadata file's location (the REST catalog may leave it empty). */
  readonly metadataLocation: string
}

/**
 * What a new table starts with.
 *
 * @since 0.1.0
 */
export interface CreateTableRequest {
  readonly schema: IcebergSchema.Schema
  /** The highest field id the schema uses. */
  readonly lastColumnId: number
  readonly spec?: PartitionSpec.PartitionSpec | undefined
  readonly sortOrder?: TableMetadata.SortOrder | undefined
  readonly properties?: Readonly<Record<string, string>> | undefined
}

/**
 * The catalog operations.
 *
 * @since 0.1.0
 */
export interface IcebergCatalogShape {
  /** `filesystem` or `rest`. */
  readonly kind: "filesystem" | "rest"
  /** Where table locations live on this machine (data files are read and written through it). */
  readonly io: FileIO.FileIO
  readonly listNamespaces: (parent?: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<ReadonlyArray<string>>, IcebergError.IcebergError>
  readonly createNamespace: (namespace: ReadonlyArray<string>) => Effect.Effect<void, IcebergError.IcebergError>
  readonly dropNamespace: (namespace: ReadonlyArray<string>) => Effect.Effect<void, IcebergError.IcebergError>
  readonly listTables: (namespace: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<TableIdentifier.TableIdentifier>, IcebergError.IcebergError>
  readonly loadTable: (id: TableIdentifier.TableIdentifier) => Effect.Effect<LoadedTable, IcebergError.IcebergError>
  readonly createTable: (id: TableIdentifier.TableIdentifier, request: CreateTableRequest) => Effect.Effect<LoadedTable, IcebergError.IcebergError>
  /** Applies a commit if its requirements hold on the table's current metadata; else fails with `commit-conflict`. */
  readonly commitTable: (id: TableIdentifier.TableIdentifier, commit: TableUpdate.Commit) => Effect.Effect<LoadedTable, IcebergError.IcebergError>
  /** Removes the table from the catalog; `purge` also deletes its files. */
  readonly dropTable: (id: TableIdentifier.TableIdentifier, options?: { readonly purge?: boolean }) => Effect.Effect<void, IcebergError.IcebergError>
}

/**
 * The catalog service.
 *
 * @since 0.1.0
 */
export class IcebergCatalog extends Context.Service<IcebergCatalog, IcebergCatalogShape>()("@strata/iceberg/IcebergCatalog") {}

const attempt = <A>(run: () => Promise<A>, toError: (cause: unknown) => IcebergError.IcebergError): Effect.Effect<A, IcebergError.IcebergError> =>
  Effect.tryPromise({ try: run, catch: toError })

const asIcebergError = (location: string) => (cause: unknown): IcebergError.IcebergError =>
  IcebergError.isIcebergError(cause) ? cause : IcebergError.fromSystemError(cause, location)

/**
 * Options of the filesystem catalog (see {@link layerFileSystem}).
 *
 * @since 0.1.0
 */
export type FileSystemOptions = FileSystemCatalog.Options

/**
 * A filesystem catalog's operations, for tools and tests (the REST server of
 * `@strata/iceberg/testing` is built on it).
 *
 * @since 0.1.0
 */
export const makeFileSystem = (options: FileSystemOptions): IcebergCatalogShape => {
  const catalog = FileSystemCatalog.make(options)
  const toError = asIcebergError(catalog.warehouse)
  return {
    kind: "filesystem",
    io: catalog.io,
    listNamespaces: (parent = []) => attempt(() => FileSystemCatalog.listNamespaces(catalog, parent), toError),
    createNamespace: (namespace) => attempt(() => FileSystemCatalog.createNamespace(catalog, namespace), toError),
    dropNamespace: (namespace) => attempt(() => FileSystemCatalog.dropNamespace(catalog, namespace), toError),
    listTables: (namespace) => attempt(() => FileSystemCatalog.listTables(catalog, namespace), toError),
    loadTable: (id) => attempt(() => FileSystemCatalog.loadTable(catalog, id), toError),
    createTable: (id, request) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => attempt(() => FileSystemCatalog.createTable(catalog, id, request, now), toError)),
    commitTable: (id, commit) =>
      Clock.clockWith((clock) =>
        attempt(() => FileSystemCatalog.commitTable(catalog, id, commit, () => clock.currentTimeMillisUnsafe()), toError)),
    dropTable: (id, options) => attempt(() => FileSystemCatalog.dropTable(catalog, id, options?.purge ?? false), toError)
  }
}

/**
 * The filesystem catalog as a layer.
 *
 * | option | default | meaning |
 * | --- | --- | --- |
 * | `warehouse` | (required) | the warehouse folder |
 * | `location` | its `file://` URI | the URI prefix written into metadata, e.g. `http://host/wh` when the folder is served over HTTP |
 * | `durable` | `false` | fsync files before a commit reports |
 * | `maxAttempts` | 100 | metadata-version races lost before `commit-failed` |
 *
 * @since 0.1.0
 */
export const layerFileSystem = (options: FileSystemOptions): Layer.Layer<IcebergCatalog> =>
  Layer.succeed(IcebergCatalog, makeFileSystem(options))

/**
 * Options of the REST catalog client (see {@link layerRest}).
 *
 * @since 0.1.0
 */
export interface RestOptions {
  /** The catalog's base URL; requests go to `<uri>/v1/...`. */
  readonly uri: string
  /** Sent to `/v1/config?warehouse=`; the server's `prefix` override is used after. */
  readonly warehouse?: string | undefined
  readonly token?: Redacted.Redacted<string> | undefined
  /** URI prefixes of table locations mapped to local folders (`file://` locations need none). */
  readonly mounts?: ReadonlyArray<FileIO.Mount> | undefined
}

/**
 * A REST catalog client's operations.
 *
 * @since 0.1.0
 */
export const makeRest = (options: RestOptions): IcebergCatalogShape => {
  const catalog = RestCatalog.make({
    uri: options.uri,
    warehouse: options.warehouse,
    token: options.token === undefined ? undefined : Redacted.value(options.token),
    mounts: options.mounts
  })
  const toError = (table?: TableIdentifier.TableIdentifier) =>
    RestCatalog.toError(catalog, table === undefined ? undefined : [...table.namespace, table.name].join("."))
  return {
    kind: "rest",
    io: catalog.io,
    listNamespaces: (parent) =>
      attempt(async () => {
        const result = await catalog.client.listNamespaces(parent === undefined || parent.length === 0 ? {} : { parent: { namespace: [...parent] } })
        return result.namespaces.map((namespace) => namespace.namespace)
      }, toError()),
    createNamespace: (namespace) => attempt(() => catalog.client.createNamespace({ namespace: [...namespace] }).then(() => undefined), toError()),
    dropNamespace: (namespace) => attempt(() => catalog.client.dropNamespace({ namespace: [...namespace] }), toError()),
    listTables: (namespace) =>
      attempt(async () => (await catalog.client.listTables({ namespace: [...namespace] })).identifiers, toError()),
    loadTable: (id) => attempt(() => RestCatalog.loadTable(catalog, id), toError(id)),
    createTable: (id, request) => attempt(() => RestCatalog.createTable(catalog, id, request), toError(id)),
    commitTable: (id, commit) => attempt(() => RestCatalog.commitTable(catalog, id, commit), toError(id)),
    dropTable: (id, options) =>
      attempt(() => catalog.client.dropTable({ namespace: [...id.namespace], name: id.name }, { purge: options?.purge ?? false }), toError(id))
  }
}

/**
 * The REST catalog client as a layer.
 *
 * @since 0.1.0
 */
export const layerRest = (options: RestOptions): Layer.Layer<IcebergCatalog> => Layer.succeed(IcebergCatalog, makeRest(options))

/**
 * A catalog from the environment: `STRATA_ICEBERG_CATALOG` = `filesystem`
 * (default; `STRATA_ICEBERG_WAREHOUSE`, default `.strata/warehouse`) or `rest`
 * (`STRATA_ICEBERG_URI`, optional `STRATA_ICEBERG_REST_WAREHOUSE` and
 * `STRATA_ICEBERG_TOKEN`).
 *
 * @since 0.1.0
 */
export const layerConfig: Layer.Layer<IcebergCatalog, Config.ConfigError> = Layer.effect(
  IcebergCatalog,
  Effect.gen(function*() {
    const kind = yield* Config.Literals(["filesystem", "rest"], "STRATA_ICEBERG_CATALOG").pipe(Config.withDefault("filesystem" as const))
    if (kind === "filesystem") {
      const warehouse = yield* Config.String("STRATA_ICEBERG_WAREHOUSE").pipe(Config.withDefault(".strata/warehouse"))
      return makeFileSystem({ warehouse })
    }
    const uri = yield* Config.String("STRATA_ICEBERG_URI")
    const warehouse = yield* Config.option(Config.String("STRATA_ICEBERG_REST_WAREHOUSE"))
    const token = yield* Config.option(Config.Redacted("STRATA_ICEBERG_TOKEN"))
    return makeRest({ uri, warehouse: Option.getOrUndefined(warehouse), token: Option.getOrUndefined(token) })
  })
)
