/**
 * The backfill commands: `strata backfill` (start or resume one),
 * `strata backfills` (list them with progress) and `strata backfills cancel`.
 * Progress goes to stderr; `--json` prints one JSON document on stdout.
 *
 * @since 0.1.0
 */
import type { BackfillStore } from "@strata/core"
import { Backfill, Partitions } from "@strata/core"
import { Effect, Logger, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { CliFailure, coreFailure as failure, runtime, usage } from "./CliError.ts"
import { fileFlag, jsonFlag } from "./CommonFlags.ts"
import type { Terminal } from "./Output.ts"
import * as BackfillDryRun from "./BackfillDryRun.ts"
import * as BackfillStale from "./BackfillStale.ts"
import type { Opened } from "./OpenProject.ts"
import * as OpenProject from "./OpenProject.ts"
import * as Output from "./Output.ts"

const counts = (progress: Backfill.Progress | BackfillStale.Counts) =>
  `${progress.materialized}/${progress.total} materialized` +
  ("stale" in progress && progress.stale > 0 ? `, ${progress.stale} stale` : "") +
  (progress.failed > 0 ? `, ${progress.failed} failed` : "") +
  ("inProgress" in progress && progress.inProgress > 0 ? `, ${progress.inProgress} in progress` : "")

const report = (out: Terminal, rebuild: boolean) => (event: Backfill.Report): void => {
  switch (event._tag) {
    case "planned": {
      const progress = Backfill.progressOf(event.plan)
      Output.warn(out, `${event.plan.runs.length} run(s) for ${progress.missing} ${rebuild ? "partition(s) to rebuild" : "missing partition(s)"} of ${progress.total} (${counts(progress)})`)
      return
    }
    case "run-started":
      Output.warn(out, `[${event.index + 1}/${event.of}] run ${event.runId} · ${event.selection}`)
      return
    case "run-ended": {
      const status = event.result.status === "succeeded" ? Output.green(out, "succeeded") : Output.red(out, event.result.status)
      Output.warn(out, `      ${status} in ${Output.duration(event.result.durationMs)} · ${counts(event.progress)}`)
    }
  }
}

interface BackfillInput {
  readonly asset: Option.Option<string>
  readonly select: Option.Option<string>
  readonly partitions: Option.Option<string>
  readonly policy: string
  readonly resume: Option.Option<string>
  readonly stale: boolean
  readonly rebuild: boolean
  readonly dryRun: boolean
  readonly json: boolean
}

/** The flags' combination checked: what to backfill, or a usage error. */
const request = (input: BackfillInput) => {
  if (Option.isSome(input.asset) && Option.isSome(input.select)) return usage("give the asset or --select, not both")
  const select = Option.getOrUndefined(Option.orElse(input.asset, () => input.select))
  const partitions = Option.getOrUndefined(input.partitions)
  const resume = Option.getOrUndefined(input.resume)
  if (resume !== undefined) {
    if (select !== undefined || partitions !== undefined) {
      return usage("--resume takes the selection and partitions of the recorded backfill; give no --select or --partitions")
    }
    if (input.stale || input.rebuild) return usage("--resume takes the recorded backfill as it is; give no --stale or --rebuild")
    return { _tag: "resume" as const, resume }
  }
  if (select === undefined) return usage(input.stale ? "--stale takes the asset: strata backfill ASSET --stale" : "give --select and --partitions (or --resume ID)")
  if (input.stale) return { _tag: "stale" as const, select, partitions }
  if (partitions === undefined) return usage("give --select and --partitions (or --resume ID)")
  return { _tag: "new" as const, select, partitions, rebuild: input.rebuild }
}

/**
 * The backfill to run: the recorded one (`--resume`) or a new one's request;
 * with `--stale`, a rebuild of exactly the asset's stale partitions among
 * those asked for, or nothing when none is stale. Nothing is recorded here.
 */
const targetFor = (out: Terminal, opened: Opened, input: BackfillInput, asked: Exclude<ReturnType<typeof request>, CliFailure>) =>
  Effect.gen(function*() {
    if (asked._tag === "resume") {
      const found = yield* opened.instance.backfills.get(asked.resume).pipe(Effect.mapError(failure))
      if (found === undefined) return yield* usage(`backfill ${asked.resume} does not exist; list them with 'strata backfills'`)
      return { _tag: "recorded" as const, record: found }
    }
    if (asked._tag === "new") {
      return { _tag: "new" as const, selection: asked.select, partitions: asked.partitions, policy: input.policy, rebuild: asked.rebuild }
    }
    const found = yield* BackfillStale.staleOf(opened, asked.select, asked.partitions)
    if (found.stale.length === 0) {
      Output.warn(out, `Asset ${asked.select} has no stale partition in ${found.asked}; nothing to backfill`)
      if (input.json) Output.json(out, { backfill: null, stale: 0, partitions: found.asked, runs: [] })
      return undefined
    }
    Output.warn(out, `${Partitions.Ranges.count(found.stale)} stale partition(s) of ${asked.select}: ${found.selection}`)
    return { _tag: "new" as const, selection: asked.select, partitions: found.selection, policy: input.policy, rebuild: true }
  })

/** The backfill record to run: the recorded one, or a new one recorded now. */
const recordOf = (opened: Opened, target: BackfillDryRun.Target) =>
  target._tag === "recorded"
    ? Effect.succeed(target.record)
    : (Effect.provide(
      Backfill.create(opened.project, { selection: target.selection, partitions: target.partitions, policy: target.policy, rebuild: target.rebuild, now: Date.now() }),
      opened.context
    ) as Effect.Effect<BackfillStore.BackfillRecord, Backfill.PlanError>).pipe(Effect.mapError(failure))

const backfill = Command.make(
  "backfill",
  {
    file: fileFlag,
    asset: Argument.String("asset").pipe(Argument.withDescription("The asset to backfill (the same as --select ASSET)"), Argument.optional),
    select: Flag.String("select").pipe(Flag.withAlias("s"), Flag.withDescription("The assets to backfill (selection syntax)"), Flag.optional),
    partitions: Flag.String("partitions").pipe(
      Flag.withDescription("The partitions: keys and inclusive ranges, A...B,C (with --stale: where to look, default all)"),
      Flag.optional
    ),
    policy: Flag.String("policy").pipe(
      Flag.withDescription("How partitions are cut into runs: per-partition, single-run (one step over the whole range) or max-per-run=N"),
      Flag.withDefault("per-partition")
    ),
    stale: Flag.Boolean("stale").pipe(
      Flag.withDescription("Rebuild exactly the stale partitions of one asset (among --partitions), as the catalog's \"Backfill stale\""),
      Flag.withDefault(false)
    ),
    rebuild: Flag.Boolean("rebuild").pipe(
      Flag.withDescription("Rebuild every given partition, materialized or not (each once)"),
      Flag.withDefault(false)
    ),
    resume: Flag.String("resume").pipe(Flag.withDescription("Resume a backfill by id: runs only the partitions not done yet"), Flag.optional),
    concurrency: Flag.Int("concurrency").pipe(Flag.withAlias("c"), Flag.withDescription("Steps running at once in each run (default 4)"), Flag.withDefault(4)),
    dryRun: Flag.Boolean("dry-run").pipe(
      Flag.withDescription("Print the runs it would launch (partitions per run) and the partitions' counts by state; record and launch nothing"),
      Flag.withDefault(false)
    ),
    json: jsonFlag
  },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      if (input.json) Output.reserveStdoutForJson()
      const out = Output.processTerminal()
      if (input.concurrency < 1) return yield* usage(`--concurrency must be at least 1 (got ${input.concurrency})`)
      const asked = request(input)
      if (asked instanceof CliFailure) return yield* asked
      const opened = yield* OpenProject.openInstance(input.file)
      const target = yield* targetFor(out, opened, input, asked)
      if (target === undefined) return
      if (input.dryRun) return BackfillDryRun.print(out, yield* BackfillDryRun.plan(opened, target, Date.now()), input.json, opened.describe)
      const record = yield* recordOf(opened, target)
      const provide = <A, E>(effect: Effect.Effect<A, E, unknown>) =>
        (Effect.provide(effect, opened.context) as Effect.Effect<A, E>).pipe(Effect.mapError(failure))
      const kind = record.rebuild === true ? " · rebuild" : ""
      Output.warn(out, `${asked._tag === "resume" ? "Resuming backfill" : "Backfill"} ${record.backfillId} · ${record.selection} · ${record.partitions} · ${record.policy}${kind} · ${opened.describe}`)
      const outcome = yield* provide(Backfill.run(opened.project, record.backfillId, { concurrency: input.concurrency, onReport: report(out, record.rebuild === true) })).pipe(
        Effect.provideService(Logger.CurrentLoggers, new Set())
      )
      // the counts as the catalog's backfills page shows them
      const progress = yield* provide(BackfillStale.counts(opened, outcome.record, Date.now()))
      if (input.json) Output.json(out, { backfill: outcome.record, progress, runs: outcome.runs })
      const ended = outcome.record.status
      Output.warn(out, `Backfill ${record.backfillId} ${ended === "completed" ? Output.green(out, ended) : Output.red(out, ended)} · ${counts(progress)}`)
      if (ended !== "completed") {
        if (!input.json) Output.warn(out, `  resume it with: strata backfill --resume ${record.backfillId}`)
        return yield* runtime(`backfill ${record.backfillId} ${ended}`, true)
      }
    }))
).pipe(
  Command.withDescription("Materialize the partitions of a selection not materialized yet (or rebuild them), cut into runs, as a recorded and resumable backfill"),
  Command.withExamples([
    { command: "strata backfill --select '+daily_active_users' --partitions 2024-01-01...2024-01-07", description: "One run per missing day" },
    { command: "strata backfill --select daily_active_users --partitions 2024-01-01...2024-03-31 --policy single-run", description: "One run, one step over the range" },
    { command: "strata backfill daily_active_users --stale --policy single-run", description: "Rebuild exactly the stale days, in one run" },
    { command: "strata backfill daily_active_users --partitions 2024-01-01...2024-01-07 --rebuild", description: "Rebuild these days even if materialized" },
    { command: "strata backfill --resume bf-1a2b3c4d", description: "Resume after a crash or a cancel" },
    { command: "strata backfill --select '+daily_active_users' --partitions 2024-01-01...2024-03-31 --policy max-per-run=30 --dry-run", description: "Show the runs it would launch, launch nothing" }
  ])
)

const listed = (opened: Opened, limit: number) =>
  Effect.gen(function*() {
    const records = yield* opened.instance.backfills.list({ limit })
    return yield* Effect.forEach(records, (stored) =>
      // a running backfill whose process is gone (a stopped server, a crash) lists as interrupted
      Effect.flatMap(Backfill.statusOf(opened.instance, stored, Date.now()), (status) => {
        const record = { ...stored, status }
        // the counts as the catalog's backfills page shows them (stale: stale now, or what a rebuild backfill has still to rebuild)
        return BackfillStale.counts(opened, stored, Date.now()).pipe(
          // a backfill of assets no longer in the project still lists, with why its progress is unknown
          Effect.map((progress) => ({ record, progress })),
          Effect.catch((error) => error._tag === "@strata/core/InstanceError" ? Effect.fail(error) : Effect.succeed({ record, progress: error.message }))
        )
      }))
  })

const cancel = Command.make(
  "cancel",
  { file: fileFlag, id: Argument.String("id").pipe(Argument.withDescription("The backfill to cancel")) },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      const out = Output.processTerminal()
      const opened = yield* OpenProject.openInstance(input.file)
      const record = yield* opened.instance.backfills.requestCancel(input.id, Date.now()).pipe(Effect.mapError(failure))
      if (record === undefined) return yield* usage(`backfill ${input.id} does not exist; list them with 'strata backfills'`)
      if (finished(record.status)) {
        Output.line(out, `Backfill ${input.id} already ${record.status}; nothing to cancel`)
        return
      }
      // no process is running it: not started yet, or its last run has ended (its process was killed; opening
      // the instance reaped that run) and nothing launched another
      const last = record.runIds.at(-1)
      const lastRun = last === undefined ? undefined : yield* opened.instance.getRun(last).pipe(Effect.mapError(failure))
      if (last === undefined || lastRun === undefined || ["succeeded", "failed", "canceled"].includes(lastRun.status)) {
        const reason = last === undefined ? "canceled before it started" : "canceled while no process was running it"
        yield* opened.instance.backfills.setStatus(input.id, { status: "canceled", at: Date.now(), reason }).pipe(Effect.mapError(failure))
        Output.line(out, `Backfill ${input.id} canceled (${reason})`)
        return
      }
      Output.line(out, `Cancel requested for backfill ${input.id}: the process running it stops after its current run`)
    }))
).pipe(Command.withDescription("Cancel a backfill: the process running it stops after its current run"))

const finished = (status: BackfillStore.BackfillStatus) => status === "completed" || status === "canceled" || status === "failed"

const backfills = Command.make(
  "backfills",
  {
    file: fileFlag,
    limit: Flag.Int("limit").pipe(Flag.withAlias("n"), Flag.withDescription("At most this many backfills"), Flag.withDefault(20)),
    json: jsonFlag
  },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      if (input.json) Output.reserveStdoutForJson()
      const out = Output.processTerminal()
      const opened = yield* OpenProject.openInstance(input.file)
      const rows = yield* listed(opened, input.limit).pipe(Effect.mapError(failure))
      if (input.json) {
        Output.json(out, rows.map(({ progress, record }) => ({ ...record, progress: typeof progress === "string" ? { error: progress } : progress })))
        return
      }
      if (rows.length === 0) {
        Output.line(out, "No backfills yet. Start one with `strata backfill --select X --partitions A...B`.")
        return
      }
      const table = Output.table([
        ["ID", "STATUS", "PROGRESS", "RUNS", "SELECTION", "PARTITIONS", "POLICY", "CREATED"],
        ...rows.map(({ progress, record }) => [
          record.backfillId,
          record.status,
          typeof progress === "string" ? `? (${progress.slice(0, 60)})` : counts(progress),
          String(record.runIds.length),
          record.selection,
          record.partitions,
          record.policy,
          Output.timestamp(record.createdAt)
        ])
      ])
      for (const line of table) Output.line(out, line)
    }))
).pipe(
  Command.withDescription("List backfills, newest first, with their progress (from the partition status)"),
  Command.withSubcommands([cancel])
)

/**
 * The commands to register on `strata`.
 *
 * @since 0.1.0
 */
export const backfillCommands = [backfill, backfills] as const
