/**
 * What npm resolved in the consumer project, held against what the published packages declare and what the
 * workspace tests. The consumer installs third-party packages the way a user's `npm install` does (the
 * newest versions inside the ranges our packages declare), so a registry release can change what it gets.
 * This module says which packages moved and whether every range we declare is met, so that:
 * - an upstream release that breaks a step is named, with the range that let it in ({@link describeDrift});
 * - a range of ours that the installed tree does not meet fails, naming the package, the field and the
 *   range ({@link unmetRanges});
 * - npm's own complaints (`npm ls`) count only when they name a package we declare
 *   ({@link problemsOfOurs}): an inconsistency between two third-party packages is reported, not failed on.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import semver from "semver"

/** The fields of a package.json this module reads. */
export interface Manifest {
  readonly name: string
  readonly version: string
  readonly dependencies?: Readonly<Record<string, string>>
  readonly peerDependencies?: Readonly<Record<string, string>>
  readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>
}

/** One range a published package declares for a third-party package. */
export interface Declared {
  readonly by: string
  readonly field: "dependencies" | "peerDependencies"
  readonly name: string
  readonly range: string
  readonly optional: boolean
}

/** A third-party package as installed in the consumer, beside the version the workspace tests. */
export interface Resolved {
  readonly name: string
  readonly installed: string | undefined
  readonly workspace: string | undefined
  readonly declared: ReadonlyArray<Declared>
}

/** Every range the given (published) manifests declare for packages outside `ours`. */
export const declaredRanges = (manifests: ReadonlyArray<Manifest>, ours: ReadonlySet<string>): Array<Declared> => {
  const declared: Array<Declared> = []
  for (const manifest of manifests) {
    for (const field of ["dependencies", "peerDependencies"] as const) {
      for (const [name, range] of Object.entries(manifest[field] ?? {})) {
        if (ours.has(name)) continue
        const optional = field === "peerDependencies" && manifest.peerDependenciesMeta?.[name]?.optional === true
        declared.push({ by: manifest.name, field, name, range, optional })
      }
    }
  }
  return declared
}

/**
 * The range a consumer that needs `name` puts in its own package.json: every range our packages declare
 * for it, intersected (npm reads `^4.1.5 ^4.1.0` as both). `undefined` when none declares it.
 */
export const consumerRange = (declared: ReadonlyArray<Declared>, name: string): string | undefined => {
  const ranges = [...new Set(declared.filter((entry) => entry.name === name).map((entry) => entry.range))]
  return ranges.length === 0 ? undefined : ranges.join(" ")
}

/**
 * The version of `name` that Node's resolution finds from `directory` (the nearest
 * `node_modules/<name>/package.json` walking up), or `undefined`.
 */
export const versionFrom = (directory: string, name: string): string | undefined => {
  for (let folder = path.resolve(directory);; folder = path.dirname(folder)) {
    const file = path.join(folder, "node_modules", ...name.split("/"), "package.json")
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, "utf8")) as Manifest).version
    if (path.dirname(folder) === folder) return undefined
  }
}

/**
 * Every range our installed packages declare that the installed tree does not meet, as sentences naming the
 * package, the field, the range and what was found. Optional peers that are not installed are fine.
 */
export const unmetRanges = (
  declared: ReadonlyArray<Declared>,
  installedAt: (packageName: string) => string
): Array<string> => {
  const unmet: Array<string> = []
  for (const entry of declared) {
    const version = versionFrom(installedAt(entry.by), entry.name)
    if (version === undefined) {
      if (!entry.optional) unmet.push(`${entry.by} declares ${entry.field}.${entry.name} "${entry.range}", and npm installed no ${entry.name}`)
      continue
    }
    if (!semver.satisfies(version, entry.range, { includePrerelease: true })) {
      unmet.push(`${entry.by} declares ${entry.field}.${entry.name} "${entry.range}", and ${entry.name}@${version} is installed`)
    }
  }
  return unmet
}

/** The third-party packages whose installed version differs from the workspace's (its lockfile). */
export const drift = (resolved: ReadonlyArray<Resolved>): Array<Resolved> =>
  resolved.filter((entry) => entry.installed !== undefined && entry.workspace !== undefined && entry.installed !== entry.workspace)

/**
 * A paragraph for failure messages: which upstream packages resolved to versions the workspace does not
 * test, and which declared range let each in. Empty when nothing moved.
 */
export const describeDrift = (resolved: ReadonlyArray<Resolved>): string => {
  const moved = drift(resolved)
  if (moved.length === 0) return ""
  const lines = moved.map((entry) => {
    const ranges = [...new Set(entry.declared.map((d) => `"${d.range}" (${d.by} ${d.field})`))].join(", ")
    return `- ${entry.name}@${entry.installed}: the workspace tests ${entry.workspace}; let in by ${ranges || "the consumer's own range"}`
  })
  return [
    "Upstream packages resolved to versions the workspace does not test (the newest inside our ranges, as a user gets):",
    ...lines,
    "If a step failed because of one of them, narrow that range or fix the package; `pnpm update` moves the workspace."
  ].join("\n")
}

/** `npm ls --json`'s `problems` that name a package we declare (a dependency or peer of one of ours), or one of ours. */
export const problemsOfOurs = (problems: ReadonlyArray<string>, names: ReadonlySet<string>): Array<string> =>
  problems.filter((problem) => {
    // "invalid: effect@4.1.0 /path/node_modules/effect", "missing: pg@^8.0.0, required by @strata/postgres@0.0.0",
    // "peer dep missing: ..."
    const match = /^[a-z ]+:\s+((?:@[^/\s]+\/)?[^@\s]+)@/.exec(problem)
    const required = /required by ((?:@[^/\s]+\/)?[^@\s]+)@/.exec(problem)
    return (match !== null && names.has(match[1]!)) || (required !== null && names.has(required[1]!))
  })
