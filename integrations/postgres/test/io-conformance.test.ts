/**
 * The I/O manager conformance suite against the Postgres I/O managers on the
 * real server: the one behind core's DefaultIO (JSON values and row arrays)
 * and the one for typed Arrow tables. One fresh database per test, reopened
 * by the persistence test.
 */
import { ioManagerConformance } from "@strata/core/testing"
import * as Arrow from "apache-arrow"
import { Context, Effect, Layer } from "effect"
import { afterAll } from "vitest"
import { PgClient, PostgresIOManager } from "../src/index.ts"
import type { TestDatabase } from "./support.ts"
import { createTestDatabase } from "./support.ts"

const databases = new Map<string, Promise<TestDatabase>>()
// one database per conformance test (~50): dropped together (each DROP DATABASE waits for a checkpoint,
// about a second apiece, which one after the other outlasted the hook's default timeout on a busy machine)
afterAll(async () => {
  await Promise.all([...databases.values()].map(async (database) => (await database).drop()))
}, 180_000)

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
    // a range of partitions loads with one query, in partition order
    partitionRanges: true,
    concurrentReaders: true,
    persistent: true,
    dataVersion: "content",
    // table names are at most 63 bytes, and longer keys are refused with an IOError rather than truncated
    longNames: false
  }
})

// typed tables: Int32, Float64 and Utf8 columns come back with their types
const table = (n: number, size: "small" | "large"): Arrow.Table => {
  const rows = size === "small" ? 4 : 30_000
  return new Arrow.Table({
    n: Arrow.vectorFromArray(Int32Array.from({ length: rows }, () => n)),
    i: Arrow.vectorFromArray(Float64Array.from({ length: rows }, (_, i) => i / 2)),
    text: Arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => `value ${n} row ${i}`), new Arrow.Utf8())
  })
}

const sameTable = (loaded: Arrow.Table, stored: Arrow.Table): boolean =>
  loaded.numRows === stored.numRows &&
  loaded.schema.fields.map((field) => `${field.name}:${field.type}`).join() ===
    stored.schema.fields.map((field) => `${field.name}:${field.type}`).join() &&
  JSON.stringify(loaded.toArray()) === JSON.stringify(stored.toArray())

ioManagerConformance("PostgresIOManager (Arrow tables)", {
  make: ({ id }) =>
    Effect.gen(function*() {
      const database = yield* Effect.promise(() => databaseFor(id))
      const client = Context.get(yield* Layer.build(PgClient.layer(database.config)), PgClient)
      return PostgresIOManager.make(client).tables
    }),
  sample: table,
  same: sameTable,
  concat: (tables) => tables[0]!.concat(...tables.slice(1)),
  capabilities: {
    values: [],
    partitions: true,
    emptyMissingPartitions: true,
    // a range of partitions loads with one query, in partition order
    partitionRanges: true,
    concurrentReaders: true,
    persistent: true,
    dataVersion: "content",
    longNames: false
  }
})
