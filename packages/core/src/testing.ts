/**
 * Test helpers for Strata projects and for implementations of core contracts.
 *
 * Needs `vitest` and `@effect/vitest` (optional peer dependencies of
 * `@strata/core`): the suites register tests with them.
 *
 * @since 0.1.0
 */
export { instanceConformance } from "./testing/instanceConformance.ts"
export type { InstanceConformanceOptions } from "./testing/instanceConformance.ts"
export { ioManagerConformance } from "./testing/ioManagerConformance.ts"
export type {
  ConformanceStorage,
  IOManagerCapabilities,
  IOManagerConformanceOptions,
  ValueKind
} from "./testing/ioManagerConformance.ts"
export { runAsset, runAssetOutput } from "./testing/runAsset.ts"
export type { Remaining, RunAssetOptions } from "./testing/runAsset.ts"
export * as TestProcess from "./testing/testProcess.ts"
