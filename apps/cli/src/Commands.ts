/**
 * The `strata` commands, built with `effect/cli`.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import { hostname } from "node:os"
import * as path from "node:path"
import * as readline from "node:readline/promises"
import type { Instance as InstanceModule } from "@strata/core"
import { AssetState, DynamicPartitionStore, ExecutionPlan, Instance, Materialize, Observe, RunCoordinator, RunQueue, Selection, ShapeDiff, Staleness, StrataConfig } from "@strata/core"
import { Runtime } from "@strata/runtime"
import { Effect, Logger, Option } from "effect"
import type { Layer } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import * as Checks from "./Checks.ts"
import { fileFlag, jsonFlag, selectFlag } from "./CommonFlags.ts"
import { automationCommands, startDaemon } from "./AutomationCommands.ts"
import { partitionsCommand } from "./PartitionsCommand.ts"
import { backfillCommands } from "./Backfill.ts"
import type { CliFailure } from "./CliError.ts"
import { defaultInstanceLayer } from "./DefaultInstance.ts"
import { init } from "./init/Command.ts"
import { coreFailure, internal, runtime, usage } from "./CliError.ts"
import type { Terminal } from "./Output.ts"
import * as Output from "./Output.ts"
import * as PartitionFlags from "./PartitionFlags.ts"
import * as PartitionStatus from "./PartitionStatus.ts"
import type { Environment } from "./OpenProject.ts"
import * as OpenProject from "./OpenProject.ts"
import * as Progress from "./Progress.ts"
import type { LoadedConfig } from "./ProjectLoader.ts"
import * as ProjectLoader from "./ProjectLoader.ts"
import { worker } from "./WorkerCommand.ts"


const provided = <A, E>(
  environment: Environment,
  effect: Effect.Effect<A, E, unknown>
): Effect.Effect<A, CliFailure> =>
  (Effect.provide(effect, environment.env.context) as Effect.Effect<A, E>).pipe(Effect.mapError(coreFailure))

/** The process's terminal; with `--json`, stdout is kept for the JSON document (console output goes to stderr). */
const term = (json = false): Terminal => {
  if (json) Output.reserveStdoutForJson()
  return Output.processTerminal()
}

// ---------------------------------------------------------------------------------------------- materialize

const materialize = Command.make(
  "materialize",
  {
    file: fileFlag,
    select: selectFlag,
    staleOnly: Flag.Boolean("stale-only").pipe(
      Flag.withDescription("Only materialize assets that are stale or missing; skip the others, saying why"),
      Flag.withDefault(false)
    ),
    concurrency: Flag.Int("concurrency").pipe(
      Flag.withAlias("c"),
      Flag.withDescription("Steps running at once (default 4)"),
      Flag.withDefault(4)
    ),
    partition: PartitionFlags.partitionFlag,
    partitions: PartitionFlags.partitionsFlag,
    queue: Flag.Boolean("queue").pipe(
      Flag.withDescription("Record the run as queued and return: the daemon (strata daemon, strata dev) starts it when the run queue's limits allow"),
      Flag.withDefault(false)
    ),
    priority: Flag.Int("priority").pipe(Flag.withDescription("With --queue: the run's priority (higher starts first; default 0)"), Flag.optional),
    tag: Flag.String("tag").pipe(Flag.withDescription("A run tag key=value (repeatable); the run queue's tag limits read them"), Flag.atLeast(0)),
    json: jsonFlag
  },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      const out = term(input.json)
      if (input.concurrency < 1) return yield* usage(`--concurrency must be at least 1 (got ${input.concurrency})`)
      const tags: Record<string, string> = {}
      for (const tag of input.tag) {
        const at = tag.indexOf("=")
        if (at <= 0) return yield* usage(`--tag ${JSON.stringify(tag)} must be key=value`)
        tags[tag.slice(0, at)] = tag.slice(at + 1)
      }
      const priority = Option.getOrUndefined(input.priority)
      if (priority !== undefined && !input.queue) return yield* usage("--priority needs --queue")
      const partition = yield* PartitionFlags.selection(input.partition, input.partitions)
      const environment = yield* OpenProject.open(input.file)
      const project = environment.loaded.project
      const selection = Option.getOrUndefined(input.select)
      // planned once: the plan counted here is the plan the run executes
      const dynamicKeys = yield* provided(
        environment,
        Effect.flatMap(Effect.service(Instance.Instance), (instance) => DynamicPartitionStore.keysFor(project, instance))
      )
      const planned = yield* ExecutionPlan.make(project, { selection, staleOnly: input.staleOnly, partition, dynamicKeys }).pipe(
        Effect.mapError(coreFailure)
      )
      // --stale-only: a partitioned asset's step keeps only its stale and missing partitions
      const plan = yield* provided(environment, ExecutionPlan.narrowToStale(project, planned))
      if (plan.steps.length === 0) return yield* usage(`--select ${JSON.stringify(selection)} selects no asset`)
      if (input.queue) return yield* queueRun(out, environment, plan, { json: input.json, tags, priority })
      if (!input.json) {
        Output.line(
          out,
          `Materializing ${plan.steps.length} step${plan.steps.length === 1 ? "" : "s"}${input.staleOnly ? " (stale only)" : ""}` +
            ` · environment ${environment.env.name} · instance ${environment.env.instance}`
        )
      }
      return yield* executePlan(out, environment, plan, { json: input.json, concurrency: input.concurrency, tags })
    }))
).pipe(
  Command.withDescription("Materialize assets (all of them by default) and record the run"),
  Command.withExamples([
    { command: "strata materialize", description: "Materialize every asset" },
    { command: "strata materialize --stale-only", description: "Only what is stale or missing" },
    {
      command: "strata materialize --select daily_active_users --stale-only",
      description: "Only the stale and missing partitions of a partitioned asset"
    },
    { command: "strata materialize --select gold --queue --priority 5 --tag database=snowflake", description: "Queue a run for the daemon" },
    { command: "strata materialize --select '+gold_user_metrics'", description: "An asset and its direct upstreams" },
    { command: "strata materialize --select 'group:silver' --json", description: "A group, printing the result as JSON" },
    { command: "strata materialize --select daily_active_users --partition 2024-01-01", description: "One partition" },
    {
      command: "strata materialize --select daily_active_users --partitions 2024-01-01...2024-01-31",
      description: "A range of partitions, in one run (one step per asset)"
    }
  ])
)

/** Records a plan as a queued run (`RunQueue.enqueue`) and prints its id: the daemon starts it. */
const queueRun = (
  out: Terminal,
  environment: Environment,
  plan: ExecutionPlan.ExecutionPlan,
  options: { readonly json: boolean; readonly tags: Readonly<Record<string, string>>; readonly priority: number | undefined }
): Effect.Effect<void, CliFailure> =>
  Effect.gen(function*() {
    const run = yield* provided(
      environment,
      Effect.gen(function*() {
        const instance = yield* Instance.Instance
        return yield* RunQueue.enqueue(instance, plan, { runId: randomUUID(), origin: "cli", tags: options.tags, priority: options.priority, at: Date.now() })
      })
    )
    if (options.json) Output.json(out, run)
    else Output.line(out, `Queued run ${run.runId} (${plan.steps.length} step${plan.steps.length === 1 ? "" : "s"}); the daemon starts it when the run queue allows`)
  })

/**
 * Runs a plan the way `materialize` does (live progress or JSON, the summary) and fails with exit code 1 when
 * the run did not succeed. Shared by `materialize` and `runs reexecute`.
 */
const executePlan = (
  out: Terminal,
  environment: Environment,
  plan: ExecutionPlan.ExecutionPlan,
  options: { readonly json: boolean; readonly concurrency: number; readonly tags?: Readonly<Record<string, string>> | undefined }
): Effect.Effect<void, CliFailure> =>
  Effect.gen(function*() {
    const progress = options.json ? undefined : Progress.make(out, plan.steps.length)
    const result = yield* provided(
      environment,
      RunCoordinator.execute(environment.loaded.project, plan, {
        concurrency: options.concurrency,
        onEvent: progress?.onEvent,
        tags: options.tags
      })
    ).pipe(
      // asset logs are recorded in the run and shown by the progress display, not by the default console logger
      Effect.provideService(Logger.CurrentLoggers, new Set()),
      Effect.ensuring(Effect.sync(() => progress?.stop()))
    )
    if (options.json) {
      Output.json(out, result)
    } else {
      printSummary(out, result)
    }
    if (result.status !== "succeeded") {
      return yield* runtime(`run ${result.runId} ${result.status}`, true)
    }
  })

const printSummary = (out: Terminal, result: Materialize.RunResult) => {
  const status = result.status === "succeeded" ? Output.green(out, "succeeded") : Output.red(out, result.status)
  Output.line(out)
  Output.line(out, `Run ${result.runId} ${status} in ${Output.duration(result.durationMs)}`)
  if (result.status === "canceled" && result.reason !== undefined) Output.line(out, `  ${result.reason}`)
  Output.line(
    out,
    `  ${result.materialized.length} materialized, ${result.observed.length} observed, ` +
      `${result.skipped.length} skipped, ${result.failed.length} failed`
  )
  if (result.materialized.length > 0) Output.line(out, `  materialized: ${result.materialized.join(", ")}`)
  for (const skipped of result.skipped) Output.line(out, `  skipped ${skipped.key}: ${skipped.reason}`)
  Checks.printRunChecks(out, result.checks)
  for (const failed of result.failed) {
    Output.line(out, `  ${Output.red(out, "failed")} ${failed.key}: ${failed.error.tag}: ${failed.error.message}`)
  }
  if (result.failed.length > 0 || result.checks.some((c) => !c.passed && c.severity === "error")) {
    Output.line(out, `  details: strata runs show ${result.runId}`)
  }
}

// ---------------------------------------------------------------------------------------------- status

const status = Command.make(
  "status",
  { file: fileFlag, select: selectFlag, json: jsonFlag },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      const out = term(input.json)
      const environment = yield* OpenProject.open(input.file)
      const project = environment.loaded.project
      const selection = Option.getOrUndefined(input.select)
      // a bad selection is reported before anything is observed or recorded
      if (selection !== undefined) yield* Selection.resolve(project, selection).pipe(Effect.mapError(coreFailure))
      // a source that cannot be observed (a deleted file) is recorded as failed, as `strata dev` does, and shown so
      const observed = yield* provided(environment, Observe.sources(project, { recordFailures: true }))
      const states = yield* provided(environment, AssetState.read(project, { selection }))
      for (const failure of observed.failed) {
        Output.warn(out, `${Output.yellow(out, "warning")}: cannot observe ${failure.key}: ${AssetState.firstLine(failure.error.message)}`)
      }
      const partitions = yield* provided(environment, PartitionStatus.read(project, states.map((s) => s.key), selection))
      const extras = yield* provided(environment, Checks.statusExtras(project, selection))
      if (input.json) {
        Output.json(out, {
          environment: environment.env.name,
          observed: { changed: observed.changed, failed: observed.failed, runId: observed.runId },
          assets: states.map((s) => ({ ...s, reasonText: s.reasons.map(Staleness.describe) })),
          partitions,
          failingChecks: extras.failing,
          freshness: extras.freshness
        })
        return
      }
      for (const change of observed.changed) {
        Output.line(
          out,
          `observed ${change.key}: ${change.previous === undefined ? "first observation" : "new data"} (${change.dataVersion})`
        )
      }
      printStates(out, states)
      PartitionStatus.print(out, partitions)
      Checks.printStatusExtras(out, extras)
    }))
).pipe(
  Command.withDescription(
    "Show each asset as fresh, stale, missing, failed or running, with the reasons (observes source assets first)"
  ),
  Command.withExamples([
    { command: "strata status", description: "Every asset" },
    { command: "strata status --select 'gold_user_metrics*' --json", description: "An asset and its downstreams, as JSON" }
  ])
)

const printStates = (out: Terminal, states: ReadonlyArray<AssetState.AssetState>) => {
  const paint = (s: AssetState.State) =>
    s === "fresh"
      ? Output.green(out, s)
      : s === "stale" || s === "running"
      ? Output.yellow(out, s)
      : Output.red(out, s === "check-failed" ? "check failed" : s)
  const rows = states.map((s) => [paint(s.status), s.key, s.kind, AssetState.describe(s)])
  for (const row of Output.table([["STATUS", "ASSET", "KIND", "REASONS"], ...rows])) Output.line(out, row)
  const count = (s: AssetState.State) => states.filter((x) => x.status === s).length
  Output.line(out)
  const checkFailed = count("check-failed")
  Output.line(
    out,
    `${count("fresh")} fresh, ${count("stale")} stale, ${count("missing")} missing, ${count("failed")} failed, ` +
      `${count("running")} running${checkFailed > 0 ? `, ${checkFailed} check failed` : ""}`
  )
  if (count("stale") + count("missing") + count("failed") > 0) {
    Output.line(out, "Run `strata materialize --stale-only` to bring them up to date.")
  }
  const failed = states.find((s) => s.failure !== undefined)
  if (failed?.failure !== undefined) Output.line(out, `Details of a failure: strata runs show ${failed.failure.runId}`)
  const rejected = states.find((s) => s.status === "check-failed")?.failedChecks?.[0]
  if (rejected !== undefined) Output.line(out, `A blocking check failed: strata runs show ${rejected.runId} shows the shape before it`)
}

// ---------------------------------------------------------------------------------------------- list

const list = Command.make(
  "list",
  { file: fileFlag, json: jsonFlag },
  (input) =>
    Effect.gen(function*() {
      const out = term(input.json)
      const loaded = yield* ProjectLoader.load({ file: Option.getOrUndefined(input.file) })
      const specs = loaded.project.specs()
      const rows = specs.map((spec) => ({
        key: spec.key,
        kind: spec.kind,
        group: spec.group,
        kinds: spec.kinds,
        deps: [...spec.deps, ...spec.after],
        io: spec.io === "" ? undefined : spec.io,
        description: spec.description,
        location: spec.location === undefined
          ? undefined
          : `${path.relative(loaded.root, spec.location.file) || spec.location.file}:${spec.location.line}:${spec.location.column}`
      }))
      if (input.json) {
        Output.json(out, rows)
        return
      }
      const table = Output.table([
        ["ASSET", "KIND", "GROUP", "KINDS", "DEPS", "I/O MANAGER", "DEFINED AT"],
        ...rows.map((r) => [
          r.key,
          r.kind,
          r.group,
          r.kinds.join(",") || "-",
          r.deps.join(",") || "-",
          r.io ?? "-",
          r.location ?? "-"
        ])
      ])
      for (const row of table) Output.line(out, row)
      Output.line(out)
      Output.line(out, `${rows.length} asset${rows.length === 1 ? "" : "s"} in ${path.relative(process.cwd(), loaded.file) || loaded.file}`)
    })
).pipe(
  Command.withDescription("List the project's assets with their kind, group, kinds, dependencies and I/O manager"),
  Command.withExamples([{ command: "strata list --json", description: "As JSON" }])
)

// ---------------------------------------------------------------------------------------------- runs

const runStatuses = ["queued", "started", "succeeded", "failed", "canceled"] as const

/** A run by id, or by a unique prefix of at least 4 characters as printed by `strata runs`. */
const findRun = (instance: InstanceModule.InstanceShape, idOrPrefix: string) =>
  Effect.gen(function*() {
    const run = yield* instance.getRun(idOrPrefix)
    if (run !== undefined || idOrPrefix.length < 4) return run
    // scanned in pages so a long history is not loaded at once
    const matches: Array<InstanceModule.RunRecord> = []
    let before: string | undefined
    for (;;) {
      const page = yield* instance.listRuns({ limit: 500, before })
      for (const candidate of page) if (candidate.runId.startsWith(idOrPrefix)) matches.push(candidate)
      if (page.length < 500 || matches.length > 1) break
      before = page.at(-1)!.runId
    }
    return matches.length === 1 ? matches[0] : undefined
  })

const isTerminal = (status: InstanceModule.RunStatus): boolean =>
  status === "succeeded" || status === "failed" || status === "canceled"

const runsCancel = Command.make(
  "cancel",
  {
    file: fileFlag,
    json: jsonFlag,
    runId: Argument.String("run-id").pipe(Argument.withDescription("The run's id or a unique prefix (see strata runs)")),
    wait: Flag.Boolean("no-wait").pipe(
      Flag.withDescription("Return once the request is recorded, without waiting for the run to end"),
      Flag.withDefault(false),
      Flag.map((noWait) => !noWait)
    ),
    timeout: Flag.Int("timeout").pipe(
      Flag.withDescription("Seconds to wait for the run to end (default 30)"),
      Flag.withDefault(30)
    )
  },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      const out = term(input.json)
      if (input.timeout < 1) return yield* usage(`--timeout must be at least 1 second (got ${input.timeout})`)
      const environment = yield* OpenProject.open(input.file)
      const reason = `canceled from the CLI (pid ${process.pid} on ${hostname()})`
      const outcome = yield* provided(
        environment,
        Effect.gen(function*() {
          const instance = yield* Instance.Instance
          const found = yield* findRun(instance, input.runId)
          if (found === undefined) return { _tag: "not-found" as const }
          // canceling twice is not an error: the run is in the state asked for
          if (found.status === "canceled") return { _tag: "done" as const, run: found, waited: false, timedOut: false }
          const requested = yield* instance.requestCancel(found.runId, { at: Date.now(), reason }).pipe(
            Effect.map((run) => ({ _tag: "requested" as const, run })),
            Effect.catchTag("@strata/core/CancelRequestError", (error) => Effect.succeed({ _tag: "refused" as const, error }))
          )
          if (requested._tag === "refused" || !input.wait) return requested
          const deadline = Date.now() + input.timeout * 1000
          let run = requested.run
          while (!isTerminal(run.status) && Date.now() < deadline) {
            yield* Effect.sleep(200)
            run = (yield* instance.getRun(run.runId)) ?? run
          }
          return { _tag: "done" as const, run, waited: true, timedOut: !isTerminal(run.status) }
        })
      )
      if (outcome._tag === "not-found") {
        return yield* usage(`run ${input.runId} does not exist (or the prefix is ambiguous); list runs with 'strata runs'`)
      }
      if (outcome._tag === "refused") return yield* usage(outcome.error.message)
      const run = outcome.run
      const timedOut = outcome._tag === "done" && outcome.timedOut
      if (input.json) {
        Output.json(out, { run, waited: outcome._tag === "done" && outcome.waited, timedOut })
      } else if (outcome._tag === "requested") {
        Output.line(out, `Cancel of run ${run.runId} requested; the process running it${executor(run)} cancels it within a second.`)
        Output.line(out, `  follow it: strata runs show ${run.runId}`)
      } else if (run.status === "canceled") {
        Output.line(out, `Run ${run.runId} ${Output.red(out, "canceled")}${run.reason === undefined ? "" : ` (${run.reason})`}`)
      } else if (!timedOut) {
        Output.line(out, `Run ${run.runId} ${run.status} before it could be canceled`)
      }
      if (timedOut) {
        return yield* runtime(
          `run ${run.runId} is still ${run.status} ${input.timeout} s after the cancel request: the process running it${
            executor(run)
          } has not acted on it. It may be blocked in a synchronous step, or gone (then it is failed by orphan reaping ` +
            `when the instance is next opened); the request stays recorded. Wait longer with --timeout.`
        )
      }
      if (outcome._tag === "done" && run.status !== "canceled") {
        return yield* runtime(`run ${run.runId} ${run.status} before it could be canceled`, !input.json)
      }
    }))
).pipe(
  Command.withDescription(
    "Cancel a queued or running run, wherever it runs: records a cancel request in the instance, which the process " +
      "executing the run acts on within a second; waits until the run has ended"
  ),
  Command.withExamples([
    { command: "strata runs cancel 3f2a", description: "Cancel a run (by id or unique prefix) and wait until it is canceled" },
    { command: "strata runs cancel 3f2a --no-wait --json", description: "Only record the request; print the run as JSON" }
  ])
)

const executor = (run: InstanceModule.RunRecord): string =>
  run.pid === undefined ? "" : ` (pid ${run.pid}${run.host === undefined ? "" : ` on ${run.host}`})`

const runsShow = Command.make(
  "show",
  { file: fileFlag, json: jsonFlag, runId: Argument.String("run-id").pipe(Argument.withDescription("The run's id (see strata runs)")) },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      const out = term(input.json)
      const environment = yield* OpenProject.open(input.file)
      const { events, run, shapes } = yield* provided(
        environment,
        Effect.gen(function*() {
          const instance = yield* Instance.Instance
          const run = yield* findRun(instance, input.runId)
          if (run === undefined) return { run: undefined, events: [], shapes: [] }
          return { run, events: yield* instance.runEvents(run.runId), shapes: yield* ShapeDiff.forRun(run.runId) }
        })
      )
      if (run === undefined) {
        return yield* usage(`run ${input.runId} does not exist (or the prefix is ambiguous); list runs with 'strata runs'`)
      }
      const materializations = events.filter((e) => e.type === "asset-materialized")
      const logs = events.filter((e) => e.type === "log")
      if (input.json) {
        Output.json(out, { run, events, materializations, logs, shapes })
        return
      }
      printRun(out, run)
      Output.line(out)
      Output.line(out, Output.bold(out, "Events"))
      for (const event of events) {
        if (event.type === "log") continue
        Output.line(out, `  ${Output.timestamp(event.timestamp)}  ${event.type.padEnd(18)} ${describeEvent(event)}`)
      }
      if (materializations.length > 0) {
        Output.line(out)
        Output.line(out, Output.bold(out, "Materializations"))
        for (const m of materializations) {
          if (m.type !== "asset-materialized") continue
          Output.line(out, `  ${m.assetKey}  data ${m.dataVersion}  code ${m.codeVersion}`)
          for (const [name, value] of Object.entries(m.metadata)) Output.line(out, `    ${name}: ${JSON.stringify(value)}`)
        }
      }
      Checks.printShapes(out, shapes)
      if (logs.length > 0) {
        Output.line(out)
        Output.line(out, Output.bold(out, "Logs"))
        for (const log of logs) {
          if (log.type !== "log") continue
          Output.line(out, `  ${Output.timestamp(log.timestamp)}  ${log.level.padEnd(5)} ${log.assetKey ?? "-"}  ${log.message}`)
        }
      }
    }))
).pipe(
  Command.withDescription("Show one run: its events, logs and the metadata of its materializations"),
  Command.withExamples([{ command: "strata runs show 3f2a", description: "A run, by id or unique id prefix" }])
)

const runsReexecute = Command.make(
  "reexecute",
  {
    file: fileFlag,
    json: jsonFlag,
    runId: Argument.String("run-id").pipe(Argument.withDescription("The run's id or a unique prefix (see strata runs)")),
    fromFailure: Flag.Boolean("from-failure").pipe(
      Flag.withDescription("Only the steps that did not succeed (failed, skipped, never started); default: every step of the run"),
      Flag.withDefault(false)
    ),
    concurrency: Flag.Int("concurrency").pipe(
      Flag.withAlias("c"),
      Flag.withDescription("Steps running at once (default 4)"),
      Flag.withDefault(4)
    )
  },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      const out = term(input.json)
      if (input.concurrency < 1) return yield* usage(`--concurrency must be at least 1 (got ${input.concurrency})`)
      const environment = yield* OpenProject.open(input.file)
      const project = environment.loaded.project
      const from = input.fromFailure ? "failure" : "all"
      // core's one re-execution rule (ExecutionPlan.fromRun), as the catalog uses it
      const { parent, plan } = yield* provided(
        environment,
        Effect.gen(function*() {
          const instance = yield* Instance.Instance
          const parent = (yield* findRun(instance, input.runId))
          const plan = yield* Materialize.plan(project, { reexecute: { runId: parent?.runId ?? input.runId, from } })
          return { parent: parent!, plan }
        })
      )
      if (!input.json) {
        Output.line(
          out,
          `Re-executing ${plan.steps.length} step${plan.steps.length === 1 ? "" : "s"} of run ${parent.runId}` +
            `${input.fromFailure ? " (from failure)" : ""} · environment ${environment.env.name} · instance ${environment.env.instance}`
        )
      }
      return yield* executePlan(out, environment, plan, { json: input.json, concurrency: input.concurrency, tags: parent.tags })
    }))
).pipe(
  Command.withDescription(
    "Re-execute a finished run (by id or unique prefix) as a new run: every step, or with --from-failure only those " +
      "that did not succeed; exit codes like materialize"
  ),
  Command.withExamples([
    { command: "strata runs reexecute 3f2a --from-failure", description: "Retry what failed or was skipped in run 3f2a" },
    { command: "strata runs reexecute 3f2a --json", description: "Every step of run 3f2a again, printing the result as JSON" }
  ])
)

/** A listed run's selection: at most 80 characters, then how long the whole is (`strata runs show` prints it). */
const shownSelection = (run: InstanceModule.RunSummary): string => {
  const characters = Array.from(run.selection)
  return characters.length <= 80 && run.selectionLength === characters.length
    ? run.selection
    : `${characters.slice(0, 80).join("")}… (${run.selectionLength} characters)`
}

const runs = Command.make(
  "runs",
  {
    file: fileFlag,
    json: jsonFlag,
    status: Flag.Literals("status", runStatuses).pipe(Flag.withDescription("Only runs with this status"), Flag.optional),
    limit: Flag.Int("limit").pipe(Flag.withAlias("n"), Flag.withDescription("At most this many runs (default 20)"), Flag.withDefault(20))
  },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      const out = term(input.json)
      if (input.limit < 1) return yield* usage(`--limit must be at least 1 (got ${input.limit})`)
      const environment = yield* OpenProject.open(input.file)
      const query = { status: Option.getOrUndefined(input.status), limit: input.limit }
      if (input.json) {
        // the whole records, keys included: what a script reads
        const list = yield* provided(environment, Effect.flatMap(Instance.Instance, (instance) => instance.listRuns(query)))
        Output.json(out, list)
        return
      }
      // the table shows a count and a selection: summaries, whose keys are neither read nor decoded
      const list = yield* provided(environment, Effect.flatMap(Instance.Instance, (instance) => instance.listRunSummaries(query)))
      if (list.length === 0) {
        Output.line(out, "No runs yet. Start one with `strata materialize`.")
        return
      }
      const rows = list.map((run) => [
        run.runId,
        run.status,
        Output.timestamp(run.createdAt),
        run.endedAt !== undefined && run.startedAt !== undefined ? Output.duration(run.endedAt - run.startedAt) : "-",
        run.tags["strata/kind"] ?? (run.staleOnly ? "materialize (stale only)" : "materialize"),
        `${run.assetCount}`,
        shownSelection(run)
      ])
      for (const row of Output.table([["RUN", "STATUS", "CREATED", "DURATION", "KIND", "STEPS", "SELECTION"], ...rows])) {
        Output.line(out, row)
      }
    }))
).pipe(
  Command.withDescription("List recent runs, newest first"),
  Command.withExamples([
    { command: "strata runs", description: "The 20 newest runs" },
    { command: "strata runs --status failed --limit 5", description: "The 5 newest failed runs" },
    { command: "strata runs show <run-id>", description: "One run's events, logs and metadata" },
    { command: "strata runs cancel <run-id>", description: "Cancel a run, wherever it runs" },
    { command: "strata runs reexecute <run-id> --from-failure", description: "Re-execute what a run did not finish" }
  ]),
  Command.withSubcommands([runsShow, runsCancel, runsReexecute])
)

const printRun = (out: Terminal, run: InstanceModule.RunRecord) => {
  Output.line(out, `Run ${run.runId}`)
  Output.line(out, `  status     ${run.status}${run.reason === undefined ? "" : ` (${run.reason})`}`)
  Output.line(out, `  selection  ${run.selection}${run.staleOnly ? " (stale only)" : ""}`)
  Output.line(out, `  created    ${Output.timestamp(run.createdAt)}`)
  if (run.startedAt !== undefined && run.endedAt !== undefined) {
    Output.line(out, `  duration   ${Output.duration(run.endedAt - run.startedAt)}`)
  }
  const tags = Object.entries(run.tags)
  if (tags.length > 0) Output.line(out, `  tags       ${tags.map(([k, v]) => `${k}=${v}`).join(", ")}`)
  if (run.parentRunId !== undefined) Output.line(out, `  parent     ${run.parentRunId}`)
}

const describeEvent = (event: import("@strata/core").Event.StoredEvent): string => {
  switch (event.type) {
    case "step-started":
      return `${event.assetKey}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ""}` +
        (event.worker === undefined ? "" : ` on worker ${event.worker.id} (pid ${event.worker.pid} on ${event.worker.host})`)
    case "step-succeeded":
      return `${event.assetKey} ${Output.duration(event.durationMs)}`
    case "step-failed":
      return `${event.assetKey}: ${event.error.tag}: ${event.error.message}${event.willRetry ? " (will retry)" : ""}`
    case "step-skipped":
      return `${event.assetKey}: ${event.reason}`
    case "asset-materialized":
      return `${event.assetKey} data ${event.dataVersion}`
    case "asset-observed":
      return `${event.assetKey} data ${event.dataVersion}`
    case "check-evaluated":
      return `${event.assetKey}:${event.check} ${event.passed ? "passed" : `${event.severity === "error" ? "failed" : "warned"}: ${event.message ?? ""}`}`
    case "run-failed":
    case "run-canceled":
      return event.reason
    default:
      return ""
  }
}

// ---------------------------------------------------------------------------------------------- wipe

const wipe = Command.make(
  "wipe",
  {
    file: fileFlag,
    yes: Flag.Boolean("yes").pipe(Flag.withAlias("y"), Flag.withDescription("Do not ask for confirmation"), Flag.withDefault(false))
  },
  (input) =>
    Effect.gen(function*() {
      const out = term()
      // the config is not loaded: wiping must work even when the project is broken
      const file = path.resolve(Option.getOrElse(input.file, () => ProjectLoader.defaultConfigFile))
      if (!fs.existsSync(file)) {
        return yield* usage(`no ${path.basename(file)} in ${path.dirname(file)}; run strata wipe in your project's folder or pass -f FILE`)
      }
      const target = path.join(path.dirname(file), ".strata")
      if (!fs.existsSync(target)) {
        Output.line(out, `Nothing to wipe: ${target} does not exist.`)
        return
      }
      if (!input.yes) {
        if (process.stdin.isTTY !== true || process.stdout.isTTY !== true) {
          return yield* usage(`refusing to delete ${target} without confirmation; pass --yes`)
        }
        const answer = yield* Effect.promise(async () => {
          const rl = readline.createInterface({ input: process.stdin, output: process.stdout })
          try {
            return await rl.question(`Delete ${target} (the local instance: all runs and history, and local storage)? [y/N] `)
          } finally {
            rl.close()
          }
        })
        if (!/^y(es)?$/i.test(answer.trim())) {
          Output.line(out, "Not wiped.")
          return
        }
      }
      yield* Effect.try({
        try: () => fs.rmSync(target, { recursive: true, force: true }),
        catch: (error) => runtime(`cannot delete ${target}: ${(error as Error).message}`)
      })
      Output.line(out, `Wiped ${target}.`)
    })
).pipe(
  Command.withDescription("Delete the local instance and local storage (.strata/ next to the config)"),
  Command.withExamples([{ command: "strata wipe --yes", description: "Without asking" }])
)

// ---------------------------------------------------------------------------------------------- dev

const dev = Command.make(
  "dev",
  {
    file: fileFlag,
    port: Flag.Int("port").pipe(Flag.withAlias("p"), Flag.withDescription("The port to listen on (0: any free port)"), Flag.withDefault(3000)),
    host: Flag.String("host").pipe(Flag.withDescription("The address to listen on"), Flag.withDefault("127.0.0.1")),
    allowedHosts: Flag.String("allowed-host").pipe(
      Flag.withDescription(
        "Also answer requests made to this host name, on any port (the public name behind a reverse proxy); " +
          "repeatable. Requests naming another host get a 421 (protection against DNS rebinding)"
      ),
      Flag.atLeast(0)
    ),
    watchSources: Flag.Boolean("no-watch").pipe(
      Flag.withDescription("Do not observe file sources when their files change (observe them from the UI or `strata status`)"),
      Flag.withDefault(false),
      Flag.map((noWatch) => !noWatch)
    ),
    daemon: Flag.Boolean("no-daemon").pipe(
      Flag.withDescription("Do not run the automation daemon in this process (conditions, schedules, sensors)"),
      Flag.withDefault(false),
      Flag.map((noDaemon) => !noDaemon)
    )
  },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      const out = term()
      if (input.port < 0 || input.port > 65535) return yield* usage(`--port must be between 0 and 65535 (got ${input.port})`)
      const file = path.resolve(Option.getOrElse(input.file, () => ProjectLoader.defaultConfigFile))
      // the first load is checked here, so a broken project exits 2 with the usual message before serving
      let first: LoadedConfig | undefined = yield* ProjectLoader.load({ file, fresh: true })
      process.chdir(first.root)
      const root = first.root
      // the name the loads below resolve STRATA_ENV to (the config's default when it is unset)
      const initial = StrataConfig.environment(first.config, process.env.STRATA_ENV)
      const environmentName = "_tag" in initial ? process.env.STRATA_ENV ?? "default" : initial.name
      const defaultEnvironment = first.config.defaultEnvironment
      const load = Effect.gen(function*() {
        const loaded = first ?? (yield* ProjectLoader.load({ file, fresh: true }))
        first = undefined
        const chosen = StrataConfig.environment(loaded.config, process.env.STRATA_ENV)
        if ("_tag" in chosen) return yield* usage(chosen.message)
        const layer = chosen.make({ name: chosen.name, root: loaded.root })
        return { project: loaded.project, layer: layer as Layer.Layer<never, unknown> }
      })
      // strata dev = the headless runtime (project, reloads, runs, source watching) served by the catalog
      const runtime = yield* Runtime.make({
        load: () => load,
        watchSources: input.watchSources,
        // the instance of the environment served, as for the other commands (see DefaultInstance)
        instance: defaultInstanceLayer(root, { name: environmentName, defaultEnvironment }),
        name: "the catalog"
      }).pipe(Effect.mapError((error) => usage(error.message)))
      // loaded on demand: the catalog's HTTP server and UI are only needed by `strata dev`
      const { serveCatalog } = yield* Effect.promise(() => import("@strata/catalog"))
      const server = yield* serveCatalog({
        runtime,
        load: () => load,
        port: input.port,
        host: input.host,
        allowedHosts: input.allowedHosts,
        watch: ProjectLoader.loadedProjectFiles()
      }).pipe(Effect.mapError((error) => {
        const message = (error as { message?: unknown }).message
        const text = typeof message === "string" && message !== "" ? message : String(error)
        return (error as { _tag?: unknown })._tag === "@strata/protocol/ProjectLoadError"
          ? usage(text)
          : usage(`cannot serve on ${input.host}:${input.port}: ${text}; pick another --port`)
      }))
      const daemon = input.daemon ? yield* startDaemon(runtime) : undefined
      Output.line(out, `Strata catalog on ${server.url} · environment ${environmentName}`)
      if (daemon !== undefined) Output.line(out, `Automation daemon ${daemon.holder} (--no-daemon to turn off).`)
      Output.line(out, `Watching ${ProjectLoader.loadedProjectFiles().map((f) => path.relative(root, f)).join(", ")}; Ctrl-C to stop.`)
      Output.line(
        out,
        input.watchSources
          ? "File sources are observed when their files change (--no-watch to turn off)."
          : "File sources are not watched (--no-watch): observe them from the UI or with strata status."
      )
      return yield* Effect.never
    }))
).pipe(
  Command.withDescription(
    "Serve the catalog (HTTP API and web UI) for the project, reloading it when its files change " +
      "and observing file sources when theirs do"
  ),
  Command.withExamples([
    { command: "strata dev", description: "On http://127.0.0.1:3000" },
    { command: "strata dev --port 8080 --host 0.0.0.0", description: "On all interfaces, port 8080" },
    { command: "strata dev --no-watch", description: "Without observing file sources when their files change" }
  ])
)

// ---------------------------------------------------------------------------------------------- checks

const checks = Checks.makeChecksCommand<Environment>({
  openProject: OpenProject.open,
  projectOf: (environment) => environment.loaded.project as never,
  provided,
  coreFailure,
  term
})

// ---------------------------------------------------------------------------------------------- root

/**
 * The `strata` command tree.
 *
 * @since 0.1.0
 */
export const strata = Command.make("strata").pipe(
  Command.withDescription(
    "Strata: a data-aware orchestrator. Loads the project from strata.config.ts; " +
      "STRATA_ENV picks the environment (default: the config's defaultEnvironment, usually local). " +
      "Exit codes: 0 success, 1 a run failed, 2 bad usage or a broken project."
  ),
  Command.withExamples([
    { command: "strata materialize", description: "Materialize everything" },
    { command: "strata status", description: "What is fresh, stale or missing, and why" },
    { command: "strata dev", description: "The catalog UI on http://127.0.0.1:3000" },
    { command: "strata init my-project", description: "A new project in ./my-project" },
    { command: "STRATA_ENV=prod strata materialize --stale-only", description: "In another environment" }
  ]),
  Command.withSubcommands([materialize, status, list, runs, checks, dev, worker, wipe, init, ...automationCommands, ...backfillCommands, partitionsCommand])
)
