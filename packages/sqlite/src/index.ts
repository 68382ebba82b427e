/**
 * @strata/sqlite: Strata's embedded instance storage, one SQLite file.
 *
 * @since 0.1.0
 */
export * as SqliteInstance from "./SqliteInstance.ts"
