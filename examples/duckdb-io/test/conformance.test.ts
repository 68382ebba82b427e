/**
 * The plugin runs Strata's I/O manager conformance suite, as any I/O
 * manager should: a fresh database file per test, reopened by the
 * persistence test.
 */
import * as path from "node:path"
import { ioManagerConformance } from "@strata/core/testing"
import { Context, Effect, Layer } from "effect"
import { DuckDB, DuckDBIO } from "../src/index.ts"

ioManagerConformance("DuckDBIO", {
  make: ({ base }) =>
    Effect.gen(function*() {
      const context = yield* Layer.build(DuckDB.layer({ path: path.join(base, "assets.duckdb") }))
      return DuckDBIO.make(Context.get(context, DuckDB))
    }),
  capabilities: {
    values: ["json"],
    partitions: true,
    concurrentReaders: true,
    persistent: true,
    dataVersion: "content",
    longNames: true
  }
})
