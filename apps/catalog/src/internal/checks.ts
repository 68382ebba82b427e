/**
 * The catalog's view of an asset's checks and freshness: each check the
 * project defines for the asset, its latest results (one per partition) and
 * recent history from the instance's check store, and the asset's freshness
 * under its policy.
 */
import type { Instance, Project } from "@strata/core"
import { Freshness } from "@strata/core"
import type { CheckModels } from "@strata/protocol"
import { Effect } from "effect"

const clean = <A extends object>(value: A): A => JSON.parse(JSON.stringify(value)) as A

/** The checks and freshness of one asset (`limit` results of history per check, default 20). */
export const assetChecks = (
  project: Project.Project<unknown>,
  instance: Instance.InstanceShape,
  key: string,
  limit: number | undefined
): Effect.Effect<CheckModels.AssetChecks, Instance.InstanceError> =>
  Effect.gen(function*() {
    const defined = project.checksOf(key)
    const latest = defined.length === 0 ? [] : (yield* instance.latestChecks([key])).get(key) ?? []
    const checks = []
    for (const check of defined) {
      const history = yield* instance.checkHistory(key, { check: check.spec.name, limit: limit ?? 20 })
      checks.push(clean({
        name: check.spec.name,
        severity: check.spec.severity,
        blocking: check.spec.blocking,
        description: check.spec.description,
        latest: latest.filter((record) => record.check === check.spec.name),
        history
      }))
    }
    const policy = project.freshness.find((p) => p.assetKey === key)
    if (policy === undefined) return { key, checks }
    const record = (yield* instance.assets([key])).get(key)
    const status = Freshness.evaluate(policy, Freshness.lastUpdated(record), Date.now())
    return {
      key,
      checks,
      freshness: clean({
        status: status.status,
        policy: status.policy,
        reason: status.reason,
        lastUpdated: status.lastUpdated,
        lateSince: status.lateSince,
        freshUntil: status.freshUntil
      })
    }
  })
