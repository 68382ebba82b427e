/**
 * Asset checks, freshness and the shape before a failure in the CLI:
 * `strata checks` (latest results), `strata checks run` (checks alone, against
 * the stored values), the check and freshness sections of `strata status`, the
 * checks of a run's summary and the shape diff of `strata runs show`.
 *
 * @since 0.1.0
 */
import type { Instance as InstanceModule, Project } from "@strata/core"
import { ExecutionPlan, Freshness, Instance, RunCoordinator, Selection, ShapeDiff } from "@strata/core"
import { Effect, Logger, Option } from "effect"
import type { Scope } from "effect"
import { Command } from "effect/cli"
import type { CliFailure } from "./CliError.ts"
import { runtime, usage } from "./CliError.ts"
import { fileFlag, jsonFlag, selectFlag } from "./CommonFlags.ts"
import type { Terminal } from "./Output.ts"
import * as Output from "./Output.ts"
import * as Progress from "./Progress.ts"

/** What the checks commands need from the command module (its project loading and error mapping). */
export interface CommandKit<Environment> {
  readonly openProject: (file: Option.Option<string>) => Effect.Effect<Environment, CliFailure, Scope.Scope>
  readonly projectOf: (environment: Environment) => Project.Project<unknown>
  readonly provided: <A, E>(environment: Environment, effect: Effect.Effect<A, E, unknown>) => Effect.Effect<A, CliFailure>
  readonly coreFailure: (error: unknown) => CliFailure
  readonly term: () => Terminal
}

/**
 * One row of `strata checks`: a defined check and its latest result (absent when it never ran).
 *
 * @since 0.1.0
 */
export interface CheckRow {
  readonly asset: string
  readonly check: string
  readonly severity: "warn" | "error"
  readonly description: string | undefined
  readonly latest: ReadonlyArray<InstanceModule.CheckResultRecord>
}

/** The project's checks of the selected assets with their latest results. */
export const checkRows = (project: Project.Project<unknown>, selection: string | undefined) =>
  Effect.gen(function*() {
    const keys = selection === undefined
      ? undefined
      : new Set(yield* Selection.resolve(project, selection))
    const checks = project.checks.filter((check) => keys === undefined || keys.has(check.spec.assetKey))
    if (checks.length === 0) return [] as Array<CheckRow>
    const instance = yield* Instance.Instance
    const latest = yield* instance.latestChecks([...new Set(checks.map((check) => check.spec.assetKey))])
    return checks.map((check): CheckRow => ({
      asset: check.spec.assetKey,
      check: check.spec.name,
      severity: check.spec.severity,
      description: check.spec.description,
      latest: (latest.get(check.spec.assetKey) ?? []).filter((record) => record.check === check.spec.name)
    }))
  })

const verdict = (out: Terminal, record: InstanceModule.CheckResultRecord | undefined): string =>
  record === undefined
    ? Output.dim(out, "not run")
    : record.passed
    ? Output.green(out, "passed")
    : record.severity === "error"
    ? Output.red(out, "failed")
    : Output.yellow(out, "warning")

/** Prints check rows as a table, with the message of each failure. */
export const printCheckRows = (out: Terminal, rows: ReadonlyArray<CheckRow>): void => {
  const lines: Array<Array<string>> = [["RESULT", "ASSET", "CHECK", "SEVERITY", "WHEN", "MESSAGE"]]
  for (const row of rows) {
    const records = row.latest.length === 0 ? [undefined] : row.latest
    for (const record of records) {
      const asset = record?.partition === undefined ? row.asset : `${row.asset} [${record.partition}]`
      const when = record === undefined ? "-" : Output.timestamp(record.timestamp)
      lines.push([verdict(out, record), asset, row.check, row.severity, when, record?.message ?? ""])
    }
  }
  for (const line of Output.table(lines)) Output.line(out, line)
}

/** The checks lines of a run's summary. */
export const printRunChecks = (out: Terminal, checks: ReadonlyArray<RunCoordinator.CheckOutcome>): void => {
  if (checks.length === 0) return
  const failed = checks.filter((check) => !check.passed)
  Output.line(out, `  ${checks.length} check${checks.length === 1 ? "" : "s"}: ${checks.length - failed.length} passed, ${failed.length} failed`)
  for (const check of failed) {
    const label = check.severity === "error" ? Output.red(out, "check failed") : Output.yellow(out, "check warning")
    Output.line(out, `  ${label} ${check.key}:${check.check}: ${check.message ?? ""}`)
  }
}

/** The shape diff of a run: each rejected materialization next to the last good one. */
export const printShapes = (out: Terminal, shapes: ReadonlyArray<ShapeDiff.FailureShape>): void => {
  if (shapes.length === 0) return
  Output.line(out)
  Output.line(out, Output.bold(out, "Shape before the failure"))
  for (const shape of shapes) {
    const partition = shape.partition === undefined ? "" : ` [${shape.partition}]`
    Output.line(out, `  ${shape.assetKey}${partition}: rejected by ${shape.checks.join(", ")}`)
    if (shape.lastGood === undefined) {
      Output.line(out, `    no earlier materialization to compare with`)
      continue
    }
    Output.line(out, `    last good: run ${shape.lastGood.runId} at ${Output.timestamp(shape.lastGood.timestamp)}`)
    if (shape.changes.length === 0) Output.line(out, "    the metadata did not change")
    for (const change of shape.changes.slice(0, 15)) {
      const moved = change.relative === undefined || !Number.isFinite(change.relative) ? "" : ` (${change.relative >= 0.1 ? "!! " : ""}${Math.round(change.relative * 100)}%)`
      Output.line(out, `    ${change.path.padEnd(28)} ${JSON.stringify(change.before) ?? "-"} -> ${JSON.stringify(change.after) ?? "-"}${moved}`)
    }
  }
}

/** What `strata status` adds: failing checks and freshness. */
export const statusExtras = (project: Project.Project<unknown>, selection: string | undefined) =>
  Effect.gen(function*() {
    const rows = yield* checkRows(project, selection)
    const keys = selection === undefined ? undefined : new Set(yield* Selection.resolve(project, selection))
    const freshness = (yield* Freshness.status(project)).filter((f) => keys === undefined || keys.has(f.key))
    const failing = rows.flatMap((row) => row.latest.filter((record) => !record.passed))
    return { failing, freshness }
  })

/** Prints the status extras under the staleness table. */
export const printStatusExtras = (out: Terminal, extras: Effect.Success<ReturnType<typeof statusExtras>>): void => {
  if (extras.freshness.length > 0) {
    Output.line(out)
    Output.line(out, Output.bold(out, "Freshness"))
    const rows = extras.freshness.map((f) => [
      f.status === "fresh" ? Output.green(out, "on time") : Output.red(out, "late"),
      f.key,
      f.policy,
      f.reason
    ])
    for (const line of Output.table([["FRESHNESS", "ASSET", "POLICY", "DETAIL"], ...rows])) Output.line(out, `  ${line}`)
  }
  if (extras.failing.length > 0) {
    Output.line(out)
    Output.line(out, Output.bold(out, "Failing checks"))
    for (const record of extras.failing) {
      const label = record.severity === "error" ? Output.red(out, "failed") : Output.yellow(out, "warning")
      Output.line(out, `  ${label} ${record.assetKey}:${record.check} ${record.message ?? ""} (run ${record.runId})`)
    }
  }
}

/** `strata checks` and `strata checks run`. */
export const makeChecksCommand = <Environment>(kit: CommandKit<Environment>) => {
  const run = Command.make(
    "run",
    { file: fileFlag, select: selectFlag, json: jsonFlag },
    (input) =>
      Effect.scoped(Effect.gen(function*() {
        const out = kit.term()
        const environment = yield* kit.openProject(input.file)
        const project = kit.projectOf(environment)
        const selection = Option.getOrUndefined(input.select)
        const plan = yield* ExecutionPlan.make(project, { selection, checks: "only" }).pipe(Effect.mapError(kit.coreFailure))
        if (plan.steps.length === 0) return yield* usage(`no check to run${selection === undefined ? "" : ` on --select ${JSON.stringify(selection)}`}`)
        const progress = input.json ? undefined : Progress.make(out, plan.steps.length)
        const result = yield* kit.provided(environment, RunCoordinator.execute(project, plan, { onEvent: progress?.onEvent, tags: { "strata/kind": "checks" } })).pipe(
          Effect.provideService(Logger.CurrentLoggers, new Set()),
          Effect.ensuring(Effect.sync(() => progress?.stop()))
        )
        if (input.json) Output.json(out, result)
        else {
          Output.line(out)
          Output.line(out, `Run ${result.runId} ${result.status === "succeeded" ? Output.green(out, "succeeded") : Output.red(out, result.status)}`)
          printRunChecks(out, result.checks)
        }
        if (result.status !== "succeeded") return yield* runtime(`run ${result.runId} ${result.status}`, true)
      }))
  ).pipe(
    Command.withDescription("Run the checks of the selected assets alone, against their stored values (nothing is materialized)"),
    Command.withExamples([{ command: "strata checks run --select silver_users", description: "The checks of one asset" }])
  )
  return Command.make(
    "checks",
    { file: fileFlag, select: selectFlag, json: jsonFlag },
    (input) =>
      Effect.scoped(Effect.gen(function*() {
        const out = kit.term()
        const environment = yield* kit.openProject(input.file)
        const selection = Option.getOrUndefined(input.select)
        const rows = yield* kit.provided(environment, checkRows(kit.projectOf(environment), selection))
        if (input.json) {
          Output.json(out, rows)
          return
        }
        if (rows.length === 0) {
          Output.line(out, selection === undefined ? "The project defines no checks." : "The selected assets have no checks.")
          return
        }
        printCheckRows(out, rows)
      }))
  ).pipe(
    Command.withDescription("List the asset checks with their latest results (per partition for partitioned assets)"),
    Command.withExamples([
      { command: "strata checks", description: "Every check" },
      { command: "strata checks --select 'group:silver' --json", description: "The checks of a group, as JSON" }
    ]),
    Command.withSubcommands([run])
  )
}
