/**
 * The service-provider interface: what out-of-core implementations of
 * core contracts (instance storage, I/O managers) may use. Stable like the
 * public API; never import `internal/` from another package.
 *
 * @since 0.1.0
 */
export * as EventProjection from "./EventProjection.ts"
export {
  checkKey,
  checkResultRecord,
  isProcessAlive,
  isTerminal,
  materializationRecord,
  observationRecord,
  orphanedRunEnd,
  orphanedStepFailures,
  orphanReason,
  stepKey
} from "./internal/instanceRules.ts"
export { exactJson } from "./FileSystemIO.ts"
export * as StoragePath from "./StoragePath.ts"
