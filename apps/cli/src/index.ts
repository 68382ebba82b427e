/**
 * @strata/cli: the `strata` command, and the project loader it uses (for
 * tools such as the catalog that load `strata.config.ts` the same way).
 *
 * @since 0.1.0
 */
export * as CliError from "./CliError.ts"
export * as DefaultInstance from "./DefaultInstance.ts"
export * as Main from "./Main.ts"
export * as ProjectLoader from "./ProjectLoader.ts"
