/**
 * `strata init`: creates a project (or, with `--integration`, an integration package) from a template.
 *
 * The steps are data in, data out: pick the template and its names ({@link plan}), check the folder,
 * vendor the checkout's packages when asked, render the files and write the missing ones ({@link run}).
 *
 * @since 0.1.0
 */
import * as path from "node:path"
import { Effect } from "effect"
import * as Files from "./Files.ts"
import { InitError } from "./InitError.ts"
import type { Sources, TemplateFile } from "./Template.ts"
import * as App from "./templates/App.ts"
import * as Integration from "./templates/Integration.ts"
import * as Vendor from "./Vendor.ts"
import * as Versions from "./Versions.ts"

/**
 * What to create.
 *
 * @since 0.1.0
 */
export interface Request {
  /** The target folder, as given (default `.` for a project, `strata-<name>` for an integration). */
  readonly directory: string | undefined
  /** Create an integration package with this short name instead of a project. */
  readonly integration: string | undefined
  readonly fromCheckout: boolean
  readonly force: boolean
}

/**
 * What was created.
 *
 * @since 0.1.0
 */
export interface Result {
  readonly kind: "project" | "integration"
  /** The package name written to package.json. */
  readonly name: string
  readonly directory: string
  /** The checkout the packages were packed from (`--from-checkout`). */
  readonly checkout: string | undefined
  /** `file:vendor/<tarball>` of each vendored package. */
  readonly vendored: Readonly<Record<string, string>>
  readonly created: ReadonlyArray<string>
  /** Files that were there already and were left as they were. */
  readonly skipped: ReadonlyArray<string>
  /** The commands to run next, in the new folder. */
  readonly next: ReadonlyArray<string>
}

/** An integration's short name: lowercase words separated by single dashes, at most 40 characters. */
const integrationName = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/

/**
 * A package name from a folder name: lowercase, characters npm refuses replaced by `-`.
 *
 * @since 0.1.0
 */
export const packageNameOf = (folder: string): string => {
  const name = folder.toLowerCase().replace(/[^a-z0-9._~-]+/g, "-").replace(/^[._-]+/, "").replace(/-+/g, "-")
    .replace(/-$/, "").slice(0, 214)
  return name === "" ? "strata-project" : name
}

interface Plan {
  readonly kind: Result["kind"]
  readonly name: string
  readonly directory: string
  /** The checkout packages the project depends on. */
  readonly packages: ReadonlyArray<string>
  readonly render: (ranges: Versions.StrataRanges, sources: Sources) => Array<TemplateFile>
}

/**
 * Which template, which names, which folder.
 *
 * @since 0.1.0
 */
export const plan = (request: Request): Effect.Effect<Plan, InitError> => {
  const integration = request.integration
  if (integration === undefined) {
    const directory = path.resolve(request.directory ?? ".")
    const name = packageNameOf(path.basename(directory))
    return Effect.succeed({
      kind: "project",
      name,
      directory,
      packages: ["@strata/cli", "@strata/core"],
      render: (ranges, sources) => App.files({ name, ranges, sources })
    })
  }
  if (!integrationName.test(integration) || integration.length > 40) {
    return Effect.fail(
      new InitError({
        reason: "invalid-name",
        path: integration.slice(0, 100),
        message: `--integration ${JSON.stringify(integration.slice(0, 100))}: the name must be lowercase words separated by ` +
          "single dashes (acme, my-store), at most 40 characters; the package is called strata-<name>"
      })
    )
  }
  const names = Integration.namesOf(integration)
  return Effect.succeed({
    kind: "integration",
    name: names.packageName,
    directory: path.resolve(request.directory ?? names.packageName),
    packages: ["@strata/core"],
    render: (ranges, sources) => Integration.files({ name: integration, ranges, sources })
  })
}

const versionsError = (error: unknown) =>
  new InitError({ reason: "versions", path: "@strata/cli", message: `cannot tell which versions to depend on: ${(error as Error).message}` })

/** Where the Strata packages come from: tarballs packed from the checkout, or the registry. */
const sourcesFor = (checkout: string | undefined, planned: Plan) =>
  Effect.gen(function*() {
    if (checkout === undefined) {
      const ranges = yield* Effect.try({ try: Versions.fromInstalledCli, catch: versionsError })
      const range = (name: string) => Versions.rangeOf(ranges, name)
      return { ranges, sources: { spec: range, range, vendored: {} }, written: { created: [], skipped: [] } }
    }
    const vendored = yield* Vendor.vendor(checkout, planned.packages, planned.directory)
    const ranges = yield* Effect.try({ try: () => Versions.fromPacked(vendored.manifests), catch: versionsError })
    const range = (name: string) => {
      const version = vendored.manifests.get(name)?.version
      return version === undefined ? Versions.rangeOf(ranges, name) : `^${version}`
    }
    const sources: Sources = { spec: (name) => vendored.specs[name] ?? range(name), range, vendored: vendored.specs }
    return { ranges, sources, written: { created: vendored.created, skipped: vendored.skipped } }
  })

const nextSteps = (kind: Result["kind"], directory: string): Array<string> => {
  const relative = path.relative(process.cwd(), directory) || "."
  // a folder outside the current one is shown by its absolute path
  const shown = relative.startsWith("..") ? directory : relative
  const cd = `cd ${/^[\w./-]+$/.test(shown) ? shown : `'${shown.replaceAll("'", "'\\''")}'`}`
  return kind === "project"
    ? [cd, "npm install", "npx strata materialize", "npx vitest run"]
    : [cd, "npm install", "npm test", "npm run build"]
}

/**
 * Creates the project or integration package the request asks for.
 *
 * @since 0.1.0
 */
export const run = (request: Request): Effect.Effect<Result, InitError> =>
  Effect.gen(function*() {
    const planned = yield* plan(request)
    // found before the folder is created: a CLI that is not in a checkout changes nothing
    const checkout = request.fromCheckout ? yield* Vendor.checkoutRoot : undefined
    yield* Files.prepareTarget(planned.directory, request.force)
    const { ranges, sources, written } = yield* sourcesFor(checkout, planned)
    const files = yield* Files.writeFiles(planned.directory, planned.render(ranges, sources))
    return {
      kind: planned.kind,
      name: planned.name,
      directory: planned.directory,
      checkout,
      vendored: sources.vendored,
      created: [...written.created, ...files.created],
      skipped: [...written.skipped, ...files.skipped],
      next: nextSteps(planned.kind, planned.directory)
    }
  })
