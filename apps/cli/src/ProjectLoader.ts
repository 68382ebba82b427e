/**
 * Loads a user's `strata.config.ts` without a build step and turns it into
 * what the commands need: the project, the chosen environment and a Layer
 * providing the project's services plus an instance.
 *
 * Loading is two-phase. First Node's own loader imports the file (Node 24
 * strips TypeScript types natively): source locations are exact and the
 * config shares module instances with the CLI. When Node refuses the file
 * before running it (an enum, a parameter property, an import without an
 * extension, Node older than 22.18), jiti 2 transforms and loads it instead;
 * lines stay right, columns may shift by a few characters. An error thrown
 * while the config runs (a cycle, a duplicate key) is reported as is, never
 * retried, so the config is evaluated at most once per load.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import { registerHooks } from "node:module"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { Project } from "@strata/core"
import { Instance, StrataConfig } from "@strata/core"
import { Cause, Context, Effect, Exit, Layer } from "effect"
import type { Scope } from "effect"
import type { CliFailure } from "./CliError.ts"
import { usage } from "./CliError.ts"
import { defaultInstanceLayer, instancePathFor } from "./DefaultInstance.ts"

/**
 * The default config file name, looked up in the working directory.
 *
 * @since 0.1.0
 */
export const defaultConfigFile = "strata.config.ts"

/**
 * A loaded configuration.
 *
 * @since 0.1.0
 */
export interface LoadedConfig {
  /** Absolute path of the config file. */
  readonly file: string
  /** The folder holding it: relative paths of the project are resolved against it. */
  readonly root: string
  readonly config: StrataConfig.StrataConfig<unknown>
  readonly project: Project.Project<unknown>
  /** How the file was loaded. */
  readonly loader: "node" | "jiti"
}

/**
 * Options of {@link load}.
 *
 * @since 0.1.0
 */
export interface LoadOptions {
  /** The config file (default `strata.config.ts` in `cwd`). */
  readonly file?: string | undefined
  /** Default `process.cwd()`. */
  readonly cwd?: string | undefined
  /** Import a fresh copy (for reloading after an edit). */
  readonly fresh?: boolean | undefined
  /**
   * How long the config may take to load (import and run its top-level
   * code), in milliseconds; `0` waits forever. Default: the environment
   * variable `STRATA_LOAD_TIMEOUT` (seconds), else {@link defaultLoadTimeoutSeconds}.
   */
  readonly timeoutMs?: number | undefined
}

/**
 * Seconds a config may take to load by default. A config's top-level code
 * only defines assets and environments, which takes well under a second even
 * for 10,000 assets; a config still loading after this is waiting on
 * something that may never come (a top-level `await` that never settles), and
 * without a limit every command would hang on it.
 *
 * @since 0.1.0
 */
export const defaultLoadTimeoutSeconds = 30

/** The load timeout in milliseconds: `STRATA_LOAD_TIMEOUT` (seconds, `0` = none) or the default. */
const loadTimeoutMs = (): Effect.Effect<number, CliFailure> => {
  const raw = process.env.STRATA_LOAD_TIMEOUT
  if (raw === undefined || raw.trim() === "") return Effect.succeed(defaultLoadTimeoutSeconds * 1000)
  const seconds = Number(raw)
  return Number.isFinite(seconds) && seconds >= 0
    ? Effect.succeed(seconds * 1000)
    : Effect.fail(usage(`STRATA_LOAD_TIMEOUT must be a number of seconds (0: no limit); got ${JSON.stringify(raw)}`))
}

const loadTimedOut = (file: string, cwd: string, timeoutMs: number): CliFailure =>
  usage(
    `${path.relative(cwd, file) || file} did not finish loading in ${timeoutMs / 1000} s: its top-level code, or a ` +
      "module it imports, is still waiting (a top-level await that never settles, a connection opened on import)." +
      "\n  hint: open connections in an environment's Layer, not at the top level; or wait longer with " +
      "STRATA_LOAD_TIMEOUT=<seconds> (0: no limit)"
  )

/** Node rejects these before evaluating anything, so falling back to jiti never runs user code twice. */
const loadTimeCodes = new Set([
  "ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX",
  "ERR_INVALID_TYPESCRIPT_SYNTAX",
  "ERR_MODULE_NOT_FOUND",
  "ERR_UNSUPPORTED_DIR_IMPORT",
  "ERR_UNKNOWN_FILE_EXTENSION",
  "ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING",
  "ERR_NO_TYPESCRIPT"
])

const isLoadTimeError = (error: unknown): boolean => {
  if (error instanceof SyntaxError) return true
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === "string" && loadTimeCodes.has(code)
}

/**
 * Reloading: Node caches modules by URL, so each fresh load gives the
 * project's own files (under the config's folder, outside node_modules) a
 * new `?strata-reload=N` query through a resolve hook, while dependencies
 * (core, effect) stay loaded once. The hook also records which project
 * files were loaded, for watching.
 */
const reloading: { generation: number; roots: Set<string>; files: Set<string>; registered: boolean } = {
  generation: 0,
  roots: new Set(),
  files: new Set(),
  registered: false
}

const projectFile = (url: string): string | undefined => {
  if (!url.startsWith("file:")) return undefined
  const file = fileURLToPath(url)
  if (file.includes(`${path.sep}node_modules${path.sep}`)) return undefined
  for (const root of reloading.roots) if (file.startsWith(root + path.sep)) return file
  return undefined
}

const enableReloading = (root: string) => {
  reloading.roots.add(root)
  if (reloading.registered) return
  reloading.registered = true
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const result = nextResolve(specifier, context)
      const file = projectFile(result.url)
      if (file === undefined) return result
      reloading.files.add(file)
      return { ...result, url: `${pathToFileURL(file).href}?strata-reload=${reloading.generation}` }
    }
  })
}

const importConfig = async (file: string, fresh: boolean): Promise<{ module: unknown; loader: "node" | "jiti" }> => {
  if (fresh) {
    enableReloading(path.dirname(file))
    reloading.generation++
  }
  try {
    return { module: await import(pathToFileURL(file).href), loader: "node" }
  } catch (error) {
    if (!isLoadTimeError(error)) throw error
  }
  const { createJiti } = await import("jiti")
  const jiti = createJiti(import.meta.url, { fsCache: false, moduleCache: !fresh, sourceMaps: true, alias: coreAlias() })
  return { module: await jiti.import(file), loader: "jiti" }
}

/**
 * jiti resolves packages with fixed export conditions, so inside this
 * repository (run with `--conditions=@strata/source`) it would pick core's
 * built `dist/` instead of the sources the CLI itself runs. Pointing it at
 * the file Node resolved for the CLI keeps both on the same core.
 */
const coreAlias = (): Record<string, string> => {
  try {
    return { "@strata/core": fileURLToPath(import.meta.resolve("@strata/core")) }
  } catch {
    return {}
  }
}

/** The first stack frame in a user file: where the failing definition is. */
const userFrame = (error: unknown, root: string): string | undefined => {
  const stack = (error as { stack?: unknown } | null)?.stack
  if (typeof stack !== "string") return undefined
  for (const line of stack.split("\n")) {
    const match = /\(?((?:file:\/\/)?\/[^()\s]+?):(\d+):(\d+)\)?\s*$/.exec(line.trim())
    if (match === null) continue
    const where = match[1]!.replace(/^file:\/\//, "").replace(/\?.*$/, "")
    if (where.includes("/node_modules/") || where.includes("/packages/core/") || !where.startsWith(root)) continue
    return `${path.relative(process.cwd(), where) || where}:${match[2]}`
  }
  return undefined
}

const describeLoadError = (error: unknown, file: string, root: string): string => {
  const shown = path.relative(process.cwd(), file) || file
  const tag = (error as { _tag?: unknown } | null)?._tag
  const message = error instanceof Error ? error.message : String(error)
  if (typeof tag === "string" && tag.startsWith("@strata/core/")) {
    const at = userFrame(error, root)
    const hint = {
      "@strata/core/CycleDetected": "break the cycle by removing one of these dependencies",
      "@strata/core/DuplicateAssetKey": "rename one of the assets",
      "@strata/core/UnknownDependency": "add the dependency to Project.make({ assets }) or remove it",
      "@strata/core/InvalidAssetKey": "asset keys are path segments of letters, digits, _ . - joined by /",
      "@strata/core/InvalidDependency": "fix the dependency as described",
      "@strata/core/UnknownEnvironment": "add the environment to StrataConfig.define({ environments }) or fix defaultEnvironment"
    }[tag]
    return `${shown}: the project is invalid${at === undefined ? "" : ` (at ${at})`}: ${message}` +
      (hint === undefined ? "" : `\n  hint: ${hint}`)
  }
  // jiti (babel) reports "ParseError: <problem> \n <file>:<line>:<0-based column>"
  const parsed = /^(?:ParseError|SyntaxError)?:?\s*([^\n]*?)\s*\n?\s*(\/[^\s]+?):(\d+):(\d+)\s*$/s.exec(message)
  if ((error as { name?: unknown } | null)?.name === "ParseError" || (parsed !== null && /ParseError/.test(message))) {
    if (parsed !== null) {
      const where = `${path.relative(process.cwd(), parsed[2]!) || parsed[2]}:${parsed[3]}:${Number(parsed[4]) + 1}`
      return `${where}: syntax error: ${parsed[1]!.replace(/^ParseError:\s*/, "")}\n  hint: fix the syntax error and run the command again`
    }
  }
  if (error instanceof SyntaxError || (error as { code?: unknown } | null)?.code === "ERR_INVALID_TYPESCRIPT_SYNTAX") {
    const position = /\((\d+):(\d+)\)/.exec(message)
    const where = position === null ? shown : `${shown}:${position[1]}:${position[2]}`
    return `${where}: syntax error: ${message.replace(/^.*?:\s*/, "").replace(/\s*\(\d+:\d+\)\s*$/, "")}\n  hint: fix the syntax error and run the command again`
  }
  const at = userFrame(error, root)
  return `${shown}: failed to load${at === undefined ? "" : ` (at ${at})`}: ${message}`
}

/**
 * The project's own files loaded so far by fresh loads (the config and what
 * it imports from its folder): the files to watch for reloading.
 *
 * @since 0.1.0
 */
export const loadedProjectFiles = (): ReadonlyArray<string> => [...reloading.files]

/**
 * Loads and validates a config file. Fails with a usage failure (exit 2)
 * naming the file, and the asset or position when known.
 *
 * @since 0.1.0
 */
export const load = (options?: LoadOptions): Effect.Effect<LoadedConfig, CliFailure> =>
  Effect.gen(function*() {
    const cwd = options?.cwd ?? process.cwd()
    const file = path.resolve(cwd, options?.file ?? defaultConfigFile)
    if (!fs.existsSync(file)) {
      return yield* usage(
        options?.file === undefined
          ? `no ${defaultConfigFile} in ${cwd}; run strata in your project's folder or pass -f FILE`
          : `config file ${file} does not exist; check the path given with -f`
      )
    }
    const root = path.dirname(file)
    const timeoutMs = options?.timeoutMs ?? (yield* loadTimeoutMs())
    const importing = Effect.tryPromise({
      try: () => importConfig(file, options?.fresh ?? false),
      catch: (error) => usage(describeLoadError(error, file, root))
    })
    const imported = yield* (timeoutMs === 0
      ? importing
      : importing.pipe(
        Effect.timeoutOrElse({ duration: timeoutMs, orElse: () => Effect.fail(loadTimedOut(file, cwd, timeoutMs)) })
      ))
    const module = imported.module as { readonly default?: unknown; readonly config?: unknown }
    const config = [module.default, (module.default as { default?: unknown } | undefined)?.default, module.config]
      .find(StrataConfig.isStrataConfig)
    if (config === undefined) {
      return yield* usage(
        `${path.relative(cwd, file) || file} does not export a config; ` +
          "end it with `export default StrataConfig.define({ project, environments: { local: () => layer } })`"
      )
    }
    return { file, root, config, project: config.project, loader: imported.loader }
  })

/**
 * The environment's services, plus the default SQLite instance when the
 * environment provides no `Instance`. Built in the caller's scope.
 *
 * @since 0.1.0
 */
export const buildEnvironment = (
  loaded: LoadedConfig,
  name: string | undefined = process.env.STRATA_ENV
): Effect.Effect<{ readonly name: string; readonly context: Context.Context<never>; readonly instance: string }, CliFailure, Scope.Scope> =>
  Effect.gen(function*() {
    const chosen = StrataConfig.environment(loaded.config, name)
    if ("_tag" in chosen) return yield* usage(`${path.relative(process.cwd(), loaded.file) || loaded.file}: ${chosen.message}`)
    const failure = (what: string) => (cause: Cause.Cause<unknown>) =>
      usage(`environment ${chosen.name} (${path.relative(process.cwd(), loaded.file) || loaded.file}) ${what}: ${causeMessage(cause)}`)
    const layer = yield* Effect.try({
      try: () => chosen.make({ name: chosen.name, root: loaded.root }),
      catch: (error) => failure("could not be created")(Cause.fail(error))
    })
    if (!Layer.isLayer(layer)) {
      return yield* usage(`environment ${chosen.name} in ${loaded.file} must return a Layer (got ${typeof layer})`)
    }
    const exit = yield* Effect.exit(Layer.build(layer as Layer.Layer<never, unknown>))
    if (Exit.isFailure(exit)) return yield* failure("failed to start")(exit.cause)
    let context = exit.value as Context.Context<never>
    if (Context.getOption(context, Instance.Instance)._tag === "None") {
      // each environment records into its own default instance (see DefaultInstance)
      const environment = { name: chosen.name, defaultEnvironment: loaded.config.defaultEnvironment }
      const instanceExit = yield* Effect.exit(Layer.build(defaultInstanceLayer(loaded.root, environment)))
      if (Exit.isFailure(instanceExit)) {
        const file = path.join(loaded.root, instancePathFor(environment.name, environment.defaultEnvironment))
        return yield* usage(`cannot open the instance ${file}: ${causeMessage(instanceExit.cause)}`)
      }
      context = Context.merge(context, instanceExit.value) as Context.Context<never>
    }
    const instance = Context.get(context as Context.Context<Instance.Instance>, Instance.Instance)
    return { name: chosen.name, context, instance: instance.describe }
  })

/**
 * The message of the first failure (or defect) in a cause.
 *
 * @since 0.1.0
 */
export const causeMessage = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  if (error instanceof Error) return error.message
  if (typeof error === "object" && error !== null && "message" in error) return String((error as { message: unknown }).message)
  return String(error)
}
