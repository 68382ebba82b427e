/**
 * The automation commands: `strata daemon`, `strata automation ticks | tick |
 * why | list | on | off` and `strata schedules preview`.
 *
 * @since 0.1.0
 */
import * as path from "node:path"
import type { AutomationCondition, AutomationStore, Project } from "@strata/core"
import { Cron, StrataConfig } from "@strata/core"
import { Daemon, Runtime } from "@strata/runtime"
import { Effect, Option } from "effect"
import type { Layer, Scope } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import type { CliFailure } from "./CliError.ts"
import { runtime as runtimeFailure, usage } from "./CliError.ts"
import { fileFlag, jsonFlag } from "./CommonFlags.ts"
import { defaultInstanceLayer } from "./DefaultInstance.ts"
import * as OpenProject from "./OpenProject.ts"
import type { Terminal } from "./Output.ts"
import * as Output from "./Output.ts"
import * as ProjectLoader from "./ProjectLoader.ts"

const limitFlag = (fallback: number) =>
  Flag.Int("limit").pipe(Flag.withAlias("n"), Flag.withDescription("At most this many entries"), Flag.withDefault(fallback))

const term = (): Terminal => Output.processTerminal()

const instanceFailure = (error: { readonly message: string }): CliFailure => runtimeFailure(`instance error: ${error.message}`)

/**
 * A runtime for a long-lived process (the daemon, `strata dev`): the project reloaded from its
 * config file, the environment chosen by STRATA_ENV, the default SQLite instance unless the
 * environment provides one.
 *
 * @since 0.1.0
 */
export const loadRuntime = (file: string, options: { readonly name: string; readonly watchSources: boolean }) =>
  Effect.gen(function*() {
    const first = yield* ProjectLoader.load({ file, fresh: true })
    process.chdir(first.root)
    const load = Effect.gen(function*() {
      const loaded = yield* ProjectLoader.load({ file, fresh: true })
      const chosen = StrataConfig.environment(loaded.config, process.env.STRATA_ENV)
      if ("_tag" in chosen) return yield* usage(chosen.message)
      return { project: loaded.project, layer: chosen.make({ name: chosen.name, root: loaded.root }) as Layer.Layer<never, unknown> }
    })
    return yield* Runtime.make({ load: () => load, watchSources: options.watchSources, instance: defaultInstanceLayer(first.root), name: options.name }).pipe(
      Effect.mapError((error) => usage(error.message))
    )
  })

// ---------------------------------------------------------------------------------------------- daemon

const daemon = Command.make(
  "daemon",
  {
    file: fileFlag,
    leaseTtl: Flag.Int("lease-ttl").pipe(
      Flag.withDescription("Seconds the daemon's lease lasts without renewal: another daemon takes over within it after a crash"),
      Flag.withDefault(10)
    ),
    watchSources: Flag.Boolean("no-watch").pipe(
      Flag.withDescription("Do not observe file sources when their files change"),
      Flag.withDefault(false),
      Flag.map((noWatch) => !noWatch)
    )
  },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      const out = term()
      if (input.leaseTtl < 1 || input.leaseTtl > 3600) return yield* usage(`--lease-ttl must be between 1 and 3600 seconds (got ${input.leaseTtl})`)
      const file = path.resolve(Option.getOrElse(input.file, () => ProjectLoader.defaultConfigFile))
      const runtime = yield* loadRuntime(file, { name: "the daemon", watchSources: input.watchSources })
      const started = yield* Daemon.start(runtime, { leaseTtlMs: input.leaseTtl * 1000 })
      const automation = runtime.host.current.project.automation
      Output.line(out, `Strata daemon ${started.holder} on ${runtime.host.current.instance.describe}`)
      Output.line(
        out,
        `${automation.conditions.size} asset condition(s), ${automation.schedules.length} schedule(s), ` +
          `${automation.sensors.length + automation.runStatusSensors.length} sensor(s). Ctrl-C to stop (the lease is released).`
      )
      return yield* Effect.never
    }))
).pipe(
  Command.withDescription(
    "Run the automation daemon: evaluate asset conditions when new events arrive, run schedules and sensors, " +
      "launch runs. One daemon acts per instance; others wait and take over if it stops"
  ),
  Command.withExamples([{ command: "strata daemon", description: "Evaluate automation until Ctrl-C" }])
)

// ---------------------------------------------------------------------------------------------- automation

const formatTick = (tick: AutomationStore.TickRecord): string => {
  const runs = tick.runs.map((run) => `${run.runId.slice(0, 8)} (${run.selection}${run.partition === undefined ? "" : ` [${run.partition}]`})`).join(", ")
  const what = tick.origin === "conditions" ? `evaluated ${tick.evaluated}, requested ${tick.requested}` : tick.scheduledAt === undefined ? "" : `for ${Output.timestamp(tick.scheduledAt)}`
  return `${Output.timestamp(tick.at)}  ${tick.origin}/${tick.name}  ${tick.status.padEnd(9)} ${what}${runs === "" ? "" : `  runs ${runs}`}${tick.reason === undefined ? "" : `  ${tick.reason}`}`
}

/** A result tree as indented lines: `✓ eager`, `  ✗ not in progress`; a partitioned asset's with `2 of 31 partitions: …`. */
const resultLines = (result: AutomationCondition.Result, depth = 0): Array<string> => {
  const partitions = result.partitions
  const extra = [
    partitions === undefined ? "" : ` (${partitions.count} of ${partitions.total} partitions${partitions.count === 0 ? "" : `: ${partitions.text}`})`,
    result.matched === undefined ? "" : ` [matched: ${result.matched.join(", ")}]`,
    result.unmatched === undefined ? "" : ` [not: ${result.unmatched.join(", ")}]`
  ].join("")
  return [`${"  ".repeat(depth)}${result.value ? "✓" : "✗"} ${result.label}${extra}`, ...(result.children ?? []).flatMap((child) => resultLines(child, depth + 1))]
}

const ticksCommand = Command.make(
  "ticks",
  {
    file: fileFlag,
    json: jsonFlag,
    limit: limitFlag(20),
    origin: Flag.Literals("origin", ["conditions", "schedule", "sensor"]).pipe(Flag.withDescription("Only ticks of this origin"), Flag.optional),
    name: Flag.String("name").pipe(Flag.withDescription("Only the ticks of this schedule or sensor"), Flag.optional)
  },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      const out = term()
      const { instance } = yield* OpenProject.openInstance(input.file)
      const ticks = yield* instance.automation.ticks({
        limit: input.limit,
        origin: Option.getOrUndefined(input.origin),
        name: Option.getOrUndefined(input.name)
      }).pipe(Effect.mapError(instanceFailure))
      if (input.json) return Output.json(out, { ticks })
      if (ticks.length === 0) return Output.line(out, "No ticks yet: is a daemon running (strata daemon, strata dev)?")
      for (const tick of ticks) Output.line(out, formatTick(tick))
    }))
).pipe(Command.withDescription("List the daemon's recent ticks, newest first: what each evaluated, requested, launched or why it skipped"))

const tickCommand = Command.make(
  "tick",
  { file: fileFlag, json: jsonFlag, tickId: Argument.String("tick-id").pipe(Argument.withDescription("The tick's id (see strata automation ticks --json)")) },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      const out = term()
      const { instance } = yield* OpenProject.openInstance(input.file)
      const found = yield* instance.automation.tick(input.tickId).pipe(Effect.mapError(instanceFailure))
      if (found === undefined) return yield* usage(`tick ${input.tickId} does not exist; list ticks with 'strata automation ticks'`)
      if (input.json) return Output.json(out, found)
      Output.line(out, formatTick(found.tick))
      for (const evaluation of found.evaluations) {
        Output.line(out)
        Output.line(out, `${Output.bold(out, evaluation.assetKey)}: ${evaluation.requested ? "requested" : "not requested"}`)
        for (const text of resultLines(evaluation.result, 1)) Output.line(out, text)
      }
    }))
).pipe(Command.withDescription("Show one tick and, for each asset it evaluated, why it was requested or not"))

const why = Command.make(
  "why",
  { file: fileFlag, json: jsonFlag, limit: limitFlag(5), asset: Argument.String("asset").pipe(Argument.withDescription("The asset's key")) },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      const out = term()
      const { instance, project } = yield* OpenProject.openInstance(input.file)
      if (project.get(input.asset) === undefined) return yield* usage(`asset ${input.asset} is not in the project`)
      const condition = project.automation.conditions.has(input.asset)
      const evaluations = yield* instance.automation.evaluations(input.asset, { limit: input.limit }).pipe(Effect.mapError(instanceFailure))
      if (input.json) return Output.json(out, { asset: input.asset, hasCondition: condition, evaluations })
      if (!condition) Output.line(out, `${input.asset} has no automation condition; the daemon never requests it on its own.`)
      else if (evaluations.length === 0) Output.line(out, `${input.asset} has not been evaluated yet: is a daemon running?`)
      for (const evaluation of evaluations) {
        Output.line(out, `${Output.timestamp(evaluation.at)}  ${evaluation.requested ? Output.green(out, "requested") : "not requested"}  (tick ${evaluation.tickId})`)
        for (const text of resultLines(evaluation.result, 1)) Output.line(out, text)
      }
    }))
).pipe(
  Command.withDescription("Why the daemon requested an asset or not: its recent evaluations, operand by operand"),
  Command.withExamples([{ command: "strata automation why gold_user_metrics", description: "The last 5 evaluations" }])
)

/** The targets automation can be turned on or off for, with their state. */
const targets = (project: Project.Project<unknown>, switches: ReadonlyMap<string, boolean>) => {
  const automation = project.automation
  const all = [
    "conditions",
    ...[...automation.conditions.keys()].map((key) => `asset/${key}`),
    ...automation.schedules.map((schedule) => `schedule/${schedule.name}`),
    ...[...automation.sensors, ...automation.runStatusSensors].map((sensor) => `sensor/${sensor.name}`)
  ]
  return all.map((target) => ({ target, enabled: switches.get(target) !== false }))
}

const list = Command.make(
  "list",
  { file: fileFlag, json: jsonFlag },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      const out = term()
      const { instance, project } = yield* OpenProject.openInstance(input.file)
      const switches = yield* instance.automation.enabled().pipe(Effect.mapError(instanceFailure))
      const lease = yield* instance.automation.lease(Daemon.LEASE).pipe(Effect.mapError(instanceFailure))
      const listed = targets(project, switches)
      if (input.json) return Output.json(out, { targets: listed, lease: lease ?? null })
      for (const entry of listed) Output.line(out, `${entry.enabled ? "on " : "off"}  ${entry.target}`)
      Output.line(out, lease === undefined || lease.expiresAt < Date.now() ? "No daemon holds the lease." : `Daemon ${lease.holder} holds the lease.`)
    }))
).pipe(Command.withDescription("List what automation can act on (conditions, assets, schedules, sensors), on or off, and which daemon acts"))

const toggle = (name: "on" | "off") =>
  Command.make(
    name,
    { file: fileFlag, target: Argument.String("target").pipe(Argument.withDescription("conditions, asset/<key>, schedule/<name> or sensor/<name>")) },
    (input) =>
      Effect.scoped(Effect.gen(function*() {
        const out = term()
        const { instance, project } = yield* OpenProject.openInstance(input.file)
        const known = targets(project, new Map()).map((entry) => entry.target)
        if (!known.includes(input.target)) {
          return yield* usage(`unknown target ${input.target}; one of: ${known.slice(0, 20).join(", ") || "(the project declares no automation)"}`)
        }
        yield* instance.automation.setEnabled(input.target, name === "on", Date.now()).pipe(Effect.mapError(instanceFailure))
        Output.line(out, `${input.target} is ${name}`)
      }))
  ).pipe(Command.withDescription(`Turn automation ${name} for a target, persisted in the instance (the daemon reads it every cycle)`))

const automationCommand = Command.make("automation").pipe(
  Command.withDescription("Inspect and switch the daemon's automation: ticks, why an asset was (not) requested, on/off"),
  Command.withSubcommands([ticksCommand, tickCommand, why, list, toggle("on"), toggle("off")])
)

// ---------------------------------------------------------------------------------------------- schedules

const preview = Command.make(
  "preview",
  {
    file: fileFlag,
    json: jsonFlag,
    count: Flag.Int("count").pipe(Flag.withDescription("How many ticks"), Flag.withDefault(5)),
    name: Argument.String("name").pipe(Argument.withDescription("The schedule's name"))
  },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      const out = term()
      const loaded = yield* ProjectLoader.load({ file: Option.getOrUndefined(input.file) })
      const schedules = (loaded.project as Project.Project<unknown>).automation.schedules
      const schedule = schedules.find((candidate) => candidate.name === input.name)
      if (schedule === undefined) {
        return yield* usage(`schedule ${input.name} does not exist; the project has ${schedules.map((s) => s.name).join(", ") || "none"}`)
      }
      if (input.count < 1 || input.count > 1000) return yield* usage(`--count must be between 1 and 1000 (got ${input.count})`)
      const ticks = Cron.next(schedule.cron, Date.now(), input.count)
      if (input.json) {
        return Output.json(out, { name: schedule.name, cron: schedule.cron.expression, timezone: schedule.cron.timezone, selection: schedule.selection, ticks: ticks.map((tick) => new Date(tick).toISOString()) })
      }
      Output.line(out, `${schedule.name}: ${schedule.cron.expression} (${schedule.cron.timezone}) → ${schedule.selection}`)
      for (const tick of ticks) Output.line(out, `  ${new Date(tick).toISOString()}`)
    }))
).pipe(Command.withDescription("The next ticks of a schedule (in UTC; the cron reads its fields in its time zone)"))

const schedulesCommand = Command.make("schedules").pipe(
  Command.withDescription("Schedules: preview their next ticks"),
  Command.withSubcommands([preview])
)

/**
 * The automation commands, for the `strata` command tree.
 *
 * @since 0.1.0
 */
export const automationCommands = [daemon, automationCommand, schedulesCommand] as const

/** Starts the daemon in `strata dev` (same process as the catalog). @since 0.1.0 */
export const startDaemon = (runtime: Runtime.Runtime): Effect.Effect<Daemon.Daemon, never, Scope.Scope> => Daemon.start(runtime)
