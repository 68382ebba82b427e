/**
 * The Postgres resource: a `pg` connection pool as an Effect service.
 *
 * The pool is opened when the layer is built (and checked with a round trip,
 * so a wrong host or password fails the layer, not the first asset) and
 * closed when the layer's scope closes.
 *
 * @example
 * ```ts
 * import { PgClient } from "@strata/postgres"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const pg = yield* PgClient
 *   return yield* pg.query("select count(*)::int as n from pg_tables")
 * }).pipe(Effect.provide(PgClient.layerConfig))
 * ```
 *
 * @since 0.1.0
 */
import * as net from "node:net"
import { pipeline } from "node:stream/promises"
import { Readable } from "node:stream"
import { Config, Context, Effect, Exit, Layer, Option, Redacted } from "effect"
import pg from "pg"
import { parseIntoClientConfig } from "pg-connection-string"
import { from as copyFromStream, to as copyToStream } from "pg-copy-streams"
import { fromUnknown, PgError } from "./PgError.ts"

/**
 * Where and how to connect.
 *
 * @since 0.1.0
 */
export interface PgClientConfig {
  /** `postgres://user:password@host:port/database?sslmode=...`. Fields given separately override its parts. */
  readonly connectionString?: Redacted.Redacted<string> | string | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly database?: string | undefined
  readonly user?: string | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  /** Connections in the pool. Default 10. */
  readonly maxConnections?: number | undefined
  /** Give up connecting after this long. Default 10 s. */
  readonly connectTimeoutMs?: number | undefined
  /** Server-side `statement_timeout` for every statement, when set. */
  readonly statementTimeoutMs?: number | undefined
  /** Shown in `pg_stat_activity`. Default `strata`. */
  readonly applicationName?: string | undefined
}

/**
 * Where the pool is connected (no secrets), for URIs and messages.
 *
 * @since 0.1.0
 */
export interface PgServerInfo {
  readonly host: string
  readonly port: number
  readonly database: string
  readonly user: string
}

/**
 * A row as returned by `pg` (values parsed by pg's default type parsers).
 *
 * @since 0.1.0
 */
export type Row = Record<string, unknown>

/**
 * One connection taken from the pool, for statements that must share a
 * session: transactions and COPY.
 *
 * @since 0.1.0
 */
export interface PgConnection {
  /**
   * Runs one statement with `$1...` parameters, or, without parameters,
   * several separated by `;` in one round trip (the rows are the last one's).
   */
  readonly query: <A extends Row = Row>(sql: string, params?: ReadonlyArray<unknown>) => Effect.Effect<ReadonlyArray<A>, PgError>
  /**
   * `COPY ... FROM STDIN`: streams the chunks to the server (with
   * backpressure) and returns the number of rows the server loaded.
   */
  readonly copyFrom: (sql: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>) => Effect.Effect<number, PgError>
  /** `COPY ... TO STDOUT`: hands each chunk the server sends to `onChunk`, in order. */
  readonly copyTo: (sql: string, onChunk: (chunk: Buffer) => void) => Effect.Effect<void, PgError>
}

/**
 * The service.
 *
 * @since 0.1.0
 */
export interface PgClientShape extends Pick<PgConnection, "query"> {
  readonly info: PgServerInfo
  /** The underlying pool, for libraries that take a `pg.Pool`. */
  readonly pool: pg.Pool
  /** Runs `use` with one connection, returned to the pool afterwards (destroyed if `use` failed or was interrupted). */
  readonly withConnection: <A, E, R>(use: (connection: PgConnection) => Effect.Effect<A, E, R>) => Effect.Effect<A, E | PgError, R>
  /** Runs `use` inside `BEGIN ... COMMIT`; any failure or interruption rolls back. */
  readonly transaction: <A, E, R>(use: (connection: PgConnection) => Effect.Effect<A, E, R>) => Effect.Effect<A, E | PgError, R>
}

/**
 * Reads a {@link PgClientConfig} from the environment (see {@link PgClient.layerConfig}).
 *
 * @since 0.1.0
 */
export const configFromEnv: Effect.Effect<PgClientConfig, Config.ConfigError> = Effect.gen(function*() {
  const url = yield* Config.option(Config.Redacted("DATABASE_URL"))
  const host = yield* Config.option(Config.String("PGHOST"))
  const port = yield* Config.option(Config.Port("PGPORT"))
  const database = yield* Config.option(Config.String("PGDATABASE"))
  const user = yield* Config.option(Config.String("PGUSER"))
  const password = yield* Config.option(Config.Redacted("PGPASSWORD"))
  const poolSize = yield* Config.option(Config.Int("STRATA_PG_POOL_SIZE"))
  return {
    connectionString: Option.getOrUndefined(url),
    host: Option.getOrUndefined(host),
    port: Option.getOrUndefined(port),
    database: Option.getOrUndefined(database),
    user: Option.getOrUndefined(user),
    password: Option.getOrUndefined(password),
    maxConnections: Option.getOrUndefined(poolSize)
  }
})

const reveal = (value: Redacted.Redacted<string> | string | undefined): string | undefined =>
  value === undefined ? undefined : typeof value === "string" ? value : Redacted.value(value)

/**
 * The `pg` client settings for a configuration: the connection string's
 * settings (host, port, user, password, database, `sslmode`...), with the
 * fields given separately taking precedence.
 *
 * @since 0.1.0
 */
export const clientConfigOf = (config: PgClientConfig): pg.ClientConfig => {
  const url = reveal(config.connectionString)
  const parsed: pg.ClientConfig = url === undefined ? {} : parseIntoClientConfig(url)
  const user = config.user ?? parsed.user ?? "postgres"
  return {
    ...parsed,
    host: config.host ?? parsed.host ?? "localhost",
    port: config.port ?? parsed.port ?? 5432,
    user,
    database: config.database ?? parsed.database ?? user,
    ...(config.password !== undefined ? { password: Redacted.value(config.password) } : {})
  }
}

/**
 * Where a configuration connects (no secrets).
 *
 * @since 0.1.0
 */
export const serverInfo = (config: PgClientConfig): PgServerInfo => {
  const client = clientConfigOf(config)
  return { host: client.host!, port: client.port!, database: client.database!, user: client.user! }
}

const toParams = (params: ReadonlyArray<unknown> | undefined): Array<unknown> | undefined =>
  params === undefined ? undefined : params as Array<unknown>

/** The rows of a result; pg answers a message of several statements with one result each. */
const rowsOf = <A extends Row>(result: pg.QueryResult<A> | ReadonlyArray<pg.QueryResult<A>>): ReadonlyArray<A> =>
  Array.isArray(result) ? result[result.length - 1]?.rows ?? [] : (result as pg.QueryResult<A>).rows

const connectionOf = (client: pg.PoolClient): PgConnection => ({
  query: <A extends Row>(sql: string, params?: ReadonlyArray<unknown>) =>
    Effect.tryPromise({
      try: () => client.query<A>(sql, toParams(params)),
      catch: (error) => fromUnknown("query", error)
    }).pipe(Effect.map(rowsOf)),
  copyFrom: (sql, chunks) =>
    Effect.tryPromise({
      try: async () => {
        const stream = client.query(copyFromStream(sql))
        await pipeline(Readable.from(chunks, { objectMode: false }), stream)
        return stream.rowCount
      },
      catch: (error) => fromUnknown("copy from", error)
    }),
  copyTo: (sql, onChunk) =>
    Effect.tryPromise({
      try: async () => {
        const stream = client.query(copyToStream(sql))
        for await (const chunk of stream) onChunk(chunk as Buffer)
      },
      catch: (error) => fromUnknown("copy to", error)
    })
})

/**
 * Sends the protocol's CancelRequest for whatever a connection is running:
 * a 16-byte message on a separate socket, no login and no pool slot needed.
 * The connection is destroyed right after, so cancelling an idle one is harmless.
 */
const cancelActiveQuery = (client: pg.PoolClient, info: PgServerInfo) => {
  const keys = client as unknown as { readonly processID?: number | null; readonly secretKey?: number | null }
  if (typeof keys.processID !== "number" || typeof keys.secretKey !== "number") return
  const message = Buffer.alloc(16)
  message.writeInt32BE(16, 0)
  message.writeInt32BE(80877102, 4)
  message.writeInt32BE(keys.processID, 8)
  message.writeInt32BE(keys.secretKey, 12)
  const socket = info.host.startsWith("/")
    ? net.connect(`${info.host}/.s.PGSQL.${info.port}`)
    : net.connect(info.port, info.host)
  socket.on("error", () => socket.destroy())
  socket.on("connect", () => socket.end(message))
}

/**
 * Opens a pool and checks that the server answers. Needs a `Scope`: the pool
 * is closed when it closes.
 *
 * @since 0.1.0
 */
export const make = Effect.fn("PgClient.make")(function*(config: PgClientConfig) {
  const info = serverInfo(config)
  const poolConfig: pg.PoolConfig = {
    ...clientConfigOf(config),
    max: config.maxConnections ?? 10,
    connectionTimeoutMillis: config.connectTimeoutMs ?? 10_000,
    application_name: config.applicationName ?? "strata",
    ...(config.statementTimeoutMs !== undefined ? { statement_timeout: config.statementTimeoutMs } : {})
  }
  const pool = yield* Effect.acquireRelease(
    Effect.sync(() => {
      const pool = new pg.Pool(poolConfig)
      // An idle connection that drops emits 'error' on the pool; without a
      // listener Node would crash the process. The next query reports it.
      pool.on("error", () => {})
      return pool
    }),
    (pool) => Effect.promise(() => pool.end().catch(() => undefined))
  )
  yield* Effect.tryPromise({
    try: () => pool.query("select 1"),
    catch: (error) =>
      fromUnknown("connect", error, `cannot reach postgres://${info.host}:${info.port}/${info.database} as ${info.user}`)
  })

  const withConnection = <A, E, R>(use: (connection: PgConnection) => Effect.Effect<A, E, R>) =>
    Effect.acquireUseRelease(
      Effect.tryPromise({
        try: () => pool.connect(),
        catch: (error) => fromUnknown("connect", error, `cannot connect to postgres://${info.host}:${info.port}/${info.database}`)
      }),
      (client) => use(connectionOf(client)),
      // A failed or interrupted statement may leave the session mid-COPY or
      // mid-transaction: destroy the connection instead of reusing it. An
      // interrupted statement is also cancelled on the server, which would
      // otherwise run it to the end before noticing the closed connection.
      (client, exit) =>
        Effect.sync(() => {
          if (Exit.hasInterrupts(exit)) cancelActiveQuery(client, info)
          client.release(Exit.isFailure(exit) ? true : undefined)
        })
    )

  const transaction = <A, E, R>(use: (connection: PgConnection) => Effect.Effect<A, E, R>) =>
    withConnection((connection) =>
      Effect.gen(function*() {
        yield* connection.query("begin")
        const exit = yield* Effect.exit(use(connection))
        if (Exit.isSuccess(exit)) {
          yield* connection.query("commit")
          return exit.value
        }
        yield* connection.query("rollback").pipe(Effect.ignore)
        return yield* exit
      })
    )

  return PgClient.of({
    info,
    pool,
    query: <A extends Row>(sql: string, params?: ReadonlyArray<unknown>) =>
      Effect.tryPromise({
        try: () => pool.query<A>(sql, toParams(params)),
        catch: (error) => fromUnknown("query", error)
      }).pipe(Effect.map(rowsOf)),
    withConnection,
    transaction
  })
})

/**
 * The Postgres client service.
 *
 * @since 0.1.0
 */
export class PgClient extends Context.Service<PgClient, PgClientShape>()("@strata/postgres/PgClient") {
  /** A client for the given configuration. */
  static readonly layer = (config: PgClientConfig): Layer.Layer<PgClient, PgError> => Layer.effect(PgClient, make(config))

  /**
   * A client configured from the environment: `DATABASE_URL`, or `PGHOST`,
   * `PGPORT`, `PGDATABASE`, `PGUSER`, `PGPASSWORD` (fields override the URL's
   * parts), and `STRATA_PG_POOL_SIZE`.
   */
  static readonly layerConfig: Layer.Layer<PgClient, PgError | Config.ConfigError> = Layer.effect(
    PgClient,
    Effect.flatMap(configFromEnv, make)
  )

  /** Opens a pool in the current scope (what the layers do). */
  static readonly make = make

  /** Reads the configuration {@link PgClient.layerConfig} uses. */
  static readonly configFromEnv = configFromEnv
}

/**
 * Quotes an identifier (`"my ""odd"" name"`): the only way Strata puts a
 * name into SQL.
 *
 * @since 0.1.0
 */
export const quoteIdentifier = (name: string): string => `"${name.replaceAll("\"", "\"\"")}"`

/**
 * Quotes a string literal (for the few statements that take no parameters, such as COPY).
 *
 * @since 0.1.0
 */
export const quoteLiteral = (value: string): string => pg.escapeLiteral(value)

