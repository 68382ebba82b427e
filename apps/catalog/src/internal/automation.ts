/**
 * The catalog's automation handlers: the daemon's ticks, an asset's recent
 * evaluations (why it was or was not requested), and what is on or off. They
 * read the instance of the current generation; the daemon itself runs beside
 * the catalog in `strata dev` (or as `strata daemon`).
 */
import type { AutomationCondition, Instance } from "@strata/core"
import { Cron, Pool } from "@strata/core"
import { Errors } from "@strata/protocol"
import type { Models } from "@strata/protocol"
import type { ProjectHost } from "@strata/runtime"
import { Daemon } from "@strata/runtime"
import { Clock, Effect } from "effect"

const storageError = (error: Instance.InstanceError) => new Errors.StorageError({ operation: error.operation, message: error.message })

const targetsOf = (generation: ProjectHost.Generation, switches: ReadonlyMap<string, boolean>) => {
  const automation = generation.project.automation
  return [
    "conditions",
    ...[...automation.conditions.keys()].map((key) => `asset/${key}`),
    ...automation.schedules.map((schedule) => `schedule/${schedule.name}`),
    ...[...automation.sensors, ...automation.runStatusSensors].map((sensor) => `sensor/${sensor.name}`)
  ].map((target) => ({ target, enabled: switches.get(target) !== false }))
}

/** A condition as a user wrote it: its label, or its operator and operands (`not(missing)`). */
const conditionLabel = (condition: AutomationCondition.Condition): string => {
  if ("label" in condition && typeof condition.label === "string") return condition.label
  switch (condition._tag) {
    case "And":
    case "Or":
      return `${condition._tag === "And" ? "all of" : "any of"}(${condition.conditions.map(conditionLabel).join(", ")})`
    case "Not":
      return `not(${conditionLabel(condition.condition)})`
    case "AnyUpstream":
    case "AllUpstreams":
      return `${condition._tag === "AnyUpstream" ? "any upstream" : "all upstreams"}(${conditionLabel(condition.condition)})`
    case "CronTickPassed":
    case "UpdatedSinceCronTick":
      return `${condition._tag === "CronTickPassed" ? "cron tick passed" : "updated since cron tick"} ${condition.cron.expression}`
    default:
      return condition._tag.replace(/[A-Z]/g, (letter, at: number) => `${at === 0 ? "" : " "}${letter.toLowerCase()}`)
  }
}

/** The project's pools with their limits and the steps holding a slot now (one lease read per slot). */
const poolsOf = (generation: ProjectHost.Generation, now: number) =>
  Effect.forEach(Object.entries(generation.project.automation.runQueue?.pools ?? {}), ([pool, limit]) =>
    Effect.map(Pool.holders(generation.instance.automation, pool, limit, now), (held) => ({
      pool,
      limit,
      holders: held.map(({ slot, holder, expiresAt }) => ({ slot, ...Pool.parseHolder(holder), expiresAt }))
    })))

/** What automation acts on, with the schedules' next ticks and the daemon holding the lease. */
export const overview = (generation: ProjectHost.Generation) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const store = generation.instance.automation
    const switches = yield* store.enabled()
    const lease = yield* store.lease(Daemon.LEASE)
    const pools = yield* poolsOf(generation, now)
    return {
      targets: targetsOf(generation, switches),
      schedules: generation.project.automation.schedules.map((schedule) => ({
        name: schedule.name,
        cron: schedule.cron.expression,
        timezone: schedule.cron.timezone,
        selection: schedule.selection,
        nextTicks: [...Cron.next(schedule.cron, now, 5)]
      })),
      sensors: [
        ...generation.project.automation.sensors.map((sensor) => ({ name: sensor.name, kind: "sensor" as const, minimumIntervalMs: sensor.minimumIntervalMs })),
        ...generation.project.automation.runStatusSensors.map((sensor) => ({ name: sensor.name, kind: "run-status" as const, statuses: sensor.statuses }))
      ],
      conditions: [...generation.project.automation.conditions].map(([key, condition]) => ({ key, label: conditionLabel(condition) })),
      ...(lease === undefined || lease.expiresAt <= now ? {} : { daemon: { holder: lease.holder, expiresAt: lease.expiresAt } }),
      pools
    } satisfies Models.AutomationOverview
  }).pipe(Effect.mapError(storageError))

export const ticks = (generation: ProjectHost.Generation, query: { readonly origin?: "conditions" | "schedule" | "sensor" | undefined; readonly name?: string | undefined; readonly limit?: number | undefined }) =>
  generation.instance.automation.ticks({ origin: query.origin, name: query.name, limit: query.limit ?? 50 }).pipe(
    Effect.map((list) => ({ ticks: list }) as Models.AutomationTicks),
    Effect.mapError(storageError)
  )

export const asset = (generation: ProjectHost.Generation, key: string, limit: number | undefined) =>
  Effect.gen(function*() {
    if (generation.project.get(key) === undefined) {
      return yield* new Errors.AssetNotFound({ key, suggestions: [], message: `asset ${key} is not in the project` })
    }
    const store = generation.instance.automation
    const evaluations = yield* store.evaluations(key, { limit: limit ?? 20 }).pipe(Effect.mapError(storageError))
    const switches = yield* store.enabled().pipe(Effect.mapError(storageError))
    return {
      key,
      hasCondition: generation.project.automation.conditions.has(key),
      enabled: switches.get(`asset/${key}`) !== false && switches.get("conditions") !== false,
      evaluations: evaluations.map((evaluation) => ({ tickId: evaluation.tickId, at: evaluation.at, requested: evaluation.requested, result: evaluation.result }))
    } satisfies Models.AssetAutomation
  })

export const toggle = (generation: ProjectHost.Generation, target: string, enabled: boolean) =>
  Effect.gen(function*() {
    if (!targetsOf(generation, new Map()).some((entry) => entry.target === target)) {
      return yield* new Errors.InvalidRequest({ part: "Payload", message: `unknown automation target ${target.slice(0, 200)}` })
    }
    yield* generation.instance.automation.setEnabled(target, enabled, yield* Clock.currentTimeMillis).pipe(Effect.mapError(storageError))
    return yield* overview(generation)
  })
