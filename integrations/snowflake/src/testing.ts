/**
 * `@strata/snowflake/testing`: a local Snowflake server for tests. It speaks
 * the parts of Snowflake's REST protocol that `snowflake-sdk` uses (login
 * with a password, a key-pair JWT or an OAuth token; query requests with
 * binds; JSON results with chunked downloads; `PUT` to `LOCAL_FS` stages and
 * `COPY INTO`; heartbeat; session delete; Snowflake's error codes and SQL
 * states) and runs the statements on an embedded DuckDB, translating the
 * Snowflake SQL they use. The package README lists what it does not
 * emulate.
 *
 * Needs the optional peer dependency `@duckdb/node-api`.
 *
 * @example
 * ```ts
 * import { LocalSnowflake } from "@strata/snowflake/testing"
 * import { SnowflakeClient } from "@strata/snowflake"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const server = yield* LocalSnowflake.scoped({ databases: ["ANALYTICS"] })
 *   const client = yield* SnowflakeClient.make({ ...server.connection, password: Redacted.make(server.password) })
 *   return yield* client.query("select 1 + ? as two", [1])
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { DuckDBInstance } from "@duckdb/node-api"
import { Effect } from "effect"
import type { Scope } from "effect"
import type { LocalUser } from "./internal/server/auth.ts"
import type { InjectedFailure, RecordedLogin, RecordedQuery, ServerState } from "./internal/server/http.ts"
import { closeAll, handle } from "./internal/server/http.ts"
import { createDatabase } from "./internal/server/session.ts"
import { Stages } from "./internal/server/stages.ts"

export type { InjectedFailure, LocalUser, RecordedLogin, RecordedQuery }

/**
 * Options of {@link start}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** The account name logins must use in key-pair JWTs. Default `LOCAL`. */
  readonly account?: string | undefined
  /** Users. Default: one user `STRATA` with password `strata`. */
  readonly users?: ReadonlyArray<LocalUser> | undefined
  /**
   * Databases (and schemas: `DB.SCHEMA`) created at start. Every database
   * has a `PUBLIC` schema. Names are upper-cased unless quoted.
   */
  readonly databases?: ReadonlyArray<string> | undefined
  /** Loopback host to listen on. Default `127.0.0.1`. */
  readonly host?: string | undefined
  /** Port. Default 0 (a free port). */
  readonly port?: number | undefined
  /** A directory for stages and database files. Default: a new temporary directory, removed at close. */
  readonly directory?: string | undefined
  /** Keep databases in DuckDB files under `directory` instead of memory. Default false. */
  readonly persistent?: boolean | undefined
  /** Rows returned inline in a query response; the rest are served as chunks. Default 1,000. */
  readonly inlineRows?: number | undefined
  /** Rows per result chunk. Default 10,000. */
  readonly chunkRows?: number | undefined
  /** How long a session token is valid before the driver must renew it. Default 1 hour. */
  readonly sessionTokenTtlMs?: number | undefined
  /** Largest request body accepted (after gunzip). Default 512 MiB. */
  readonly maxBodyBytes?: number | undefined
}

/**
 * A running local Snowflake server.
 *
 * @since 0.1.0
 */
export interface LocalSnowflake {
  /** `http://127.0.0.1:<port>`: the driver's `accessUrl`. */
  readonly url: string
  readonly host: string
  readonly port: number
  readonly account: string
  /** The default user's password (`strata` unless `users` was given). */
  readonly password: string
  /**
   * Connection settings for `SnowflakeClient` (account, user, access URL,
   * and the first database given), without a secret.
   */
  readonly connection: {
    readonly account: string
    readonly user: string
    readonly accessUrl: string
    readonly database?: string | undefined
    readonly schema?: string | undefined
  }
  /** Every login attempt, in order (no secrets). */
  readonly logins: ReadonlyArray<RecordedLogin>
  /** Every statement received, in order. */
  readonly queries: ReadonlyArray<RecordedQuery>
  /** The directory stages live in. */
  readonly directory: string
  /** Makes the next matching requests fail (for retry and error tests). */
  readonly failNext: (failure: InjectedFailure) => void
  /** Runs SQL directly on the server's DuckDB (setup and assertions, bypassing the protocol). */
  readonly duckdb: (sql: string) => Promise<Array<Array<unknown>>>
  /** Stops the server, closes every session and removes a temporary directory. */
  readonly close: () => Promise<void>
}

const DEFAULT_USER: LocalUser = { name: "STRATA", password: "strata" }

const splitName = (name: string): [string, string | undefined] => {
  const parts = name.split(".").map((part) => part.startsWith("\"") ? part.slice(1, -1) : part.toUpperCase())
  return [parts[0]!, parts[1]]
}

/**
 * Starts a server.
 *
 * @since 0.1.0
 */
export const start = async (options: Options = {}): Promise<LocalSnowflake> => {
  const host = options.host ?? "127.0.0.1"
  const account = (options.account ?? "LOCAL").toUpperCase()
  const ownDirectory = options.directory === undefined
  const directory = options.directory ?? fs.mkdtempSync(path.join(os.tmpdir(), "strata-local-snowflake-"))
  const dataDirectory = options.persistent === true ? path.join(directory, "databases") : undefined
  if (dataDirectory !== undefined) fs.mkdirSync(dataDirectory, { recursive: true })
  const instance = await DuckDBInstance.create(":memory:")
  const setup = await instance.connect()
  for (const name of options.databases ?? []) {
    const [database, schema] = splitName(name)
    const exists = (await setup.runAndReadAll("SELECT 1 FROM duckdb_databases() WHERE database_name = $1", [database])).currentRowCount > 0
    if (!exists) await createDatabase(setup, database, dataDirectory === undefined ? undefined : path.join(dataDirectory, `${database}.duckdb`))
    if (schema !== undefined) await setup.run(`CREATE SCHEMA IF NOT EXISTS "${database}"."${schema}"`)
  }
  const users = options.users ?? [DEFAULT_USER]
  const state: ServerState = {
    context: { instance, stages: new Stages(path.join(directory, "stages")), account, loadHistory: new Map(), dataDirectory },
    instance,
    users,
    sessions: new Map(),
    masterTokens: new Map(),
    logins: [],
    queries: [],
    failures: [],
    inlineRows: options.inlineRows ?? 1000,
    chunkRows: options.chunkRows ?? 10_000,
    tokenTtlMs: options.sessionTokenTtlMs ?? 3_600_000,
    maxBodyBytes: options.maxBodyBytes ?? 512 * 1024 * 1024,
    baseUrl: "",
    nextSessionId: 1
  }
  const server = http.createServer((request, response) => {
    handle(state, request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { "Content-Type": "application/json" })
      response.end(JSON.stringify({ success: false, message: String(error) }))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, host, resolve)
  })
  const port = (server.address() as AddressInfo).port
  const url = `http://${host}:${port}`
  state.baseUrl = url
  const [firstDatabase, firstSchema] = options.databases?.[0] === undefined ? [undefined, undefined] : splitName(options.databases[0])
  let closed = false
  return {
    url,
    host,
    port,
    account,
    password: users[0]?.password ?? "",
    connection: { account, user: users[0]?.name ?? "STRATA", accessUrl: url, database: firstDatabase, schema: firstSchema },
    logins: state.logins,
    queries: state.queries,
    directory,
    failNext: (failure) => state.failures.push({ failure, remaining: failure.times ?? 1 }),
    duckdb: async (sql) => (await setup.runAndReadAll(sql)).getRowsJS() as Array<Array<unknown>>,
    close: async () => {
      if (closed) return
      closed = true
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await closeAll(state)
      setup.closeSync()
      instance.closeSync()
      if (ownDirectory) fs.rmSync(directory, { recursive: true, force: true })
    }
  }
}

/**
 * Starts a server for the current scope (stopped when the scope closes).
 *
 * @since 0.1.0
 */
export const scoped = (options?: Options): Effect.Effect<LocalSnowflake, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.promise(() => start(options)), (server) => Effect.promise(() => server.close()))

/**
 * The local server as a module namespace value, for `LocalSnowflake.start(...)`.
 *
 * @since 0.1.0
 */
export const LocalSnowflake = { start, scoped } as const
