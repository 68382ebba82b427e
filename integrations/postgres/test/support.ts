/**
 * Test databases: each test file creates its own database on the local
 * server (127.0.0.1:5432, trust auth) and drops it afterwards.
 */
import { randomBytes } from "node:crypto"
import pg from "pg"

export const serverConfig = {
  host: process.env.STRATA_TEST_PGHOST ?? "127.0.0.1",
  port: Number(process.env.STRATA_TEST_PGPORT ?? 5432),
  user: process.env.STRATA_TEST_PGUSER ?? "postgres"
}

export interface TestDatabase {
  readonly name: string
  readonly url: string
  readonly config: { readonly host: string; readonly port: number; readonly user: string; readonly database: string }
  readonly drop: () => Promise<void>
}

const admin = async <A>(use: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ ...serverConfig, database: "postgres" })
  await client.connect()
  try {
    return await use(client)
  } finally {
    await client.end()
  }
}

export const createTestDatabase = async (): Promise<TestDatabase> => {
  const name = `strata_test_${process.pid}_${randomBytes(4).toString("hex")}`
  await admin((client) => client.query(`create database "${name}"`))
  return {
    name,
    url: `postgres://${serverConfig.user}@${serverConfig.host}:${serverConfig.port}/${name}`,
    config: { ...serverConfig, database: name },
    drop: () => admin((client) => client.query(`drop database if exists "${name}" with (force)`)).then(() => undefined)
  }
}

/** Runs one query on the test database with a fresh connection (independent of the code under test). */
export const sql = async <R extends Record<string, unknown> = Record<string, unknown>>(
  database: TestDatabase,
  text: string,
  params?: Array<unknown>
): Promise<Array<R>> => {
  const client = new pg.Client(database.config)
  await client.connect()
  try {
    return (await client.query<R>(text, params)).rows
  } finally {
    await client.end()
  }
}

// ---------------------------------------------------------------------------
// Effect layers: a fresh database per layer build, dropped when it closes.

import { Context, Effect, Layer } from "effect"
import { PgClient } from "../src/index.ts"

export class TestDb extends Context.Service<TestDb, TestDatabase>()("@strata/postgres/test/TestDb") {
  static readonly layer: Layer.Layer<TestDb> = Layer.effect(
    TestDb,
    Effect.acquireRelease(Effect.promise(createTestDatabase), (database) => Effect.promise(database.drop))
  )
}

/** A {@link PgClient} over a fresh test database (and the database itself, for direct checks). */
export const clientLayer: Layer.Layer<PgClient | TestDb, unknown> = Layer.unwrap(
  Effect.gen(function*() {
    const database = yield* TestDb
    return PgClient.layer(database.config)
  })
).pipe(Layer.provideMerge(TestDb.layer))
