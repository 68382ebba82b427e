// Imports every public entry point of every published package at run time (no `@strata/source`
// condition: Node resolves `default` in dist/) and prints, per entry point, how many exports it has.
// @strata/core/testing is left out: it registers vitest tests, so it loads only inside vitest
// (instance.test.ts runs it).
const entries = [
  "@strata/core",
  "@strata/core/spi",
  "@strata/protocol",
  "@strata/sqlite",
  "@strata/arrow",
  "@strata/postgres",
  "@strata/graphile-worker",
  "@strata/runtime",
  "@strata/snowflake",
  "@strata/iceberg",
  "@strata/iceberg/testing",
  "@strata/catalog",
  "@strata/cli"
] as const

const loaded: Record<string, number> = {}
for (const entry of entries) loaded[entry] = Object.keys(await import(entry)).length
console.log(JSON.stringify(loaded))
