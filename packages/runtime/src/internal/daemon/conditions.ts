/**
 * The conditions tick: evaluate the assets that new events (or a cron tick)
 * can affect, record why each was requested or not, launch the requested ones
 * as one run (an eager chain is one run); partitioned assets are launched with
 * the partitions requested of them, one run per group of assets requested for
 * the same partitions and per cut of the project's backfill policy.
 */
import { randomUUID } from "node:crypto"
import { AutomationEvaluation, AutomationStore, type Event, Instance } from "@strata/core"
import { Effect } from "effect"
import type { Cycle } from "./ticks.ts"
import { enabled, launchRuns, record } from "./ticks.ts"

/** Where the conditions tick is: the event cursor it read up to and when it ran. */
export interface ConditionsCursor {
  readonly eventId: number
  readonly at: number
}

export const CURSOR_KEY = AutomationStore.cursorKey("conditions", "conditions")

/** The asset keys events name (a run's end names every asset of the run: they leave `in progress`). */
export const touchedKeys = (cycle: Cycle, events: ReadonlyArray<Event.StoredEvent>) =>
  Effect.gen(function*() {
    const keys = new Set<string>()
    for (const event of events) {
      if ("assetKey" in event && typeof event.assetKey === "string") keys.add(event.assetKey)
      if (event.type === "run-succeeded" || event.type === "run-failed" || event.type === "run-canceled" || event.type === "run-started") {
        const run = yield* cycle.generation.instance.getRun(event.runId)
        for (const key of run?.assetKeys ?? []) keys.add(key)
      }
    }
    return keys
  })

/**
 * Evaluates `candidates` (all assets with a condition when undefined) and
 * records the tick; launches what it requested.
 */
export const conditionsTick = (
  cycle: Cycle,
  from: ConditionsCursor,
  to: ConditionsCursor,
  candidates: ReadonlySet<string> | undefined,
  outcomes: Map<string, boolean>
) =>
  Effect.gen(function*() {
    const { project } = cycle.generation
    if (project.automation.conditions.size === 0 || !enabled(cycle, "conditions")) return
    if (candidates !== undefined && candidates.size === 0) return
    const disabled = new Set([...project.automation.conditions.keys()].filter((key) => !enabled(cycle, `asset/${key}`)))
    const runId = randomUUID()
    const output = yield* AutomationEvaluation.read(project, {
      now: cycle.now,
      previousCursor: from.eventId,
      cursor: to.eventId,
      candidates,
      disabled,
      runId,
      // the first evaluation of this daemon explains every asset; later ones what changed or is requested
      previous: outcomes.size === 0 ? undefined : outcomes
    }).pipe(Effect.provideService(Instance.Instance, cycle.generation.instance))
    const tickId = `conditions/${to.eventId}/${cycle.now}`
    const tags = { "strata/automation": "conditions", "strata/tick": tickId }
    // the first run carries the evaluation's run id (the one its states name); partitions are cut by the backfill policy
    const runs = AutomationEvaluation.requestRuns(output, project.automation.backfillPolicy).map((run, i) => ({
      runId: i === 0 ? runId : randomUUID(),
      selection: run.assetKeys.join(","),
      assetKeys: run.assetKeys,
      tags,
      ...(run.partition === undefined ? {} : { partition: run.partition })
    }))
    const recorded = yield* record(cycle, {
      tickId,
      origin: "conditions",
      name: "conditions",
      at: cycle.now,
      status: runs.length > 0 ? "requested" : "skipped",
      ...(runs.length > 0 ? {} : { reason: "no asset's condition was true" }),
      runs,
      evaluations: output.evaluations,
      cursor: JSON.stringify(to),
      assetStates: output.states
    })
    if (recorded) for (const [key, value] of output.outcomes) outcomes.set(key, value)
    if (recorded && runs.length > 0) yield* launchRuns(cycle, { tickId, origin: "conditions" }, runs)
  })
