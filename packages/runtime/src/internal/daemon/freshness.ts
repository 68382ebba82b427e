/**
 * The freshness tick: each cycle, the project's freshness policies are
 * evaluated (`Freshness.changes`) against the asset index; an asset that
 * turned late, or fresh again, is recorded as a tick `freshness/<asset>/<at>`
 * (reason: the policy's verdict; its evaluation says `freshness late` true or
 * false, so `strata automation why` shows it) with the new state stored with
 * it. The changed assets are evaluated by the conditions tick of the same
 * cycle (`freshnessLate`, `onLate()`), and the daemon wakes when the next
 * fresh asset turns late.
 */
import { Freshness } from "@strata/core"
import { Effect } from "effect"
import type { Cycle } from "./ticks.ts"
import { record } from "./ticks.ts"

/** Records the freshness changes; returns the assets that changed and when to look again. */
export const freshnessTick = (cycle: Cycle) =>
  Effect.gen(function*() {
    const { project, instance } = cycle.generation
    const policies = project.freshness
    if (policies.length === 0) return { changed: [] as ReadonlyArray<string>, nextCheck: undefined }
    const keys = policies.map((policy) => policy.assetKey)
    const records = yield* instance.assets(keys)
    const states = yield* instance.automation.assetStates(keys)
    const { changes, nextCheck } = Freshness.changes(policies, records, (key) => states.get(key)?.freshness, cycle.now)
    for (const change of changes) {
      const key = change.status.key
      const late = change.status.status === "late"
      const state = { ...states.get(key), freshness: change.status.status, freshnessSince: cycle.now }
      const verdict = late ? change.status.reason : `fresh again: ${change.status.reason}`
      yield* record(cycle, {
        tickId: `freshness/${key}/${cycle.now}`,
        origin: "conditions",
        name: "freshness",
        at: cycle.now,
        status: "skipped",
        reason: change.notable ? `${key} ${verdict}` : `${key} ${change.status.reason} (first evaluation)`,
        runs: [],
        evaluations: [{ assetKey: key, requested: false, result: { label: `freshness late (${change.status.policy})`, value: late } }],
        assetStates: [{ assetKey: key, state }]
      })
      if (change.notable) yield* Effect.logInfo(`freshness: ${key} ${verdict}`)
    }
    return { changed: changes.map((change) => change.status.key), nextCheck }
  })
