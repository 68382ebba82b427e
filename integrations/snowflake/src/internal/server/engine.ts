/**
 * Runs one query request: one statement (Snowflake's default
 * `MULTI_STATEMENT_COUNT` is 1), its binds (single values or arrays of
 * values, one execution per row), the session's statement timeout, and
 * cancellation.
 */
import type { DuckDBValue } from "@duckdb/node-api"
import { bulkInsert } from "./bulk.ts"
import type { CommandContext, StatementResult } from "./commands.ts"
import { runCommand, StatementType } from "./commands.ts"
import { fromDuckDB, serverError, ServerError } from "./errors.ts"
import type { Session } from "./session.ts"
import { significant, splitStatements, tokenize, TokenizeError } from "./tokens.ts"
import { translate } from "./translate.ts"
import { toSnowflake } from "./values.ts"

/** A bind as the driver sends it: `{ type, value }`, the value a string, null, or an array of them (array binding). */
export interface Bind {
  readonly type: string
  readonly value: string | null | ReadonlyArray<string | null>
}

const bindValue = (type: string, value: string | null): DuckDBValue => {
  if (value === null) return null
  switch (type) {
    case "FIXED":
      return /^-?\d+$/.test(value) ? BigInt(value) : Number(value)
    case "REAL":
      return Number(value)
    case "BOOLEAN":
      return value === "true" || value === "1" || value.toUpperCase() === "TRUE"
    default:
      return value
  }
}

/** The binds as rows of DuckDB values (one row for single binds). */
const bindRows = (bindings: Record<string, Bind> | undefined): Array<Array<DuckDBValue>> => {
  if (bindings === undefined) return [[]]
  const keys = Object.keys(bindings).sort((a, b) => Number(a) - Number(b))
  if (keys.length === 0) return [[]]
  const columns = keys.map((key) => bindings[key]!)
  const first = columns[0]!.value
  if (!Array.isArray(first)) return [columns.map((bind) => bindValue(bind.type, bind.value as string | null))]
  const rows: Array<Array<DuckDBValue>> = []
  for (let row = 0; row < first.length; row++) {
    rows.push(columns.map((bind) => bindValue(bind.type, (bind.value as ReadonlyArray<string | null>)[row] ?? null)))
  }
  return rows
}

const statementTypeOf = (keyword: string | undefined): number => {
  switch (keyword) {
    case "SELECT":
    case "WITH":
    case "VALUES":
    case "EXPLAIN":
      return StatementType.select
    case "INSERT":
      return StatementType.insert
    case "UPDATE":
      return StatementType.update
    case "DELETE":
      return StatementType.delete
    case "MERGE":
      return StatementType.merge
    case "BEGIN":
    case "START":
    case "COMMIT":
    case "ROLLBACK":
      return StatementType.tcl
    default:
      return StatementType.ddl
  }
}

const DML_COLUMNS: Record<number, string> = {
  [StatementType.insert]: "number of rows inserted",
  [StatementType.update]: "number of rows updated",
  [StatementType.delete]: "number of rows deleted"
}

/** Runs translated SQL on the session's connection, once per bind row. */
const runDuckDB = async (session: Session, sql: string, rows: Array<Array<DuckDBValue>>, typeId: number): Promise<StatementResult> => {
  const connection = session.connection
  if (rows.length === 1) {
    const reader = await connection.runAndReadAll(sql, rows[0]!.length === 0 ? undefined : rows[0])
    const dmlColumn = DML_COLUMNS[typeId]
    if (dmlColumn !== undefined) {
      const { rowtype } = toSnowflake(reader)
      return { rowtype: [{ ...rowtype[0]!, name: dmlColumn, type: "fixed", precision: 38, scale: 0 }], rowset: [[String(reader.rowsChanged)]], statementTypeId: typeId }
    }
    const { rowset, rowtype } = toSnowflake(reader)
    return typeId === StatementType.select || rowtype.length > 0
      ? { rowtype, rowset, statementTypeId: typeId }
      : { rowtype: [], rowset: [], statementTypeId: typeId }
  }
  // array binding: one prepared statement, executed per row, atomically
  const prepared = await connection.prepare(sql)
  const own = !session.inTransaction
  if (own) await connection.run("BEGIN TRANSACTION")
  let changed = 0
  try {
    for (const row of rows) {
      prepared.bind(row)
      changed += (await prepared.run()).rowsChanged
    }
    if (own) await connection.run("COMMIT")
  } catch (error) {
    if (own) await connection.run("ROLLBACK").catch(() => undefined)
    throw error
  } finally {
    prepared.destroySync()
  }
  return {
    rowtype: [{ ...statusFixed, name: DML_COLUMNS[typeId] ?? "number of rows affected" }],
    rowset: [[String(changed)]],
    statementTypeId: typeId
  }
}

const statusFixed = {
  name: "",
  database: "",
  schema: "",
  table: "",
  type: "fixed",
  precision: 38,
  scale: 0,
  length: null,
  byteLength: null,
  nullable: false,
  collation: null
} as const

/** Applies the statement timeout and registers the statement for cancellation while `run` runs. */
const supervised = async <A>(
  session: Session,
  requestId: string,
  timeoutSeconds: number,
  run: (signal: AbortSignal) => Promise<A>
): Promise<A> => {
  let reason: "canceled" | "timeout" | undefined
  const controller = new AbortController()
  const cancel = (why: "canceled" | "timeout") => {
    reason = why
    controller.abort()
    session.connection.interrupt()
  }
  session.running.set(requestId, cancel)
  const timer = timeoutSeconds > 0 ? setTimeout(() => cancel("timeout"), timeoutSeconds * 1000) : undefined
  try {
    return await run(controller.signal)
  } catch (error) {
    if (reason === "timeout") {
      throw serverError("statementTimeout", `Statement reached its statement or warehouse timeout of ${timeoutSeconds} second(s) and was canceled.`)
    }
    if (reason === "canceled") throw serverError("canceled", "SQL execution canceled")
    throw error
  } finally {
    if (timer !== undefined) clearTimeout(timer)
    session.running.delete(requestId)
  }
}

/** Executes one query request's SQL for a session. */
export const execute = async (
  context: CommandContext,
  session: Session,
  sqlText: string,
  bindings: Record<string, Bind> | undefined,
  timeoutSeconds: number,
  requestId: string
): Promise<StatementResult> => {
  let statements
  try {
    statements = splitStatements(tokenize(sqlText))
  } catch (error) {
    if (error instanceof TokenizeError) {
      throw serverError("syntax", `SQL compilation error:\nsyntax error line 1 at position ${error.offset} ${error.message}.`)
    }
    throw error
  }
  if (statements.length !== 1) {
    throw serverError("statementCount", `Actual statement count ${statements.length} did not match the desired statement count 1.`)
  }
  const statement = statements[0]!
  return supervised(session, requestId, timeoutSeconds, async (signal) => {
    try {
      const command = runCommand(context, session, statement, sqlText, signal)
      if (command !== undefined) return await command
      const first = significant(statement)[0]
      const keyword = first?.kind === "word" ? first.text.toUpperCase() : undefined
      const typeId = statementTypeOf(keyword)
      const binds = bindings === undefined ? [] : Object.keys(bindings).sort((a, b) => Number(a) - Number(b)).map((key) => bindings[key]!)
      if (binds.length > 0 && Array.isArray(binds[0]!.value)) {
        const inserted = await bulkInsert(session.connection, statement, binds)
        if (inserted !== undefined) return { rowtype: [{ ...statusFixed, name: "number of rows inserted" }], rowset: [[String(inserted)]], statementTypeId: typeId }
      }
      const result = await runDuckDB(session, translate(statement), bindRows(bindings), typeId)
      if (keyword === "BEGIN" || keyword === "START") session.inTransaction = true
      if (keyword === "COMMIT" || keyword === "ROLLBACK") session.inTransaction = false
      return result
    } catch (error) {
      throw error instanceof ServerError ? error : fromDuckDB(error)
    }
  })
}
