/**
 * What a project declares for automation, beside its assets: conditions per
 * asset ({@link AutomationCondition}), schedules (cron with a time zone,
 * targeting a selection) and sensors (an Effect returning run requests and a
 * cursor). `Project.make({ assets, automation })` validates them against the
 * graph; the daemon (`@strata/runtime`'s `Daemon`) evaluates them.
 *
 * @example
 * ```ts
 * import { Asset, Automation, AutomationCondition, Project } from "@strata/core"
 * import { Effect } from "effect"
 *
 * const a = Asset.make("a", {}, () => Effect.succeed(1))
 * const b = Asset.make("b", { deps: { a } }, ({ a }) => Effect.succeed(a + 1))
 * export const project = Project.make({
 *   assets: [a, b],
 *   automation: {
 *     conditions: { b: AutomationCondition.eager() },
 *     schedules: [Automation.schedule({ name: "nightly", cron: "0 2 * * *", timezone: "Europe/Berlin", selection: "a" })]
 *   }
 * })
 * ```
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import { Schema } from "effect"
import type { AssetGraph } from "./AssetGraph.ts"
import type * as Backfill from "./Backfill.ts"
import type { Condition } from "./AutomationCondition.ts"
import * as AutomationCondition from "./AutomationCondition.ts"
import * as Cron from "./Cron.ts"
import type { RunRecord } from "./Instance.ts"
import * as RunQueue from "./RunQueue.ts"

/**
 * A run to launch: a selection, optional tags, and a run key that a sensor
 * uses to ask for a run once (a request whose key was seen is skipped).
 *
 * @since 0.1.0
 */
export interface RunRequest {
  readonly selection: string
  readonly runKey?: string | undefined
  readonly tags?: Readonly<Record<string, string>> | undefined
}

/**
 * What to do with the ticks of a schedule missed while no daemon ran:
 * `latest` (the default) launches the most recent missed tick once, `skip`
 * launches none, `all` launches each (at most 100).
 *
 * @since 0.1.0
 */
export type CatchUp = "latest" | "skip" | "all"

/**
 * A schedule: a cron in a time zone, launching a selection at each tick.
 *
 * @since 0.1.0
 */
export interface Schedule {
  readonly _tag: "Schedule"
  readonly name: string
  readonly cron: Cron.Cron
  readonly selection: string
  readonly tags: Readonly<Record<string, string>>
  readonly catchUp: CatchUp
}

/**
 * What a sensor sees: its cursor (what it returned last time), the time, and
 * the time of its previous evaluation.
 *
 * @since 0.1.0
 */
export interface SensorContext {
  readonly cursor: string | undefined
  readonly now: number
  readonly previousAt: number | undefined
}

/**
 * What a sensor returns: run requests, its next cursor, or why it skipped.
 *
 * @since 0.1.0
 */
export interface SensorResult {
  readonly requests?: ReadonlyArray<RunRequest> | undefined
  readonly cursor?: string | undefined
  readonly skipReason?: string | undefined
}

/**
 * A sensor: an Effect run at most every `minimumIntervalMs`, with the
 * project's resources (the environment's layer) as its services.
 *
 * @since 0.1.0
 */
export interface Sensor {
  readonly _tag: "Sensor"
  readonly name: string
  readonly minimumIntervalMs: number
  readonly evaluate: (context: SensorContext) => Effect.Effect<SensorResult, unknown, any>
}

/**
 * A run-status sensor: called once for each run that ends with one of
 * `statuses` (alerts), in the order the runs ended.
 *
 * @since 0.1.0
 */
export interface RunStatusSensor {
  readonly _tag: "RunStatusSensor"
  readonly name: string
  readonly statuses: ReadonlyArray<"succeeded" | "failed" | "canceled">
  readonly handle: (run: RunRecord) => Effect.Effect<void, unknown, any>
}

/**
 * What `Project.make({ automation })` accepts.
 *
 * @since 0.1.0
 */
export interface Config {
  /** Conditions by asset key. */
  readonly conditions?: Readonly<Record<string, Condition>> | undefined
  readonly schedules?: ReadonlyArray<Schedule> | undefined
  readonly sensors?: ReadonlyArray<Sensor | RunStatusSensor> | undefined
  /** Limits of the run queue the daemon starts queued runs through (`RunQueue.make`); none by default. */
  readonly runQueue?: RunQueue.Config | undefined
  /**
   * How the partitions a condition requests are cut into runs, as a
   * backfill's are: `single-run` (the default), `per-partition` or
   * `max-per-run` (`Backfill.parsePolicy`).
   */
  readonly backfillPolicy?: Backfill.Policy | undefined
}

/**
 * The validated automation of a project.
 *
 * @since 0.1.0
 */
export interface Definitions {
  readonly conditions: ReadonlyMap<string, Condition>
  readonly schedules: ReadonlyArray<Schedule>
  readonly sensors: ReadonlyArray<Sensor>
  readonly runStatusSensors: ReadonlyArray<RunStatusSensor>
  /** The run queue's limits (absent: none). */
  readonly runQueue?: RunQueue.Config | undefined
  /** How requested partitions are cut into runs (absent: `single-run`). */
  readonly backfillPolicy?: Backfill.Policy | undefined
}

/** No automation. @since 0.1.0 */
export const empty: Definitions = { conditions: new Map(), schedules: [], sensors: [], runStatusSensors: [] }

/**
 * A condition, schedule or sensor names an asset the project does not have.
 *
 * @since 0.1.0
 */
export class UnknownAutomationTarget extends Schema.TaggedError<UnknownAutomationTarget>()(
  "@strata/core/UnknownAutomationTarget",
  { owner: Schema.String, asset: Schema.String, suggestions: Schema.Array(Schema.String) }
) {
  override get message(): string {
    const hint = this.suggestions.length > 0 ? `; did you mean ${this.suggestions.join(", ")}?` : ""
    return `${this.owner} names asset '${this.asset}', which the project does not define${hint}`
  }
}

/**
 * Two schedules or sensors share a name.
 *
 * @since 0.1.0
 */
export class DuplicateAutomationName extends Schema.TaggedError<DuplicateAutomationName>()(
  "@strata/core/DuplicateAutomationName",
  { name: Schema.String }
) {
  override get message(): string {
    return `two schedules or sensors are named '${this.name}'; names identify their ticks and must be unique`
  }
}

/**
 * Automation that is not valid (returned by `Project.validate`; a bad cron or
 * a repeated name is thrown where it is declared: {@link Cron.InvalidCron},
 * {@link DuplicateAutomationName}).
 *
 * @since 0.1.0
 */
export type AutomationError = UnknownAutomationTarget

const NAME = /^[\p{L}\p{N}_.-]{1,128}$/u

const checkName = (name: string, what: string): void => {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new TypeError(`${what} name ${JSON.stringify(String(name).slice(0, 140))} must be 1-128 letters, digits, '_', '-' or '.'`)
  }
}

/**
 * A schedule. Throws {@link Cron.InvalidCron} (naming the schedule) when
 * `cron` or `timezone` does not parse.
 *
 * @since 0.1.0
 */
export const schedule = (options: {
  readonly name: string
  readonly cron: string
  readonly timezone?: string | undefined
  readonly selection: string
  readonly tags?: Readonly<Record<string, string>> | undefined
  readonly catchUp?: CatchUp | undefined
}): Schedule => {
  checkName(options.name, "a schedule's")
  return {
    _tag: "Schedule",
    name: options.name,
    cron: Cron.make(options.cron, options.timezone, `schedule ${options.name}`),
    selection: options.selection,
    tags: options.tags ?? {},
    catchUp: options.catchUp ?? "latest"
  }
}

/**
 * A sensor, evaluated at most every `minimumIntervalMs` (default 30 s).
 *
 * @since 0.1.0
 */
export const sensor = <R>(options: {
  readonly name: string
  readonly minimumIntervalMs?: number | undefined
  readonly evaluate: (context: SensorContext) => Effect.Effect<SensorResult, unknown, R>
}): Sensor => {
  checkName(options.name, "a sensor's")
  return { _tag: "Sensor", name: options.name, minimumIntervalMs: Math.max(0, options.minimumIntervalMs ?? 30_000), evaluate: options.evaluate }
}

/**
 * A run-status sensor (`statuses` default `["failed"]`).
 *
 * @since 0.1.0
 */
export const runStatusSensor = <R>(options: {
  readonly name: string
  readonly statuses?: ReadonlyArray<"succeeded" | "failed" | "canceled"> | undefined
  readonly handle: (run: RunRecord) => Effect.Effect<void, unknown, R>
}): RunStatusSensor => {
  checkName(options.name, "a sensor's")
  return { _tag: "RunStatusSensor", name: options.name, statuses: options.statuses ?? ["failed"], handle: options.handle }
}

const checkPolicy = (policy: Backfill.Policy): Backfill.Policy => {
  if (policy._tag === "max-per-run" && !(Number.isInteger(policy.size) && policy.size >= 1)) {
    throw new TypeError(`automation: backfillPolicy max-per-run needs a whole number >= 1, got ${String(policy.size)}`)
  }
  return policy
}

const suggest = (graph: AssetGraph, key: string): Array<string> =>
  graph.nodes.map((node) => node.key).filter((candidate) => candidate.includes(key) || key.includes(candidate)).slice(0, 3)

/**
 * Validates `config` against the graph: every condition's asset and the keys
 * its upstream filters name exist, names are unique.
 *
 * @since 0.1.0
 */
export const validate = (graph: AssetGraph, config: Config | undefined): Definitions | AutomationError => {
  if (config === undefined) return empty
  const conditions = new Map<string, Condition>()
  for (const [key, condition] of Object.entries(config.conditions ?? {})) {
    if (!graph.index.has(key)) return new UnknownAutomationTarget({ owner: `the condition of '${key}'`, asset: key, suggestions: suggest(graph, key) })
    if (!AutomationCondition.isCondition(condition)) throw new TypeError(`the condition of '${key}' is not an AutomationCondition`)
    for (const named of AutomationCondition.namedKeys(condition)) {
      if (!graph.index.has(named)) return new UnknownAutomationTarget({ owner: `the condition of '${key}'`, asset: named, suggestions: suggest(graph, named) })
    }
    conditions.set(key, condition)
  }
  const names = new Set<string>()
  const all = [...(config.schedules ?? []), ...(config.sensors ?? [])]
  for (const definition of all) {
    if (names.has(definition.name)) throw new DuplicateAutomationName({ name: definition.name })
    names.add(definition.name)
  }
  return {
    conditions,
    schedules: config.schedules ?? [],
    sensors: (config.sensors ?? []).filter((s): s is Sensor => s._tag === "Sensor"),
    runStatusSensors: (config.sensors ?? []).filter((s): s is RunStatusSensor => s._tag === "RunStatusSensor"),
    ...(config.runQueue === undefined ? {} : { runQueue: RunQueue.make(config.runQueue) }),
    ...(config.backfillPolicy === undefined ? {} : { backfillPolicy: checkPolicy(config.backfillPolicy) })
  }
}
