/**
 * The skeleton every warehouse I/O manager shares (Postgres, Snowflake, and
 * the next one): how an asset key names a table, which values become which
 * tables, what a store checks before it touches the warehouse, the metadata
 * every store records, the data version when the warehouse has none to
 * offer, and the errors, so that each backend only says how to write a table
 * atomically and how to read one back.
 *
 * A backend implements {@link Backend}: `write` replaces the table (or one
 * partition's rows) atomically and `read` returns it, or `undefined` when it
 * does not exist. {@link make} turns a backend into I/O managers for Arrow
 * tables (`tables`), arrays of row objects (`rows`), any value through a
 * handler (`withHandler`), and core's `DefaultIO` (`values`: tables, rows or
 * any exact-JSON value, the kind recorded by the backend beside the table so
 * a load returns what was stored).
 *
 * Every store records the table's profile (`TableMetadata.describe`: per
 * column null count and rate, min/max, distinct estimate) beside the row
 * count, schema and null counts.
 *
 * This module imports only `apache-arrow`, `effect` and `@strata/core`, so a
 * warehouse integration can depend on it without loading Parquet.
 *
 * @example
 * ```ts fragment
 * import { TableIO } from "@strata/arrow/TableIO"
 *
 * const managers = TableIO.make(myBackend) // { tables, rows, values, withHandler }
 * ```
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { IOManager } from "@strata/core"
import type { TableMeasure } from "@strata/core"
import { exactJson } from "@strata/core/spi"
import * as Arrow from "apache-arrow"
import { Effect } from "effect"
import { measure as measureWithSql } from "./internal/measureSql.ts"
import type { SqlDialect, SqlQuery, SqlTable } from "./internal/measureSql.ts"
import { jsonValueTable, rowsToTable, tableToRows } from "./internal/tableRows.ts"
import type { Row } from "./internal/tableRows.ts"
import * as TableMetadata from "./TableMetadata.ts"

export { EXTENSION_NAME, JSON_EXTENSION, JSON_TEXT, rowsToTable, tableToRows } from "./internal/tableRows.ts"
export type { ColumnFamily, SqlDialect, SqlQuery, SqlTable } from "./internal/measureSql.ts"
export type { Row }
export { layers } from "./internal/tableLayers.ts"
export type { LayerFor, Layers } from "./internal/tableLayers.ts"

type InputContext = IOManager.InputContext
type OutputContext = IOManager.OutputContext
type Manager<A> = IOManager.IOManager<A>

/**
 * A table: its schema (namespace) and name, as the warehouse spells them.
 *
 * @since 0.1.0
 */
export interface TableName {
  readonly schema: string
  readonly table: string
}

/**
 * What a table holds, recorded by the backend beside the table (a comment)
 * so that `values` loads return what was stored.
 *
 * @since 0.1.0
 */
export type StoredKind = "table" | "rows" | "json"

/** `strata:kind=<kind>`: how backends record the kind (a table comment). */
export const KIND_PREFIX = "strata:kind="

/**
 * The kind a comment records; `table` for a comment Strata did not write.
 *
 * @since 0.1.0
 */
export const kindOfComment = (comment: string | null | undefined): StoredKind => {
  const kind = comment?.startsWith(KIND_PREFIX) === true ? comment.slice(KIND_PREFIX.length) : ""
  return kind === "rows" || kind === "json" ? kind : "table"
}

/**
 * How a backend names tables (see {@link tableNameOf}).
 *
 * @since 0.1.0
 */
export interface Naming {
  /** The schema of one-segment keys. */
  readonly defaultSchema: string
  /** Metadata `<prefix>/schema` and `<prefix>/table` on the asset override the name. */
  readonly metadataPrefix: string
  /** Longest name part in UTF-8 bytes; a longer one is refused, never truncated. */
  readonly maxBytes: number
  /**
   * Applied to each part taken from the key (not to metadata overrides), e.g.
   * upper-casing. It must be injective (two parts never give one name), and
   * may throw, with a message saying what to do, for a part it refuses.
   */
  readonly normalize?: ((part: string) => string) | undefined
}

/**
 * The table an asset key maps to: the key's last segment is the table, the
 * segments before it (joined with `/`, which no key segment contains, so
 * different keys never share a table) the schema; a one-segment key goes to
 * the default schema. Metadata `<prefix>/schema` / `<prefix>/table` win.
 *
 * @since 0.1.0
 */
export const tableNameOf = (key: string, naming: Naming, metadata?: Readonly<Record<string, unknown>>): TableName => {
  const normalize = naming.normalize ?? ((part: string) => part)
  const segments = key.split("/")
  const table = normalize(segments[segments.length - 1]!)
  const schema = segments.length === 1 ? naming.defaultSchema : normalize(segments.slice(0, -1).join("/"))
  const schemaOverride = metadata?.[`${naming.metadataPrefix}/schema`]
  const tableOverride = metadata?.[`${naming.metadataPrefix}/table`]
  return {
    schema: typeof schemaOverride === "string" ? schemaOverride : schema,
    table: typeof tableOverride === "string" ? tableOverride : table
  }
}

/**
 * A store request handed to {@link Backend.write}: the table is checked
 * (unique column names, none named like the partition column, every column
 * typed by the backend).
 *
 * @since 0.1.0
 */
export interface WriteRequest {
  readonly context: OutputContext
  readonly name: TableName
  readonly uri: string
  readonly table: Arrow.Table
  readonly kind: StoredKind
}

/**
 * What a backend wrote.
 *
 * @since 0.1.0
 */
export interface Written {
  /** Rows the warehouse reports loaded; a mismatch with the table fails the store (retryable). */
  readonly rows: number
  readonly bytes?: number | undefined
  /** The warehouse's own version of the data (a snapshot id); default: a hash of the table's content. */
  readonly dataVersion?: string | undefined
  /** Extra metadata (query ids...). */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined
}

/**
 * A load request handed to {@link Backend.read}.
 *
 * @since 0.1.0
 */
export interface ReadRequest {
  readonly context: InputContext
  readonly name: TableName
  readonly uri: string
}

/**
 * What a warehouse integration implements.
 *
 * @since 0.1.0
 */
export interface Backend {
  /** `postgres`, `snowflake`: the I/O managers' names. */
  readonly name: string
  readonly naming: Naming
  /** The column holding the partition key of partitioned assets. */
  readonly partitionColumn: string
  /** The URI recorded in metadata and errors. */
  readonly uriOf: (name: TableName) => string
  /** The warehouse type of a column; throws for a type it cannot store. */
  readonly columnType: (field: Arrow.Field) => string
  /** Replaces the table (or the context's partition of it) atomically. */
  readonly write: (request: WriteRequest) => Effect.Effect<Written, IOManager.IOError>
  /**
   * Optional: `read` loads a range of partitions (`context.partitions` with
   * several keys) as one table, their rows in partition order, in one query.
   * Without it, a range is read partition by partition and concatenated.
   */
  readonly readsRanges?: boolean | undefined
  /** The stored table (the context's partition only, without the partition column), or undefined when none exists. */
  readonly read: (
    request: ReadRequest
  ) => Effect.Effect<{ readonly table: Arrow.Table; readonly kind: StoredKind } | undefined, IOManager.IOError>
  /**
   * Optional: SQL in the warehouse, for the managers' `measure` capability
   * (the built-in checks run as queries instead of loading the table).
   */
  readonly sql?: SqlAccess | undefined
}

/**
 * How the skeleton runs SQL against a stored table: the backend's dialect,
 * and a consistent read of the table (opened like a load, so a concurrent
 * replacement is seen whole or not at all) in which `use` sends its queries;
 * `undefined` when the table does not exist.
 *
 * @since 0.1.0
 */
export interface SqlAccess {
  readonly dialect: SqlDialect
  readonly read: <A>(
    request: ReadRequest,
    use: (table: SqlTable & { readonly kind: StoredKind }, query: SqlQuery) => Effect.Effect<A, IOManager.IOError>
  ) => Effect.Effect<A | undefined, IOManager.IOError>
}

/**
 * Converts an asset's values to and from Arrow tables (the shape of
 * `TypeHandler`). Either function may throw; the error names the asset.
 *
 * @since 0.1.0
 */
export interface TableHandler<A> {
  readonly name: string
  readonly toTable: (value: A) => Arrow.Table
  readonly fromTable: (table: Arrow.Table) => A
}

/**
 * An `IOError` for a store or load of `context`'s asset.
 *
 * @since 0.1.0
 */
export const ioError = (
  operation: "store" | "load",
  context: { readonly key: string; readonly partition: string | undefined },
  uri: string | undefined,
  message: string,
  isRetryable: boolean,
  cause?: unknown
): IOManager.IOError =>
  new IOManager.IOError({
    operation,
    key: context.key,
    ...(context.partition !== undefined ? { partition: context.partition } : {}),
    ...(uri !== undefined ? { uri } : {}),
    message,
    isRetryable,
    ...(cause !== undefined ? { cause } : {})
  })

const messageOf = (error: unknown): string => error instanceof Error ? error.message : String(error)

/**
 * `encodeURIComponent` that never throws: an unpaired surrogate (a name no
 * warehouse accepts) shows as U+FFFD, and the warehouse then refuses the
 * name with a typed error.
 *
 * @since 0.1.0
 */
export const encodeUriPart = (part: string): string =>
  encodeURIComponent(part.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD"))

/**
 * A content hash of a table (SHA-256 of its Arrow IPC stream, 16 hex
 * characters): the same table stored twice has the same version.
 *
 * @since 0.1.0
 */
export const contentVersion = (table: Arrow.Table): string =>
  createHash("sha256").update(Arrow.tableToIPC(table, "stream")).digest("hex").slice(0, 16)

/**
 * Null count per column.
 *
 * @since 0.1.0
 */
export const nullCounts = (table: Arrow.Table): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const field of table.schema.fields) counts[field.name] = table.getChild(field.name)?.nullCount ?? 0
  return counts
}

const resolveName = (backend: Backend, operation: "store" | "load", context: OutputContext | InputContext) => {
  let name: TableName
  try {
    name = tableNameOf(context.key, backend.naming, context.definitionMetadata)
  } catch (error) {
    // the backend's `normalize` refuses a key part it cannot name without colliding with another key's
    return Effect.fail(ioError(operation, context, undefined, `asset ${context.key}: ${messageOf(error)}`, false, error))
  }
  for (const part of [name.schema, name.table]) {
    if (part === "" || Buffer.byteLength(part, "utf8") > backend.naming.maxBytes) {
      return Effect.fail(ioError(
        operation,
        context,
        undefined,
        `the ${backend.name} name ${JSON.stringify(part)} for asset ${context.key} is empty or longer than ${backend.naming.maxBytes} bytes; ` +
          `use a shorter key or set the asset's metadata '${backend.naming.metadataPrefix}/schema' / '${backend.naming.metadataPrefix}/table'`,
        false
      ))
    }
  }
  return Effect.succeed(name)
}

/** The columns' warehouse types, or a message saying why the table cannot be stored. */
const checkColumns = (backend: Backend, context: OutputContext, table: Arrow.Table): Array<string> | string => {
  const seen = new Set<string>()
  const types: Array<string> = []
  for (const field of table.schema.fields) {
    if (seen.has(field.name)) return `the table has two columns named ${JSON.stringify(field.name)}; rename one`
    seen.add(field.name)
    if (context.partition !== undefined && field.name === backend.partitionColumn) {
      return `column ${JSON.stringify(field.name)} is the partition column of partitioned assets; rename it or set the I/O manager's partitionColumn option`
    }
    try {
      types.push(backend.columnType(field))
    } catch (error) {
      return `cannot store asset ${context.key}: ${messageOf(error)}`
    }
  }
  return types
}

const storeTable = (backend: Backend, context: OutputContext, table: Arrow.Table, kind: StoredKind) =>
  Effect.gen(function*() {
    const name = yield* resolveName(backend, "store", context)
    const uri = backend.uriOf(name)
    const types = checkColumns(backend, context, table)
    if (typeof types === "string") return yield* ioError("store", context, uri, types, false)
    const written = yield* backend.write({ context, name, uri, table, kind })
    if (written.rows !== table.numRows) {
      return yield* ioError("store", context, uri, `the server loaded ${written.rows} rows of ${table.numRows}`, true)
    }
    const fields = table.schema.fields
    const profile = TableMetadata.describe(table)
    const result: IOManager.StoreResult = {
      metadata: {
        row_count: table.numRows,
        ...(written.bytes !== undefined ? { bytes: written.bytes } : {}),
        uri,
        table: `${name.schema}.${name.table}`,
        schema: fields.map((field, index) => ({ name: field.name, type: types[index]!, nullable: field.nullable })),
        null_counts: nullCounts(table),
        // the same table profile as ArrowIO's: per column null count and rate, min/max (numbers, dates, times),
        // a distinct estimate (strings), so the shape diff and the catalog's plots work on every warehouse
        column_count: profile["column_count"]!,
        null_count: profile["null_count"]!,
        columns: profile["columns"]!,
        ...written.metadata
      },
      dataVersion: written.dataVersion ?? contentVersion(table)
    }
    return result
  })

const loadStored = (backend: Backend, context: InputContext): Effect.Effect<
  { readonly table: Arrow.Table; readonly kind: StoredKind; readonly uri: string },
  IOManager.IOError
> =>
  Effect.gen(function*() {
    const range = context.partitions
    if (range !== undefined && range.count > 1 && backend.readsRanges !== true) {
      const parts = yield* Effect.forEach(range.keys, (partition) => loadStored(backend, { ...context, partition, partitions: undefined }))
      return { table: parts[0]!.table.concat(...parts.slice(1).map((part) => part.table)), kind: parts[0]!.kind, uri: parts[0]!.uri }
    }
    const name = yield* resolveName(backend, "load", context)
    const uri = backend.uriOf(name)
    const stored = yield* backend.read({ context, name, uri })
    if (stored === undefined) {
      return yield* ioError("load", context, uri, `asset ${context.key} has no table ${uri}; materialize it first`, false)
    }
    return { ...stored, uri }
  })

const convert = <A, B>(
  operation: "store" | "load",
  context: OutputContext | InputContext,
  what: string,
  f: () => B
): Effect.Effect<B, IOManager.IOError> =>
  Effect.try({ try: f, catch: (error) => ioError(operation, context, undefined, `${what}: ${messageOf(error)}`, false, error) }) as Effect.Effect<
    B,
    IOManager.IOError
  >

const isRows = (value: unknown): value is ReadonlyArray<Row> =>
  Array.isArray(value) && value.every((row) => {
    if (typeof row !== "object" || row === null || Array.isArray(row)) return false
    const proto = Object.getPrototypeOf(row)
    return proto === Object.prototype || proto === null
  })

const storeValue = (backend: Backend, context: OutputContext, value: unknown) => {
  if (value instanceof Arrow.Table) return storeTable(backend, context, value, "table")
  // rows without any column (`[]`, `[{}]`) make no table a warehouse can create: they are stored as JSON
  if (isRows(value) && value.some((row) => Object.keys(row).length > 0)) {
    return convert("store", context, `cannot store asset ${context.key} as rows`, () => rowsToTable(value)).pipe(
      Effect.flatMap((table) => storeTable(backend, context, table, "rows"))
    )
  }
  const json = exactJson(value)
  if (json === undefined) {
    return Effect.fail(ioError(
      "store",
      context,
      undefined,
      `asset ${context.key} computed a value that is neither an Arrow table, nor an array of row objects, nor exact JSON ` +
        "(a Date, Map, BigInt, NaN or class instance inside); return one of those, or use a file-based I/O manager for it",
      false
    ))
  }
  return storeTable(backend, context, jsonValueTable(json), "json")
}

const loadValue = (backend: Backend, context: InputContext) =>
  Effect.flatMap(loadStored(backend, context), ({ kind, table, uri }) => {
    if (kind === "rows") return Effect.succeed(tableToRows(table) as unknown)
    if (kind === "table") return Effect.succeed(table as unknown)
    const text = table.numRows === 1 ? table.getChild("value")?.get(0) : undefined
    return typeof text === "string"
      ? convert("load", context, `table ${uri} should hold one JSON value in a column "value"`, () => JSON.parse(text) as unknown)
      : Effect.fail(ioError("load", context, uri, `table ${uri} should hold one JSON value in a column "value"; store the asset again`, false))
  })

/**
 * Table measures in SQL (`IOManager.measure`): answered in the warehouse for
 * tables and rows; `undefined` (load instead) for a JSON value, or a measure
 * SQL cannot compute like JavaScript on that column.
 */
const measureStored = (backend: Backend, sql: SqlAccess, context: InputContext, measures: ReadonlyArray<TableMeasure.Measure>) =>
  Effect.gen(function*() {
    const name = yield* resolveName(backend, "load", context)
    const uri = backend.uriOf(name)
    const answer = yield* sql.read({ context, name, uri }, (table, query) =>
      table.kind === "json"
        ? Effect.succeed({ results: undefined })
        : Effect.map(measureWithSql(sql.dialect, table, query, measures), (results) => ({ results })))
    if (answer === undefined) {
      return yield* ioError("load", context, uri, `asset ${context.key} has no table ${uri}; materialize it first`, false)
    }
    return answer.results
  })

const withMeasure = <A>(backend: Backend, manager: Manager<A>): Manager<A> => {
  const sql = backend.sql
  if (sql === undefined) return manager
  return { ...manager, measure: (context, measures) => measureStored(backend, sql, context, measures) }
}

/**
 * The I/O managers of a backend.
 *
 * @since 0.1.0
 */
export interface Managers {
  readonly tables: Manager<Arrow.Table>
  readonly rows: Manager<ReadonlyArray<Row>>
  readonly values: Manager<unknown>
  readonly withHandler: <A>(handler: TableHandler<A>) => Manager<A>
}

/**
 * Builds the I/O managers of a backend.
 *
 * @since 0.1.0
 */
export const make = (backend: Backend): Managers => {
  const withHandler = <A>(handler: TableHandler<A>): Manager<A> => ({
    name: `${backend.name} (${handler.name})`,
    store: (context, value) =>
      convert("store", context, `cannot store asset ${context.key} as a table (${handler.name})`, () => handler.toTable(value)).pipe(
        Effect.flatMap((table) => storeTable(backend, context, table, "table"))
      ),
    load: (context) =>
      Effect.flatMap(loadStored(backend, context), ({ table }) =>
        convert("load", context, `cannot convert asset ${context.key} from a table (${handler.name})`, () => handler.fromTable(table)))
  })
  return {
    tables: withMeasure(backend, {
      name: backend.name,
      store: (context, table) => storeTable(backend, context, table, "table"),
      load: (context) => Effect.map(loadStored(backend, context), (stored) => stored.table)
    }),
    rows: withMeasure(backend, {
      name: `${backend.name} (rows)`,
      store: (context, rows) =>
        convert("store", context, `cannot store asset ${context.key} as rows`, () => rowsToTable(rows)).pipe(
          Effect.flatMap((table) => storeTable(backend, context, table, "rows"))
        ),
      load: (context) => Effect.map(loadStored(backend, context), (stored) => tableToRows(stored.table))
    }),
    values: withMeasure(backend, {
      name: `${backend.name} (values)`,
      store: (context, value) => storeValue(backend, context, value),
      load: (context) => loadValue(backend, context)
    }),
    withHandler
  }
}
