/**
 * Sensor ticks: a sensor runs when its minimum interval has passed, with the
 * project's services, bounded in time; its requests become runs (a run key
 * seen before is skipped), its cursor is stored with the tick. A sensor that
 * fails or times out records a failed tick and never stops the daemon or the
 * other sensors. Run-status sensors are called for each run that ended with a
 * status they watch, in event order.
 */
import { randomUUID } from "node:crypto"
import type { Automation, Event } from "@strata/core"
import { AutomationStore, Selection } from "@strata/core"
import { Effect, Schema } from "effect"
import type { Cycle } from "./ticks.ts"
import { enabled, launchRuns, reasonOf, record } from "./ticks.ts"

const SensorCursor = Schema.Struct({
  at: Schema.Number,
  cursor: Schema.optional(Schema.String),
  runKeys: Schema.Array(Schema.String)
})
type SensorCursor = typeof SensorCursor.Type
const decodeCursor = Schema.decodeUnknownOption(Schema.fromJsonString(SensorCursor))
const MAX_RUN_KEYS = 1000
const SENSOR_TIMEOUT = "60 seconds"

const evaluateSensor = (cycle: Cycle, sensor: Automation.Sensor, previous: SensorCursor | undefined) =>
  Effect.suspend(() => sensor.evaluate({ cursor: previous?.cursor, now: cycle.now, previousAt: previous?.at })).pipe(
    Effect.provideContext(cycle.generation.context as never),
    Effect.timeoutOrElse({ duration: SENSOR_TIMEOUT, orElse: () => Effect.fail(`timed out after ${SENSOR_TIMEOUT}`) }),
    Effect.catchDefect((defect) => Effect.fail(defect)),
    Effect.result
  ) as unknown as Effect.Effect<{ _tag: "Success"; success: Automation.SensorResult } | { _tag: "Failure"; failure: unknown }>

const sensorTick = (cycle: Cycle, sensor: Automation.Sensor, previous: SensorCursor | undefined) =>
  Effect.gen(function*() {
    const tickId = `sensor/${sensor.name}/${cycle.now}`
    const base = { tickId, origin: "sensor" as const, name: sensor.name, at: cycle.now, evaluations: [] }
    const outcome = yield* evaluateSensor(cycle, sensor, previous)
    if (outcome._tag === "Failure") {
      const cursor: SensorCursor = { ...previous, at: cycle.now, runKeys: previous?.runKeys ?? [] }
      yield* Effect.logWarning(`sensor ${sensor.name} failed: ${reasonOf(outcome.failure)}`)
      yield* record(cycle, { ...base, status: "failed", reason: `sensor ${sensor.name} failed: ${reasonOf(outcome.failure)}`, runs: [], cursor: JSON.stringify(cursor) })
      return
    }
    const result = outcome.success
    const seen = new Set(previous?.runKeys ?? [])
    const runs: Array<AutomationStore.TickRun> = []
    const problems: Array<string> = []
    for (const request of result.requests ?? []) {
      if (request.runKey !== undefined && seen.has(request.runKey)) continue
      const keys = yield* Effect.result(Selection.resolve(cycle.generation.project, request.selection))
      if (keys._tag === "Failure") {
        problems.push(reasonOf(keys.failure))
        continue
      }
      if (request.runKey !== undefined) seen.add(request.runKey)
      runs.push({
        runId: randomUUID(),
        selection: request.selection,
        assetKeys: keys.success,
        tags: { ...request.tags, "strata/automation": `sensor/${sensor.name}`, "strata/tick": tickId },
        ...(request.runKey === undefined ? {} : { runKey: request.runKey })
      })
    }
    const nextCursor = result.cursor ?? previous?.cursor
    const cursor: SensorCursor = { at: cycle.now, runKeys: [...seen].slice(-MAX_RUN_KEYS), ...(nextCursor === undefined ? {} : { cursor: nextCursor }) }
    const status = problems.length > 0 && runs.length === 0 ? "failed" : runs.length > 0 ? "requested" : "skipped"
    const reason = problems.length > 0 ? `sensor ${sensor.name}: ${problems.join("; ")}` : runs.length === 0 ? result.skipReason ?? "no new run requests" : undefined
    const recorded = yield* record(cycle, { ...base, status, ...(reason === undefined ? {} : { reason }), runs, cursor: JSON.stringify(cursor) })
    if (recorded && runs.length > 0) yield* launchRuns(cycle, { tickId, origin: "sensor" }, runs)
  })

/** Runs every enabled sensor whose interval has passed; returns when the next one is due. */
export const sensorsTick = (cycle: Cycle) =>
  Effect.gen(function*() {
    let next: number | undefined
    for (const sensor of cycle.generation.project.automation.sensors) {
      if (!enabled(cycle, `sensor/${sensor.name}`)) continue
      const stored = yield* cycle.generation.instance.automation.cursor(AutomationStore.cursorKey("sensor", sensor.name))
      const previous = stored === undefined ? undefined : decodeCursor(stored).pipe((option) => option._tag === "Some" ? option.value : undefined)
      const dueAt = previous === undefined ? cycle.now : previous.at + sensor.minimumIntervalMs
      if (dueAt <= cycle.now) yield* sensorTick(cycle, sensor, previous)
      const after = dueAt <= cycle.now ? cycle.now + sensor.minimumIntervalMs : dueAt
      if (next === undefined || after < next) next = after
    }
    return next
  })

/** Calls the run-status sensors for the runs that ended in `events`. */
export const runStatusTick = (cycle: Cycle, events: ReadonlyArray<Event.StoredEvent>) =>
  Effect.gen(function*() {
    const sensors = cycle.generation.project.automation.runStatusSensors.filter((sensor) => enabled(cycle, `sensor/${sensor.name}`))
    if (sensors.length === 0) return
    for (const event of events) {
      const status = event.type === "run-succeeded" ? "succeeded" : event.type === "run-failed" ? "failed" : event.type === "run-canceled" ? "canceled" : undefined
      if (status === undefined) continue
      const run = yield* cycle.generation.instance.getRun(event.runId)
      if (run === undefined) continue
      for (const sensor of sensors.filter((candidate) => candidate.statuses.includes(status))) {
        const outcome = yield* Effect.suspend(() => sensor.handle(run)).pipe(
          Effect.provideContext(cycle.generation.context as never),
          Effect.catchDefect((defect) => Effect.fail(defect)),
          Effect.result
        ) as unknown as Effect.Effect<{ _tag: "Success" } | { _tag: "Failure"; failure: unknown }>
        yield* record(cycle, {
          tickId: `sensor/${sensor.name}/run/${event.id}`,
          origin: "sensor",
          name: sensor.name,
          at: cycle.now,
          status: outcome._tag === "Failure" ? "failed" : "skipped",
          reason: outcome._tag === "Failure" ? `sensor ${sensor.name} failed on run ${run.runId}: ${reasonOf(outcome.failure)}` : `handled run ${run.runId} (${status})`,
          runs: [],
          evaluations: []
        })
      }
    }
  })
