/**
 * @strata/core: assets, resources, I/O managers, selection, executor and the
 * instance interface of Strata, a data-aware orchestrator built on Effect.
 *
 * @since 0.1.0
 */
export * as Asset from "./Asset.ts"
export * as AssetGraph from "./AssetGraph.ts"
export * as AssetKey from "./AssetKey.ts"
export * as AssetSpec from "./AssetSpec.ts"
export * as Check from "./Check.ts"
export * as Event from "./Event.ts"
export * as ExecutionPlan from "./ExecutionPlan.ts"
export * as Executor from "./Executor.ts"
export * as ExternalAsset from "./ExternalAsset.ts"
export * as FileSystemIO from "./FileSystemIO.ts"
export * as InMemoryIO from "./InMemoryIO.ts"
export * as Instance from "./Instance.ts"
export * as IOManager from "./IOManager.ts"
export * as Materialize from "./Materialize.ts"
export * as Metadata from "./Metadata.ts"
export * as Observe from "./Observe.ts"
export * as Output from "./Output.ts"
export * as Project from "./Project.ts"
export * as RetryPolicy from "./RetryPolicy.ts"
export * as RunCoordinator from "./RunCoordinator.ts"
export * as Selection from "./Selection.ts"
export * as SourceAsset from "./SourceAsset.ts"
export * as Staleness from "./Staleness.ts"
export * as Step from "./Step.ts"
export * as StepRequest from "./StepRequest.ts"
export * as StrataConfig from "./StrataConfig.ts"
export * as Version from "./Version.ts"
