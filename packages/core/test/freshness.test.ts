import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Asset, Freshness, Instance, Project } from "../src/index.ts"

const gold = Asset.make("gold", {}, () => Effect.succeed(1))
const hour = 3_600_000
const t0 = Date.parse("2024-03-10T12:00:00.000Z")

describe("freshness policies", () => {
  it("maxLag: fresh until the lag runs out, then late since then", () => {
    const policy = Freshness.policy(gold, { maxLag: "2 hours" })
    expect(policy.description).toBe("updated within 2h")
    const fresh = Freshness.evaluate(policy, t0, t0 + hour)
    expect(fresh).toMatchObject({ status: "fresh", freshUntil: t0 + 2 * hour, lateSince: undefined })
    const late = Freshness.evaluate(policy, t0, t0 + 3 * hour)
    expect(late).toMatchObject({ status: "late", lateSince: t0 + 2 * hour })
    expect(late.reason).toBe("late since 2024-03-10T14:00:00.000Z: not updated for more than 2h")
    expect(Freshness.evaluate(policy, undefined, t0)).toMatchObject({ status: "late", lateSince: undefined, reason: "never updated" })
  })

  it("cron: late when not updated since the latest tick, fresh until the next one", () => {
    const policy = Freshness.policy(gold, { cron: "0 6 * * *" })
    // updated at 05:00, now 07:00: the 06:00 deadline was missed
    const day = Date.parse("2024-03-10T00:00:00.000Z")
    const late = Freshness.evaluate(policy, day + 5 * hour, day + 7 * hour)
    expect(late).toMatchObject({ status: "late", lateSince: day + 6 * hour })
    // updated at 06:30, now 07:00: fresh until tomorrow 06:00
    const fresh = Freshness.evaluate(policy, day + 6.5 * hour, day + 7 * hour)
    expect(fresh).toMatchObject({ status: "fresh", freshUntil: day + 30 * hour })
    // both: the earliest violation is reported
    const both = Freshness.policy(gold, { cron: "0 6 * * *", maxLag: "30 minutes" })
    expect(Freshness.evaluate(both, day + 5 * hour, day + 7 * hour)).toMatchObject({ status: "late", lateSince: day + 5.5 * hour })
  })

  it("refuses an empty policy and a bad cron; Project.make refuses two policies of one asset", () => {
    expect(() => Freshness.policy(gold, {})).toThrow("needs a maxLag, a cron deadline, or both")
    expect(() => Freshness.policy(gold, { cron: "not a cron" })).toThrow("is not valid")
    const p = Freshness.policy(gold, { maxLag: "1 hour" })
    expect(() => Project.make({ assets: [gold], freshness: [p, p] })).toThrow("two freshness policies")
  })

  it.effect("status reads the last materialization from the instance", () =>
    Effect.gen(function*() {
      const silver = Asset.make("silver", {}, () => Effect.succeed(1))
      const project = Project.make({
        assets: [gold, silver],
        freshness: [Freshness.policy(gold, { maxLag: "1 hour" }), Freshness.policy(silver, { maxLag: "1 hour" })]
      })
      const instance = yield* Instance.Instance
      yield* instance.createRun({ runId: "r", selection: "*", assetKeys: ["gold"], staleOnly: false, tags: {}, createdAt: t0 })
      yield* instance.appendEvents([{
        type: "asset-materialized",
        runId: "r",
        timestamp: t0,
        assetKey: "gold",
        metadata: {},
        dataVersion: "v",
        codeVersion: "c",
        inputVersions: {}
      }])
      const statuses = yield* Freshness.status(project, { now: t0 + 30 * 60_000 })
      expect(statuses.map((s) => [s.key, s.status, s.lastUpdated])).toEqual([["gold", "fresh", t0], ["silver", "late", undefined]])
    }).pipe(Effect.provide(Instance.layerMemory)))
})
