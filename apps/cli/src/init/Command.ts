/**
 * The `strata init` command (effect/cli): flags, output, exit codes. The work is in `Init.ts`.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import type { CliFailure } from "../CliError.ts"
import { runtime, usage } from "../CliError.ts"
import { jsonFlag } from "../CommonFlags.ts"
import type { Terminal } from "../Output.ts"
import * as Output from "../Output.ts"
import type { InitError } from "./InitError.ts"
import * as Init from "./Init.ts"

const toFailure = (error: InitError): CliFailure => error.isUsage ? usage(error.message) : runtime(error.message)

const print = (out: Terminal, result: Init.Result): void => {
  const what = result.kind === "project" ? "a Strata project" : `the integration package ${result.name}`
  const packed = Object.keys(result.vendored)
  Output.line(
    out,
    `Created ${what} in ${result.directory}` +
      (result.checkout === undefined ? "" : ` (${packed.length} package${packed.length === 1 ? "" : "s"} packed from the checkout ${result.checkout} into vendor/)`)
  )
  for (const file of result.created) Output.line(out, `  ${Output.green(out, "created")}  ${file}`)
  for (const file of result.skipped) Output.line(out, `  ${Output.yellow(out, "skipped")}  ${file} (it exists: left as it was)`)
  if (result.skipped.includes("package.json")) {
    Output.line(out, Output.yellow(out, "package.json was there already: add the dependencies the template needs yourself (strata init in an empty folder shows them)"))
  }
  Output.line(out)
  Output.line(out, "Next:")
  for (const step of result.next) Output.line(out, `  ${step}`)
}

/**
 * `strata init [dir] [--integration NAME] [--from-checkout] [--force] [--json]`.
 *
 * @since 0.1.0
 */
export const init = Command.make(
  "init",
  {
    directory: Argument.String("dir").pipe(
      Argument.withDescription("The folder to create the project in (default: the current folder; strata-<name> with --integration)"),
      Argument.optional
    ),
    integration: Flag.String("integration").pipe(
      Flag.withDescription("Create an integration package strata-<name> (a resource plugin to publish) instead of a project"),
      Flag.optional
    ),
    fromCheckout: Flag.Boolean("from-checkout").pipe(
      Flag.withDescription(
        "Pack the packages of the Strata checkout this CLI runs from into vendor/ and depend on the tarballs " +
          "(before Strata is published); without it, dependencies are registry versions"
      ),
      Flag.withDefault(false)
    ),
    force: Flag.Boolean("force").pipe(
      Flag.withDescription("Write into a folder that is not empty; files that exist are never overwritten (they are listed as skipped)"),
      Flag.withDefault(false)
    ),
    json: jsonFlag
  },
  (input) =>
    Effect.gen(function*() {
      const out = Output.processTerminal()
      const result = yield* Init.run({
        directory: Option.getOrUndefined(input.directory),
        integration: Option.getOrUndefined(input.integration),
        fromCheckout: input.fromCheckout,
        force: input.force
      }).pipe(Effect.mapError(toFailure))
      if (input.json) Output.json(out, result)
      else print(out, result)
    })
).pipe(
  Command.withDescription(
    "Create a Strata project (strata.config.ts with two assets, a resource with a local Layer, a test, package.json, " +
      "tsconfig.json), or with --integration an integration package ready to publish. Refuses a folder that is not empty " +
      "unless --force, and never overwrites a file"
  ),
  Command.withExamples([
    { command: "strata init my-project", description: "A new project in ./my-project, depending on the registry's packages" },
    { command: "strata init ../my-project --from-checkout", description: "From a checkout: the packages packed into vendor/" },
    { command: "strata init --integration acme", description: "The package strata-acme in ./strata-acme" }
  ])
)
