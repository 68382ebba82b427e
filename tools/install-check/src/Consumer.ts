/**
 * A consumer project outside the repository: every published workspace package packed with `pnpm pack`
 * (as `pnpm publish` would pack it), installed with npm from the tarballs into a fresh folder under
 * `os.tmpdir()`, third-party dependencies from the npm registry. Commands run there with the Node that
 * runs the test, a PATH without the repository's `node_modules/.bin` and no `NODE_OPTIONS`, so nothing of
 * the workspace (the `@strata/source` condition, pnpm's links) leaks in.
 */
import { spawn, spawnSync } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Workspace from "../../../apps/cli/src/init/Workspace.ts"
import * as Resolution from "./Resolution.ts"

/** The repository's root folder. */
export const repositoryRoot: string = fileURLToPath(new URL("../../../", import.meta.url))

/** The consumer's own files (strata.config.ts, scripts, types.ts), copied into the project. */
const consumerFiles: string = fileURLToPath(new URL("../consumer/", import.meta.url))

/** A workspace package that is published (not `"private": true`). */
export type PublishedPackage = Workspace.PublishedPackage

/** A step of the check that failed: names the step, the command and what it printed. */
export class StepFailure extends Error {
  override readonly name = "StepFailure"
}

interface Manifest {
  readonly name: string
  readonly version: string
  readonly private?: boolean
  readonly devDependencies?: Record<string, string>
}

const readJson = <A>(file: string): A => JSON.parse(fs.readFileSync(file, "utf8")) as A

/** Every workspace package that is published, sorted by name (the CLI's `strata init --from-checkout` finds them the same way). */
export const publishedPackages = (): Array<PublishedPackage> => Workspace.publishedPackages(repositoryRoot)

/** The version range the pnpm `catalog:` gives `name` (pnpm-workspace.yaml), for the consumer's own dependencies. */
export const catalogRange = (name: string): string => {
  const yaml = fs.readFileSync(path.join(repositoryRoot, "pnpm-workspace.yaml"), "utf8")
  const block = /^catalog:\n((?:[ \t]+.*\n?)+)/m.exec(yaml)?.[1] ?? ""
  for (const line of block.split("\n")) {
    const match = /^\s*["']?([^"':\s]+)["']?\s*:\s*["']?([^"'#\s]+)["']?/.exec(line)
    if (match?.[1] === name && match[2] !== undefined) return match[2]
  }
  throw new StepFailure(`pnpm-workspace.yaml has no catalog entry for ${name}`)
}

/** The range this package's own package.json gives a dev dependency (`catalog:` resolved through the catalog). */
const devRange = (name: string): string => {
  const range = readJson<Manifest>(fileURLToPath(new URL("../package.json", import.meta.url))).devDependencies?.[name]
  if (range === undefined) throw new StepFailure(`tools/install-check/package.json has no devDependency ${name}`)
  return range === "catalog:" ? catalogRange(name) : range
}

/**
 * The environment of every command in the consumer: this Node first on PATH, no folder of the repository
 * on PATH, no NODE_OPTIONS (vitest's, or a `--conditions`), and none of the `npm_*` variables pnpm sets
 * for the scripts it runs (they would configure npm as if it ran inside the workspace).
 */
export const consumerEnvironment = (): NodeJS.ProcessEnv => {
  const environment: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(NODE_OPTIONS|NODE_PATH|VITEST.*|PNPM_.*|TURBO_.*)$/.test(name)) continue
    if (/^npm_/i.test(name) && !/^npm_config_(cache|registry|userconfig)$/i.test(name)) continue
    environment[name] = value
  }
  const inRepository = (entry: string) => path.resolve(entry).startsWith(repositoryRoot)
  const entries = (process.env["PATH"] ?? "").split(path.delimiter).filter((entry) => entry !== "" && !inRepository(entry))
  environment["PATH"] = [path.dirname(process.execPath), ...entries].join(path.delimiter)
  environment["NO_COLOR"] = "1"
  return environment
}

/** What a command printed and how it ended. */
export interface Ran {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

const describe = (command: string, args: ReadonlyArray<string>) => [command, ...args].join(" ")

/** Prints a command's output for a failure message, cut to its last 60 lines per stream. */
const output = (ran: { readonly stdout: string; readonly stderr: string }): string => {
  const tail = (text: string) => {
    const lines = text.trimEnd().split("\n")
    return lines.length > 60 ? [`... (${lines.length - 60} lines above)`, ...lines.slice(-60)].join("\n") : lines.join("\n")
  }
  return [ran.stdout.trim() === "" ? "" : `--- stdout\n${tail(ran.stdout)}`, ran.stderr.trim() === "" ? "" : `--- stderr\n${tail(ran.stderr)}`]
    .filter((part) => part !== "")
    .join("\n")
}

/** The consumer project: where it is, what was installed, and how to run commands in it. */
export interface Consumer {
  readonly directory: string
  readonly packages: ReadonlyArray<PublishedPackage>
  /** The ranges our packed packages declare for third-party packages. */
  readonly declared: ReadonlyArray<Resolution.Declared>
  /** Each third-party package we declare or the consumer depends on: installed here, and in the workspace. */
  readonly resolved: ReadonlyArray<Resolution.Resolved>
  /** {@link Resolution.describeDrift} of `resolved`: empty when npm installed what the workspace tests. */
  readonly drift: string
  /** Runs a command in the project and returns what it printed; a failure names `step` and shows the output. */
  readonly run: (step: string, command: string, args: ReadonlyArray<string>, options?: RunOptions) => Ran
  /** Starts a long-running command in the project (`strata dev`). */
  readonly start: (command: string, args: ReadonlyArray<string>) => ChildProcess
  /** Deletes the project folder (kept when STRATA_INSTALL_CHECK_KEEP=1, to look into a failure). */
  readonly remove: () => void
}

/** Options of {@link Consumer.run}. */
export interface RunOptions {
  /** Exit codes that count as success. Default `[0]`. */
  readonly expectStatus?: ReadonlyArray<number>
  readonly environment?: Readonly<Record<string, string>>
  /** Default 120 s. */
  readonly timeoutMs?: number
}

/** Runs commands in `directory` (see {@link Consumer.run}); `drift` is appended to failure messages. */
export const runIn = (directory: string, drift: () => string = () => "") =>
(step: string, command: string, args: ReadonlyArray<string>, options: RunOptions = {}): Ran => {
  const started = Date.now()
  const result = spawnSync(command, args, {
    cwd: directory,
    encoding: "utf8",
    env: { ...consumerEnvironment(), ...options.environment },
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024
  })
  const ran: Ran = { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" }
  const upstream = drift() === "" ? "" : `\n${drift()}`
  if (result.error !== undefined) {
    const timedOut = (result.error as NodeJS.ErrnoException).code === "ETIMEDOUT"
    throw new StepFailure(
      `${step}: \`${describe(command, args)}\` in ${directory} ${
        timedOut ? `did not finish within ${Math.round((Date.now() - started) / 1000)} s` : `could not run: ${result.error.message}`
      }\n${output(ran)}${upstream}`
    )
  }
  if (!(options.expectStatus ?? [0]).includes(result.status ?? -1)) {
    throw new StepFailure(
      `${step}: \`${describe(command, args)}\` in ${directory} exited with ${result.status ?? result.signal}\n${output(ran)}${upstream}`
    )
  }
  return ran
}

/** Parses a command's stdout as JSON; a failure names the step and shows what was printed. */
export const parseJson = <A>(step: string, ran: Ran): A => {
  try {
    return JSON.parse(ran.stdout) as A
  } catch (error) {
    throw new StepFailure(`${step}: stdout is not JSON (${String(error)})\n${output(ran)}`)
  }
}

/**
 * Packs every published package, writes the consumer project (package.json depending on every tarball,
 * `overrides` so that the packages' dependencies on each other resolve to the same tarballs and never to
 * the registry, `effect`/`apache-arrow`/`typescript`/`@types/node`/`vitest`/`@effect/vitest` at the repository's versions) and runs
 * `npm install` in it. npm's output is shown only when it fails.
 */
export const create = (): Consumer => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "strata-install-check-"))
  const remove = () => {
    if (process.env["STRATA_INSTALL_CHECK_KEEP"] === "1") {
      console.log(`STRATA_INSTALL_CHECK_KEEP=1: the consumer project is kept in ${directory}`)
    } else fs.rmSync(directory, { recursive: true, force: true })
  }
  try {
    return setUp(directory, remove)
  } catch (error) {
    remove()
    throw error
  }
}

/** The package.json inside a tarball, as `pnpm pack` rewrote it (real ranges instead of `workspace:`/`catalog:`). */
const packedManifest = (tarball: string): Resolution.Manifest => {
  const result = spawnSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 })
  if (result.status !== 0) throw new StepFailure(`read package/package.json from ${tarball}: ${result.stderr}`)
  return JSON.parse(result.stdout) as Resolution.Manifest
}

/** The range the consumer gives a third-party package: the intersection of what our packed packages declare. */
const rangeFor = (declared: ReadonlyArray<Resolution.Declared>, name: string): string => {
  const range = Resolution.consumerRange(declared, name)
  if (range === undefined) throw new StepFailure(`no published package declares ${name}: the consumer cannot pick its range`)
  return range
}

const setUp = (directory: string, remove: () => void): Consumer => {
  const tarballs = path.join(directory, "tarballs")
  fs.mkdirSync(tarballs)
  const packages = publishedPackages()
  if (packages.length === 0) throw new StepFailure("no published package found in the workspace")

  const dependencies: Record<string, string> = {}
  const manifests: Array<Resolution.Manifest> = []
  for (const pkg of packages) {
    try {
      const { tarball } = Workspace.packPackage(pkg.directory, tarballs)
      dependencies[pkg.name] = `file:../tarballs/${path.basename(tarball)}`
      manifests.push(packedManifest(tarball))
    } catch (error) {
      throw new StepFailure(`pack ${pkg.name} (${path.relative(repositoryRoot, pkg.directory)}): ${(error as Error).message}`)
    }
  }
  const declared = Resolution.declaredRanges(manifests, new Set(packages.map((pkg) => pkg.name)))
  const project = path.join(directory, "project")
  fs.mkdirSync(project)
  // Third-party packages get the ranges our packages declare, not the workspace's pinned versions: npm then
  // picks the newest inside them, as it does for a user, and this check follows the registry.
  const manifest = {
    name: "strata-install-check-consumer",
    version: "0.0.0",
    private: true,
    type: "module",
    dependencies: {
      ...dependencies,
      effect: rangeFor(declared, "effect"),
      "apache-arrow": rangeFor(declared, "apache-arrow")
    },
    devDependencies: {
      // the user's compiler and Node types: the versions the workspace develops with (ranges in the catalog)
      typescript: catalogRange("typescript"),
      "@types/node": devRange("@types/node"),
      // the optional peers of @strata/core/testing
      vitest: rangeFor(declared, "vitest"),
      "@effect/vitest": rangeFor(declared, "@effect/vitest")
    },
    // `$name` = the version the root dependency names: the tarball
    overrides: Object.fromEntries(packages.map((pkg) => [pkg.name, `$${pkg.name}`]))
  }
  fs.writeFileSync(path.join(project, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`)
  for (const file of fs.readdirSync(consumerFiles)) fs.copyFileSync(path.join(consumerFiles, file), path.join(project, file))
  fs.writeFileSync(
    path.join(project, "tsconfig.json"),
    `${
      JSON.stringify(
        {
          compilerOptions: {
            target: "ES2023",
            lib: ["ES2023"],
            module: "NodeNext",
            moduleResolution: "NodeNext",
            strict: true,
            exactOptionalPropertyTypes: true,
            noUncheckedIndexedAccess: true,
            verbatimModuleSyntax: true,
            isolatedModules: true,
            noEmit: true,
            allowImportingTsExtensions: true,
            types: ["node"],
            skipLibCheck: true
          },
          include: ["*.ts"]
        },
        null,
        2
      )
    }\n`
  )

  let drift = ""
  const run = runIn(project, () => drift)
  try {
    run("npm install (the tarballs, and their dependencies from the registry)", "npm", [
      "install",
      "--no-audit",
      "--no-fund",
      "--no-update-notifier",
      "--loglevel=error"
    ], { timeoutMs: 300_000 })
  } catch (error) {
    // npm retries a registry it cannot reach (or whose TLS certificate it refuses) for minutes, quietly
    throw new StepFailure(
      `${(error as Error).message}\nIf npm could not reach the registry: turbo passes only the variables listed in ` +
        `tools/install-check/turbo.json (passThroughEnv) to this test; add the proxy or CA variable your network needs there.`
    )
  }

  const resolved = resolve(project, packages, declared, manifest.devDependencies)
  drift = Resolution.describeDrift(resolved)
  return {
    directory: project,
    packages,
    declared,
    resolved,
    drift,
    run,
    start: (command, args) =>
      spawn(command, args, { cwd: project, env: consumerEnvironment(), stdio: ["ignore", "pipe", "pipe"] }),
    remove
  }
}

/**
 * Each third-party package our packages declare, and each of the consumer's own dev dependencies: the version
 * npm installed at the project's top level, and the version the workspace resolves (the lockfile's) from the
 * package that declares it.
 */
const resolve = (
  project: string,
  packages: ReadonlyArray<PublishedPackage>,
  declared: ReadonlyArray<Resolution.Declared>,
  consumerDevDependencies: Readonly<Record<string, string>>
): Array<Resolution.Resolved> => {
  const directoryOf = new Map(packages.map((pkg) => [pkg.name, pkg.directory]))
  const names = new Set([...declared.map((entry) => entry.name), ...Object.keys(consumerDevDependencies)])
  return [...names].sort().map((name) => {
    const declaring = declared.filter((entry) => entry.name === name)
    const from = directoryOf.get(declaring[0]?.by ?? "") ?? fileURLToPath(new URL("..", import.meta.url))
    return {
      name,
      installed: Resolution.versionFrom(project, name),
      workspace: Resolution.versionFrom(from, name),
      declared: declaring
    }
  })
}
