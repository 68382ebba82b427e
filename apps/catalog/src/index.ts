/**
 * @strata/catalog: the Strata catalog, an HTTP API and a web UI over a
 * project and its instance, served by one process.
 *
 * @since 0.1.0
 */
export {
  type CatalogServer,
  defaultUiDir,
  ListenError,
  type LoadedProject,
  loaded,
  type Options,
  type RunningCatalog,
  serveCatalog,
  startCatalog
} from "./Catalog.ts"
