/**
 * The version ranges a new project's package.json gets.
 *
 * Strata's packages and what they need (`effect`, `vitest`) come from the manifests of the packages being
 * installed: the CLI's and core's own package.json when the CLI was installed from the registry, the packed
 * package.json files with `--from-checkout`. A range that is still a workspace range (`workspace:^`,
 * `catalog:peer`: the CLI runs from a checkout's sources) becomes `^` + the version installed beside the CLI.
 * The user's own tools (TypeScript, Node's types, tsup, changesets) have fixed ranges here: the versions the
 * repository develops with (a test in the repository checks they agree with its catalog).
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/**
 * The fields of a package.json read here.
 *
 * @since 0.1.0
 */
export interface Manifest {
  readonly name: string
  readonly version: string
  readonly dependencies?: Readonly<Record<string, string>> | undefined
  readonly peerDependencies?: Readonly<Record<string, string>> | undefined
}

/**
 * The ranges of the user's own tools in a generated project.
 *
 * @since 0.1.0
 */
export const toolRanges = {
  typescript: "~6.0.3",
  "@types/node": "^24.10.0",
  tsup: "^9.0.0",
  "@changesets/cli": "^3.0.3"
} as const

/**
 * The ranges of Strata's packages and of what they need.
 *
 * @since 0.1.0
 */
export interface StrataRanges {
  readonly "@strata/cli": string
  readonly "@strata/core": string
  readonly effect: string
  readonly vitest: string
  readonly "@effect/vitest": string
}

/**
 * The range of one of the packages {@link StrataRanges} names.
 *
 * @since 0.1.0
 */
export const rangeOf = (ranges: StrataRanges, name: string): string => {
  const range = (ranges as unknown as Readonly<Record<string, string | undefined>>)[name]
  if (range === undefined) throw new Error(`no version range known for ${name}`)
  return range
}

const isWorkspaceRange = (range: string): boolean => /^(workspace|catalog|link|file):/.test(range)

/**
 * The first of `candidates` that is a registry range, otherwise `^` + the version `installed` gives for
 * `name`.
 *
 * @since 0.1.0
 */
export const registryRange = (
  name: string,
  candidates: ReadonlyArray<string | undefined>,
  installed: (name: string) => string | undefined
): string => {
  const range = candidates.find((candidate) => candidate !== undefined && !isWorkspaceRange(candidate))
  if (range !== undefined) return range
  const version = installed(name)
  if (version === undefined) throw new Error(`cannot tell which version of ${name} to depend on: it is not installed beside the CLI`)
  return `^${version}`
}

/**
 * The ranges a project depends on, from the CLI's and core's manifests.
 *
 * @since 0.1.0
 */
export const strataRanges = (
  cli: Manifest,
  core: Manifest,
  installed: (name: string) => string | undefined
): StrataRanges => ({
  "@strata/cli": `^${cli.version}`,
  "@strata/core": registryRange("@strata/core", [cli.peerDependencies?.["@strata/core"]], () => core.version),
  effect: registryRange("effect", [cli.peerDependencies?.["effect"], core.peerDependencies?.["effect"]], installed),
  vitest: registryRange("vitest", [core.peerDependencies?.["vitest"]], installed),
  "@effect/vitest": registryRange("@effect/vitest", [core.peerDependencies?.["@effect/vitest"]], installed)
})

const readManifest = (file: string): Manifest => JSON.parse(fs.readFileSync(file, "utf8")) as Manifest

/**
 * The version of `name` Node resolves from `from` (a file), or `undefined`.
 *
 * @since 0.1.0
 */
export const installedVersion = (name: string, from: string = import.meta.url): string | undefined => {
  try {
    return readManifest(createRequire(from).resolve(`${name}/package.json`)).version
  } catch {
    return undefined
  }
}

/**
 * This CLI's own package.json: the nearest one upwards named `@strata/cli` (from `src/init/` in a checkout,
 * from `dist/` once built).
 *
 * @since 0.1.0
 */
export const cliManifestFile = (): string => {
  for (let folder = path.dirname(fileURLToPath(import.meta.url));; folder = path.dirname(folder)) {
    const file = path.join(folder, "package.json")
    if (fs.existsSync(file) && readManifest(file).name === "@strata/cli") return file
    if (path.dirname(folder) === folder) throw new Error(`no package.json of @strata/cli above ${fileURLToPath(import.meta.url)}`)
  }
}

/**
 * The ranges for a project that installs Strata from the registry: this CLI's version and what it and the
 * `@strata/core` it runs with declare.
 *
 * @since 0.1.0
 */
export const fromInstalledCli = (): StrataRanges => {
  const cliFile = cliManifestFile()
  const coreFile = createRequire(cliFile).resolve("@strata/core/package.json")
  return strataRanges(readManifest(cliFile), readManifest(coreFile), (name) => installedVersion(name, coreFile))
}

/**
 * The ranges for a project that installs packages packed from a checkout: what the packed manifests
 * declare (`@strata/cli`'s may be missing: an integration does not vendor it; this CLI's is used then).
 *
 * @since 0.1.0
 */
export const fromPacked = (packed: ReadonlyMap<string, Manifest>): StrataRanges => {
  const cliFile = cliManifestFile()
  const core = packed.get("@strata/core")
  if (core === undefined) throw new Error("@strata/core was not packed")
  const coreFile = createRequire(cliFile).resolve("@strata/core/package.json")
  return strataRanges(packed.get("@strata/cli") ?? readManifest(cliFile), core, (name) => installedVersion(name, coreFile))
}
