/**
 * The I/O manager conformance suite: atomic overwrite. While one fiber
 * overwrites a large value several times, readers load it over and over;
 * every load must return one of the values stored so far, whole. Loads and
 * stores really overlap: the readers yield to the event loop between loads,
 * so a manager's asynchronous file or database writes are under way while
 * they read.
 */
import { describe, expect } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import type { IOTest } from "./shared.ts"
import { describe as describeOutcome, load, nextTick, storeOk } from "./shared.ts"

const OVERWRITES = 4
const READERS = 2

/** Registers the "atomic overwrite" tests. */
export const overwriteConformance = <A>(test: IOTest<A>, concurrentReaders: boolean): void => {
  describe("atomic overwrite", () => {
    if (!concurrentReaders) {
      test("concurrent readers: not declared, so loads during an overwrite are not checked (declare concurrentReaders to check them)", ({ capabilities }) =>
        Effect.sync(() => expect(capabilities.concurrentReaders).toBe(false)))
      return
    }
    test("a load during an overwrite gets the old or the new value, never a partial one or nothing (declared)", ({ io, same, sample }) =>
      Effect.gen(function*() {
        const key = "overwritten"
        const values = Array.from({ length: OVERWRITES + 1 }, (_, n) => sample(100 + n, "large"))
        yield* storeOk(io, key, undefined, values[0]!)
        // how many values may be there: the first, and each one whose store has started
        let started = 1
        let writing = true
        const problems: Array<string> = []
        let reads = 0
        const reader = Effect.gen(function*() {
          do {
            const visible = started
            const result = yield* load(io, key, undefined)
            reads++
            if (result._tag !== "ok") {
              problems.push(
                `a load during an overwrite failed (${describeOutcome(result)}): the old or the new value must load at any moment (is the write not atomic?)`
              )
            } else if (!values.slice(0, Math.max(visible, started)).reverse().some((value) => same(result.value, value))) {
              problems.push("a load during an overwrite returned a value that is neither the old nor the new one (a partial write?)")
            }
            yield* nextTick
          } while (writing && problems.length < 5)
        })
        const readers = yield* Effect.forEach(Array.from({ length: READERS }), () => Effect.forkChild(reader))
        yield* nextTick
        for (let n = 1; n <= OVERWRITES; n++) {
          started = n + 1
          yield* storeOk(io, key, undefined, values[n]!)
          yield* nextTick
        }
        writing = false
        yield* Effect.forEach(readers, Fiber.join)
        expect(problems, `${io.name}: ${[...new Set(problems)].join("; ")}`).toEqual([])
        expect(reads).toBeGreaterThan(0)
        const last = yield* load(io, key, undefined)
        expect(last._tag === "ok" && same(last.value, values[OVERWRITES]!), `${io.name}: after the overwrites the last value is stored`)
          .toBe(true)
      }))
  })
}
