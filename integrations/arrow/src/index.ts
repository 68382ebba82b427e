/**
 * @strata/arrow: Arrow tables as local dataframes. `ArrowIO` stores them as
 * Parquet or Arrow IPC files; `TypeHandler` converts asset values to and
 * from tables for every Strata I/O manager; `Tables` builds them; `Sql`
 * queries them with DuckDB; `TableMetadata` profiles them.
 *
 * @since 0.1.0
 */
export { ArrowIO } from "./ArrowIO.ts"
export type { ArrowIOShape, Options, ReadOptions, WriteOptions } from "./ArrowIO.ts"
export { compareSchemas } from "./ArrowIO.ts"
export * as ArrowError from "./ArrowError.ts"
export * as Sql from "./Sql.ts"
export * as TableIO from "./TableIO.ts"
export * as TableMetadata from "./TableMetadata.ts"
export * as Tables from "./Tables.ts"
export * as TypeHandler from "./TypeHandler.ts"
