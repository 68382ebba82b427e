// SnowflakeClient through the real snowflake-sdk against the local server: auth request shapes, binds,
// query tags, errors and their reasons, retries.
import { Materialize, RetryPolicy } from "@strata/core"
import { Effect, Exit, Redacted, Schedule, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SnowflakeClient, withQueryTag } from "../src/SnowflakeClient.ts"
import { SnowflakeError } from "../src/SnowflakeError.ts"
import type { LocalSnowflake } from "../src/testing.ts"
import { start } from "../src/testing.ts"
import { keyPair, passwordClient, runScoped, uniqueName } from "./support.ts"

const plainKey = keyPair()
const encryptedKey = keyPair("s3cret passphrase")
let server: LocalSnowflake

beforeAll(async () => {
  server = await start({
    databases: ["ANALYTICS"],
    users: [
      { name: "STRATA", password: "strata" },
      { name: "robot", publicKeys: [plainKey.publicKey, encryptedKey.publicKey] },
      { name: "app", oauthTokens: ["oauth-access-token-1"] }
    ]
  })
})
afterAll(() => server.close())

const failure = <A>(effect: Effect.Effect<A, SnowflakeError, never>) =>
  Effect.runPromise(Effect.flip(effect))

describe("authentication (the request shapes the driver sends to login-request)", () => {
  it("password: LOGIN_NAME + PASSWORD, the context as query parameters", async () => {
    const before = server.logins.length
    const rows = await runScoped(Effect.flatMap(
      passwordClient(server, { role: "ANALYST", warehouse: "WH", schema: "PUBLIC" }),
      (client) => client.query("select current_user() as u, current_role() as r, current_warehouse() as w, current_database() as d")
    ))
    expect(rows).toEqual([{ U: "STRATA", R: "ANALYST", W: "WH", D: "ANALYTICS" }])
    const login = server.logins[before]!
    expect(login).toMatchObject({ user: "STRATA", authenticator: "SNOWFLAKE", role: "ANALYST", warehouse: "WH", database: "ANALYTICS", schema: "PUBLIC", refused: undefined })
  })

  it("key pair: an RS256 JWT the server verifies with the registered public key, encrypted keys with their passphrase", async () => {
    for (const [key, passphrase] of [[plainKey, undefined], [encryptedKey, "s3cret passphrase"]] as const) {
      const rows = await runScoped(Effect.flatMap(
        SnowflakeClient.make({
          ...server.connection,
          user: "robot",
          auth: { _tag: "KeyPair", privateKey: Redacted.make(key.privateKey), passphrase: passphrase === undefined ? undefined : Redacted.make(passphrase) }
        }),
        (client) => client.query("select current_user() as u")
      ))
      expect(rows).toEqual([{ U: "ROBOT" }])
      expect(server.logins.at(-1)).toMatchObject({ user: "robot", authenticator: "SNOWFLAKE_JWT", refused: undefined })
    }
  })

  it("key pair: a key the user did not register is refused with 390144 (auth, not retryable)", async () => {
    const stranger = keyPair()
    const error = await failure(Effect.scoped(SnowflakeClient.make({
      ...server.connection,
      user: "robot",
      auth: { _tag: "KeyPair", privateKey: Redacted.make(stranger.privateKey) }
    })))
    expect(error).toMatchObject({ reason: "auth", code: "390144", operation: "connect" })
    expect(error.isRetryable).toBe(false)
  })

  it("OAuth: AUTHENTICATOR=OAUTH with the access token in TOKEN", async () => {
    const rows = await runScoped(Effect.flatMap(
      SnowflakeClient.make({ ...server.connection, user: "app", auth: { _tag: "OAuth", token: Redacted.make("oauth-access-token-1") } }),
      (client) => client.query("select current_user() as u")
    ))
    expect(rows).toEqual([{ U: "APP" }])
    expect(server.logins.at(-1)).toMatchObject({ user: "app", authenticator: "OAUTH", refused: undefined })
    const error = await failure(Effect.scoped(
      SnowflakeClient.make({ ...server.connection, user: "app", auth: { _tag: "OAuth", token: Redacted.make("stolen") } })
    ))
    expect(error).toMatchObject({ reason: "auth", code: "390303" })
  })

  it("a wrong password fails the layer with 390100, and the message names account and user", async () => {
    const error = await failure(Effect.scoped(SnowflakeClient.make({ ...server.connection, auth: { _tag: "Password", password: Redacted.make("nope") } })))
    expect(error.reason).toBe("auth")
    expect(error.code).toBe("390100")
    expect(error.message).toContain(`account ${server.account} as STRATA`)
    expect(String(error)).not.toContain("strata\"")
  })
})

describe("statements", () => {
  it("? binds of every JS kind, single and array binding, and rowsAffected", async () => {
    const table = uniqueName("BINDS")
    const result = await runScoped(Effect.gen(function*() {
      const client = yield* passwordClient(server)
      yield* client.execute(`create table ${table} (id int, name varchar, score float, ok boolean, created timestamp_ntz)`)
      const single = yield* client.execute(`insert into ${table} values (?, ?, ?, ?, ?)`, [1, "ada", 1.5, true, "2024-01-02 03:04:05.123456789"])
      const many = yield* client.execute(`insert into ${table} (id, name) values (?, ?)`, [[2, "bob"], [3, null], [4, "o'brien"]])
      const rows = yield* client.query(`select id, name, score, ok from ${table} where id >= ? order by id`, [1])
      return { single, many, rows }
    }))
    expect(result.single.rowsAffected).toBe(1)
    expect(result.many.rowsAffected).toBe(3)
    expect(result.rows).toEqual([
      { ID: 1, NAME: "ada", SCORE: 1.5, OK: true },
      { ID: 2, NAME: "bob", SCORE: null, OK: null },
      { ID: 3, NAME: null, SCORE: null, OK: null },
      { ID: 4, NAME: "o'brien", SCORE: null, OK: null }
    ])
  })

  it("querySchema decodes typed rows and names the row that does not fit", async () => {
    const Person = Schema.Struct({ ID: Schema.Number, NAME: Schema.String })
    const rows = await runScoped(Effect.flatMap(passwordClient(server), (client) =>
      client.querySchema(Person, "select 1 as id, 'ada' as name union all select 2, 'bob' order by id")))
    expect(rows).toEqual([{ ID: 1, NAME: "ada" }, { ID: 2, NAME: "bob" }])
    const error = await runScoped(Effect.flip(Effect.flatMap(passwordClient(server), (client) =>
      client.querySchema(Person, "select 1 as id, null as name"))))
    expect(error).toMatchObject({ reason: "data", operation: "query" })
    expect(error.message).toContain("row 0")
  })

  it("query tags name the asset and partition being materialized, plus withQueryTag fields", async () => {
    const marker = uniqueName("TAGGED")
    await runScoped(Effect.flatMap(passwordClient(server, { queryTag: { team: "growth" } }), (client) =>
      client.query(`select '${marker}' as m`).pipe(
        withQueryTag({ run: "run-123" }),
        Effect.provideService(Materialize.CurrentStep, { key: "gold/revenue", partition: "2024-01-02" })
      )))
    const recorded = server.queries.find((query) => query.sqlText.includes(marker))
    expect(JSON.parse(recorded!.queryTag!)).toEqual({ app: "strata", team: "growth", run: "run-123", asset: "gold/revenue", partition: "2024-01-02" })
  })

  it("transaction: a failure rolls back the statements before it", async () => {
    const table = uniqueName("TX")
    const count = await runScoped(Effect.gen(function*() {
      const client = yield* passwordClient(server)
      yield* client.execute(`create table ${table} (id int)`)
      const exit = yield* Effect.exit(client.transaction((connection) =>
        Effect.gen(function*() {
          yield* connection.execute(`insert into ${table} values (1)`)
          yield* connection.execute(`insert into no_such_table values (1)`)
        })))
      expect(Exit.isFailure(exit)).toBe(true)
      const rows = yield* client.query(`select count(*) as n from ${table}`)
      return rows[0]!["N"]
    }))
    expect(count).toBe(0)
  })
})

describe("errors: Snowflake's codes and SQL states mapped to reasons", () => {
  const cases: ReadonlyArray<readonly [string, string, string, string, boolean]> = [
    ["select * from no_such_table", "object-not-found", "002003", "42S02", false],
    ["select no_such_column from (select 1 as a)", "object-not-found", "000904", "42000", false],
    ["selec 1", "syntax", "001003", "42000", false],
    ["select no_such_function(1)", "syntax", "002140", "42601", false],
    ["select 'abc'::number", "data", "100038", "22018", false],
    ["select 1; select 2", "other", "000008", "0A000", false]
  ]
  for (const [sql, reason, code, sqlState, retryable] of cases) {
    it(`${sql} -> ${reason} (${code}, ${sqlState})`, async () => {
      const error = await runScoped(Effect.flip(Effect.flatMap(passwordClient(server), (client) => client.query(sql))))
      expect(error).toBeInstanceOf(SnowflakeError)
      expect({ reason: error.reason, code: error.code, sqlState: error.sqlState, retryable: error.isRetryable }).toEqual({ reason, code, sqlState, retryable })
      expect(error.queryId).toMatch(/^[0-9a-f-]{36}$/)
      expect(error.message).toContain(sql.split(";")[0])
    })
  }

  it("a statement over its timeout is canceled by the server: timeout (000630), retryable", async () => {
    const error = await runScoped(Effect.flip(Effect.flatMap(passwordClient(server, { statementTimeoutSeconds: 1 }), (client) =>
      client.query("select system$wait(5)"))))
    expect(error).toMatchObject({ reason: "timeout", code: "000630", sqlState: "57014" })
    expect(error.isRetryable).toBe(true)
  })

  it("interrupting the fiber cancels the statement in Snowflake (abort-request)", async () => {
    const marker = uniqueName("SLOW")
    const started = Date.now()
    await runScoped(Effect.flatMap(passwordClient(server), (client) =>
      client.query(`select system$wait(10) as ${marker}`).pipe(Effect.timeout("300 millis"), Effect.exit)))
    expect(Date.now() - started).toBeLessThan(5000)
    // the server saw the cancel: the statement ended with 000604 instead of running 10 s
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(server.queries.find((query) => query.sqlText.includes(marker))?.errorCode).toBe("000604")
  })

  it("throttling (HTTP 429 past the driver's own retries) is retryable; a lock conflict (000625) too", async () => {
    const throttled = await runScoped(Effect.gen(function*() {
      const client = yield* passwordClient(server)
      server.failNext({ endpoint: "query", error: { code: "000625", sqlState: "57014", message: "Statement aborted because the number of waiters for this lock exceeds the 20 statements limit." } })
      return yield* Effect.flip(client.query("select 1"))
    }))
    expect(throttled).toMatchObject({ reason: "throttled", code: "000625" })
    expect(throttled.isRetryable).toBe(true)
  })
})

describe("retries follow isRetryable (core's retry policy reads it)", () => {
  const retryingQuery = (sql: string, inject: () => void) =>
    runScoped(Effect.gen(function*() {
      const client = yield* passwordClient(server)
      inject()
      let attempts = 0
      const exit = yield* Effect.exit(
        Effect.suspend(() => {
          attempts++
          return client.query(sql)
        }).pipe(Effect.retry({ schedule: Schedule.recurs(3), while: RetryPolicy.isRetryable }))
      )
      return { attempts, exit }
    }))

  it("a retryable failure (internal error 000603) is retried and the query then succeeds", async () => {
    const { attempts, exit } = await retryingQuery("select 1 as one", () =>
      server.failNext({ endpoint: "query", error: { code: "000603", sqlState: "XX000", message: "SQL execution internal error" }, times: 2 }))
    expect(Exit.isSuccess(exit)).toBe(true)
    expect(attempts).toBe(3)
  })

  it("a non-retryable failure (object not found) is not retried", async () => {
    const { attempts, exit } = await retryingQuery("select * from still_no_such_table", () => {})
    expect(Exit.isFailure(exit)).toBe(true)
    expect(attempts).toBe(1)
  })
})
