/**
 * Statements the server answers itself instead of handing them to DuckDB:
 * session context (`USE`, `ALTER SESSION`), databases, stages (`CREATE
 * STAGE`, `PUT`, `LIST`, `REMOVE`), `COPY INTO` from a stage, `ALTER TABLE
 * ... SWAP WITH` and `SYSTEM$WAIT`.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { DuckDBInstance } from "@duckdb/node-api"
import { ServerError, serverError } from "./errors.ts"
import type { Session } from "./session.ts"
import { createDatabase, databaseExists, schemaExists, statusColumn, syncVariables, useSchema } from "./session.ts"
import type { StagedFile, Stages } from "./stages.ts"
import { listFiles, putDirectory } from "./stages.ts"
import type { Token } from "./tokens.ts"
import { identifierName, isWord, significant, stringLiteral } from "./tokens.ts"
import type { RowType } from "./values.ts"

/** What a statement returns to the client. */
export interface StatementResult {
  readonly rowtype: ReadonlyArray<RowType>
  readonly rowset: ReadonlyArray<ReadonlyArray<string | null>>
  readonly statementTypeId: number
  /** Extra fields of the response's `data` (a PUT's file-transfer instructions). */
  readonly extra?: Record<string, unknown> | undefined
}

/** The server-wide state commands need. */
export interface CommandContext {
  readonly instance: DuckDBInstance
  readonly stages: Stages
  readonly account: string
  /** Files already loaded per table (`COPY INTO` skips them unless `FORCE = TRUE`), as Snowflake's load metadata does. */
  readonly loadHistory: Map<string, Set<string>>
  /** A directory for database files, or undefined for in-memory databases. */
  readonly dataDirectory: string | undefined
}

export const StatementType = { select: 0x1000, scl: 0x4000, tcl: 0x5000, ddl: 0x6000, dml: 0x3000, insert: 0x3100, update: 0x3200, delete: 0x3300, merge: 0x3400 } as const

const status = (message: string, statementTypeId: number = StatementType.ddl): StatementResult => ({
  rowtype: [statusColumn],
  rowset: [[message]],
  statementTypeId
})

const text = (name: string): RowType => ({ ...statusColumn, name })
const fixed = (name: string): RowType => ({ ...statusColumn, name, type: "fixed", precision: 38, scale: 0, length: null, byteLength: null })

const quote = (name: string) => `"${name.replaceAll("\"", "\"\"")}"`

/** Reads `name` or `a.b.c` starting at `index`; returns the parts and the next index. */
const qualifiedName = (tokens: ReadonlyArray<Token>, index: number): { readonly parts: Array<string>; readonly next: number } => {
  const parts: Array<string> = []
  let i = index
  for (;;) {
    const token = tokens[i]
    if (token === undefined || (token.kind !== "word" && token.kind !== "quoted")) break
    parts.push(identifierName(token))
    i++
    if (tokens[i]?.kind === "punct" && tokens[i]!.text === ".") i++
    else break
  }
  if (parts.length === 0) throw serverError("syntax", "SQL compilation error:\nsyntax error: expected an object name")
  return { parts, next: i }
}

/** `KEY = value` options after `index` (values: words, strings, numbers, or a parenthesised list kept as tokens). */
const options = (tokens: ReadonlyArray<Token>, index: number): Map<string, string | Array<Token>> => {
  const found = new Map<string, string | Array<Token>>()
  let i = index
  while (i < tokens.length) {
    const key = tokens[i]!
    if (key.kind !== "word") {
      i++
      continue
    }
    if (tokens[i + 1]?.text !== "=") {
      i++
      continue
    }
    const value = tokens[i + 2]
    if (value?.text === "(") {
      let depth = 0
      const inner: Array<Token> = []
      let j = i + 2
      for (; j < tokens.length; j++) {
        if (tokens[j]!.text === "(") depth++
        else if (tokens[j]!.text === ")" && --depth === 0) break
        else inner.push(tokens[j]!)
      }
      found.set(key.text.toUpperCase(), inner.slice(0))
      i = j + 1
    } else if (value !== undefined) {
      found.set(key.text.toUpperCase(), value.kind === "string" ? value.text : value.text.toUpperCase())
      i += 3
    } else {
      i += 2
    }
  }
  return found
}

const useCommand = async (context: CommandContext, session: Session, tokens: ReadonlyArray<Token>): Promise<StatementResult> => {
  let i = 1
  const kind = tokens[1]?.kind === "word" && ["DATABASE", "SCHEMA", "WAREHOUSE", "ROLE"].includes(tokens[1].text.toUpperCase())
    ? tokens[1].text.toUpperCase()
    : undefined
  if (kind !== undefined) i = 2
  const { parts } = qualifiedName(tokens, i)
  if (kind === "WAREHOUSE" || kind === "ROLE") {
    if (kind === "WAREHOUSE") session.warehouse = parts[0]
    else session.role = parts[0]!
    await syncVariables(session, context.account)
    return status("Statement executed successfully.", StatementType.scl)
  }
  const [database, schema] = kind === "SCHEMA" && parts.length === 1
    ? [session.database, parts[0]]
    : kind === "DATABASE" || (kind === undefined && parts.length === 1 && await databaseExists(session.connection, parts[0]!))
    ? [parts[0], undefined]
    : parts.length === 1
    ? [session.database, parts[0]]
    : [parts[0], parts[1]]
  if (database === undefined || !await databaseExists(session.connection, database)) {
    throw serverError("objectNotFound", `SQL compilation error:\nDatabase '${database ?? ""}' does not exist or not authorized.`)
  }
  if (schema !== undefined && !await schemaExists(session.connection, database, schema)) {
    throw serverError("objectNotFound", `SQL compilation error:\nSchema '${database}.${schema}' does not exist or not authorized.`)
  }
  await useSchema(session, database, schema)
  return status("Statement executed successfully.", StatementType.scl)
}

const alterSession = (session: Session, tokens: ReadonlyArray<Token>): StatementResult => {
  const verb = tokens[2]?.text.toUpperCase()
  if (verb === "SET") {
    for (const [key, value] of options(tokens, 3)) {
      if (typeof value === "string") session.parameters.set(key, value)
    }
  } else if (verb === "UNSET") {
    for (const token of tokens.slice(3)) if (token.kind === "word") session.parameters.delete(token.text.toUpperCase())
  } else {
    throw serverError("syntax", "SQL compilation error:\nsyntax error: expected SET or UNSET after ALTER SESSION")
  }
  return status("Statement executed successfully.", StatementType.scl)
}

const createDatabaseCommand = async (context: CommandContext, session: Session, tokens: ReadonlyArray<Token>): Promise<StatementResult> => {
  const replace = isWord(tokens[1], "OR")
  let i = replace ? 4 : 2
  if (tokens[i - 1] !== undefined && isWord(tokens[i - 1], "TRANSIENT")) i++
  const ifNotExists = isWord(tokens[i], "IF")
  if (ifNotExists) i += 3
  const name = qualifiedName(tokens, i).parts[0]!
  if (await databaseExists(session.connection, name)) {
    if (ifNotExists) return status(`${name} already exists, statement succeeded.`)
    if (!replace) throw serverError("alreadyExists", `SQL compilation error:\nObject '${name}' already exists.`)
    await session.connection.run(`DETACH ${quote(name)}`)
  }
  const file = context.dataDirectory === undefined ? undefined : path.join(context.dataDirectory, `${name.replace(/[^A-Za-z0-9_]/g, "_")}.duckdb`)
  if (file !== undefined) fs.rmSync(file, { force: true })
  await createDatabase(session.connection, name, file)
  await useSchema(session, name, undefined)
  return status(`Database ${name} successfully created.`)
}

const dropDatabase = async (session: Session, tokens: ReadonlyArray<Token>): Promise<StatementResult> => {
  const ifExists = isWord(tokens[2], "IF")
  const name = qualifiedName(tokens, ifExists ? 4 : 2).parts[0]!
  if (!await databaseExists(session.connection, name)) {
    if (ifExists) return status(`Drop statement executed successfully (${name} already dropped).`)
    throw serverError("objectNotFound", `SQL compilation error:\nDatabase '${name}' does not exist or not authorized.`)
  }
  if (session.database === name) {
    await session.connection.run("USE memory.main")
    session.database = undefined
    session.schema = undefined
  }
  await session.connection.run(`DETACH ${quote(name)}`)
  return status(`${name} successfully dropped.`)
}

const createStage = (context: CommandContext, tokens: ReadonlyArray<Token>): StatementResult => {
  const replace = isWord(tokens[1], "OR")
  let i = replace ? 3 : 1
  while (isWord(tokens[i], "TEMPORARY") || isWord(tokens[i], "TEMP")) i++
  i++ // STAGE
  const ifNotExists = isWord(tokens[i], "IF")
  if (ifNotExists) i += 3
  const { parts } = qualifiedName(tokens, i)
  context.stages.create(parts[parts.length - 1]!, replace, ifNotExists)
  return status(`Stage area ${parts[parts.length - 1]} successfully created.`)
}

/** `PUT file://<path> @stage[/prefix] [AUTO_COMPRESS=...] ...`: the file-transfer instructions for the driver. */
const put = (context: CommandContext, session: Session, sql: string): StatementResult => {
  const match = sql.match(/^\s*PUT\s+'?file:\/\/(.+?)'?\s+('?@[^\s']+'?)(.*)$/is)
  if (match === null) throw serverError("syntax", "SQL compilation error:\nsyntax error: PUT file://<path> @<stage>[/<path>]")
  const location = context.stages.resolve(match[2]!, session.identity.user)
  const settings = new Map<string, string>()
  for (const option of (match[3] ?? "").matchAll(/(\w+)\s*=\s*'?([^\s']+)'?/g)) settings.set(option[1]!.toUpperCase(), option[2]!.toUpperCase())
  const autoCompress = settings.get("AUTO_COMPRESS") !== "FALSE"
  const sourceCompression = (settings.get("SOURCE_COMPRESSION") ?? "AUTO_DETECT").toLowerCase()
  return {
    rowtype: [],
    rowset: [],
    statementTypeId: StatementType.dml,
    extra: {
      command: "UPLOAD",
      src_locations: [match[1]!],
      autoCompress,
      sourceCompression,
      overwrite: settings.get("OVERWRITE") === "TRUE",
      parallel: Number(settings.get("PARALLEL") ?? 4),
      encryptionMaterial: null,
      stageInfo: { locationType: "LOCAL_FS", location: putDirectory(location), path: location.prefix, region: null, creds: {} }
    }
  }
}

const listStage = (context: CommandContext, session: Session, tokens: ReadonlyArray<Token>, sql: string): StatementResult => {
  const reference = sql.match(/@[^\s;]+/)?.[0]
  if (reference === undefined) throw serverError("syntax", "SQL compilation error:\nsyntax error: LIST @<stage>")
  const location = context.stages.resolve(reference, session.identity.user)
  const remove = isWord(tokens[0], "REMOVE") || isWord(tokens[0], "RM")
  const files = listFiles(location)
  const stageName = location.display.split("/")[0]!
  if (remove) {
    for (const file of files) fs.rmSync(file.absolute, { force: true })
    return { rowtype: [text("name"), text("result")], rowset: files.map((file) => [`${stageName}/${file.relative}`, "removed"]), statementTypeId: StatementType.select }
  }
  return {
    rowtype: [text("name"), fixed("size"), text("md5"), text("last_modified")],
    rowset: files.map((file) => [`${stageName}/${file.relative}`, String(file.size), null, file.modified.toUTCString()]),
    statementTypeId: StatementType.select
  }
}

/** `SELECT SYSTEM$WAIT(n [, unit])`: sleeps, cancellable (for timeout and cancel tests). */
const wait = (tokens: ReadonlyArray<Token>, signal: AbortSignal): Promise<StatementResult> => {
  const amount = Number(tokens.find((token) => token.kind === "number")?.text ?? "0")
  const unit = tokens.find((token) => token.kind === "string")?.text.toUpperCase() ?? "SECONDS"
  const ms = unit.startsWith("MILLI") ? amount : unit.startsWith("MIN") ? amount * 60_000 : amount * 1000
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort)
      resolve({ rowtype: [text("SYSTEM$WAIT")], rowset: [[`waited ${amount} ${unit.toLowerCase()}`]], statementTypeId: StatementType.select })
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(serverError("canceled", "SQL execution canceled"))
    }
    signal.addEventListener("abort", onAbort, { once: true })
  })
}

/** `ALTER TABLE a SWAP WITH b`: three renames in one transaction. */
const swap = async (session: Session, tokens: ReadonlyArray<Token>): Promise<StatementResult> => {
  const first = qualifiedName(tokens, 2)
  const second = qualifiedName(tokens, first.next + 2)
  const name = (parts: ReadonlyArray<string>) => parts.map(quote).join(".")
  const last = (parts: ReadonlyArray<string>) => parts[parts.length - 1]!
  const temporary = `__strata_swap_${Date.now().toString(36)}`
  const own = !session.inTransaction
  if (own) await session.connection.run("BEGIN TRANSACTION")
  try {
    await session.connection.run(`ALTER TABLE ${name(first.parts)} RENAME TO ${quote(temporary)}`)
    await session.connection.run(`ALTER TABLE ${name(second.parts)} RENAME TO ${quote(last(first.parts))}`)
    const renamed = [...first.parts.slice(0, -1), temporary]
    await session.connection.run(`ALTER TABLE ${name(renamed)} RENAME TO ${quote(last(second.parts))}`)
    if (own) await session.connection.run("COMMIT")
  } catch (error) {
    if (own) await session.connection.run("ROLLBACK").catch(() => undefined)
    throw error
  }
  return status("Statement executed successfully.")
}

/**
 * `ALTER TABLE a RENAME TO [db.][schema.]b`: Snowflake takes a qualified new
 * name (an unqualified one moves the table to the session's schema); DuckDB
 * takes the bare name and keeps the schema, so a move to another schema is refused.
 */
const rename = async (session: Session, tokens: ReadonlyArray<Token>): Promise<StatementResult> => {
  const ifExists = isWord(tokens[2], "IF")
  const from = qualifiedName(tokens, ifExists ? 4 : 2)
  const to = qualifiedName(tokens, from.next + 2)
  const name = (parts: ReadonlyArray<string>) => parts.map(quote).join(".")
  const target = to.parts[to.parts.length - 1]!
  const fromSchema = from.parts.length > 1 ? from.parts[from.parts.length - 2] : undefined
  const toSchema = to.parts.length > 1 ? to.parts[to.parts.length - 2] : undefined
  if (toSchema !== undefined && fromSchema !== undefined && toSchema !== fromSchema) {
    throw serverError("unsupported", "SQL compilation error:\nthe local Snowflake server cannot move a table to another schema")
  }
  await session.connection.run(`ALTER TABLE ${ifExists ? "IF EXISTS " : ""}${name(from.parts)} RENAME TO ${quote(target)}`)
  return status("Statement executed successfully.")
}

const COPY_COLUMNS = ["file", "status", "rows_parsed", "rows_loaded", "error_limit", "errors_seen", "first_error", "first_error_line", "first_error_character", "first_error_column_name"]

/** The files a COPY loads: FILES = (...) or PATTERN = '...' narrow the location's files. */
const copySources = (files: ReadonlyArray<StagedFile>, settings: Map<string, string | Array<Token>>): Array<StagedFile> => {
  const named = settings.get("FILES")
  if (Array.isArray(named)) {
    const wanted = new Set(named.filter((token) => token.kind === "string").map((token) => token.text))
    return files.filter((file) => wanted.has(file.relative) || wanted.has(path.posix.basename(file.relative)))
  }
  const pattern = settings.get("PATTERN")
  if (typeof pattern === "string") {
    const regex = new RegExp(`^(?:${pattern})$`)
    return files.filter((file) => regex.test(file.relative))
  }
  return [...files]
}

/** `COPY INTO table FROM @stage ... FILE_FORMAT = (TYPE = PARQUET | CSV ...)`. */
const copyInto = async (context: CommandContext, session: Session, tokens: ReadonlyArray<Token>, sql: string): Promise<StatementResult> => {
  const target = qualifiedName(tokens, 2)
  if (!isWord(tokens[target.next], "FROM")) throw serverError("unsupported", "SQL compilation error:\nonly COPY INTO <table> FROM @<stage> is supported by the local server")
  const reference = sql.match(/FROM\s+('?@[^\s')]+'?)/i)?.[1]
  if (reference === undefined) throw serverError("unsupported", "SQL compilation error:\nCOPY INTO ... FROM needs a stage (@name) on the local server")
  const location = context.stages.resolve(reference, session.identity.user)
  const settings = options(tokens, target.next + 2)
  const format = settings.get("FILE_FORMAT")
  const formatOptions = Array.isArray(format) ? options(format, 0) : new Map<string, string | Array<Token>>()
  const type = (formatOptions.get("TYPE") as string | undefined) ?? "CSV"
  const byName = typeof settings.get("MATCH_BY_COLUMN_NAME") === "string" && settings.get("MATCH_BY_COLUMN_NAME") !== "NONE"
  const table = target.parts.map(quote).join(".")
  const historyKey = target.parts.join(".")
  const history = context.loadHistory.get(historyKey) ?? new Set<string>()
  const force = settings.get("FORCE") === "TRUE"
  const files = copySources(listFiles(location), settings).filter((file) => force || !history.has(`${file.relative}:${file.size}:${file.modified.getTime()}`))
  if (files.length === 0) return status("Copy executed with 0 files processed.", StatementType.dml)
  if (type === "PARQUET" && !byName) {
    const columns = await session.connection.runAndReadAll(`SELECT * FROM ${table} LIMIT 0`)
    if (columns.columnCount !== 1) {
      throw new ServerError(
        "002019",
        "0A000",
        "SQL compilation error:\nPARQUET file format can produce one and only one column of type variant, object, or array. " +
          "Load data into separate columns using the MATCH_BY_COLUMN_NAME copy option or copy with transformation."
      )
    }
  }
  const rowset: Array<Array<string | null>> = []
  const own = !session.inTransaction
  if (own) await session.connection.run("BEGIN TRANSACTION")
  try {
    for (const file of files) {
      const reader = type === "PARQUET"
        ? `read_parquet(${stringLiteral(file.absolute)})`
        : `read_csv(${stringLiteral(file.absolute)}, header = ${Number(formatOptions.get("SKIP_HEADER") ?? "0") > 0}, ` +
          `delim = ${stringLiteral(String(formatOptions.get("FIELD_DELIMITER") ?? ","))}, quote = '"', all_varchar = true, ` +
          `nullstr = ${stringLiteral(Array.isArray(formatOptions.get("NULL_IF")) ? "" : String(formatOptions.get("NULL_IF") ?? ""))})`
      const result = await session.connection.run(`INSERT INTO ${table} ${byName ? "BY NAME " : ""}SELECT * FROM ${reader}`)
      const loaded = String(result.rowsChanged)
      rowset.push([`${location.display.split("/")[0]}/${file.relative}`, "LOADED", loaded, loaded, "1", "0", null, null, null, null])
    }
    if (own) await session.connection.run("COMMIT")
  } catch (error) {
    if (own) await session.connection.run("ROLLBACK").catch(() => undefined)
    throw error
  }
  for (const file of files) history.add(`${file.relative}:${file.size}:${file.modified.getTime()}`)
  context.loadHistory.set(historyKey, history)
  if (settings.get("PURGE") === "TRUE") for (const file of files) fs.rmSync(file.absolute, { force: true })
  return {
    rowtype: COPY_COLUMNS.map((name, index) => index >= 2 && index <= 5 || index === 7 || index === 8 ? fixed(name) : text(name)),
    rowset,
    statementTypeId: StatementType.dml
  }
}

/** `ALTER TABLE ... RENAME TO a.b`: a rename whose new name is qualified. */
const renamesQualified = (tokens: ReadonlyArray<Token>): boolean => {
  const at = tokens.findIndex((token, index) => isWord(token, "RENAME") && isWord(tokens[index + 1], "TO"))
  return at > 0 && tokens[at + 3]?.kind === "punct" && tokens[at + 3]!.text === "."
}

/**
 * Runs a statement the server handles itself, or returns undefined for one
 * DuckDB should run.
 */
export const runCommand = (
  context: CommandContext,
  session: Session,
  statement: ReadonlyArray<Token>,
  sql: string,
  signal: AbortSignal
): Promise<StatementResult> | undefined => {
  const tokens = significant(statement)
  const [first, second] = tokens.map((token) => token.kind === "word" ? token.text.toUpperCase() : token.text)
  const words = tokens.slice(0, 6).map((token) => token.kind === "word" ? token.text.toUpperCase() : "")
  if (first === "PUT") return Promise.resolve(put(context, session, sql))
  if (first === "GET") return Promise.reject(serverError("unsupported", "SQL compilation error:\nGET is not supported by the local Snowflake server"))
  if (first === "USE") return useCommand(context, session, tokens)
  if (first === "ALTER" && second === "SESSION") return Promise.resolve(alterSession(session, tokens))
  if (first === "ALTER" && second === "TABLE" && tokens.some((token) => isWord(token, "SWAP"))) return swap(session, tokens)
  if (first === "ALTER" && second === "TABLE" && renamesQualified(tokens)) return rename(session, tokens)
  if (first === "CREATE" && words.includes("DATABASE") && !words.includes("TABLE")) return createDatabaseCommand(context, session, tokens)
  if (first === "DROP" && second === "DATABASE") return dropDatabase(session, tokens)
  if (first === "CREATE" && words.includes("STAGE")) return Promise.resolve(createStage(context, tokens))
  if (first === "DROP" && second === "STAGE") {
    const ifExists = isWord(tokens[2], "IF")
    const { parts } = qualifiedName(tokens, ifExists ? 4 : 2)
    context.stages.drop(parts[parts.length - 1]!, ifExists)
    return Promise.resolve(status(`${parts[parts.length - 1]} successfully dropped.`))
  }
  if (first === "LIST" || first === "LS" || first === "REMOVE" || first === "RM") return Promise.resolve(listStage(context, session, tokens, sql))
  if (first === "COPY" && second === "INTO") return copyInto(context, session, tokens, sql)
  if (first === "SELECT" && tokens[1] !== undefined && tokens[1].kind === "word" && tokens[1].text.toUpperCase() === "SYSTEM$WAIT") {
    return wait(tokens, signal)
  }
  if (first === "SHOW" || first === "DESCRIBE" || first === "DESC") {
    return Promise.reject(serverError("unsupported", `SQL compilation error:\n${first} is not supported by the local Snowflake server; query INFORMATION_SCHEMA instead`))
  }
  return undefined
}
