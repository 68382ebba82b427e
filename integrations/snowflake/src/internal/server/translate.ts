/**
 * Snowflake SQL -> DuckDB SQL, token by token (see the package README for
 * the list). Unquoted identifiers are upper-cased, as Snowflake resolves
 * them, so result columns come back named `ID` for `select id`; Snowflake
 * types become DuckDB types; Snowflake-only functions become DuckDB
 * functions or the `SF_*` macros that {@link SESSION_MACROS} defines on
 * every session's connection; `:1` binds become `$1`; `col:path` variant
 * access becomes `json_extract`.
 */
import type { Token } from "./tokens.ts"
import { identifierName, isWord, significant, stringLiteral } from "./tokens.ts"

/** Snowflake type name -> DuckDB type (when `undefined`: DECIMAL with the given or default precision). */
const TYPES: Record<string, string | undefined> = {
  NUMBER: undefined,
  NUMERIC: undefined,
  DECIMAL: undefined,
  INT: "BIGINT",
  INTEGER: "BIGINT",
  BIGINT: "BIGINT",
  SMALLINT: "BIGINT",
  TINYINT: "BIGINT",
  BYTEINT: "BIGINT",
  FLOAT: "DOUBLE",
  FLOAT4: "DOUBLE",
  FLOAT8: "DOUBLE",
  DOUBLE: "DOUBLE",
  REAL: "DOUBLE",
  VARCHAR: "VARCHAR",
  STRING: "VARCHAR",
  TEXT: "VARCHAR",
  CHAR: "VARCHAR",
  CHARACTER: "VARCHAR",
  NCHAR: "VARCHAR",
  NVARCHAR: "VARCHAR",
  BOOLEAN: "BOOLEAN",
  DATE: "DATE",
  TIME: "TIME",
  DATETIME: "TIMESTAMP_NS",
  TIMESTAMP: "TIMESTAMP_NS",
  TIMESTAMP_NTZ: "TIMESTAMP_NS",
  TIMESTAMP_LTZ: "TIMESTAMPTZ",
  TIMESTAMP_TZ: "TIMESTAMPTZ",
  VARIANT: "JSON",
  OBJECT: "JSON",
  ARRAY: "JSON",
  BINARY: "BLOB",
  VARBINARY: "BLOB"
}

/** Function renames (the name token only; arguments pass through). */
const FUNCTIONS: Record<string, string> = {
  IFF: "SF_IFF",
  NVL: "COALESCE",
  IFNULL: "COALESCE",
  NVL2: "SF_NVL2",
  ZEROIFNULL: "SF_ZEROIFNULL",
  NULLIFZERO: "SF_NULLIFZERO",
  DIV0: "SF_DIV0",
  DIV0NULL: "SF_DIV0NULL",
  EQUAL_NULL: "SF_EQUAL_NULL",
  TO_VARCHAR: "SF_TO_VARCHAR",
  TO_CHAR: "SF_TO_VARCHAR",
  TO_NUMBER: "SF_TO_NUMBER",
  TO_DECIMAL: "SF_TO_NUMBER",
  TO_NUMERIC: "SF_TO_NUMBER",
  TO_DOUBLE: "SF_TO_DOUBLE",
  TO_BOOLEAN: "SF_TO_BOOLEAN",
  TO_DATE: "SF_TO_DATE",
  TO_TIMESTAMP: "SF_TO_TIMESTAMP_NTZ",
  TO_TIMESTAMP_NTZ: "SF_TO_TIMESTAMP_NTZ",
  TO_TIMESTAMP_LTZ: "SF_TO_TIMESTAMP_TZ",
  TO_TIMESTAMP_TZ: "SF_TO_TIMESTAMP_TZ",
  PARSE_JSON: "SF_PARSE_JSON",
  TRY_PARSE_JSON: "SF_TRY_PARSE_JSON",
  TO_VARIANT: "TO_JSON",
  OBJECT_CONSTRUCT: "JSON_OBJECT",
  ARRAY_CONSTRUCT: "JSON_ARRAY",
  ARRAY_SIZE: "JSON_ARRAY_LENGTH",
  LISTAGG: "STRING_AGG",
  REGEXP_LIKE: "REGEXP_FULL_MATCH",
  RLIKE: "REGEXP_FULL_MATCH",
  SYSDATE: "SF_SYSDATE",
  GETDATE: "NOW",
  UUID_STRING: "SF_UUID_STRING",
  DATEADD: "SF_DATEADD",
  TIMESTAMPADD: "SF_DATEADD",
  DATEDIFF: "DATE_DIFF",
  TIMESTAMPDIFF: "DATE_DIFF"
}

/** Functions whose first argument is a date part written as a bare word (`DATEADD(day, 1, d)`). */
const PART_FIRST = new Set(["SF_DATEADD", "DATE_DIFF", "DATE_PART", "DATE_TRUNC"])

const DATE_PARTS: Record<string, string> = {
  YEAR: "year", YEARS: "year", Y: "year", YY: "year", YYY: "year", YYYY: "year", YR: "year", YRS: "year",
  QUARTER: "quarter", QUARTERS: "quarter", Q: "quarter", QTR: "quarter", QTRS: "quarter",
  MONTH: "month", MONTHS: "month", MM: "month", MON: "month", MONS: "month",
  WEEK: "week", WEEKS: "week", W: "week", WK: "week", WEEKOFYEAR: "week",
  DAY: "day", DAYS: "day", D: "day", DD: "day", DAYOFMONTH: "day",
  HOUR: "hour", HOURS: "hour", H: "hour", HH: "hour", HR: "hour", HRS: "hour",
  MINUTE: "minute", MINUTES: "minute", M: "minute", MI: "minute", MIN: "minute", MINS: "minute",
  SECOND: "second", SECONDS: "second", S: "second", SEC: "second", SECS: "second",
  MILLISECOND: "millisecond", MILLISECONDS: "millisecond", MS: "millisecond", MSEC: "millisecond",
  MICROSECOND: "microsecond", MICROSECONDS: "microsecond", US: "microsecond", USEC: "microsecond",
  NANOSECOND: "nanosecond", NANOSECONDS: "nanosecond", NS: "nanosecond", NSEC: "nanosecond"
}

/** Context functions answered from the session (DuckDB variables set per connection). */
const SESSION_WORDS: Record<string, string> = {
  CURRENT_USER: "getvariable('SF_USER')",
  CURRENT_ROLE: "getvariable('SF_ROLE')",
  CURRENT_WAREHOUSE: "getvariable('SF_WAREHOUSE')",
  CURRENT_ACCOUNT: "getvariable('SF_ACCOUNT')",
  CURRENT_SESSION: "getvariable('SF_SESSION')",
  CURRENT_REGION: "'LOCAL'",
  CURRENT_VERSION: "'0.0.0-local'"
}

/**
 * The macros behind the `SF_*` names, created as temporary macros on every
 * session's connection (temporary objects are found whatever the current
 * database and schema are).
 */
export const SESSION_MACROS: ReadonlyArray<string> = [
  "SF_IFF(c, a, b) AS CASE WHEN c THEN a ELSE b END",
  "SF_NVL2(x, a, b) AS CASE WHEN x IS NOT NULL THEN a ELSE b END",
  "SF_ZEROIFNULL(x) AS COALESCE(x, 0)",
  "SF_NULLIFZERO(x) AS NULLIF(x, 0)",
  "SF_DIV0(a, b) AS CASE WHEN b = 0 THEN 0 ELSE a / b END",
  "SF_DIV0NULL(a, b) AS CASE WHEN b = 0 OR b IS NULL THEN 0 ELSE a / b END",
  "SF_EQUAL_NULL(a, b) AS a IS NOT DISTINCT FROM b",
  "SF_TO_VARCHAR(x) AS CAST(x AS VARCHAR)",
  "SF_TO_NUMBER(x) AS CAST(x AS DECIMAL(38,0))",
  "SF_TO_DOUBLE(x) AS CAST(x AS DOUBLE)",
  "SF_TO_BOOLEAN(x) AS CAST(x AS BOOLEAN)",
  "SF_TO_DATE(x) AS CAST(x AS DATE)",
  "SF_TO_TIMESTAMP_NTZ(x) AS CAST(x AS TIMESTAMP_NS)",
  "SF_TO_TIMESTAMP_TZ(x) AS CAST(x AS TIMESTAMPTZ)",
  "SF_PARSE_JSON(x) AS CAST(x AS JSON)",
  "SF_TRY_PARSE_JSON(x) AS TRY_CAST(x AS JSON)",
  "SF_SYSDATE() AS CAST(timezone('UTC', now()) AS TIMESTAMP_NS)",
  "SF_UUID_STRING() AS CAST(gen_random_uuid() AS VARCHAR)",
  "SF_DATEADD(part, n, x) AS CASE part " +
  "WHEN 'year' THEN x + to_years(CAST(n AS INTEGER)) WHEN 'quarter' THEN x + to_months(CAST(n AS INTEGER) * 3) " +
  "WHEN 'month' THEN x + to_months(CAST(n AS INTEGER)) WHEN 'week' THEN x + to_weeks(CAST(n AS INTEGER)) " +
  "WHEN 'day' THEN x + to_days(CAST(n AS INTEGER)) WHEN 'hour' THEN x + to_hours(CAST(n AS BIGINT)) " +
  "WHEN 'minute' THEN x + to_minutes(CAST(n AS BIGINT)) WHEN 'second' THEN x + to_seconds(CAST(n AS DOUBLE)) " +
  "WHEN 'millisecond' THEN x + to_milliseconds(CAST(n AS DOUBLE)) ELSE x + to_microseconds(CAST(n AS BIGINT)) END"
]

const nextSignificant = (tokens: ReadonlyArray<Token>, index: number): number => {
  let i = index + 1
  while (i < tokens.length && (tokens[i]!.kind === "space" || tokens[i]!.kind === "comment")) i++
  return i
}

const previousSignificant = (tokens: ReadonlyArray<Token>, index: number): number => {
  let i = index - 1
  while (i >= 0 && (tokens[i]!.kind === "space" || tokens[i]!.kind === "comment")) i--
  return i
}

const isPunct = (token: Token | undefined, text: string) => token !== undefined && token.kind === "punct" && token.text === text

/**
 * Whether the word at `index` is in a type position: after `::`, after `AS`
 * inside `CAST(`, or a column definition's type in `CREATE TABLE` /
 * `ALTER TABLE ... ADD`.
 */
const isTypePosition = (tokens: ReadonlyArray<Token>, index: number, state: TranslateState): boolean => {
  const previous = tokens[previousSignificant(tokens, index)]
  if (isPunct(previous, "::")) return true
  if (isWord(previous, "AS") && state.castDepths.includes(state.depth)) return true
  if (!state.definesColumns) return false
  const beforeIndex = previousSignificant(tokens, index)
  if (previous === undefined || (previous.kind !== "word" && previous.kind !== "quoted")) return false
  const before = tokens[previousSignificant(tokens, beforeIndex)]
  if (state.depth === 1 && (isPunct(before, "(") || isPunct(before, ","))) return true
  return isWord(before, "COLUMN") || (isWord(before, "ADD") && state.depth === 0)
}

interface TranslateState {
  readonly readsInformationSchema: boolean
  depth: number
  /** Paren depths opened by `CAST(` / `TRY_CAST(`. */
  castDepths: Array<number>
  /** The statement defines columns (`CREATE TABLE`, `ALTER TABLE`). */
  readonly definesColumns: boolean
}

/** Skips a parenthesised argument list starting at `index` (a `(`); returns the index after `)`. */
const skipParens = (tokens: ReadonlyArray<Token>, index: number): { readonly end: number; readonly text: string } => {
  let depth = 0
  let text = ""
  for (let i = index; i < tokens.length; i++) {
    const token = tokens[i]!
    text += token.kind === "string" ? stringLiteral(token.text) : token.text
    if (isPunct(token, "(")) depth++
    else if (isPunct(token, ")")) {
      depth--
      if (depth === 0) return { end: i + 1, text }
    }
  }
  return { end: tokens.length, text }
}

/** A type name at `index`, with its parameters; returns the DuckDB type and the index after it. */
const translateType = (tokens: ReadonlyArray<Token>, index: number, name: string): { readonly text: string; readonly end: number } => {
  const mapped = TYPES[name]
  const open = nextSignificant(tokens, index)
  const hasParams = isPunct(tokens[open], "(")
  const params = hasParams ? skipParens(tokens, open) : undefined
  if (mapped === undefined) return { text: `DECIMAL${params?.text ?? "(38,0)"}`, end: params?.end ?? index + 1 }
  return { text: mapped, end: params?.end ?? index + 1 }
}

/** `V:a.b[0]` (no spaces): the path's end index and its JSON path, or undefined. */
const variantPath = (tokens: ReadonlyArray<Token>, index: number): { readonly end: number; readonly path: string } | undefined => {
  if (!isPunct(tokens[index + 1], ":")) return undefined
  const first = tokens[index + 2]
  if (first === undefined || (first.kind !== "word" && first.kind !== "quoted")) return undefined
  const segment = (token: Token) => token.kind === "quoted" ? token.text.slice(1, -1) : token.text
  let path = `$.${segment(first)}`
  let i = index + 3
  for (;;) {
    const token = tokens[i]
    const next = tokens[i + 1]
    if (isPunct(token, ".") && next !== undefined && (next.kind === "word" || next.kind === "quoted")) {
      path += `.${segment(next)}`
      i += 2
    } else if (isPunct(token, "[") && next?.kind === "number" && isPunct(tokens[i + 2], "]")) {
      path += `[${next.text}]`
      i += 3
    } else {
      return { end: i, path }
    }
  }
}

/** Translates one statement's tokens to DuckDB SQL. */
export const translate = (tokens: ReadonlyArray<Token>): string => {
  const words = significant(tokens).slice(0, 4).map((token) => token.kind === "word" ? token.text.toUpperCase() : "")
  const state: TranslateState = {
    depth: 0,
    castDepths: [],
    definesColumns: (words[0] === "CREATE" && words.includes("TABLE")) || (words[0] === "ALTER" && words[1] === "TABLE"),
    // Snowflake's INFORMATION_SCHEMA.TABLES.COMMENT is DuckDB's TABLE_COMMENT
    readsInformationSchema: words[0] === "SELECT" && tokens.some((token) => token.kind === "word" && token.text.toUpperCase() === "INFORMATION_SCHEMA")
  }
  let out = ""
  let i = 0
  while (i < tokens.length) {
    const token = tokens[i]!
    const view = state.readsInformationSchema ? databaseInformationSchema(tokens, i) : undefined
    if (view !== undefined) {
      out += view.text
      i = view.end
      continue
    }
    switch (token.kind) {
      case "string":
        out += stringLiteral(token.text)
        i++
        continue
      case "bind":
        out += token.text === "?" ? "?" : `$${token.text.slice(1)}`
        i++
        continue
      case "punct":
        if (token.text === "(") state.depth++
        if (token.text === ")") {
          if (state.castDepths[state.castDepths.length - 1] === state.depth) state.castDepths.pop()
          state.depth--
        }
        out += token.text
        i++
        continue
      case "quoted": {
        const path = variantPath(tokens, i)
        if (path !== undefined) {
          out += variantAccess(tokens, token.text, path)
          i = path.end
          continue
        }
        out += token.text
        i++
        continue
      }
      case "word": {
        const translated = translateWord(tokens, i, state)
        out += translated.text
        i = translated.end
        continue
      }
      default:
        out += token.text
        i++
    }
  }
  return out
}

/**
 * `<db>.INFORMATION_SCHEMA.<view>`: DuckDB has one information schema for
 * all catalogs, so the view is filtered to the database's rows.
 */
const databaseInformationSchema = (tokens: ReadonlyArray<Token>, i: number): { readonly text: string; readonly end: number } | undefined => {
  const database = tokens[i]!
  if (database.kind !== "word" && database.kind !== "quoted") return undefined
  if (!isPunct(tokens[i + 1], ".") || !isWord(tokens[i + 2], "INFORMATION_SCHEMA") || !isPunct(tokens[i + 3], ".")) return undefined
  const view = tokens[i + 4]
  if (view === undefined || view.kind !== "word") return undefined
  const name = identifierName(database)
  return {
    text: `(SELECT * FROM information_schema.${view.text.toLowerCase()} WHERE table_catalog = ${stringLiteral(name)})`,
    end: i + 5
  }
}

const variantAccess = (tokens: ReadonlyArray<Token>, column: string, path: { readonly end: number; readonly path: string }) => {
  // `v:a::string` wants the scalar, not the JSON text `"a"`
  const extract = isPunct(tokens[path.end], "::") ? "json_extract_string" : "json_extract"
  return `${extract}(${column}, ${stringLiteral(path.path)})`
}

const translateWord = (tokens: ReadonlyArray<Token>, i: number, state: TranslateState): { readonly text: string; readonly end: number } => {
  const token = tokens[i]!
  const upper = token.text.toUpperCase()
  const path = variantPath(tokens, i)
  if (path !== undefined) return { text: variantAccess(tokens, upper, path), end: path.end }
  if (upper in TYPES && isTypePosition(tokens, i, state)) return translateType(tokens, i, upper)
  const open = nextSignificant(tokens, i)
  const isCall = isPunct(tokens[open], "(")
  if (upper in SESSION_WORDS) {
    // `CURRENT_ROLE()` or the bare keyword form
    const close = isCall ? nextSignificant(tokens, open) : -1
    if (isCall && isPunct(tokens[close], ")")) return { text: SESSION_WORDS[upper]!, end: close + 1 }
    if (!isCall) return { text: SESSION_WORDS[upper]!, end: i + 1 }
  }
  if (!isCall && upper === "COMMENT" && state.readsInformationSchema) return { text: "TABLE_COMMENT", end: i + 1 }
  if (!isCall) return { text: upper, end: i + 1 }
  if (upper === "CAST" || upper === "TRY_CAST") state.castDepths.push(state.depth + 1)
  const name = FUNCTIONS[upper] ?? upper
  if (!PART_FIRST.has(name)) return { text: name, end: i + 1 }
  // the date part: a bare word becomes a canonical string literal
  const partIndex = nextSignificant(tokens, open)
  const part = tokens[partIndex]
  if (part === undefined || part.kind !== "word") return { text: name, end: i + 1 }
  const canonical = DATE_PARTS[part.text.toUpperCase()] ?? part.text.toLowerCase()
  state.depth++
  return { text: `${name}(${stringLiteral(canonical)}`, end: partIndex + 1 }
}
