/**
 * Observing source assets outside a materialization, so that a changed raw
 * file shows up in `strata status` and the catalog before anything runs.
 *
 * {@link sources} observes every source of the project (or of a selection)
 * and records an observation only for the sources whose data version
 * changed since their last observation, in one small run tagged
 * `strata/kind: observe`. When nothing changed, nothing is written.
 *
 * @since 0.1.0
 */
import { Cause, Clock, Effect, Exit } from "effect"
import type { AssetKey } from "./AssetKey.ts"
import type { ErrorInfo } from "./Event.ts"
import { errorInfo } from "./Event.ts"
import * as ExecutionPlan from "./ExecutionPlan.ts"
import type { AssetRecord, InstanceError } from "./Instance.ts"
import { Instance } from "./Instance.ts"
import type { Project } from "./Project.ts"
import * as RunCoordinator from "./RunCoordinator.ts"
import * as Selection from "./Selection.ts"
import * as DynamicPartitionStore from "./DynamicPartitionStore.ts"
import { observedPartitions } from "./partitions/observedPartitions.ts"
import type { PlanResolution } from "./partitions/planPartitions.ts"
import type { Any as AnySource, Observation } from "./SourceAsset.ts"
import { SourceError } from "./SourceAsset.ts"

/**
 * The tag marking observation runs: `{ "strata/kind": "observe" }`.
 *
 * @since 0.1.0
 */
export const runTags: Readonly<Record<string, string>> = { "strata/kind": "observe" }

/**
 * What {@link sources} found.
 *
 * @since 0.1.0
 */
export interface ObserveResult {
  /** The run recording the changed observations, when something changed. */
  readonly runId: string | undefined
  /** Sources whose data version changed (or that were never observed), now recorded. */
  readonly changed: ReadonlyArray<{ readonly key: AssetKey; readonly dataVersion: string; readonly previous: string | undefined }>
  /** Sources observed with the same data version as before. */
  readonly unchanged: ReadonlyArray<AssetKey>
  /** Sources that could not be observed (a missing file...). */
  readonly failed: ReadonlyArray<{ readonly key: AssetKey; readonly error: ErrorInfo }>
}

/**
 * Options of {@link sources}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** Observe only the sources in this selection. */
  readonly selection?: string | undefined
  readonly runId?: string | undefined
  /**
   * Also record the sources that could not be observed (their failure shows in
   * status), and the ones recorded as failed that can be observed again with
   * the same data version (which clears the failure). Default false: only new
   * data versions are recorded.
   */
  readonly recordFailures?: boolean | undefined
  /** The instant partition definitions are resolved at (ms since the epoch), for partitioned sources. Default: the clock's. */
  readonly now?: number | undefined
}

/**
 * Observes the sources of a project (only those in `selection`, when given)
 * and records the changed ones, through the run coordinator: one run of
 * observation steps, tagged {@link runTags}, only when there is something to
 * record. Sources are observed one after another, in graph order.
 *
 * @since 0.1.0
 */
export const sources = <R>(
  project: Project<R>,
  options?: Options
): Effect.Effect<
  ObserveResult,
  InstanceError | Selection.SelectionParseError | Selection.SelectionResolveError,
  R | Instance
> =>
  Effect.gen(function*() {
    const instance = yield* Instance
    const keep = options?.selection === undefined ? undefined : new Set(yield* Selection.resolve(project, options.selection))
    const nodes = project.graph.nodes.filter((node): node is AnySource =>
      node.kind === "source" && (keep === undefined || keep.has(node.key))
    )
    if (nodes.length === 0) return { runId: undefined, changed: [], unchanged: [], failed: [] }
    const records = yield* instance.assets(nodes.map((node) => node.key))
    const dynamicKeys = nodes.some((node) => node.partitions !== undefined)
      ? yield* DynamicPartitionStore.keysFor(project as Project<unknown>, instance)
      : undefined
    const now = options?.now ?? (yield* Clock.currentTimeMillis)
    const found = yield* observeAll(nodes, records, { now, dynamicKeys })
    const record = new Set(found.changed.map((entry) => entry.key))
    if (options?.recordFailures === true) {
      for (const entry of found.failed) record.add(entry.key)
      for (const key of found.unchanged) if (records.get(key)?.failure !== undefined) record.add(key)
    }
    if (record.size === 0) return { runId: undefined, ...found }
    const plan = ExecutionPlan.makeSync(project as Project<unknown>, { selection: "*", only: record, observeSources: false, now, dynamicKeys })
    const run = yield* RunCoordinator.execute(project, { ...plan, selection: plan.steps.map((step) => step.key).join(", ") }, {
      runId: options?.runId,
      tags: runTags,
      concurrency: 1
    })
    return { runId: run.runId, ...found }
  })

/** Observes each source, without recording anything, and sorts them by what was found. */
const observeAll = (nodes: ReadonlyArray<AnySource>, records: ReadonlyMap<string, AssetRecord>, resolution: PlanResolution) =>
  Effect.gen(function*() {
    const changed: Array<{ key: AssetKey; dataVersion: string; previous: string | undefined }> = []
    const unchanged: Array<AssetKey> = []
    const failed: Array<{ key: AssetKey; error: ErrorInfo }> = []
    for (const node of nodes) {
      const exit = yield* Effect.exit(node.observe as Effect.Effect<Observation, unknown>)
      if (Exit.isFailure(exit)) {
        if (Cause.hasInterruptsOnly(exit.cause)) return yield* Effect.interrupt
        failed.push({ key: node.key, error: errorInfo(Cause.squash(exit.cause)) })
        continue
      }
      // a partitioned source reporting a partition its definition lacks fails here, before anything is recorded
      const observed = observedPartitions(node, resolution, exit.value.partitions)
      if (observed instanceof SourceError) {
        failed.push({ key: node.key, error: errorInfo(observed) })
        continue
      }
      const previous = records.get(node.key)?.observation?.dataVersion
      if (previous === exit.value.dataVersion) unchanged.push(node.key)
      else changed.push({ key: node.key, dataVersion: exit.value.dataVersion, previous })
    }
    return { changed, unchanged, failed }
  })
