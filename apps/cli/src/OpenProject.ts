/**
 * How a command opens the project: the config file loaded (the process moves
 * to its folder) and the chosen environment built in the command's scope.
 * Every command that needs the instance opens it this way.
 *
 * @since 0.1.0
 */
import type { Instance as InstanceModule, Project } from "@strata/core"
import { Instance } from "@strata/core"
import type { Scope } from "effect"
import { Context, Effect, Option } from "effect"
import type { CliFailure } from "./CliError.ts"
import type { LoadedConfig } from "./ProjectLoader.ts"
import * as ProjectLoader from "./ProjectLoader.ts"

/**
 * The loaded config and its built environment.
 *
 * @since 0.1.0
 */
export interface Environment {
  readonly loaded: LoadedConfig
  readonly env: { readonly name: string; readonly context: Context.Context<never>; readonly instance: string }
}

/**
 * Loads the config file (`strata.config.ts` in the current folder by default) and builds the
 * environment STRATA_ENV names.
 *
 * @since 0.1.0
 */
export const open = (file: Option.Option<string>): Effect.Effect<Environment, CliFailure, Scope.Scope> =>
  Effect.gen(function*() {
    const loaded = yield* ProjectLoader.load({ file: Option.getOrUndefined(file) })
    // paths in the project (FileSystemIO's default base, relative source files) are relative to the config's folder
    process.chdir(loaded.root)
    const env = yield* ProjectLoader.buildEnvironment(loaded)
    return { loaded, env }
  })

/**
 * The project and its instance, as commands that read or change the instance directly need them.
 *
 * @since 0.1.0
 */
export interface Opened {
  readonly project: Project.Project<unknown>
  readonly instance: InstanceModule.InstanceShape
  readonly context: Context.Context<never>
  /** `environment <name> · instance <description>`. */
  readonly describe: string
}

/**
 * Opens the project as {@link open} does and takes its instance out of the environment.
 *
 * @since 0.1.0
 */
export const openInstance = (file: Option.Option<string>): Effect.Effect<Opened, CliFailure, Scope.Scope> =>
  Effect.map(open(file), ({ env, loaded }) => ({
    project: loaded.project as Project.Project<unknown>,
    instance: Context.get(env.context as Context.Context<InstanceModule.Instance>, Instance.Instance),
    context: env.context,
    describe: `environment ${env.name} · instance ${env.instance}`
  }))
