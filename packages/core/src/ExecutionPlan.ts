/**
 * Execution plans: a selection turned into data the executor walks. A plan is
 * built first and then run, so it can be shown (`strata materialize --dry-run`),
 * stored with the run and handed step by step to other executors.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { AssetKey } from "./AssetKey.ts"
import type { Project } from "./Project.ts"
import * as Selection from "./Selection.ts"

/**
 * One step: materialize a computed asset or observe a source.
 *
 * @since 0.1.0
 */
export interface PlanStep {
  readonly key: AssetKey
  readonly kind: "materialize" | "observe"
  /** Positions (in `steps`) of the steps that must finish first. */
  readonly upstream: ReadonlyArray<number>
  /** Positions of the steps waiting on this one. */
  readonly downstream: ReadonlyArray<number>
}

/**
 * A plan: steps in topological order.
 *
 * @since 0.1.0
 */
export interface ExecutionPlan {
  readonly selection: string
  readonly partition: string | undefined
  readonly steps: ReadonlyArray<PlanStep>
}

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** Default `*` (everything). */
  readonly selection?: string | undefined
  readonly partition?: string | undefined
  /** Observe the sources read by selected assets even when not selected. Default true. */
  readonly observeSources?: boolean | undefined
  /** Restrict the plan to these keys (after resolving the selection): used by re-execution. */
  readonly only?: ReadonlySet<string> | undefined
}

/**
 * Plans a selection over a project. External assets are never planned;
 * selected sources become observation steps.
 *
 * @since 0.1.0
 */
export const make = (
  project: Project<unknown>,
  options?: Options
): Effect.Effect<ExecutionPlan, Selection.SelectionParseError | Selection.SelectionResolveError> =>
  Effect.try({ try: () => makeSync(project, options), catch: (error) => error }).pipe(
    // anything but a selection error is a bug: a defect, never reported as a bad selection
    Effect.catch((error) => Selection.isSelectionError(error) ? Effect.fail(error) : Effect.die(error))
  )

/**
 * Like {@link make}, throwing on a bad selection.
 *
 * @since 0.1.0
 */
export const makeSync = (project: Project<unknown>, options?: Options): ExecutionPlan => {
  const selection = options?.selection ?? "*"
  const graph = project.graph
  const size = graph.nodes.length
  const mask = Selection.resolveMask(project, selection, Selection.parseSync(selection))
  const only = options?.only
  for (let i = 0; i < size; i++) {
    if (mask[i] === 0) continue
    const node = graph.nodes[i]!
    if (node.kind === "external" || (only !== undefined && !only.has(node.key))) mask[i] = 0
  }
  if (options?.observeSources ?? true) {
    for (let i = 0; i < size; i++) {
      if (mask[i] !== 1 || graph.nodes[i]!.kind !== "asset") continue
      for (const j of graph.upstream[i]!) if (graph.nodes[j]!.kind === "source") mask[j] = 2
    }
  }
  // Lists are allocated at their final length (a pushed-to `[]` reserves room
  // for 16 entries: most of a large plan's memory): upstream lists first,
  // then downstream lists from the counts.
  const position = new Int32Array(size).fill(-1)
  const steps: Array<{ key: AssetKey; kind: "materialize" | "observe"; upstream: Array<number>; downstream: Array<number> }> = []
  const downCount: Array<number> = []
  for (let i = 0; i < size; i++) {
    if (mask[i] === 0) continue
    const node = graph.nodes[i]!
    const here = steps.length
    position[i] = here
    const graphUpstream = graph.upstream[i]!
    let upstream: Array<number> = new Array(graphUpstream.length)
    let count = 0
    for (let k = 0; k < graphUpstream.length; k++) {
      const p = position[graphUpstream[k]!]!
      if (p !== -1) {
        upstream[count++] = p
        downCount[p]!++
      }
    }
    if (count < upstream.length) upstream = upstream.slice(0, count)
    downCount.push(0)
    steps.push({ key: node.key, kind: node.kind === "source" ? "observe" : "materialize", upstream, downstream: [] })
  }
  const filled = new Int32Array(steps.length)
  for (let here = 0; here < steps.length; here++) {
    steps[here]!.downstream = new Array(downCount[here]!)
  }
  for (let here = 0; here < steps.length; here++) {
    const upstream = steps[here]!.upstream
    for (let k = 0; k < upstream.length; k++) {
      const p = upstream[k]!
      steps[p]!.downstream[filled[p]!++] = here
    }
  }
  return { selection, partition: options?.partition, steps }
}
