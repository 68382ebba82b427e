/**
 * The Strata checkout the CLI runs from, and its published packages packed as `pnpm publish` would pack
 * them. `strata init --from-checkout` uses it to vendor the packages into a new project; the repository's
 * own tools use the same functions (`scripts/pack.ts` for `check:package`, `tools/install-check`), so
 * there is one way to find and pack the workspace's packages.
 *
 * Plain synchronous functions that throw {@link WorkspaceError} (Node strips this file's types when the
 * repository's scripts import it, so no TypeScript-only syntax here).
 *
 * @since 0.1.0
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/**
 * Finding or packing the workspace failed: `message` says what, and with which folder or package.
 *
 * @since 0.1.0
 */
export class WorkspaceError extends Error {
  override readonly name = "WorkspaceError"
}

/**
 * A workspace package that is published (not `"private": true`).
 *
 * @since 0.1.0
 */
export interface PublishedPackage {
  readonly name: string
  readonly version: string
  readonly directory: string
  /** Names of the other packages it needs at run time: `dependencies` and non-optional `peerDependencies`. */
  readonly needs: ReadonlyArray<string>
}

/**
 * What `pnpm pack` made: the tarball's absolute path and the files it holds (paths inside `package/`).
 *
 * @since 0.1.0
 */
export interface Packed {
  readonly tarball: string
  readonly files: ReadonlyArray<string>
}

interface Manifest {
  readonly name?: string
  readonly version?: string
  readonly private?: boolean
  readonly dependencies?: Record<string, string>
  readonly peerDependencies?: Record<string, string>
  readonly peerDependenciesMeta?: Record<string, { readonly optional?: boolean }>
}

const readManifest = (file: string): Manifest => {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Manifest
  } catch (error) {
    throw new WorkspaceError(`cannot read ${file}: ${(error as Error).message}`)
  }
}

/**
 * The root of the Strata checkout that holds `from` (a folder or a `file:` URL inside it): the nearest
 * folder upwards with a `pnpm-workspace.yaml` and a `packages/core/package.json` naming `@strata/core`.
 * `undefined` when `from` is not inside a checkout (the CLI was installed from the registry).
 *
 * @since 0.1.0
 */
export const findCheckout = (from: string | URL): string | undefined => {
  let folder = path.resolve(typeof from === "string" ? from : fileURLToPath(from))
  for (;;) {
    const core = path.join(folder, "packages", "core", "package.json")
    if (fs.existsSync(path.join(folder, "pnpm-workspace.yaml")) && fs.existsSync(core) && readManifest(core).name === "@strata/core") {
      return folder
    }
    const parent = path.dirname(folder)
    if (parent === folder) return undefined
    folder = parent
  }
}

/** The folders pnpm-workspace.yaml lists under `packages:` (`dir/*` globs and plain folders). */
const workspaceFolders = (root: string): Array<string> => {
  const yaml = fs.readFileSync(path.join(root, "pnpm-workspace.yaml"), "utf8")
  const block = /^packages:\n((?:[ \t]+-.*\n?)+)/m.exec(yaml)?.[1] ?? ""
  const folders: Array<string> = []
  for (const line of block.split("\n")) {
    const pattern = /^\s*-\s*["']?([^"'#\s]+)["']?/.exec(line)?.[1]
    if (pattern === undefined) continue
    if (pattern.endsWith("/*")) {
      const parent = path.join(root, pattern.slice(0, -2))
      if (!fs.existsSync(parent)) continue
      for (const entry of fs.readdirSync(parent, { withFileTypes: true })) {
        if (entry.isDirectory()) folders.push(path.join(parent, entry.name))
      }
    } else folders.push(path.join(root, pattern))
  }
  return folders.filter((folder) => fs.existsSync(path.join(folder, "package.json")))
}

/**
 * Every workspace package of the checkout at `root` that is published, sorted by name.
 *
 * @since 0.1.0
 */
export const publishedPackages = (root: string): Array<PublishedPackage> => {
  const packages: Array<PublishedPackage> = []
  for (const directory of workspaceFolders(root)) {
    const manifest = readManifest(path.join(directory, "package.json"))
    if (manifest.private === true || manifest.name === undefined || manifest.version === undefined) continue
    const optional = (name: string) => manifest.peerDependenciesMeta?.[name]?.optional === true
    const needs = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}).filter((name) => !optional(name))
    ]
    packages.push({ name: manifest.name, version: manifest.version, directory, needs })
  }
  return packages.sort((a, b) => a.name.localeCompare(b.name))
}

/**
 * The packages among `packages` that `names` need, themselves included, transitively (only packages of
 * the workspace: third-party dependencies come from the registry). Fails on a name the workspace does not
 * publish.
 *
 * @since 0.1.0
 */
export const closure = (packages: ReadonlyArray<PublishedPackage>, names: ReadonlyArray<string>): Array<PublishedPackage> => {
  const byName = new Map(packages.map((pkg) => [pkg.name, pkg]))
  const found = new Map<string, PublishedPackage>()
  const pending = [...names]
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (found.has(name)) continue
    const pkg = byName.get(name)
    if (pkg === undefined) throw new WorkspaceError(`the checkout publishes no package named ${name}`)
    found.set(name, pkg)
    pending.push(...pkg.needs.filter((need) => byName.has(need)))
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name))
}

/**
 * Packs the package in `directory` into `destination` with `pnpm pack`, which rewrites `workspace:` and
 * `catalog:` ranges into real versions as `pnpm publish` does. Needs `pnpm` on PATH and the package built
 * (its `dist/`); throws with pnpm's output when the pack fails.
 *
 * @since 0.1.0
 */
export const packPackage = (directory: string, destination: string): Packed => {
  const result = spawnSync("pnpm", ["pack", "--pack-destination", destination, "--json"], {
    cwd: directory,
    encoding: "utf8",
    stdio: "pipe"
  })
  if (result.error !== undefined) {
    const missing = (result.error as NodeJS.ErrnoException).code === "ENOENT"
    throw new WorkspaceError(
      missing
        ? `pnpm is not on PATH: packing ${directory} needs it (bash scripts/dev.sh shell gives a shell with it)`
        : `pnpm pack in ${directory} could not run: ${result.error.message}`
    )
  }
  if (result.status !== 0) throw new WorkspaceError(`pnpm pack failed in ${directory}:\n${result.stdout}${result.stderr}`)
  const { filename, files } = JSON.parse(result.stdout) as { filename: string; files: Array<{ path: string }> }
  return {
    tarball: path.isAbsolute(filename) ? filename : path.join(destination, filename),
    files: files.map((file) => file.path)
  }
}

/**
 * Fails unless the package's build output (`dist/`) exists: `pnpm pack` would pack a package without it.
 *
 * @since 0.1.0
 */
export const assertBuilt = (pkg: PublishedPackage): void => {
  if (!fs.existsSync(path.join(pkg.directory, "dist"))) {
    throw new WorkspaceError(`${pkg.name} is not built (${path.join(pkg.directory, "dist")} is missing): run pnpm build in the checkout first`)
  }
}
