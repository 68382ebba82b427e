import { assert, describe, expect, it, layer } from "@effect/vitest"
import { ConfigProvider, Deferred, Effect, Exit, Fiber, Layer, Redacted } from "effect"
import { PgClient, PgError, serverInfo } from "../src/index.ts"
import { reasonOf } from "../src/PgError.ts"
import { clientLayer, TestDb } from "./support.ts"

const failure = <A>(exit: Exit.Exit<A, unknown>): PgError => {
  if (Exit.isSuccess(exit)) return assert.fail("expected a failure")
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail") as { error: unknown } | undefined
  expect(reason?.error).toBeInstanceOf(PgError)
  return reason!.error as PgError
}

describe("PgError", () => {
  it("derives the reason from SQLSTATE or driver codes; isRetryable follows it", () => {
    const cases: ReadonlyArray<[string | undefined, string | undefined, string, string, boolean]> = [
      ["23505", undefined, "", "unique-violation", false],
      ["23503", undefined, "", "constraint", false],
      ["40P01", undefined, "", "deadlock", true],
      ["40001", undefined, "", "serialization", true],
      ["57014", undefined, "", "timeout", true],
      ["55P03", undefined, "", "timeout", true],
      ["42601", undefined, "", "syntax", false],
      ["42P01", undefined, "", "undefined-object", false],
      ["42501", undefined, "", "permission", false],
      ["28P01", undefined, "", "auth", false],
      ["3D000", undefined, "", "database-not-found", false],
      ["08006", undefined, "", "connection", true],
      ["57P01", undefined, "", "connection", true],
      ["53300", undefined, "", "resources", true],
      ["22P02", undefined, "", "data", false],
      ["XX000", undefined, "", "other", false],
      [undefined, "ECONNREFUSED", "", "connection", true],
      [undefined, "ETIMEDOUT", "", "timeout", true],
      [undefined, undefined, "timeout exceeded when trying to connect", "timeout", true],
      [undefined, undefined, "Connection terminated unexpectedly", "connection", true]
    ]
    for (const [sqlState, code, message, reason, retryable] of cases) {
      const got = reasonOf(sqlState, code, message)
      expect(got, `${sqlState ?? code ?? message}`).toBe(reason)
      expect(new PgError({ reason: got, operation: "query", message: "m" }).isRetryable).toBe(retryable)
    }
  })

  it.effect("a server that refuses connections fails the layer with a retryable connection error", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(PgClient.layer({ host: "127.0.0.1", port: 1, user: "postgres" }))))
      const error = failure(exit)
      expect(error.reason).toBe("connection")
      expect(error.isRetryable).toBe(true)
      expect(error.message).toContain("127.0.0.1:1")
    }))

  it.effect("a missing database is named, and not retried", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Effect.scoped(Layer.build(PgClient.layer({ host: "127.0.0.1", user: "postgres", database: "strata_no_such_database" })))
      )
      const error = failure(exit)
      expect(error.reason).toBe("database-not-found")
      expect(error.sqlState).toBe("3D000")
      expect(error.isRetryable).toBe(false)
    }))
})

describe("PgClient.layerConfig", () => {
  it.effect("reads PG* variables (the password as a Redacted value) and DATABASE_URL", () =>
    Effect.gen(function*() {
      const fromEnv = (env: Record<string, string>) =>
        PgClient.configFromEnv.pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))
      const config = yield* fromEnv({ PGHOST: "db.internal", PGPORT: "6543", PGDATABASE: "warehouse", PGUSER: "etl", PGPASSWORD: "s3cret" })
      expect(config.host).toBe("db.internal")
      expect(config.port).toBe(6543)
      expect(config.database).toBe("warehouse")
      expect(Redacted.isRedacted(config.password)).toBe(true)
      expect(String(config.password)).not.toContain("s3cret")
      expect(Redacted.value(config.password!)).toBe("s3cret")
      const fromUrl = yield* fromEnv({ DATABASE_URL: "postgres://etl:pw@db.example:5433/lake" })
      expect(serverInfo(fromUrl)).toEqual({ host: "db.example", port: 5433, database: "lake", user: "etl" })
      // fields given separately override the URL's parts
      expect(serverInfo({ ...fromUrl, host: "replica", database: "lake_copy" })).toEqual({
        host: "replica",
        port: 5433,
        database: "lake_copy",
        user: "etl"
      })
      const bad = yield* Effect.exit(fromEnv({ PGPORT: "not-a-port" }))
      expect(Exit.isFailure(bad)).toBe(true)
    }))

  it.effect("connects with the environment's settings", () =>
    Effect.gen(function*() {
      const database = yield* TestDb
      // the URL names a database that does not exist; PGDATABASE overrides it
      const env = {
        DATABASE_URL: `postgres://${database.config.user}@${database.config.host}:${database.config.port}/strata_no_such_database`,
        PGDATABASE: database.name
      }
      const rows = yield* Effect.gen(function*() {
        const client = yield* PgClient
        return yield* client.query<{ db: string }>("select current_database() as db")
      }).pipe(Effect.provide(PgClient.layerConfig.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))))
      expect(rows).toEqual([{ db: database.name }])
    }).pipe(Effect.provide(TestDb.layer)))
})

// live clock: the tests sleep for real while the server works
layer(clientLayer, { timeout: 30_000, excludeTestServices: true })("PgClient", (it) => {
  it.effect("server errors become typed PgErrors with the SQL state", () =>
    Effect.gen(function*() {
      const client = yield* PgClient
      yield* client.query("create table unique_things (id int primary key)")
      yield* client.query("insert into unique_things values (1)")
      const duplicate = failure(yield* Effect.exit(client.query("insert into unique_things values (1)")))
      expect(duplicate.reason).toBe("unique-violation")
      expect(duplicate.sqlState).toBe("23505")
      expect(duplicate.detail).toContain("(id)=(1)")
      expect(failure(yield* Effect.exit(client.query("selec 1"))).reason).toBe("syntax")
      expect(failure(yield* Effect.exit(client.query("select * from no_such_table"))).reason).toBe("undefined-object")
      const slow = failure(yield* Effect.exit(client.transaction((connection) =>
        Effect.gen(function*() {
          yield* connection.query("set local statement_timeout = 50")
          yield* connection.query("select pg_sleep(2)")
        })
      )))
      expect(slow.reason).toBe("timeout")
      expect(slow.isRetryable).toBe(true)
    }))

  it.effect("a deadlock between two transactions is reported as a retryable deadlock", () =>
    Effect.gen(function*() {
      const client = yield* PgClient
      yield* client.query("create table accounts (id int primary key, balance int)")
      yield* client.query("insert into accounts values (1, 0), (2, 0)")
      // each transaction locks its first row, then waits until the other holds its own before reaching for it:
      // a deadlock whatever the machine's load (a 200 ms pause let one finish first at load 24)
      const aLocked = yield* Deferred.make<void>()
      const bLocked = yield* Deferred.make<void>()
      const transfer = (first: number, second: number, mine: Deferred.Deferred<void>, theirs: Deferred.Deferred<void>) =>
        client.transaction((connection) =>
          Effect.gen(function*() {
            yield* connection.query("set local deadlock_timeout = '100ms'")
            yield* connection.query("update accounts set balance = balance + 1 where id = $1", [first])
            yield* Deferred.succeed(mine, undefined)
            yield* Deferred.await(theirs)
            yield* connection.query("update accounts set balance = balance + 1 where id = $1", [second])
          })
        )
      const a = yield* Effect.forkChild(Effect.exit(transfer(1, 2, aLocked, bLocked)))
      const b = yield* Effect.forkChild(Effect.exit(transfer(2, 1, bLocked, aLocked)))
      const exits = [yield* Fiber.join(a), yield* Fiber.join(b)]
      const failed = exits.filter(Exit.isFailure)
      expect(failed).toHaveLength(1)
      const error = failure(failed[0]!)
      expect(error.reason).toBe("deadlock")
      expect(error.sqlState).toBe("40P01")
      expect(error.isRetryable).toBe(true)
    }))

  it.effect("transaction commits on success and rolls back on failure or interruption", () =>
    Effect.gen(function*() {
      const client = yield* PgClient
      yield* client.query("create table ledger (note text)")
      yield* client.transaction((connection) => connection.query("insert into ledger values ('kept')"))
      yield* Effect.exit(client.transaction((connection) =>
        Effect.gen(function*() {
          yield* connection.query("insert into ledger values ('failed')")
          return yield* Effect.fail("boom")
        })
      ))
      const interrupted = yield* Effect.forkChild(client.transaction((connection) =>
        Effect.gen(function*() {
          yield* connection.query("insert into ledger values ('interrupted')")
          yield* connection.query("select pg_sleep(5)")
        })
      ))
      yield* Effect.sleep(300)
      yield* Fiber.interrupt(interrupted)
      const rows = yield* client.query("select note from ledger order by note")
      expect(rows).toEqual([{ note: "kept" }])
      // the interrupted session was closed, not returned to the pool mid-transaction
      let sessions = 1
      for (let attempt = 0; attempt < 100 && sessions > 0; attempt++) {
        const [row] = yield* client.query<{ n: number }>(
          "select count(*)::int as n from pg_stat_activity where query like 'select pg_sleep(5)%' and pid <> pg_backend_pid()"
        )
        sessions = row!.n
        if (sessions > 0) yield* Effect.sleep(20)
      }
      expect(sessions).toBe(0)
    }))
})
