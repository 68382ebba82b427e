/**
 * The Snowflake resource: a pool of `snowflake-sdk` connections as an Effect
 * service.
 *
 * The pool is opened when the layer is built (one connection logs in, so a
 * wrong account, user or key fails the layer, not the first asset) and
 * drained when the layer's scope closes. Every statement carries a query tag
 * naming the asset (and partition) being materialized, read from core's
 * `Materialize.CurrentStep`, plus whatever {@link withQueryTag} adds (a run
 * id), so a Snowflake admin sees in `QUERY_HISTORY` which asset ran which
 * query.
 *
 * @example
 * ```ts
 * import { SnowflakeClient } from "@strata/snowflake"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const snowflake = yield* SnowflakeClient
 *   const { table } = yield* snowflake.queryArrow("select * from orders where region = ?", ["EU"])
 *   return table.numRows
 * }).pipe(Effect.provide(SnowflakeClient.layerConfig))
 * ```
 *
 * @since 0.1.0
 */
import { Materialize } from "@strata/core"
import type * as Arrow from "apache-arrow"
import { Config, Context, Effect, Exit, Layer, Option, Redacted, Schema, Stream } from "effect"
import type { Scope } from "effect"
import snowflake from "snowflake-sdk"
import type { ColumnInfo } from "./internal/arrow.ts"
import { BatchBuilder, ConversionError, tableOf } from "./internal/arrow.ts"
import { insertArrow } from "./internal/write.ts"
import type { WriteOptions, WriteResult } from "./internal/write.ts"
import { fromUnknown, SnowflakeError } from "./SnowflakeError.ts"

/**
 * How to log in: one of a password, a key pair (RSA private key in PEM,
 * optionally encrypted) or an OAuth access token.
 *
 * @since 0.1.0
 */
export type SnowflakeAuth =
  | { readonly _tag: "Password"; readonly password: Redacted.Redacted<string> }
  | {
    readonly _tag: "KeyPair"
    readonly privateKey: Redacted.Redacted<string>
    readonly passphrase?: Redacted.Redacted<string> | undefined
  }
  | { readonly _tag: "OAuth"; readonly token: Redacted.Redacted<string> }

/**
 * Where and how to connect.
 *
 * @since 0.1.0
 */
export interface SnowflakeClientConfig {
  /** The account identifier (`xy12345.eu-west-1`, `myorg-myaccount`). */
  readonly account: string
  readonly user: string
  readonly auth: SnowflakeAuth
  readonly role?: string | undefined
  readonly warehouse?: string | undefined
  readonly database?: string | undefined
  readonly schema?: string | undefined
  /** Another endpoint than `https://<account>.snowflakecomputing.com` (a private link, the local test server). */
  readonly accessUrl?: string | undefined
  /** Connections in the pool. Default 4. */
  readonly maxConnections?: number | undefined
  /** Server-side `STATEMENT_TIMEOUT_IN_SECONDS` for every statement, when set. */
  readonly statementTimeoutSeconds?: number | undefined
  /** Shown as the application in Snowflake's login history. Default `strata`. */
  readonly application?: string | undefined
  /** Extra fields of every query tag (`{ team: "growth" }`). */
  readonly queryTag?: Readonly<Record<string, string>> | undefined
}

/**
 * A row as the driver returns it: NUMBER as `number`, VARIANT parsed,
 * DATE and TIMESTAMP as `Date`, BINARY as `Buffer`.
 *
 * @since 0.1.0
 */
export type Row = Record<string, unknown>

/**
 * A bind value: `?` placeholders take them in order. Arrays of arrays bind
 * many rows at once (array binding, for `INSERT ... VALUES`).
 *
 * @since 0.1.0
 */
export type Bind = string | number | boolean | null | Date | Buffer

/**
 * What a statement returned, with its Snowflake query id.
 *
 * @since 0.1.0
 */
export interface ArrowResult {
  readonly table: Arrow.Table
  readonly queryId: string
}

/**
 * One pooled connection, for statements that must share a session
 * (transactions, temporary tables, `USE`).
 *
 * @since 0.1.0
 */
export interface SnowflakeConnection {
  /** Runs a statement; rows as the driver returns them. */
  readonly query: (sql: string, binds?: ReadonlyArray<Bind> | ReadonlyArray<ReadonlyArray<Bind>>) => Effect.Effect<ReadonlyArray<Row>, SnowflakeError>
  /** Runs a statement; its result as an Arrow table (see the package README for the type mapping). */
  readonly queryArrow: (sql: string, binds?: ReadonlyArray<Bind>) => Effect.Effect<ArrowResult, SnowflakeError>
  /** Runs a statement that returns no rows of interest; the number of rows it changed, when Snowflake reports one. */
  readonly execute: (
    sql: string,
    binds?: ReadonlyArray<Bind> | ReadonlyArray<ReadonlyArray<Bind>>
  ) => Effect.Effect<{ readonly rowsAffected: number | undefined; readonly queryId: string }, SnowflakeError>
  /** Streams a result as record batches of at most `batchRows` rows (default 65,536), chunk by chunk from Snowflake. */
  readonly stream: (sql: string, binds?: ReadonlyArray<Bind>, options?: { readonly batchRows?: number | undefined }) => Stream.Stream<Arrow.RecordBatch, SnowflakeError>
  /** Appends an Arrow table to a table (see {@link WriteOptions}); creates the table when asked. */
  readonly insertArrow: (table: string, data: Arrow.Table, options?: WriteOptions) => Effect.Effect<WriteResult, SnowflakeError>
}

/**
 * The service.
 *
 * @since 0.1.0
 */
export interface SnowflakeClientShape extends SnowflakeConnection {
  /** Where the pool connects (no secrets). */
  readonly info: { readonly account: string; readonly user: string; readonly database: string | undefined; readonly schema: string | undefined }
  /** Decodes every row with a Schema: typed rows, and a `data` error naming the row that does not fit. */
  readonly querySchema: <A, I>(
    schema: Schema.Codec<A, I>,
    sql: string,
    binds?: ReadonlyArray<Bind>
  ) => Effect.Effect<ReadonlyArray<A>, SnowflakeError>
  /** Runs `use` with one connection, returned to the pool afterwards (destroyed if `use` failed or was interrupted). */
  readonly withConnection: <A, E, R>(use: (connection: SnowflakeConnection) => Effect.Effect<A, E, R>) => Effect.Effect<A, E | SnowflakeError, R>
  /** Runs `use` inside `BEGIN ... COMMIT` on one connection; any failure or interruption rolls back. */
  readonly transaction: <A, E, R>(use: (connection: SnowflakeConnection) => Effect.Effect<A, E, R>) => Effect.Effect<A, E | SnowflakeError, R>
}

/**
 * Extra fields for the query tags of the statements an effect runs (a run
 * id, a backfill id), on top of the asset key core provides.
 *
 * @since 0.1.0
 */
export const QueryTagFields = Context.Reference<Readonly<Record<string, string>>>("@strata/snowflake/QueryTagFields", {
  defaultValue: () => ({})
})

/**
 * Adds fields to the query tags of the statements `effect` runs.
 *
 * @since 0.1.0
 */
export const withQueryTag = (fields: Readonly<Record<string, string>>) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.gen(function*() {
    const current: Readonly<Record<string, string>> = yield* QueryTagFields
    return yield* Effect.provideService(effect, QueryTagFields, { ...current, ...fields })
  })

/** The query tag of a statement: JSON, as dbt and most tools write them (Snowflake allows 2,000 characters). */
const queryTagOf = (base: Readonly<Record<string, string>> | undefined) =>
  Effect.gen(function*() {
    const step = yield* Materialize.CurrentStep
    const fields: Readonly<Record<string, string>> = yield* QueryTagFields
    const tag: Record<string, string> = { app: "strata", ...base, ...fields }
    if (step !== undefined) {
      tag["asset"] = step.key
      if (step.partition !== undefined) tag["partition"] = step.partition
    }
    return JSON.stringify(tag).slice(0, 2000)
  })

/**
 * Reads a {@link SnowflakeClientConfig} from the environment (see {@link SnowflakeClient.layerConfig}).
 *
 * @since 0.1.0
 */
export const configFromEnv: Effect.Effect<SnowflakeClientConfig, Config.ConfigError | SnowflakeError> = Effect.gen(function*() {
  const optional = (name: string) => Config.option(Config.String(name)).pipe(Effect.map(Option.getOrUndefined))
  const account = yield* Config.String("SNOWFLAKE_ACCOUNT")
  const user = yield* Config.String("SNOWFLAKE_USER")
  const password = yield* Config.option(Config.Redacted("SNOWFLAKE_PASSWORD"))
  const privateKey = yield* Config.option(Config.Redacted("SNOWFLAKE_PRIVATE_KEY"))
  const passphrase = yield* Config.option(Config.Redacted("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"))
  const token = yield* Config.option(Config.Redacted("SNOWFLAKE_OAUTH_TOKEN"))
  const poolSize = yield* Config.option(Config.Int("STRATA_SNOWFLAKE_POOL_SIZE"))
  const auth: SnowflakeAuth | undefined = Option.isSome(privateKey)
    ? { _tag: "KeyPair", privateKey: privateKey.value, passphrase: Option.getOrUndefined(passphrase) }
    : Option.isSome(token)
    ? { _tag: "OAuth", token: token.value }
    : Option.isSome(password)
    ? { _tag: "Password", password: password.value }
    : undefined
  if (auth === undefined) {
    return yield* new SnowflakeError({
      reason: "configuration",
      operation: "connect",
      message: "no Snowflake credentials in the environment: set SNOWFLAKE_PRIVATE_KEY (and SNOWFLAKE_PRIVATE_KEY_PASSPHRASE), SNOWFLAKE_OAUTH_TOKEN or SNOWFLAKE_PASSWORD"
    })
  }
  return {
    account,
    user,
    auth,
    role: yield* optional("SNOWFLAKE_ROLE"),
    warehouse: yield* optional("SNOWFLAKE_WAREHOUSE"),
    database: yield* optional("SNOWFLAKE_DATABASE"),
    schema: yield* optional("SNOWFLAKE_SCHEMA"),
    accessUrl: yield* optional("SNOWFLAKE_ACCESS_URL"),
    maxConnections: Option.getOrUndefined(poolSize)
  }
})

/** The driver's connection options for a configuration. */
export const connectionOptions = (config: SnowflakeClientConfig): snowflake.ConnectionOptions => {
  const auth = config.auth
  const credentials = auth._tag === "Password"
    ? { authenticator: "SNOWFLAKE", password: Redacted.value(auth.password) }
    : auth._tag === "KeyPair"
    ? {
      authenticator: "SNOWFLAKE_JWT",
      privateKey: Redacted.value(auth.privateKey),
      ...(auth.passphrase !== undefined ? { privateKeyPass: Redacted.value(auth.passphrase) } : {})
    }
    : { authenticator: "OAUTH", token: Redacted.value(auth.token) }
  return {
    account: config.account,
    username: config.user,
    ...credentials,
    ...(config.role !== undefined ? { role: config.role } : {}),
    ...(config.warehouse !== undefined ? { warehouse: config.warehouse } : {}),
    ...(config.database !== undefined ? { database: config.database } : {}),
    ...(config.schema !== undefined ? { schema: config.schema } : {}),
    ...(config.accessUrl !== undefined ? { accessUrl: config.accessUrl } : {}),
    application: config.application ?? "strata"
  } as snowflake.ConnectionOptions
}

type StatementOptions = {
  readonly sqlText: string
  readonly binds?: ReadonlyArray<Bind> | ReadonlyArray<ReadonlyArray<Bind>> | undefined
  readonly fetchAsString?: ReadonlyArray<"Number" | "JSON">
  readonly rowMode?: "array" | "object"
  readonly streamResult?: boolean
}

/** Runs one statement on a connection; interrupting the fiber cancels it in Snowflake. */
const run = (
  connection: snowflake.Connection,
  options: StatementOptions,
  parameters: Record<string, unknown>,
  operation: string
): Effect.Effect<{ readonly statement: snowflake.RowStatement; readonly rows: ReadonlyArray<unknown> }, SnowflakeError> =>
  Effect.callback((resume) => {
    const statement = connection.execute({
      sqlText: options.sqlText,
      ...(options.binds !== undefined ? { binds: options.binds as snowflake.Binds } : {}),
      ...(options.fetchAsString !== undefined ? { fetchAsString: [...options.fetchAsString] as Array<snowflake.DataType> } : {}),
      ...(options.rowMode !== undefined ? { rowMode: options.rowMode } : {}),
      ...(options.streamResult === true ? { streamResult: true } : {}),
      parameters,
      complete: (error, completed, rows) => {
        if (error) resume(Effect.fail(fromUnknown(operation, error, firstLine(options.sqlText))))
        else resume(Effect.succeed({ statement: completed as snowflake.RowStatement, rows: rows ?? [] }))
      }
    })
    return Effect.sync(() => statement.cancel(() => {}))
  })

const firstLine = (sql: string) => {
  const line = sql.trim().split("\n")[0] ?? ""
  return line.length > 120 ? `${line.slice(0, 117)}...` : line
}

const columnsOf = (statement: snowflake.RowStatement): Array<ColumnInfo> =>
  (statement.getColumns() ?? []).map((column) => ({
    name: column.getName(),
    type: column.getType(),
    precision: column.getPrecision(),
    scale: column.getScale(),
    nullable: column.isNullable()
  }))

const conversion = (operation: string, sql: string) => (error: unknown) =>
  new SnowflakeError({
    reason: "data",
    operation,
    message: `${firstLine(sql)}: ${error instanceof Error ? error.message : String(error)}`,
    cause: error
  })

/** The statements of one connection. */
const connectionOf = (connection: snowflake.Connection, config: SnowflakeClientConfig): SnowflakeConnection => {
  const parameters = Effect.map(queryTagOf(config.queryTag), (tag) => ({
    QUERY_TAG: tag,
    ...(config.statementTimeoutSeconds !== undefined ? { STATEMENT_TIMEOUT_IN_SECONDS: config.statementTimeoutSeconds } : {})
  }))
  const statement = (options: StatementOptions, operation: string) =>
    Effect.flatMap(parameters, (values) => run(connection, options, values, operation))

  const self: SnowflakeConnection = {
    query: (sql, binds) =>
      Effect.map(statement({ sqlText: sql, binds }, "query"), ({ rows }) => rows as ReadonlyArray<Row>),
    queryArrow: (sql, binds) =>
      Effect.flatMap(
        statement({ sqlText: sql, binds, fetchAsString: ["Number"], rowMode: "array" }, "query"),
        ({ rows, statement }) =>
          Effect.try({
            try: () => ({ table: tableOf(columnsOf(statement), rows as ReadonlyArray<ReadonlyArray<unknown>>), queryId: statement.getQueryId() }),
            catch: conversion("query", sql)
          })
      ),
    execute: (sql, binds) =>
      Effect.map(statement({ sqlText: sql, binds }, "execute"), ({ statement }) => {
        const count = statement.getNumUpdatedRows()
        return { rowsAffected: typeof count === "number" && count >= 0 ? count : undefined, queryId: statement.getQueryId() }
      }),
    stream: (sql, binds, options) => streamOf(statement, sql, binds, options?.batchRows ?? 65_536),
    insertArrow: (table, data, options) => insertArrow(self, table, data, options)
  }
  return self
}

/** Streams rows from the driver's row stream, `batchRows` at a time, as record batches. */
const streamOf = (
  statement: (options: StatementOptions, operation: string) => Effect.Effect<{ readonly statement: snowflake.RowStatement }, SnowflakeError>,
  sql: string,
  binds: ReadonlyArray<Bind> | undefined,
  batchRows: number
): Stream.Stream<Arrow.RecordBatch, SnowflakeError> =>
  Stream.unwrap(
    Effect.map(
      statement({ sqlText: sql, binds, fetchAsString: ["Number"], rowMode: "array", streamResult: true }, "stream"),
      ({ statement: executed }) => {
        const builder = new BatchBuilder(columnsOf(executed))
        async function* batches(): AsyncGenerator<Arrow.RecordBatch> {
          for await (const row of executed.streamRows()) {
            builder.append(row as ReadonlyArray<unknown>)
            if (builder.length >= batchRows) yield builder.flush()
          }
          if (builder.length > 0) yield builder.flush()
        }
        return Stream.fromAsyncIterable(batches(), (error) =>
          error instanceof ConversionError ? conversion("stream", sql)(error) : fromUnknown("stream", error, firstLine(sql)))
      }
    )
  )

/**
 * Opens a pool and logs in once to check the configuration. Needs a
 * `Scope`: the pool is drained when it closes.
 *
 * @since 0.1.0
 */
export const make: (config: SnowflakeClientConfig) => Effect.Effect<SnowflakeClientShape, SnowflakeError, Scope.Scope> = Effect.fn(
  "SnowflakeClient.make"
)(function*(config: SnowflakeClientConfig) {
  snowflake.configure({ logLevel: "OFF" as snowflake.LogLevel, additionalLogToConsole: false } as snowflake.ConfigureOptions)
  const options = connectionOptions(config)
  const pool = yield* Effect.acquireRelease(
    Effect.try({
      try: () => snowflake.createPool(options, { max: config.maxConnections ?? 4, min: 0 }),
      catch: (error) => fromUnknown("connect", error, `invalid connection settings for account ${config.account}`)
    }),
    (pool) => Effect.promise(() => pool.drain().then(() => pool.clear()).catch(() => undefined))
  )
  const acquire = Effect.tryPromise({
    try: () => pool.acquire(),
    catch: (error) => fromUnknown("connect", error, `cannot log in to Snowflake account ${config.account} as ${config.user}`)
  })
  const release = <A, E>(connection: snowflake.Connection, exit: Exit.Exit<A, E>) =>
    Effect.promise(() => (Exit.isFailure(exit) ? pool.destroy(connection) : pool.release(connection)).catch(() => undefined))

  // log in now, on a connection of its own: a wrong key or password fails the layer, not the first
  // asset, with Snowflake's code (the driver's pool keeps only the message of a failed login)
  yield* Effect.tryPromise({
    try: async () => {
      const connection = snowflake.createConnection(options)
      // connectAsync (key-pair auth needs it: the JWT is signed asynchronously) reports failures to its callback
      await new Promise<void>((resolve, reject) => {
        connection.connectAsync((error) => error ? reject(error) : resolve()).catch(reject)
      })
      await new Promise<void>((resolve) => connection.destroy(() => resolve()))
    },
    catch: (error) => fromUnknown("connect", error, `cannot log in to Snowflake account ${config.account} as ${config.user}`)
  })

  const withConnection = <A, E, R>(use: (connection: SnowflakeConnection) => Effect.Effect<A, E, R>) =>
    Effect.acquireUseRelease(acquire, (connection) => use(connectionOf(connection, config)), release)

  const pooled = <A>(f: (connection: SnowflakeConnection) => Effect.Effect<A, SnowflakeError>) => withConnection(f)

  const transaction = <A, E, R>(use: (connection: SnowflakeConnection) => Effect.Effect<A, E, R>) =>
    withConnection((connection) =>
      Effect.gen(function*() {
        yield* connection.execute("begin")
        const exit = yield* Effect.exit(use(connection))
        if (Exit.isSuccess(exit)) {
          yield* connection.execute("commit")
          return exit.value
        }
        yield* connection.execute("rollback").pipe(Effect.ignore)
        return yield* exit
      })
    )

  const service: SnowflakeClientShape = {
    info: { account: config.account, user: config.user, database: config.database, schema: config.schema },
    query: (sql, binds) => pooled((connection) => connection.query(sql, binds)),
    queryArrow: (sql, binds) => pooled((connection) => connection.queryArrow(sql, binds)),
    execute: (sql, binds) => pooled((connection) => connection.execute(sql, binds)),
    stream: (sql, binds, streamOptions) =>
      Stream.unwrap(Effect.map(Effect.acquireRelease(acquire, release), (connection) => connectionOf(connection, config).stream(sql, binds, streamOptions))),
    insertArrow: (table, data, writeOptions) => pooled((connection) => connection.insertArrow(table, data, writeOptions)),
    querySchema: (schema, sql, binds) =>
      Effect.flatMap(pooled((connection) => connection.query(sql, binds)), (rows) => {
        const decode = Schema.decodeUnknownEffect(schema)
        return Effect.forEach(rows, (row, index) =>
          decode(row).pipe(Effect.mapError((issue) =>
            new SnowflakeError({ reason: "data", operation: "query", message: `row ${index} of ${firstLine(sql)} does not match the schema: ${issue.message}`, cause: issue })
          )))
      }) as unknown as Effect.Effect<ReadonlyArray<never>, SnowflakeError>,
    withConnection,
    transaction
  }
  return service
})

/**
 * The Snowflake client service.
 *
 * @since 0.1.0
 */
export class SnowflakeClient extends Context.Service<SnowflakeClient, SnowflakeClientShape>()("@strata/snowflake/SnowflakeClient") {
  /** A client for the given configuration. */
  static readonly layer = (config: SnowflakeClientConfig): Layer.Layer<SnowflakeClient, SnowflakeError> => Layer.effect(SnowflakeClient, make(config))

  /**
   * A client configured from the environment: `SNOWFLAKE_ACCOUNT`,
   * `SNOWFLAKE_USER`, one of `SNOWFLAKE_PRIVATE_KEY` (+
   * `SNOWFLAKE_PRIVATE_KEY_PASSPHRASE`), `SNOWFLAKE_OAUTH_TOKEN` or
   * `SNOWFLAKE_PASSWORD`, and optionally `SNOWFLAKE_ROLE`,
   * `SNOWFLAKE_WAREHOUSE`, `SNOWFLAKE_DATABASE`, `SNOWFLAKE_SCHEMA`,
   * `SNOWFLAKE_ACCESS_URL`, `STRATA_SNOWFLAKE_POOL_SIZE`.
   */
  static readonly layerConfig: Layer.Layer<SnowflakeClient, SnowflakeError | Config.ConfigError> = Layer.effect(
    SnowflakeClient,
    Effect.flatMap(configFromEnv, make)
  )

  /** Opens a pool in the current scope (what the layers do). */
  static readonly make: (config: SnowflakeClientConfig) => Effect.Effect<SnowflakeClientShape, SnowflakeError, Scope.Scope> = make

  /** Reads the configuration {@link SnowflakeClient.layerConfig} uses. */
  static readonly configFromEnv = configFromEnv
}

/**
 * Quotes an identifier (`"my ""odd"" name"`): Snowflake keeps the case of
 * quoted names, so `quoteIdentifier("id")` is a different column from `ID`.
 *
 * @since 0.1.0
 */
export const quoteIdentifier = (name: string): string => `"${name.replaceAll("\"", "\"\"")}"`
