/**
 * A tokenizer for Snowflake SQL, enough to translate it for DuckDB: it keeps
 * every character of the input (whitespace and comments are tokens too), so
 * the translator rewrites tokens and joins them back.
 *
 * Linear in the input: one pass, no backtracking.
 */

export type TokenKind =
  | "space"
  | "comment"
  | "string"
  | "quoted"
  | "number"
  | "word"
  | "bind"
  | "punct"

export interface Token {
  readonly kind: TokenKind
  /** The text as written (for `string`: the decoded value, see {@link tokenize}). */
  readonly text: string
  /** Offset of the token in the input, for error positions. */
  readonly offset: number
}

/** A statement the tokenizer cannot read (an unterminated string, say). */
export class TokenizeError extends Error {
  readonly offset: number
  constructor(message: string, offset: number) {
    super(message)
    this.offset = offset
  }
}

const isWordStart = (code: number) =>
  (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code > 127
const isWordPart = (code: number) => isWordStart(code) || (code >= 48 && code <= 57) || code === 36
const isDigit = (code: number) => code >= 48 && code <= 57

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", "0": "\0", "\\": "\\", "'": "'", "\"": "\"" }

/** A single-quoted Snowflake string: `''` and backslash escapes. Returns the value and the end offset. */
const readString = (sql: string, start: number): [string, number] => {
  let value = ""
  let i = start + 1
  while (i < sql.length) {
    const char = sql[i]!
    if (char === "\\" && i + 1 < sql.length) {
      const next = sql[i + 1]!
      value += ESCAPES[next] ?? next
      i += 2
    } else if (char === "'") {
      if (sql[i + 1] === "'") {
        value += "'"
        i += 2
      } else {
        return [value, i + 1]
      }
    } else {
      value += char
      i++
    }
  }
  throw new TokenizeError("unterminated string literal", start)
}

/**
 * Splits a statement into tokens. String literals (`'...'` with Snowflake's
 * backslash escapes, and `$$...$$`) are decoded into `text`; quoted
 * identifiers keep their quotes; binds are `?` or `:1`.
 */
export const tokenize = (sql: string): Array<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < sql.length) {
    const start = i
    const code = sql.charCodeAt(i)
    const char = sql[i]!
    if (char === " " || char === "\n" || char === "\t" || char === "\r") {
      while (i < sql.length && /\s/.test(sql[i]!)) i++
      tokens.push({ kind: "space", text: sql.slice(start, i), offset: start })
    } else if (char === "-" && sql[i + 1] === "-" || char === "/" && sql[i + 1] === "/") {
      const end = sql.indexOf("\n", i)
      i = end === -1 ? sql.length : end
      tokens.push({ kind: "comment", text: sql.slice(start, i), offset: start })
    } else if (char === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2)
      if (end === -1) throw new TokenizeError("unterminated comment", start)
      i = end + 2
      tokens.push({ kind: "comment", text: sql.slice(start, i), offset: start })
    } else if (char === "'") {
      const [value, end] = readString(sql, i)
      i = end
      tokens.push({ kind: "string", text: value, offset: start })
    } else if (char === "$" && sql[i + 1] === "$") {
      const end = sql.indexOf("$$", i + 2)
      if (end === -1) throw new TokenizeError("unterminated $$ string", start)
      tokens.push({ kind: "string", text: sql.slice(i + 2, end), offset: start })
      i = end + 2
    } else if (char === "\"") {
      let j = i + 1
      for (;;) {
        const end = sql.indexOf("\"", j)
        if (end === -1) throw new TokenizeError("unterminated quoted identifier", start)
        if (sql[end + 1] === "\"") {
          j = end + 2
          continue
        }
        i = end + 1
        break
      }
      tokens.push({ kind: "quoted", text: sql.slice(start, i), offset: start })
    } else if (isDigit(code) || (char === "." && isDigit(sql.charCodeAt(i + 1)))) {
      while (i < sql.length && (isDigit(sql.charCodeAt(i)) || sql[i] === ".")) i++
      if ((sql[i] === "e" || sql[i] === "E") && /[-+0-9]/.test(sql[i + 1] ?? "")) {
        i += 2
        while (i < sql.length && isDigit(sql.charCodeAt(i))) i++
      }
      tokens.push({ kind: "number", text: sql.slice(start, i), offset: start })
    } else if (isWordStart(code)) {
      while (i < sql.length && isWordPart(sql.charCodeAt(i))) i++
      tokens.push({ kind: "word", text: sql.slice(start, i), offset: start })
    } else if (char === "?") {
      i++
      tokens.push({ kind: "bind", text: "?", offset: start })
    } else if (char === ":" && isDigit(sql.charCodeAt(i + 1))) {
      i++
      while (i < sql.length && isDigit(sql.charCodeAt(i))) i++
      tokens.push({ kind: "bind", text: sql.slice(start, i), offset: start })
    } else {
      const two = sql.slice(i, i + 2)
      const width = two === "::" || two === "<=" || two === ">=" || two === "<>" || two === "!=" || two === "||" || two === "=>" ? 2 : 1
      i += width
      tokens.push({ kind: "punct", text: sql.slice(start, i), offset: start })
    }
  }
  return tokens
}

/** The tokens without whitespace and comments. */
export const significant = (tokens: ReadonlyArray<Token>): Array<Token> =>
  tokens.filter((token) => token.kind !== "space" && token.kind !== "comment")

/** A string literal for DuckDB (standard SQL: quotes doubled, no backslash escapes). */
export const stringLiteral = (value: string): string => `'${value.replaceAll("'", "''")}'`

/** Whether a token is the word `word` (case-insensitive). */
export const isWord = (token: Token | undefined, word: string): boolean =>
  token !== undefined && token.kind === "word" && token.text.toUpperCase() === word

/**
 * A Snowflake identifier's name: unquoted names are upper-cased, quoted ones
 * keep their case.
 */
export const identifierName = (token: Token): string =>
  token.kind === "quoted" ? token.text.slice(1, -1).replaceAll("\"\"", "\"") : token.text.toUpperCase()

/** Splits tokens into statements on top-level `;`. Empty statements are dropped. */
export const splitStatements = (tokens: ReadonlyArray<Token>): Array<Array<Token>> => {
  const statements: Array<Array<Token>> = []
  let current: Array<Token> = []
  for (const token of tokens) {
    if (token.kind === "punct" && token.text === ";") {
      statements.push(current)
      current = []
    } else {
      current.push(token)
    }
  }
  statements.push(current)
  return statements.filter((statement) => significant(statement).length > 0)
}
