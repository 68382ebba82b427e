/**
 * A worked example of a third-party Strata plugin: the DuckDB resource and
 * an I/O manager storing asset values in a DuckDB database file.
 */
export * from "./DuckDB.ts"
export * as DuckDBIO from "./DuckDBIO.ts"
