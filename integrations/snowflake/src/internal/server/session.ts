/**
 * A session of the local server: who logged in, the session's context
 * (role, warehouse, database, schema, parameters), and its own DuckDB
 * connection, so `USE`, transactions and temporary objects stay per
 * session as they do in Snowflake.
 */
import { randomBytes } from "node:crypto"
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api"
import type { LoginIdentity } from "./auth.ts"
import { stringLiteral } from "./tokens.ts"
import { SESSION_MACROS } from "./translate.ts"
import type { RowType } from "./values.ts"

/** A result kept for its chunk downloads. */
export interface StoredResult {
  readonly secret: string
  readonly chunks: ReadonlyArray<string>
}

export interface Session {
  readonly id: number
  token: string
  masterToken: string
  tokenExpiresAt: number
  readonly identity: LoginIdentity
  role: string
  warehouse: string | undefined
  database: string | undefined
  schema: string | undefined
  readonly connection: DuckDBConnection
  /** Session parameters set at login or with `ALTER SESSION` (upper-case names). */
  readonly parameters: Map<string, string>
  inTransaction: boolean
  /** Cancels of the statements running now, by request id. */
  readonly running: Map<string, (reason: "canceled" | "timeout") => void>
  readonly results: Map<string, StoredResult>
  /** Statements of one session run one at a time on its connection, in arrival order. */
  queue: Promise<unknown>
}

/** An opaque random token. */
export const newToken = (prefix: string): string => `${prefix}:${randomBytes(24).toString("base64url")}`

const quote = (name: string) => `"${name.replaceAll("\"", "\"\"")}"`

/** Sets the DuckDB variables behind `CURRENT_ROLE()` and friends. */
export const syncVariables = async (session: Session, account: string): Promise<void> => {
  const values: Record<string, string | undefined> = {
    SF_USER: session.identity.user,
    SF_ROLE: session.role,
    SF_WAREHOUSE: session.warehouse,
    SF_ACCOUNT: account.toUpperCase(),
    SF_SESSION: String(session.id)
  }
  for (const [name, value] of Object.entries(values)) {
    await session.connection.run(`SET VARIABLE ${name} = ${value === undefined ? "NULL" : stringLiteral(value)}`)
  }
}

/** Makes `database.schema` current on the session's connection (`PUBLIC` when no schema is given). */
export const useSchema = async (session: Session, database: string, schema: string | undefined): Promise<void> => {
  await session.connection.run(`USE ${quote(database)}.${quote(schema ?? "PUBLIC")}`)
  session.database = database
  session.schema = schema ?? "PUBLIC"
}

/** Whether DuckDB knows a database (an attached catalog). */
export const databaseExists = async (connection: DuckDBConnection, name: string): Promise<boolean> => {
  const reader = await connection.runAndReadAll("SELECT 1 FROM duckdb_databases() WHERE database_name = $1", [name])
  return reader.currentRowCount > 0
}

/** Whether a schema exists in a database. */
export const schemaExists = async (connection: DuckDBConnection, database: string, schema: string): Promise<boolean> => {
  const reader = await connection.runAndReadAll(
    "SELECT 1 FROM duckdb_schemas() WHERE database_name = $1 AND schema_name = $2",
    [database, schema]
  )
  return reader.currentRowCount > 0
}

/** Creates a database (an in-memory DuckDB catalog, or a file next to the server's) with its `PUBLIC` schema. */
export const createDatabase = async (connection: DuckDBConnection, name: string, file: string | undefined): Promise<void> => {
  await connection.run(`ATTACH ${stringLiteral(file ?? ":memory:")} AS ${quote(name)}`)
  await connection.run(`CREATE SCHEMA IF NOT EXISTS ${quote(name)}."PUBLIC"`)
}

/** Opens a session's connection: time zone, macros, context variables, current schema. */
export const openSession = async (
  instance: DuckDBInstance,
  fields: {
    readonly id: number
    readonly identity: LoginIdentity
    readonly account: string
    readonly role: string
    readonly warehouse: string | undefined
    readonly database: string | undefined
    readonly schema: string | undefined
    readonly parameters: Map<string, string>
    readonly tokenTtlMs: number
  }
): Promise<Session> => {
  const connection = await instance.connect()
  await connection.run("SET TimeZone = 'UTC'")
  for (const macro of SESSION_MACROS) await connection.run(`CREATE OR REPLACE TEMP MACRO ${macro}`)
  const session: Session = {
    id: fields.id,
    token: newToken("ST"),
    masterToken: newToken("MT"),
    tokenExpiresAt: Date.now() + fields.tokenTtlMs,
    identity: fields.identity,
    role: fields.role,
    warehouse: fields.warehouse,
    database: undefined,
    schema: undefined,
    connection,
    parameters: fields.parameters,
    inTransaction: false,
    running: new Map(),
    results: new Map(),
    queue: Promise.resolve()
  }
  await syncVariables(session, fields.account)
  if (fields.database !== undefined && await databaseExists(connection, fields.database)) {
    const schema = fields.schema !== undefined && await schemaExists(connection, fields.database, fields.schema) ? fields.schema : undefined
    await useSchema(session, fields.database, schema)
  }
  return session
}

/** The rowtype of a one-column text result (`status`). */
export const statusColumn: RowType = {
  name: "status",
  database: "",
  schema: "",
  table: "",
  type: "text",
  precision: null,
  scale: null,
  length: 16_777_216,
  byteLength: 16_777_216,
  nullable: true,
  collation: null
}
