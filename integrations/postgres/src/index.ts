/**
 * @strata/postgres: a `pg` resource, a COPY-based I/O manager for Arrow
 * tables and row arrays, and instance storage for several Strata processes
 * sharing one Postgres database.
 *
 * @since 0.1.0
 */
export { PgClient, quoteIdentifier, quoteLiteral, serverInfo } from "./PgClient.ts"
export type { PgClientConfig, PgClientShape, PgConnection, PgServerInfo } from "./PgClient.ts"
export { PgError, PgErrorReason } from "./PgError.ts"
export { PostgresIOManager, PostgresRowsIOManager, tableNameOf, uriOf } from "./PostgresIOManager.ts"
export type { Options as PostgresIOManagerOptions, Row, TableHandler, TableName } from "./PostgresIOManager.ts"
export { PostgresInstance, SCHEMA_VERSION } from "./PostgresInstance.ts"
export type { Options as PostgresInstanceOptions } from "./PostgresInstance.ts"
