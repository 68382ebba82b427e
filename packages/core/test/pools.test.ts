import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer } from "effect"
import { Asset, InMemoryIO, Instance, type IOManager, Materialize, Project } from "../src/index.ts"

const pooledProject = (log: Array<string>, gate?: Deferred.Deferred<void>): Project.Project<IOManager.DefaultIO> => {
  const step = (key: string) =>
    Asset.make(key, { pool: "warehouse" }, () =>
      Effect.gen(function*() {
        log.push(`start ${key}`)
        if (gate !== undefined) yield* Deferred.await(gate)
        yield* Effect.yieldNow
        log.push(`end ${key}`)
        return 1
      }))
  return Project.make({
    assets: [step("a"), step("b"), step("c"), Asset.make("free", {}, () => Effect.succeed(0))],
    automation: { runQueue: { pools: { warehouse: 1 } } }
  }) as Project.Project<IOManager.DefaultIO>
}

describe("concurrency pools", () => {
  it.live("steps of a pool of limit 1 run one at a time, and a waiting step logs which pool it waits for", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const result = yield* Materialize.materialize(pooledProject(log), { runId: "r1", concurrency: 4 })
      expect(result.status).toBe("succeeded")
      // every start is followed by its own end before the next start
      for (let i = 0; i < log.length; i += 2) {
        expect(log[i]!.replace("start", "end")).toBe(log[i + 1])
      }
      expect(log).toHaveLength(6)
      const instance = yield* Instance.Instance
      const waits = (yield* instance.runEvents("r1")).filter((e) => e.type === "log" && e.message.startsWith("waiting for pool"))
      expect(waits.map((e) => e.type === "log" ? e.message : "")).toEqual([
        "waiting for pool warehouse (1/1 held)",
        "waiting for pool warehouse (1/1 held)"
      ])
      // every slot was given back
      expect(yield* instance.automation.lease("pool/warehouse/0")).toBeUndefined()
    }).pipe(Effect.provide(Layer.mergeAll(Instance.layerMemory, InMemoryIO.layer))))

  it.live("a canceled run gives its slot back at once", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const gate = yield* Deferred.make<void>()
      const project = pooledProject(log, gate)
      const instance = yield* Instance.Instance
      const fiber = yield* Effect.forkChild(Materialize.materialize(project, { runId: "held", selection: "a" }))
      while (!log.includes("start a")) yield* Effect.sleep(5)
      expect((yield* instance.automation.lease("pool/warehouse/0"))?.holder).toContain("held/a")
      yield* Fiber.interrupt(fiber)
      expect(yield* instance.automation.lease("pool/warehouse/0")).toBeUndefined()
      yield* Deferred.succeed(gate, undefined)
      const next = yield* Materialize.materialize(project, { runId: "next", selection: "b" })
      expect(next.status).toBe("succeeded")
    }).pipe(Effect.provide(Layer.mergeAll(Instance.layerMemory, InMemoryIO.layer))))

  it("an asset naming an undeclared pool, or a pool limit below 1, is a TypeError naming them", () => {
    const a = Asset.make("loads/a", { pool: "warehuose" }, () => Effect.succeed(1))
    expect(() => Project.make({ assets: [a], automation: { runQueue: { pools: { warehouse: 2 } } } }))
      .toThrow("asset loads/a names pool 'warehuose', which the project does not declare (declare its limit in automation.runQueue.pools; declared: warehouse)")
    expect(() => Project.make({ assets: [a], automation: { runQueue: { pools: { warehuose: 0 } } } }))
      .toThrow("the limit of pool warehuose must be a whole number >= 1, got 0")
    expect(() => Asset.make("b", { pool: "" }, () => Effect.succeed(1))).toThrow("asset b: 'pool' must be a non-empty string")
  })
})
