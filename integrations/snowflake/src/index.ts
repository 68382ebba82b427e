/**
 * @strata/snowflake: a `snowflake-sdk` resource with Arrow tables in and out.
 * `@strata/snowflake/testing` has a local Snowflake server for tests.
 *
 * @since 0.1.0
 */
export { configFromEnv, connectionOptions, QueryTagFields, quoteIdentifier, SnowflakeClient, withQueryTag } from "./SnowflakeClient.ts"
export type {
  ArrowResult,
  Bind,
  Row,
  SnowflakeAuth,
  SnowflakeClientConfig,
  SnowflakeClientShape,
  SnowflakeConnection
} from "./SnowflakeClient.ts"
export { make as makeIOManagers, normalizeName, SnowflakeIOManager } from "./SnowflakeIOManager.ts"
export type { Options as IOManagerOptions } from "./SnowflakeIOManager.ts"
export { fromUnknown, reasonOf, SnowflakeError, SnowflakeErrorReason } from "./SnowflakeError.ts"
export { createTableSql } from "./internal/write.ts"
export type { WriteOptions, WriteResult } from "./internal/write.ts"
export { EXTENSION_NAME, fieldOf, JSON_EXTENSION, SNOWFLAKE_TYPE, sqlTypeOf } from "./internal/arrow.ts"
export type { ColumnInfo } from "./internal/arrow.ts"
