/**
 * Errors as Snowflake returns them: a six-digit code, an SQL state and a
 * message in Snowflake's wording, in a `{ success: false }` body. DuckDB's
 * errors are classified into the Snowflake error a user would have seen for
 * the same mistake.
 */

/** A failure the server reports in Snowflake's error shape. */
export class ServerError extends Error {
  readonly code: string
  readonly sqlState: string
  /** HTTP status; Snowflake answers most failures with 200 and `success: false`. */
  readonly status: number
  constructor(code: string, sqlState: string, message: string, status = 200) {
    super(message)
    this.code = code
    this.sqlState = sqlState
    this.status = status
  }
}

/** The Snowflake codes the server uses, named. */
export const Codes = {
  syntax: ["001003", "42000"],
  invalidIdentifier: ["000904", "42000"],
  objectNotFound: ["002003", "42S02"],
  alreadyExists: ["002002", "42710"],
  unknownFunction: ["002140", "42601"],
  numericValue: ["100038", "22018"],
  dateValue: ["100040", "22007"],
  notNull: ["100072", "22000"],
  statementTimeout: ["000630", "57014"],
  canceled: ["000604", "57014"],
  lockConflict: ["000625", "57014"],
  statementCount: ["000008", "0A000"],
  internal: ["000603", "XX000"],
  execution: ["100000", "22000"],
  unsupported: ["002016", "0A000"],
  badLogin: ["390100", "08004"],
  badJwt: ["390144", "08004"],
  badOAuth: ["390303", "08004"],
  expiredOAuth: ["390318", "08004"],
  invalidToken: ["390104", "08001"],
  goneSession: ["390111", "08001"],
  expiredToken: ["390112", "08001"],
  expiredMasterToken: ["390114", "08001"]
} as const satisfies Record<string, readonly [string, string]>

/** A {@link ServerError} for one of {@link Codes}. */
export const serverError = (which: keyof typeof Codes, message: string, status = 200): ServerError => {
  const [code, sqlState] = Codes[which]
  return new ServerError(code, sqlState, message, status)
}

const compilation = (detail: string) => `SQL compilation error:\n${detail}`

/** Snowflake's error for a DuckDB failure of the translated statement. */
export const fromDuckDB = (error: unknown): ServerError => {
  if (error instanceof ServerError) return error
  const message = error instanceof Error ? error.message : String(error)
  const first = message.split("\n")[0] ?? message
  let match: RegExpMatchArray | null
  if ((match = first.match(/^Catalog Error: (Table|View|Schema|Catalog|Table Function|Sequence|Type) with name "?([^"!]+?)"? does not exist/))) {
    const kind = match[1] === "Catalog" ? "Database" : match[1] === "Table Function" ? "Function" : match[1]!
    return serverError("objectNotFound", compilation(`${kind} '${match[2]}' does not exist or not authorized.`))
  }
  if ((match = first.match(/^Catalog Error: (Scalar Function|Aggregate Function|Macro Function|Function) with name "?([^"!]+?)"? does not exist/))) {
    return serverError("unknownFunction", compilation(`Unknown function ${match[2]!.toUpperCase()}`))
  }
  if ((match = first.match(/^Catalog Error: .*? with name "?([^"!]+?)"? already exists/))) {
    return serverError("alreadyExists", compilation(`Object '${match[1]}' already exists.`))
  }
  if ((match = first.match(/^Binder Error: (?:Referenced column|Values list|Column) "([^"]+)" (?:not found|referenced)/))) {
    return serverError("invalidIdentifier", compilation(`error line 1 at position 0\ninvalid identifier '${match[1]}'`))
  }
  if (first.startsWith("Parser Error:")) {
    return serverError("syntax", compilation(`syntax error line 1 at position 0 unexpected ${first.slice("Parser Error: ".length)}`))
  }
  if ((match = first.match(/^Conversion Error: .*?(?:string|value) '?([^']*)'? to (DATE|TIMESTAMP|TIME)/i))) {
    return serverError("dateValue", `${match[2]!.startsWith("DATE") ? "Date" : "Timestamp"} '${match[1]}' is not recognized`)
  }
  if ((match = first.match(/^Conversion Error: .*?(?:string|value) '?([^']*)'? to/))) {
    return serverError("numericValue", `Numeric value '${match[1]}' is not recognized`)
  }
  if (/^Constraint Error: NOT NULL constraint failed/.test(first)) {
    return serverError("notNull", "NULL result in a non-nullable column")
  }
  if (/^TransactionContext Error: .*[Cc]onflict/.test(first)) {
    return serverError("lockConflict", `Statement aborted because of a conflicting write to the same table: ${first}`)
  }
  if (/^INTERRUPT Error/.test(first) || /Interrupted/.test(first)) {
    return serverError("canceled", "SQL execution canceled")
  }
  if (/^(Binder|Catalog) Error:/.test(first)) return serverError("syntax", compilation(first))
  if (/^(INTERNAL|Fatal) Error/.test(first)) return serverError("internal", `SQL execution internal error: ${first}`)
  return serverError("execution", first)
}
