/**
 * The HTTP side of the local server: the endpoints `snowflake-sdk` calls,
 * their request bodies (gzip JSON) and Snowflake's response envelopes.
 */
import { randomBytes, randomUUID } from "node:crypto"
import * as http from "node:http"
import { gunzipSync } from "node:zlib"
import type { DuckDBInstance } from "@duckdb/node-api"
import type { LocalUser, LoginData } from "./auth.ts"
import { authenticate } from "./auth.ts"
import type { CommandContext, StatementResult } from "./commands.ts"
import type { Bind } from "./engine.ts"
import { execute } from "./engine.ts"
import { ServerError, serverError } from "./errors.ts"
import type { Session } from "./session.ts"
import { newToken, openSession } from "./session.ts"

/** A login the server accepted or refused, as the driver sent it (no secrets). */
export interface RecordedLogin {
  readonly user: string
  readonly authenticator: string
  readonly account: string
  readonly clientAppId: string | undefined
  readonly database: string | undefined
  readonly schema: string | undefined
  readonly warehouse: string | undefined
  readonly role: string | undefined
  readonly sessionParameters: Readonly<Record<string, unknown>>
  /** The error code when the login was refused. */
  readonly refused: string | undefined
}

/** A statement the server received. */
export interface RecordedQuery {
  readonly sessionId: number
  readonly user: string
  readonly sqlText: string
  readonly queryTag: string | undefined
  /** Rows of binds: 0 without binds, 1 for single binds, n for array binds. */
  readonly bindRows: number
  readonly queryId: string
  /** The error code when the statement failed. */
  readonly errorCode: string | undefined
}

/** A failure to inject into the next matching requests (see `LocalSnowflake.failNext`). */
export interface InjectedFailure {
  readonly endpoint: "login" | "query" | "chunk" | "any"
  /** An HTTP status to answer with (429 and 503 make the driver retry). */
  readonly status?: number | undefined
  /** A Snowflake error to answer with (`success: false`). */
  readonly error?: { readonly code: string; readonly sqlState: string; readonly message: string } | undefined
  /** How many requests fail. Default 1. */
  readonly times?: number | undefined
}

export interface ServerState {
  readonly context: CommandContext
  readonly instance: DuckDBInstance
  readonly users: ReadonlyArray<LocalUser>
  readonly sessions: Map<string, Session>
  readonly masterTokens: Map<string, Session>
  readonly logins: Array<RecordedLogin>
  readonly queries: Array<RecordedQuery>
  readonly failures: Array<{ failure: InjectedFailure; remaining: number }>
  readonly inlineRows: number
  readonly chunkRows: number
  readonly tokenTtlMs: number
  readonly maxBodyBytes: number
  baseUrl: string
  nextSessionId: number
}

const MAX_RECORDED = 10_000
const record = <A>(list: Array<A>, entry: A) => {
  list.push(entry)
  if (list.length > MAX_RECORDED) list.splice(0, list.length - MAX_RECORDED)
}

const PARAMETERS: ReadonlyArray<{ readonly name: string; readonly value: string | number | boolean }> = [
  { name: "TIMEZONE", value: "UTC" },
  { name: "CLIENT_SESSION_KEEP_ALIVE_HEARTBEAT_FREQUENCY", value: 3600 },
  { name: "CLIENT_RESULT_CHUNK_SIZE", value: 160 },
  { name: "CLIENT_STAGE_ARRAY_BINDING_THRESHOLD", value: 65280 },
  { name: "DATE_OUTPUT_FORMAT", value: "YYYY-MM-DD" },
  { name: "TIME_OUTPUT_FORMAT", value: "HH24:MI:SS" },
  { name: "TIMESTAMP_OUTPUT_FORMAT", value: "YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM" },
  { name: "TIMESTAMP_NTZ_OUTPUT_FORMAT", value: "YYYY-MM-DD HH24:MI:SS.FF3" },
  { name: "TIMESTAMP_LTZ_OUTPUT_FORMAT", value: "" },
  { name: "TIMESTAMP_TZ_OUTPUT_FORMAT", value: "" },
  { name: "BINARY_OUTPUT_FORMAT", value: "HEX" },
  { name: "QUERY_CONTEXT_CACHE_SIZE", value: 5 }
]

const send = (response: http.ServerResponse, status: number, body: unknown, type = "application/json") => {
  const payload = typeof body === "string" ? body : JSON.stringify(body)
  response.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(payload) })
  response.end(payload)
}

const failureBody = (error: ServerError, extra: Record<string, unknown> = {}) => ({
  success: false,
  code: error.code,
  message: error.message,
  data: { sqlState: error.sqlState, errorCode: error.code, ...extra },
  headers: null
})

class BodyTooLarge extends Error {}

const readBody = (request: http.IncomingMessage, limit: number): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    request.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        request.destroy()
        reject(new BodyTooLarge(`request body over ${limit} bytes`))
      } else chunks.push(chunk)
    })
    request.on("end", () => {
      try {
        let raw = Buffer.concat(chunks)
        if (request.headers["content-encoding"] === "gzip") raw = gunzipSync(raw, { maxOutputLength: limit })
        resolve(raw.length === 0 ? {} : JSON.parse(raw.toString("utf8")))
      } catch (error) {
        reject(error)
      }
    })
    request.on("error", reject)
  })

const takeFailure = (state: ServerState, endpoint: InjectedFailure["endpoint"]): InjectedFailure | undefined => {
  const index = state.failures.findIndex((entry) => entry.failure.endpoint === endpoint || entry.failure.endpoint === "any")
  if (index === -1) return undefined
  const entry = state.failures[index]!
  if (--entry.remaining <= 0) state.failures.splice(index, 1)
  return entry.failure
}

/** Answers with an injected failure, if one is pending for this endpoint. */
const injected = (state: ServerState, endpoint: InjectedFailure["endpoint"], response: http.ServerResponse): boolean => {
  const failure = takeFailure(state, endpoint)
  if (failure === undefined) return false
  if (failure.error !== undefined) {
    send(response, failure.status ?? 200, failureBody(new ServerError(failure.error.code, failure.error.sqlState, failure.error.message)))
  } else send(response, failure.status ?? 503, { message: "injected failure" })
  return true
}

const sessionOf = (state: ServerState, request: http.IncomingMessage): Session | ServerError => {
  const match = /Snowflake Token="([^"]+)"/.exec(request.headers.authorization ?? "")
  const session = match === null ? undefined : state.sessions.get(match[1]!)
  if (session === undefined) return serverError("invalidToken", "Session token invalid or session gone.", 401)
  if (session.tokenExpiresAt < Date.now()) return serverError("expiredToken", "Session token expired.")
  return session
}

const login = async (state: ServerState, url: URL, body: { data?: LoginData & Record<string, unknown> }) => {
  const data = body.data ?? {}
  const account = typeof data.ACCOUNT_NAME === "string" ? data.ACCOUNT_NAME : state.context.account
  const identity = authenticate(data, state.users, state.context.account, Date.now())
  const parameters = (data["SESSION_PARAMETERS"] ?? {}) as Record<string, unknown>
  const param = (name: string) => url.searchParams.get(name) ?? undefined
  record(state.logins, {
    user: typeof data.LOGIN_NAME === "string" ? data.LOGIN_NAME : "",
    authenticator: typeof data.AUTHENTICATOR === "string" ? data.AUTHENTICATOR : "SNOWFLAKE",
    account,
    clientAppId: typeof data["CLIENT_APP_ID"] === "string" ? data["CLIENT_APP_ID"] : undefined,
    database: param("databaseName"),
    schema: param("schemaName"),
    warehouse: param("warehouse"),
    role: param("roleName"),
    sessionParameters: parameters,
    refused: identity instanceof ServerError ? identity.code : undefined
  })
  if (identity instanceof ServerError) return failureBody(identity, { authnMethod: data.AUTHENTICATOR ?? "PASSWORD", nextAction: "RETRY_LOGIN" })
  const upper = (value: string | undefined) => value === undefined ? undefined : value.startsWith("\"") ? value.slice(1, -1) : value.toUpperCase()
  const sessionParameters = new Map<string, string>()
  for (const [name, value] of Object.entries(parameters)) sessionParameters.set(name.toUpperCase(), String(value))
  const session = await openSession(state.instance, {
    id: state.nextSessionId++,
    identity,
    account: state.context.account,
    role: upper(param("roleName")) ?? identity.defaultRole,
    warehouse: upper(param("warehouse")),
    database: upper(param("databaseName")),
    schema: upper(param("schemaName")),
    parameters: sessionParameters,
    tokenTtlMs: state.tokenTtlMs
  })
  state.sessions.set(session.token, session)
  state.masterTokens.set(session.masterToken, session)
  return {
    success: true,
    code: null,
    message: null,
    data: {
      token: session.token,
      masterToken: session.masterToken,
      validityInSeconds: Math.floor(state.tokenTtlMs / 1000),
      masterValidityInSeconds: 14_400,
      sessionId: session.id,
      displayUserName: identity.user,
      serverVersion: "0.0.0-local",
      firstLogin: false,
      parameters: PARAMETERS,
      sessionInfo: {
        databaseName: session.database ?? null,
        schemaName: session.schema ?? null,
        warehouseName: session.warehouse ?? null,
        roleName: session.role
      }
    }
  }
}

/** Splits a result into the inline rowset and chunks served from `/local-results/...` as octet-stream. */
const resultData = (state: ServerState, session: Session, queryId: string, result: StatementResult) => {
  const rows = result.rowset
  const inline = rows.length > state.inlineRows ? rows.slice(0, state.inlineRows) : rows
  const data: Record<string, unknown> = {
    parameters: PARAMETERS,
    rowtype: result.rowtype,
    rowset: inline,
    total: rows.length,
    returned: rows.length,
    queryId,
    databaseProvider: null,
    finalDatabaseName: session.database ?? null,
    finalSchemaName: session.schema ?? null,
    finalWarehouseName: session.warehouse ?? null,
    finalRoleName: session.role,
    numberOfBinds: 0,
    arrayBindSupported: false,
    statementTypeId: result.statementTypeId,
    version: 1,
    sendResultTime: Date.now(),
    queryResultFormat: "json",
    ...result.extra
  }
  if (rows.length > inline.length) {
    const secret = randomBytes(16).toString("hex")
    const chunks: Array<string> = []
    const configs: Array<Record<string, unknown>> = []
    for (let start = inline.length; start < rows.length; start += state.chunkRows) {
      const slice = rows.slice(start, start + state.chunkRows)
      // a chunk is the rows' JSON without the enclosing brackets
      const text = JSON.stringify(slice).slice(1, -1)
      configs.push({
        url: `${state.baseUrl}/local-results/${queryId}/${chunks.length}/${secret}`,
        rowCount: slice.length,
        uncompressedSize: Buffer.byteLength(text),
        compressedSize: Buffer.byteLength(text)
      })
      chunks.push(text)
    }
    session.results.set(queryId, { secret, chunks })
    // a session keeps its last few results for chunk downloads
    if (session.results.size > 8) session.results.delete(session.results.keys().next().value!)
    data["chunks"] = configs
    data["chunkHeaders"] = {}
  }
  return data
}

const query = async (state: ServerState, session: Session, url: URL, body: Record<string, unknown>) => {
  const sqlText = typeof body["sqlText"] === "string" ? body["sqlText"] : ""
  const bindings = body["bindings"] as Record<string, Bind> | undefined
  const parameters = (body["parameters"] ?? {}) as Record<string, unknown>
  const queryTag = typeof parameters["QUERY_TAG"] === "string" ? parameters["QUERY_TAG"] : session.parameters.get("QUERY_TAG")
  const timeout = Number(parameters["STATEMENT_TIMEOUT_IN_SECONDS"] ?? session.parameters.get("STATEMENT_TIMEOUT_IN_SECONDS") ?? 0)
  const queryId = randomUUID()
  const requestId = url.searchParams.get("requestId") ?? queryId
  const first = bindings === undefined ? undefined : Object.values(bindings)[0]
  const bindRows = first === undefined ? 0 : Array.isArray(first.value) ? first.value.length : 1
  const entry = { sessionId: session.id, user: session.identity.user, sqlText, queryTag, bindRows, queryId }
  try {
    const run = session.queue.then(() => execute(state.context, session, sqlText, bindings, timeout, requestId))
    session.queue = run.catch(() => undefined)
    const result = await run
    record(state.queries, { ...entry, errorCode: undefined })
    return { success: true, code: null, message: null, data: resultData(state, session, queryId, result) }
  } catch (error) {
    const failure = error instanceof ServerError ? error : serverError("internal", `SQL execution internal error: ${String(error)}`)
    record(state.queries, { ...entry, errorCode: failure.code })
    return failureBody(failure, { queryId })
  }
}

const abort = (session: Session, body: Record<string, unknown>, queryIdFromPath: string | undefined) => {
  const requestId = typeof body["requestId"] === "string" ? body["requestId"] : queryIdFromPath
  const cancel = requestId === undefined ? undefined : session.running.get(requestId)
  cancel?.("canceled")
  return { success: true, code: null, message: null, data: null }
}

const closeSession = async (state: ServerState, session: Session) => {
  state.sessions.delete(session.token)
  state.masterTokens.delete(session.masterToken)
  for (const cancel of session.running.values()) cancel("canceled")
  session.connection.closeSync()
}

const renew = (state: ServerState, request: http.IncomingMessage) => {
  const match = /Snowflake Token="([^"]+)"/.exec(request.headers.authorization ?? "")
  const session = match === null ? undefined : state.masterTokens.get(match[1]!)
  if (session === undefined) return failureBody(serverError("expiredMasterToken", "Master token expired or invalid."))
  state.sessions.delete(session.token)
  session.token = newToken("ST")
  session.tokenExpiresAt = Date.now() + state.tokenTtlMs
  state.sessions.set(session.token, session)
  return {
    success: true,
    data: { sessionToken: session.token, validityInSecondsST: Math.floor(state.tokenTtlMs / 1000), masterToken: session.masterToken, validityInSecondsMT: 14_400 }
  }
}

/** Serves a result chunk. */
const chunk = (state: ServerState, path: string, response: http.ServerResponse) => {
  const [, , queryId, index, secret] = path.split("/")
  for (const session of state.sessions.values()) {
    const stored = session.results.get(queryId ?? "")
    if (stored !== undefined && stored.secret === secret) {
      const text = stored.chunks[Number(index)]
      if (text !== undefined) return send(response, 200, text, "application/octet-stream")
    }
  }
  send(response, 404, "no such result chunk", "text/plain")
}

/** Routes one request. */
export const handle = async (state: ServerState, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
  const url = new URL(request.url ?? "/", "http://local")
  const path = url.pathname
  if (request.method === "GET" && path.startsWith("/local-results/")) {
    if (injected(state, "chunk", response)) return
    return chunk(state, path, response)
  }
  if (request.method !== "POST") return send(response, 404, { success: false, message: `no route for ${request.method} ${path}` })
  let body: Record<string, unknown>
  try {
    body = await readBody(request, state.maxBodyBytes) as Record<string, unknown>
  } catch (error) {
    return send(response, error instanceof BodyTooLarge ? 413 : 400, { success: false, message: String(error) })
  }
  if (path === "/session/v1/login-request") {
    if (injected(state, "login", response)) return
    return send(response, 200, await login(state, url, body))
  }
  if (path === "/session/token-request") return send(response, 200, renew(state, request))
  if (path === "/telemetry/send") return send(response, 200, { success: true, data: null })
  const session = sessionOf(state, request)
  if (session instanceof ServerError) return send(response, session.status, failureBody(session))
  if (path === "/queries/v1/query-request") {
    if (injected(state, "query", response)) return
    return send(response, 200, await query(state, session, url, body))
  }
  if (path === "/session/heartbeat") return send(response, 200, { success: true, code: null, message: null, data: null })
  if (path === "/session" && url.searchParams.get("delete") === "true") {
    await closeSession(state, session)
    return send(response, 200, { success: true, code: null, message: null, data: null })
  }
  const abortMatch = /^\/queries\/([^/]+)\/abort-request$/.exec(path)
  if (abortMatch !== null) return send(response, 200, abort(session, body, abortMatch[1] === "v1" ? undefined : abortMatch[1]))
  send(response, 404, { success: false, message: `no route for POST ${path}` })
}

/** Closes every session (the server is stopping). */
export const closeAll = async (state: ServerState): Promise<void> => {
  for (const session of [...state.sessions.values()]) await closeSession(state, session)
}
