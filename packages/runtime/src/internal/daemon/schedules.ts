/**
 * Schedule ticks: each cron tick of a schedule since the one it last handled
 * (its cursor) becomes a tick with the id `schedule/<name>/<tick time>`, so
 * two daemons cannot launch it twice. Missed ticks follow the schedule's
 * `catchUp` (`latest` by default: only the most recent one runs). A schedule
 * seen for the first time starts at the latest tick (nothing retroactive).
 */
import { randomUUID } from "node:crypto"
import { type Automation, AutomationStore, Cron, Selection } from "@strata/core"
import { Effect } from "effect"
import type { Cycle } from "./ticks.ts"
import { enabled, launchRuns, reasonOf, record } from "./ticks.ts"

const due = (schedule: Automation.Schedule, last: number, now: number): { run: ReadonlyArray<number>; skipped: ReadonlyArray<number> } => {
  const ticks = Cron.between(schedule.cron, last, now, schedule.catchUp === "all" ? 100 : 1000)
  if (schedule.catchUp === "all") return { run: ticks, skipped: [] }
  const latest = ticks.at(-1)
  if (latest === undefined) return { run: [], skipped: [] }
  if (schedule.catchUp === "skip" && ticks.length > 1) return { run: [], skipped: [latest] }
  return { run: [latest], skipped: [] }
}

const scheduleTick = (cycle: Cycle, schedule: Automation.Schedule, at: number, skip: boolean) =>
  Effect.gen(function*() {
    const tickId = `schedule/${schedule.name}/${at}`
    const keys = Selection.resolve(cycle.generation.project, schedule.selection)
    const resolved = yield* Effect.result(keys)
    const base = { tickId, origin: "schedule" as const, name: schedule.name, at: cycle.now, scheduledAt: at, evaluations: [], cursor: String(at) }
    if (resolved._tag === "Failure") {
      yield* record(cycle, { ...base, status: "failed", reason: `schedule ${schedule.name}: ${reasonOf(resolved.failure)}`, runs: [] })
      return
    }
    if (skip) {
      yield* record(cycle, { ...base, status: "skipped", reason: "missed while no daemon ran (catchUp: skip)", runs: [] })
      return
    }
    const runs = [{
      runId: randomUUID(),
      selection: schedule.selection,
      assetKeys: resolved.success,
      tags: { ...schedule.tags, "strata/automation": `schedule/${schedule.name}`, "strata/tick": tickId }
    }]
    if (yield* record(cycle, { ...base, status: "requested", runs })) yield* launchRuns(cycle, { tickId, origin: "schedule" }, runs)
  })

/** Runs the due ticks of every enabled schedule; returns the next instant one is due. */
export const schedulesTick = (cycle: Cycle) =>
  Effect.gen(function*() {
    let next: number | undefined
    for (const schedule of cycle.generation.project.automation.schedules) {
      const [upcoming] = Cron.next(schedule.cron, cycle.now)
      if (upcoming !== undefined && (next === undefined || upcoming < next)) next = upcoming
      if (!enabled(cycle, `schedule/${schedule.name}`)) continue
      const stored = yield* cycle.generation.instance.automation.cursor(AutomationStore.cursorKey("schedule", schedule.name))
      if (stored === undefined) {
        const latest = Cron.latest(schedule.cron, cycle.now) ?? cycle.now
        yield* record(cycle, {
          tickId: `schedule/${schedule.name}/start/${latest}`,
          origin: "schedule",
          name: schedule.name,
          at: cycle.now,
          status: "skipped",
          reason: "first evaluation: ticks before it are not run",
          runs: [],
          evaluations: [],
          cursor: String(latest)
        })
        continue
      }
      const { run, skipped } = due(schedule, Number(stored), cycle.now)
      for (const at of skipped) yield* scheduleTick(cycle, schedule, at, true)
      for (const at of run) yield* scheduleTick(cycle, schedule, at, false)
    }
    return next
  })

/** The next ticks of a schedule after `after`: `strata schedules preview`. */
export const preview = (schedule: Automation.Schedule, after: number, count: number): ReadonlyArray<number> =>
  Cron.next(schedule.cron, after, count)
