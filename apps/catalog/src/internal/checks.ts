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

/** Every asset with checks, in the project's order, with its latest results counted (`GET /api/checks/summary`). */
export const checkSummary = (
  project: Project.Project<unknown>,
  instance: Instance.InstanceShape
): Effect.Effect<CheckModels.CheckSummary, Instance.InstanceError> =>
  Effect.gen(function*() {
    const keys = project.graph.nodes.map((node) => node.key).filter((key) => project.checksOf(key).length > 0)
    if (keys.length === 0) return { assets: [] }
    const latest = yield* instance.latestChecks(keys)
    return {
      assets: keys.map((key) => {
        const defined = project.checksOf(key)
        const results = latest.get(key) ?? []
        let passed = 0
        let failed = 0
        let warned = 0
        let last: number | undefined
        const seen = new Set<string>()
        for (const result of results) {
          seen.add(result.check)
          if (result.passed) passed++
          else if (result.severity === "error") failed++
          else warned++
          if (last === undefined || result.timestamp > last) last = result.timestamp
        }
        const pending = defined.filter((check) => !seen.has(check.spec.name)).length
        return { key, checks: defined.length, passed, failed, warned, pending, ...(last === undefined ? {} : { lastEvaluatedAt: last }) }
      })
    }
  })
