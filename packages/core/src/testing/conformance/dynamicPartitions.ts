/** The instance conformance suite: dynamic partition keys (add, remove, ordinals, validation, persistence order). */
import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import { MAX_KEYS_PER_CALL } from "../../DynamicPartitionStore.ts"
import type { ConformanceTest } from "./shared.ts"
import { freshRunId } from "./shared.ts"

/** Registers the "dynamic partitions" tests. */
export const dynamicPartitionsConformance = (test: ConformanceTest): void => {
  describe("dynamic partitions", () => {
    test("keys keep their ordinals: adding is idempotent, a removed key leaves a hole and comes back at the end", (instance) =>
      Effect.gen(function*() {
        const store = instance.dynamicPartitions
        const name = freshRunId("customers").replace(/[^A-Za-z0-9_.-]/g, "_")
        expect(yield* store.keys(name)).toEqual([])
        expect(yield* store.add(name, ["acme", "globex", "acme"])).toEqual({ name, added: ["acme", "globex"], existing: [] })
        expect(yield* store.add(name, ["globex", "initech"])).toEqual({ name, added: ["initech"], existing: ["globex"] })
        expect(yield* store.remove(name, ["globex", "nobody"])).toEqual({ name, removed: ["globex"], unknown: ["nobody"] })
        expect(yield* store.keys(name)).toEqual(["acme", null, "initech"])
        expect(yield* store.add(name, ["globex"])).toEqual({ name, added: ["globex"], existing: [] })
        expect(yield* store.keys(name)).toEqual(["acme", null, "initech", "globex"])
        expect((yield* store.all())[name]).toEqual(["acme", null, "initech", "globex"])
        // names are separate
        expect(yield* store.keys(`${name}_other`)).toEqual([])
      }))

    test("bad keys, names and too many keys are typed errors naming the key, and add nothing", (instance) =>
      Effect.gen(function*() {
        const store = instance.dynamicPartitions
        const name = freshRunId("regions").replace(/[^A-Za-z0-9_.-]/g, "_")
        const cases: Array<[string, ReadonlyArray<string>, string, string | undefined]> = [
          [name, ["ok", "a|b"], "invalid-key", "a|b"],
          [name, ["ok", "../etc"], "invalid-key", "../etc"],
          [name, [" padded"], "invalid-key", " padded"],
          [name, [""], "invalid-key", ""],
          [name, ["x".repeat(300)], "invalid-key", `${"x".repeat(60)}…`],
          [name, ["tab\there"], "invalid-key", "tab\there"],
          ["no spaces", ["ok"], "invalid-name", undefined],
          [name, Array.from({ length: MAX_KEYS_PER_CALL + 1 }, (_, i) => `k${i}`), "too-many-keys", undefined]
        ]
        for (const [n, keys, reason, key] of cases) {
          const error = yield* Effect.flip(store.add(n, keys))
          expect(error._tag).toBe("@strata/core/DynamicPartitionError")
          if (error._tag !== "@strata/core/DynamicPartitionError") continue
          expect([error.reason, error.key, error.name]).toEqual([reason, key, n])
        }
        expect(yield* store.keys(name)).toEqual([])
        const removal = yield* Effect.flip(store.remove(name, ["a,b"]))
        expect(removal._tag).toBe("@strata/core/DynamicPartitionError")
      }))
  })
}
