/**
 * Array binds of `INSERT INTO t [(columns)] VALUES (...)` in one statement:
 * the bound columns are appended to a temporary table with DuckDB's
 * appender, and the insert becomes `INSERT INTO t ... SELECT <the VALUES
 * expressions over that table>`. Running the prepared statement once per
 * row costs ~0.7 ms a row; this costs microseconds.
 */
import type { DuckDBAppender, DuckDBConnection } from "@duckdb/node-api"
import type { Bind } from "./engine.ts"
import type { Token } from "./tokens.ts"
import { isWord } from "./tokens.ts"
import { translate } from "./translate.ts"

type ColumnKind = "HUGEINT" | "DOUBLE" | "BOOLEAN" | "VARCHAR"

const kindOf = (bind: Bind): ColumnKind => {
  const values = bind.value as ReadonlyArray<string | null>
  switch (bind.type) {
    case "FIXED":
      return values.every((value) => value === null || /^-?\d+$/.test(value)) ? "HUGEINT" : "DOUBLE"
    case "REAL":
      return "DOUBLE"
    case "BOOLEAN":
      return "BOOLEAN"
    default:
      return "VARCHAR"
  }
}

const append = (appender: DuckDBAppender, kind: ColumnKind, value: string | null) => {
  if (value === null) return appender.appendNull()
  switch (kind) {
    case "HUGEINT":
      return appender.appendHugeInt(BigInt(value))
    case "DOUBLE":
      return appender.appendDouble(Number(value))
    case "BOOLEAN":
      return appender.appendBoolean(value === "true" || value === "1" || value.toUpperCase() === "TRUE")
    default:
      return appender.appendVarchar(value)
  }
}

/** The index of the top-level `VALUES` keyword and of its tuple's `(` and `)`, if the statement is `INSERT ... VALUES (...)`. */
const valuesTuple = (tokens: ReadonlyArray<Token>): { readonly values: number; readonly open: number; readonly close: number } | undefined => {
  const first = tokens.find((token) => token.kind === "word")
  if (!isWord(first, "INSERT")) return undefined
  let depth = 0
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    if (token.kind === "punct" && token.text === "(") depth++
    else if (token.kind === "punct" && token.text === ")") depth--
    else if (depth === 0 && isWord(token, "VALUES")) {
      let open = i + 1
      while (open < tokens.length && (tokens[open]!.kind === "space" || tokens[open]!.kind === "comment")) open++
      if (tokens[open]?.text !== "(") return undefined
      let inner = 0
      for (let close = open; close < tokens.length; close++) {
        if (tokens[close]!.text === "(") inner++
        else if (tokens[close]!.text === ")" && --inner === 0) {
          const rest = tokens.slice(close + 1).every((token) => token.kind === "space" || token.kind === "comment")
          return rest ? { values: i, open, close } : undefined
        }
      }
      return undefined
    }
  }
  return undefined
}

/**
 * Runs an array-bound `INSERT ... VALUES` as one insert; returns the rows
 * inserted, or undefined when the statement has another shape.
 */
export const bulkInsert = async (
  connection: DuckDBConnection,
  tokens: ReadonlyArray<Token>,
  binds: ReadonlyArray<Bind>
): Promise<number | undefined> => {
  const tuple = valuesTuple(tokens)
  if (tuple === undefined) return undefined
  const table = `__strata_binds_${process.hrtime.bigint().toString(36)}`
  const kinds = binds.map(kindOf)
  await connection.run(`CREATE TEMP TABLE "${table}" (${kinds.map((kind, index) => `"C${index + 1}" ${kind}`).join(", ")})`)
  try {
    const appender = await connection.createAppender(table, "main", "temp")
    const rows = (binds[0]!.value as ReadonlyArray<string | null>).length
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < binds.length; column++) {
        append(appender, kinds[column]!, (binds[column]!.value as ReadonlyArray<string | null>)[row] ?? null)
      }
      appender.endRow()
    }
    appender.closeSync()
    // the tuple's binds, in order for `?` or by number for `:n`, become the temporary table's columns
    let position = 0
    const select: Array<Token> = tokens.slice(tuple.open + 1, tuple.close).map((token) => {
      if (token.kind !== "bind") return token
      const index = token.text === "?" ? ++position : Number(token.text.slice(1))
      return { kind: "quoted", text: `"${table}"."C${index}"`, offset: token.offset }
    })
    const sql = `${translate(tokens.slice(0, tuple.values))} SELECT ${translate(select)} FROM temp.main."${table}"`
    return (await connection.run(sql)).rowsChanged
  } finally {
    await connection.run(`DROP TABLE IF EXISTS temp.main."${table}"`)
  }
}
