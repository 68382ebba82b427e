/**
 * The I/O manager conformance suite against the Snowflake I/O manager (the
 * one behind core's DefaultIO), through the real snowflake-sdk against the
 * local Snowflake server: one database per test, reopened by the
 * persistence test.
 */
import { ioManagerConformance } from "@strata/core/testing"
import { Effect, Redacted } from "effect"
import { afterAll, beforeAll } from "vitest"
import { SnowflakeClient } from "../src/SnowflakeClient.ts"
import { SnowflakeIOManager } from "../src/SnowflakeIOManager.ts"
import type { LocalSnowflake } from "../src/testing.ts"
import { start } from "../src/testing.ts"

let server: LocalSnowflake
beforeAll(async () => {
  server = await start({ databases: ["ANALYTICS"] })
})
afterAll(() => server.close())

const databaseOf = (id: string) => `CONF_${id.replace(/[^A-Za-z0-9]/g, "_").toUpperCase()}`

ioManagerConformance("SnowflakeIOManager (DefaultIO: JSON values, rows, tables)", {
  make: ({ id }) =>
    Effect.gen(function*() {
      const client = yield* SnowflakeClient.make({
        ...server.connection,
        auth: { _tag: "Password", password: Redacted.make(server.password) },
        maxConnections: 6
      })
      yield* client.execute(`create database if not exists ${databaseOf(id)}`)
      return SnowflakeIOManager.make(client, { database: databaseOf(id) }).values
    }),
  capabilities: {
    values: ["json"],
    partitions: true,
    // partitions share one table (a partition column), so a partition never stored reads as zero rows
    emptyMissingPartitions: true,
    concurrentReaders: true,
    persistent: true,
    dataVersion: "content",
    // identifiers are at most 255 characters; longer keys are refused with an IOError
    longNames: false
  },
  timeout: 180_000
})
