/**
 * The project configuration read by the `strata` CLI (and the catalog) from
 * `strata.config.ts`: the project plus one Layer per environment.
 *
 * Each environment is a lazy thunk returning a Layer that must provide
 * everything the project's assets need (`R`: resources and I/O managers).
 * Providing less is a compile error at `define`. An environment may also
 * provide core's `Instance`; when it does not, the CLI uses the environment's
 * own SQLite instance next to the config file (`.strata/instance.db` for the
 * default environment, `.strata/<environment>/instance.db` for the others). The asset code
 * is the same in every environment: only the Layer differs.
 *
 * The environment is chosen with the `STRATA_ENV` variable, defaulting to
 * `defaultEnvironment` (itself defaulting to `local`).
 *
 * @example
 * ```ts
 * // strata.config.ts
 * import { Asset, FileSystemIO, Project, StrataConfig } from "@strata/core"
 * import { Effect } from "effect"
 *
 * const numbers = Asset.make("numbers", {}, () => Effect.succeed([1, 2, 3]))
 *
 * export default StrataConfig.define({
 *   project: Project.make({ assets: [numbers] }),
 *   environments: {
 *     local: () => FileSystemIO.layer({ base: ".strata/storage" })
 *   }
 * })
 * ```
 *
 * @since 0.1.0
 */
import type { Layer } from "effect"
import { Schema } from "effect"
import type { Project } from "./Project.ts"

const TypeId: unique symbol = Symbol.for("@strata/core/StrataConfig")

/**
 * What an environment thunk is told when it is built.
 *
 * @since 0.1.0
 */
export interface EnvironmentContext {
  /** The environment's name (`local`, `prod`...). */
  readonly name: string
  /** The absolute path of the folder holding the config file. */
  readonly root: string
}

/**
 * An environment: builds, on demand, a Layer providing the project's
 * services `R` (and, optionally, an `Instance`). Build errors of the Layer
 * (a missing secret, an unreachable server) are reported by the CLI.
 *
 * @since 0.1.0
 */
export type Environment<R> = (context: EnvironmentContext) => Layer.Layer<R, unknown, never>

/**
 * The name of a service in a compile error: the key of a class-style service
 * (`Context.Service<Self, Shape>()("my-project/Warehouse")`, `IOManager.Tag`).
 *
 * @since 0.1.0
 */
export type ServiceName<S> = S extends { readonly key: infer K extends string } ? K : "a service without a string key"

/**
 * What an environment's Layer must be, as a readable compile error when it is
 * not: `T` (the Layer the environment returns) when it provides every service
 * `R` of the project and needs nothing; otherwise a string literal type naming
 * each missing service, which is what TypeScript prints (`Type 'Layer<...>' is
 * not assignable to type '"this environment does not provide
 * my-project/Warehouse"'`). When TypeScript could not infer the Layer (a thunk
 * reading its context, `({ root }) => ...`, in a call that fails), the target
 * is `Layer<R>` or a message per service the assets need, which the first
 * line of the error lists.
 *
 * @since 0.1.0
 */
export type CheckEnvironment<R, T> = unknown extends T ? Layer.Layer<R, unknown, never> | `this environment's Layer must provide ${ServiceName<R>}`
  : T extends Layer.Layer<infer Out, infer _E, infer In>
  ? [In] extends [never] ? [Exclude<R, Out>] extends [never] ? T
    : `this environment does not provide ${ServiceName<Exclude<R, Out>>}`
  : `this environment's Layer still requires ${ServiceName<In>}; provide it inside the Layer`
  : T

/**
 * What {@link define} accepts. `Layers` maps each environment's name to the
 * Layer its thunk returns (inferred); each is checked by {@link CheckEnvironment}.
 *
 * @since 0.1.0
 */
export interface Options<R, Layers extends Record<string, any>> {
  /** The validated project (`Project.make`). */
  readonly project: Project<R>
  /** One Layer per environment, built lazily: only the chosen one runs. */
  readonly environments: { readonly [K in keyof Layers]: (context: EnvironmentContext) => CheckEnvironment<R, Layers[K]> }
  /** The environment used when `STRATA_ENV` is not set. Default `local`. */
  readonly defaultEnvironment?: NoInfer<keyof Layers & string> | undefined
}

/**
 * A project configuration.
 *
 * @since 0.1.0
 */
export interface StrataConfig<R = unknown> {
  readonly [TypeId]: typeof TypeId
  readonly project: Project<R>
  readonly environments: Readonly<Record<string, Environment<R>>>
  readonly defaultEnvironment: string
}

/**
 * The environment asked for does not exist in the config.
 *
 * @since 0.1.0
 */
export class UnknownEnvironment extends Schema.TaggedError<UnknownEnvironment>()("@strata/core/UnknownEnvironment", {
  environment: Schema.String,
  available: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `environment ${JSON.stringify(this.environment)} is not defined in the config; ` +
      `set STRATA_ENV to one of: ${this.available.join(", ")}`
  }
}

/**
 * Declares a project configuration. `R` is inferred from the project, and
 * every environment's Layer must provide it: when one does not, the compile
 * error names the environment and the missing service (see
 * {@link CheckEnvironment}).
 *
 * @since 0.1.0
 */
export const define = <R, const Layers extends Record<string, any>>(
  options: Options<R, Layers>
): StrataConfig<R> => {
  const names = Object.keys(options.environments)
  const defaultEnvironment = options.defaultEnvironment ?? "local"
  if (!names.includes(defaultEnvironment)) {
    throw new UnknownEnvironment({ environment: defaultEnvironment, available: names })
  }
  return {
    [TypeId]: TypeId,
    project: options.project,
    environments: options.environments as unknown as Readonly<Record<string, Environment<R>>>,
    defaultEnvironment
  }
}

/**
 * `true` for values made by {@link define}.
 *
 * @since 0.1.0
 */
export const isStrataConfig = (u: unknown): u is StrataConfig<unknown> =>
  typeof u === "object" && u !== null && TypeId in u

/**
 * Picks an environment: `name` when given, else the config's default.
 *
 * @since 0.1.0
 */
export const environment = <R>(
  config: StrataConfig<R>,
  name?: string | undefined
): { readonly name: string; readonly make: Environment<R> } | UnknownEnvironment => {
  const chosen = name === undefined || name === "" ? config.defaultEnvironment : name
  const make = Object.hasOwn(config.environments, chosen) ? config.environments[chosen] : undefined
  return make === undefined
    ? new UnknownEnvironment({ environment: chosen, available: Object.keys(config.environments) })
    : { name: chosen, make }
}
