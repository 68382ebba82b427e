/**
 * @strata/runtime: Strata's headless runtime. The loaded project and its
 * reloads, run launching and cancel, source watching; the catalog and the CLI
 * build on it.
 *
 * @since 0.1.0
 */
export * as Daemon from "./Daemon.ts"
export * as ProjectHost from "./ProjectHost.ts"
export * as RunLauncher from "./RunLauncher.ts"
export * as Runtime from "./Runtime.ts"
export * as SourceWatch from "./SourceWatch.ts"
