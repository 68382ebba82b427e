/**
 * The I/O manager conformance suite against the Postgres I/O manager behind
 * core's DefaultIO (JSON values, row arrays and tables), on the real server:
 * one fresh database per test, reopened by the persistence test.
 */
import { ioManagerConformance } from "@strata/core/testing"
import { Context, Effect, Layer } from "effect"
import { afterAll } from "vitest"
import { PgClient, PostgresIOManager } from "../src/index.ts"
import type { TestDatabase } from "./support.ts"
import { createTestDatabase } from "./support.ts"

const databases = new Map<string, Promise<TestDatabase>>()
afterAll(async () => {
  for (const database of databases.values()) await (await database).drop()
})

const databaseFor = (id: string): Promise<TestDatabase> => {
  let database = databases.get(id)
  if (database === undefined) {
    database = createTestDatabase()
    databases.set(id, database)
  }
  return database
}

ioManagerConformance("PostgresIOManager (DefaultIO: JSON values, rows, tables)", {
  make: ({ id }) =>
    Effect.gen(function*() {
      const database = yield* Effect.promise(() => databaseFor(id))
      const client = Context.get(yield* Layer.build(PgClient.layer(database.config)), PgClient)
      return PostgresIOManager.make(client).values
    }),
  capabilities: {
    values: ["json"],
    partitions: true,
    // partitions share one table (a partition column), so a partition never stored reads as zero rows
    emptyMissingPartitions: true,
    concurrentReaders: true,
    persistent: true,
    dataVersion: "content",
    // table names are at most 63 bytes, and longer keys are refused with an IOError rather than truncated
    longNames: false
  }
})
