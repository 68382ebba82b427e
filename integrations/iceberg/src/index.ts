/**
 * @strata/iceberg: Apache Iceberg tables (format v2) written from and read
 * into Arrow tables. `IcebergTable` writes (append, overwrite, replace
 * partitions), reads (time travel, projection, pruning), evolves schemas and
 * maintains tables; `IcebergCatalog` is the filesystem or REST catalog they
 * commit through.
 *
 * @since 0.1.0
 */
export * as Filter from "./Filter.ts"
export * as IcebergCatalog from "./IcebergCatalog.ts"
export * as IcebergError from "./IcebergError.ts"
export { IcebergIO } from "./IcebergIO.ts"
export type { Options as IcebergIOOptions } from "./IcebergIO.ts"
export * as IcebergSchema from "./IcebergSchema.ts"
export * as IcebergTable from "./IcebergTable.ts"
export * as PartitionSpec from "./PartitionSpec.ts"
export * as SchemaEvolution from "./SchemaEvolution.ts"
export * as TableIdentifier from "./TableIdentifier.ts"
export * as TableMetadata from "./TableMetadata.ts"
export * as TableUpdate from "./TableUpdate.ts"
