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
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { Cause, Clock, Effect, Exit } from "effect"
import type { AssetKey } from "./AssetKey.ts"
import type { ErrorInfo, StrataEvent } from "./Event.ts"
import { errorInfo } from "./Event.ts"
import type { InstanceError } from "./Instance.ts"
import { Instance } from "./Instance.ts"
import * as Metadata from "./Metadata.ts"
import type { Project } from "./Project.ts"
import * as Selection from "./Selection.ts"
import type { Any as AnySource, Observation } from "./SourceAsset.ts"

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
 * Observes the sources of a project (only those in `selection`, when given)
 * and records the changed ones. Sources are observed one after another, in
 * graph order.
 *
 * @since 0.1.0
 */
export const sources = <R>(
  project: Project<R>,
  options?: { readonly selection?: string | undefined; readonly runId?: string | undefined }
): Effect.Effect<
  ObserveResult,
  InstanceError | Selection.SelectionParseError | Selection.SelectionResolveError,
  R | Instance
> =>
  Effect.gen(function*() {
    const instance = yield* Instance
    const clock = yield* Clock.Clock
    const keep = options?.selection === undefined ? undefined : new Set(yield* Selection.resolve(project, options.selection))
    const nodes = project.graph.nodes.filter((node): node is AnySource =>
      node.kind === "source" && (keep === undefined || keep.has(node.key))
    )
    if (nodes.length === 0) return { runId: undefined, changed: [], unchanged: [], failed: [] }
    const records = yield* instance.assets(nodes.map((node) => node.key))
    const changed: Array<{ key: AssetKey; dataVersion: string; previous: string | undefined }> = []
    const unchanged: Array<AssetKey> = []
    const failed: Array<{ key: AssetKey; error: ErrorInfo }> = []
    const observations: Array<{ node: AnySource; observation: Observation; started: number; ended: number }> = []
    for (const node of nodes) {
      const started = clock.currentTimeMillisUnsafe()
      const exit = yield* Effect.exit(node.observe as Effect.Effect<Observation, unknown>)
      if (Exit.isFailure(exit)) {
        if (Cause.hasInterruptsOnly(exit.cause)) return yield* Effect.interrupt
        failed.push({ key: node.key, error: errorInfo(Cause.squash(exit.cause)) })
        continue
      }
      const previous = records.get(node.key)?.observation?.dataVersion
      if (previous === exit.value.dataVersion) {
        unchanged.push(node.key)
        continue
      }
      changed.push({ key: node.key, dataVersion: exit.value.dataVersion, previous })
      observations.push({ node, observation: exit.value, started, ended: clock.currentTimeMillisUnsafe() })
    }
    if (observations.length === 0) return { runId: undefined, changed, unchanged, failed }

    const runId = options?.runId ?? randomUUID()
    const createdAt = observations[0]!.started
    yield* instance.createRun({
      runId,
      selection: observations.map((o) => o.node.key).join(", "),
      assetKeys: observations.map((o) => o.node.key),
      staleOnly: false,
      tags: runTags,
      createdAt,
      host: hostname(),
      pid: process.pid
    })
    const events: Array<StrataEvent> = [{ type: "run-started", runId, timestamp: createdAt }]
    for (const { ended, node, observation, started } of observations) {
      events.push(
        { type: "step-started", runId, timestamp: started, assetKey: node.key, partition: undefined, attempt: 1 },
        {
          type: "asset-observed",
          runId,
          timestamp: ended,
          assetKey: node.key,
          partition: undefined,
          dataVersion: observation.dataVersion,
          metadata: observation.metadata ?? Metadata.empty
        },
        {
          type: "step-succeeded",
          runId,
          timestamp: ended,
          assetKey: node.key,
          partition: undefined,
          attempt: 1,
          durationMs: ended - started
        }
      )
    }
    events.push({ type: "run-succeeded", runId, timestamp: clock.currentTimeMillisUnsafe() })
    yield* instance.appendEvents(events)
    return { runId, changed, unchanged, failed }
  })
