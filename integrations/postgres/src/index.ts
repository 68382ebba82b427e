/**
 * @strata/postgres: a `pg` resource, a COPY-based I/O manager for Arrow
 * tables and row arrays, and instance storage for several Strata processes
 * sharing one Postgres database.
 *
 * @since 0.1.0
 */
export { PgClient } from "./PgClient.ts"
export type { PgClientConfig, PgClientShape, PgConnection, PgServerInfo } from "./PgClient.ts"
export * as PgClientModule from "./PgClient.ts"
export { PgError } from "./PgError.ts"
export type { PgErrorReason } from "./PgError.ts"
export { PostgresIOManager, PostgresRowsIOManager } from "./PostgresIOManager.ts"
export * as PostgresIO from "./PostgresIOManager.ts"
export { PostgresInstance } from "./PostgresInstance.ts"
