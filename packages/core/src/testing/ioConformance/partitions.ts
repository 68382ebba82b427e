/**
 * The I/O manager conformance suite: partitions. A manager that declares
 * partitions keeps each partition apart and reports a missing one with a
 * typed error naming it; one that does not must refuse a partitioned store
 * with an `IOError` rather than store it somewhere else.
 */
import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import * as Partitions from "../../Partitions.ts"
import * as StepPartitions from "../../partitions/stepPartitions.ts"
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

    if (ranges) rangeConformance(test, emptyMissing)
    else {
      test("partition ranges: not declared (core loads a range partition by partition when the manager is wrapped to)", ({ io }) =>
        Effect.sync(() => expect(io.name.length).toBeGreaterThan(0)))
    }
  })
}

/** The step partitions of `first...last` over daily partitions of June 2024, as core hands them to a load. */
const range = (first: number, last: number): StepPartitions.StepPartitions =>
  StepPartitions.make(Partitions.resolve(Partitions.daily({ start: "2024-06-01", end: "2024-07-01" }), { now: Date.UTC(2024, 6, 1) }), [[first, last + 1]])

/** Declared range loads: several partitions as one value, in partition order; a missing one named. */
const rangeConformance = <A>(test: IOTest<A>, emptyMissing: boolean): void => {
  test("partition ranges: a range loads as one value, the partitions' values in partition order (declared)", ({ concat, io, same, sample }) =>
    Effect.gen(function*() {
      // stored out of order, and a partition outside the range
      for (const index of [2, 0, 1, 3]) yield* storeOk(io, "daily", `2024-06-0${index + 1}`, sample(30 + index, "small"))
      const partitions = range(0, 2)
      const result = yield* load(io, "daily", "2024-06-01...2024-06-03", partitions)
      if (result._tag !== "ok") {
        expect.fail(`${io.name} declares partitionRanges: loading 2024-06-01...2024-06-03 failed: ${describeOutcome(result)}`)
        return
      }
      const expected = concat([sample(30, "small"), sample(31, "small"), sample(32, "small")])
      expect(same(result.value, expected), `${io.name}: the range does not load as its three partitions in order`).toBe(true)
      const one = yield* load(io, "daily", "2024-06-02", range(1, 1))
      expect(one._tag === "ok" && same(one.value, sample(31, "small")), `${io.name}: a range of one partition loads it`).toBe(true)
    }))

  if (!emptyMissing) {
    test("partition ranges: a range with a partition never stored fails with an IOError naming that partition", ({ io, sample }) =>
      Effect.gen(function*() {
        yield* storeOk(io, "daily", "2024-06-01", sample(1, "small"))
        yield* storeOk(io, "daily", "2024-06-03", sample(3, "small"))
        const result = yield* load(io, "daily", "2024-06-01...2024-06-03", range(0, 2))
        if (result._tag !== "io-error") {
          expect.fail(`${io.name}: a range holding a partition never stored must fail with an IOError: ${describeOutcome(result)}`)
          return
        }
        expect(result.error.key).toBe("daily")
        expect(result.error.partition, "IOError.partition names the missing partition").toBe("2024-06-02")
      }))
  }
}
