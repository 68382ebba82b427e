/**
 * The I/O manager conformance suite: one set of tests any I/O manager runs
 * with a few lines, built-in or third-party, so that they all keep the
 * contract assets rely on. Each domain is a module in
 * `testing/ioConformance/`: values (round trips, the typed missing-value
 * error, metadata, data versions, reopening), atomic overwrite under
 * concurrent readers, hostile keys and partitions (nothing escapes the
 * storage folder or collides), partitions.
 *
 * Differences between managers are declared in `capabilities` and checked
 * both ways, never skipped silently: a manager without partitions must
 * refuse a partitioned store with an `IOError`, one that declares
 * `persistent: false` must not find a value after reopening, and so on.
 */
import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import type { IOManager } from "../IOManager.ts"
import { hostileConformance } from "./ioConformance/hostile.ts"
import { overwriteConformance } from "./ioConformance/overwrite.ts"
import { partitionsConformance } from "./ioConformance/partitions.ts"
import type { IOManagerConformanceOptions } from "./ioConformance/shared.ts"
import { ioTest } from "./ioConformance/shared.ts"
import { valuesConformance } from "./ioConformance/values.ts"

export type {
  ConformanceStorage,
  IOManagerCapabilities,
  IOManagerConformanceOptions,
  ValueKind
} from "./ioConformance/shared.ts"

/**
 * Registers the I/O manager conformance suite with vitest.
 *
 * `make` is called once per test with fresh storage (a folder inside a
 * sandbox the suite watches, and an id for a database or schema) and must
 * return a manager over it, empty; called again with the same storage it
 * must reopen the same data when `capabilities.persistent` is true.
 *
 * @example
 * ```ts
 * // test/conformance.test.ts
 * import { FileSystemIO } from "@strata/core"
 * import { ioManagerConformance } from "@strata/core/testing"
 * import { Effect } from "effect"
 *
 * ioManagerConformance("filesystem", {
 *   make: ({ base }) => Effect.sync(() => FileSystemIO.make({ base })),
 *   capabilities: {
 *     values: ["json", "structured"],
 *     partitions: true,
 *     concurrentReaders: true,
 *     persistent: true,
 *     dataVersion: "content",
 *     longNames: true
 *   }
 * })
 * ```
 *
 * @since 0.1.0
 */
export const ioManagerConformance = <A = unknown>(name: string, options: IOManagerConformanceOptions<A>): void => {
  const test = ioTest(options)
  const capabilities = options.capabilities
  describe(`I/O manager conformance: ${name}`, () => {
    test("names itself and declares consistent capabilities", ({ io }) =>
      Effect.sync(() => {
        expect(typeof (io as IOManager<A>).name).toBe("string")
        expect(io.name.length, "the manager's name (shown in `strata list` and the catalog) is not empty").toBeGreaterThan(0)
        if (options.sample === undefined) {
          expect(
            capabilities.values,
            `${name}: without a \`sample\` option the suite's samples are JSON rows, so the manager must declare the "json" value kind`
          ).toContain("json")
        }
      }))
    valuesConformance(test, capabilities.values)
    overwriteConformance(test, capabilities.concurrentReaders)
    hostileConformance(test, capabilities.partitions)
    partitionsConformance(
      test,
      capabilities.partitions,
      capabilities.partitionRanges ?? false,
      capabilities.emptyMissingPartitions ?? false
    )
  })
}
