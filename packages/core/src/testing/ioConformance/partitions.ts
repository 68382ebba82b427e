/**
 * The I/O manager conformance suite: partitions. A manager that declares
 * partitions keeps each partition apart and reports a missing one with a
 * typed error naming it; one that does not must refuse a partitioned store
 * with an `IOError` rather than store it somewhere else.
 */
import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import type { IOTest } from "./shared.ts"
import { describe as describeOutcome, load, loadOk, store, storeOk } from "./shared.ts"

const days = ["2024-06-01", "2024-06-02", "2024-06-03"]

/** Registers the "partitions" tests. */
export const partitionsConformance = <A>(
  test: IOTest<A>,
  partitions: boolean,
  ranges: boolean,
  emptyMissing: boolean
): void => {
  describe("partitions", () => {
    if (!partitions) {
      test("partitions: not declared, so storing a partition fails with an IOError instead of storing it elsewhere", ({ io, sample }) =>
        Effect.gen(function*() {
          const result = yield* store(io, "daily", "2024-06-01", sample(1, "small"))
          expect(result._tag, `${io.name} declares no partitions, so a partitioned store must fail with an IOError: ${describeOutcome(result)}`)
            .toBe("io-error")
        }))
    } else {
      test("each partition round-trips apart from the others; an overwrite touches only its partition (declared)", ({ io, same, sample }) =>
        Effect.gen(function*() {
          for (const [index, day] of days.entries()) yield* storeOk(io, "daily", day, sample(10 + index, "small"))
          yield* storeOk(io, "daily", days[1], sample(20, "small"))
          const expected = [sample(10, "small"), sample(20, "small"), sample(12, "small")]
          for (const [index, day] of days.entries()) {
            const loaded = yield* loadOk(io, "daily", day)
            expect(same(loaded, expected[index]!), `${io.name}: partition ${day} does not hold its own value`).toBe(true)
          }
        }))

      if (emptyMissing) {
        test("a partition never stored loads as an empty value (declared limitation: emptyMissingPartitions)", ({ io, sample }) =>
          Effect.gen(function*() {
            yield* storeOk(io, "daily", "2024-06-01", sample(1, "small"))
            const result = yield* load(io, "daily", "2024-06-09")
            expect(result._tag, `${io.name} declares emptyMissingPartitions: ${describeOutcome(result)}`).toBe("ok")
          }))
      } else {
        test("a partition never stored fails to load with an IOError naming the asset and the partition", ({ io, sample }) =>
        Effect.gen(function*() {
          yield* storeOk(io, "daily", "2024-06-01", sample(1, "small"))
          const result = yield* load(io, "daily", "2024-06-09")
          if (result._tag !== "io-error") {
            expect.fail(`${io.name}: loading a partition never stored must fail with an IOError: ${describeOutcome(result)}`)
            return
          }
          expect(result.error.operation).toBe("load")
          expect(result.error.key).toBe("daily")
          expect(result.error.partition, "IOError.partition names the partition").toBe("2024-06-09")
        }))
      }
    }

    test(`partition ranges: ${ranges ? "declared, but core has no range loads yet" : "not declared (range loads are checked once core has them)"}`, ({ io }) =>
      Effect.sync(() => {
        expect(
          ranges,
          `${io.name} declares partitionRanges, which this version of the suite cannot check yet: remove the declaration`
        ).toBe(false)
      }))
  })
}
