/**
 * @strata/iceberg/testing: an Iceberg REST catalog server backed by the
 * filesystem catalog, for tests and local development.
 *
 * @since 0.1.0
 */
export * as RestCatalogServer from "./RestCatalogServer.ts"
