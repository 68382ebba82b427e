/**
 * @strata/protocol: the contract between the Strata catalog server, its web
 * UI and the CLI: Schemas of the values exchanged, the errors, and the HTTP
 * API definition.
 *
 * @since 0.1.0
 */
export * as Errors from "./Errors.ts"
export * as Models from "./Models.ts"
export * as CheckModels from "./CheckModels.ts"
export * as PartitionModels from "./PartitionModels.ts"
export { PartitionsGroup } from "./PartitionsApi.ts"
export { CatalogApi } from "./CatalogApi.ts"
export { partitionPaths, paths } from "./Paths.ts"
export type { AssetPageQuery } from "./Paths.ts"
export * as Api from "./CatalogApi.ts"
