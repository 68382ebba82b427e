import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Asset, Backfill, InMemoryIO, Instance, Materialize, Partitions, Project, Staleness } from "../src/index.ts"

const customers = Partitions.dynamic("customers")
const orders = Asset.make("orders", { partitions: customers }, (_, context) => Effect.succeed([context.partitions.first]))
const project = Project.make({ assets: [orders] })

describe("dynamic partitions from the instance", () => {
  it.effect("a run resolves the stored keys; an unknown or removed key is an InvalidPartitionKey naming the asset", () =>
    Effect.gen(function*() {
      const instance = yield* Instance.Instance
      yield* instance.dynamicPartitions.add("customers", ["acme", "globex"])
      const result = yield* Materialize.materialize(project, { partition: "globex" })
      expect(result.materialized).toEqual(["orders"])
      const status = (yield* Staleness.partitions(project))[0]!
      expect(status).toMatchObject({ total: 2, missing: 1, missingText: "acme" })

      const unknown = yield* Effect.flip(Materialize.materialize(project, { partition: "initech" }))
      expect(unknown.message).toBe(
        `partition "initech" of asset orders is invalid: there is no such key (expected a key of the dynamic partitions customers)`
      )
      yield* instance.dynamicPartitions.remove("customers", ["globex"])
      const removed = yield* Effect.flip(Materialize.materialize(project, { partition: "globex" }))
      expect(removed.message).toContain(`partition "globex" of asset orders is invalid: there is no such key`)
      // ordinals never move: acme keeps index 0, the removed key is no partition any more
      expect((yield* Staleness.partitions(project))[0]).toMatchObject({ total: 1, missing: 1 })
    }).pipe(Effect.provide(Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory))))

  it.effect("a backfill plans and runs over the stored keys", () =>
    Effect.gen(function*() {
      const instance = yield* Instance.Instance
      yield* instance.dynamicPartitions.add("customers", ["acme", "globex", "initech"])
      const record = yield* Backfill.create(project, { selection: "orders", partitions: "acme...initech", policy: "per-partition", now: Date.now() })
      const outcome = yield* Backfill.run(project, record.backfillId)
      expect(outcome.record.status).toBe("completed")
      expect(outcome.progress).toMatchObject({ total: 3, materialized: 3, missing: 0 })
    }).pipe(Effect.provide(Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory))))
})
