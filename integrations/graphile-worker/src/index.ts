/**
 * @strata/graphile-worker: Strata's steps run by worker processes on
 * graphile-worker, with Postgres as the shared instance.
 *
 * @since 0.1.0
 */
export * as QueueExecutor from "./QueueExecutor.ts"
export * as WorkerQueue from "./WorkerQueue.ts"
export * as Worker from "./Worker.ts"
