/**
 * The instance conformance suite: one set of tests that every
 * implementation of {@link Instance} runs (memory, SQLite, Postgres), so that
 * they agree on the contract. It is one suite per domain of the instance
 * (runs, cancel requests, the event log, the asset index, the check store,
 * retention, orphaned runs, persistence), each in `testing/conformance/`; every backend runs all of them. Differences between backends are expressed by
 * `Capabilities` flags and checked, never skipped silently:
 * `persistent` decides what reopening must show; `multiProcess` needs other
 * processes opening the same storage, which only a backend's own tests know
 * how to start (see @strata/sqlite's and @strata/postgres's multiprocess tests).
 */
import { describe, expect } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import type { Instance } from "../Instance.ts"
import { assetIndexConformance } from "./conformance/assetIndex.ts"
import { automationConformance } from "./conformance/automation.ts"
import { backfillsConformance } from "./conformance/backfills.ts"
import { cancelRequestsConformance } from "./conformance/cancelRequests.ts"
import { checksConformance } from "./conformance/checks.ts"
import { eventLogConformance } from "./conformance/eventLog.ts"
import { orphanedRunsConformance } from "./conformance/orphanedRuns.ts"
import { partitionStatusConformance } from "./conformance/partitionStatus.ts"
import { dynamicPartitionsConformance } from "./conformance/dynamicPartitions.ts"
import { persistenceConformance } from "./conformance/persistence.ts"
import { retentionConformance } from "./conformance/retention.ts"
import { runsConformance } from "./conformance/runs.ts"
import { conformanceTest } from "./conformance/shared.ts"

/**
 * Options of {@link instanceConformance}.
 *
 * @since 0.1.0
 */
export interface InstanceConformanceOptions {
  /** Per-test timeout in milliseconds (default 30 000). */
  readonly timeout?: number | undefined
  /** The backend keeps partition status (`partitionStatus`); without it those cases are `todo`. Default true. */
  readonly partitionStatus?: boolean | undefined
}

/**
 * Registers the instance conformance suite with vitest.
 *
 * `make` is called once per test and must return a layer over fresh, empty
 * storage. For implementations whose `capabilities.persistent` is true,
 * building that same layer again must reopen the same storage (the suite
 * closes the first instance, builds the layer again and expects everything
 * to be there).
 *
 * @example
 * ```ts
 * // test/instance-memory.test.ts
 * import { Instance } from "@strata/core"
 * import { instanceConformance } from "@strata/core/testing"
 *
 * instanceConformance("memory", () => Instance.layerMemory)
 * ```
 *
 * @since 0.1.0
 */
export const instanceConformance = (
  name: string,
  make: () => Layer.Layer<Instance, unknown>,
  options?: InstanceConformanceOptions
): void => {
  const test = conformanceTest(make, options?.timeout ?? 30_000)
  describe(`Instance conformance: ${name}`, () => {
    test("describes itself and declares its capabilities", (instance) =>
      Effect.sync(() => {
        expect(instance.describe.length).toBeGreaterThan(0)
        expect(typeof instance.capabilities.persistent).toBe("boolean")
        expect(typeof instance.capabilities.multiProcess).toBe("boolean")
      }))
    runsConformance(test)
    cancelRequestsConformance(test)
    eventLogConformance(test)
    assetIndexConformance(test)
    checksConformance(test)
    retentionConformance(test)
    orphanedRunsConformance(test)
    partitionStatusConformance(test, options?.partitionStatus ?? true)
    persistenceConformance(test)
    automationConformance(test)
    backfillsConformance(test)
    dynamicPartitionsConformance(test)
  })
}
