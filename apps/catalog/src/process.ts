/**
 * @strata/catalog/process: how a command starts the process a catalog server runs in (Node with a bounded
 * young generation). Imports only `node:` modules, so a command can use it before loading the catalog.
 *
 * @since 0.1.0
 */
export * as ServerProcess from "./ServerProcess.ts"
