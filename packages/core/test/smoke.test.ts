import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Asset, Materialize, Project } from "../src/index.ts"

describe("smoke", () => {
  it.effect("materializes in memory", () =>
    Effect.gen(function*() {
      const a = Asset.make("a", {}, () => Effect.succeed(2))
      const b = Asset.make("b", { deps: { a } }, ({ a }) => Effect.succeed(a * 10))
      const result = yield* Materialize.materializeInMemory(Project.make({ assets: [a, b] }))
      expect(result.status).toBe("succeeded")
      expect(result.value(b)).toBe(20)
    }))
})
