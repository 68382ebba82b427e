/**
 * Execution plans: a selection turned into data the run coordinator walks. A
 * plan is built once, by whoever launches the run (the CLI, the catalog, the
 * daemon), then handed to `Run.execute`; it can be shown first
 * (`strata materialize --dry-run`). Its steps, in plan order, its selection,
 * partition and options are stored with the run (`RunRecord.assetKeys`,
 * `selection`, `partition`, `staleOnly`, `parentRunId`); the dependencies
 * between steps are the project graph's.
 *
 * Re-execution is one rule, {@link fromRun}, used by the CLI
 * (`strata runs reexecute`), the catalog and core: a plan derived from a past
 * run and its events.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import * as AssetGraph from "./AssetGraph.ts"
import type { AssetKey } from "./AssetKey.ts"
import type { StoredEvent } from "./Event.ts"
import type { InstanceError, RunRecord } from "./Instance.ts"
import type { Instance } from "./Instance.ts"
import * as Ranges from "./partitions/Ranges.ts"
import { partitions as partitionStaleness } from "./Staleness.ts"
import * as PartitionKey from "./PartitionKey.ts"
import type { Project } from "./Project.ts"
import * as Selection from "./Selection.ts"
import { InvalidPartitionKey } from "./Partitions.ts"
import { stepPartitions } from "./partitions/planPartitions.ts"

/**
 * What a step does: compute and store an asset, observe a source, or evaluate
 * one check of an asset (`Check.make`).
 *
 * @since 0.1.0
 */
export type StepKind = "materialize" | "observe" | "check"

/**
 * One step of a plan.
 *
 * @since 0.1.0
 */
export interface PlanStep {
  readonly key: AssetKey
  readonly stepKind: StepKind
  /** The check's name, for a `check` step (whose `key` is the checked asset). */
  readonly check?: string | undefined
  /** Positions (in `steps`) of the steps that must finish first. */
  readonly upstream: ReadonlyArray<number>
  /** Positions of the steps waiting on this one. */
  readonly downstream: ReadonlyArray<number>
  /** A partitioned asset's partitions in this run, as ranges over its definition. */
  readonly partitions?: Ranges.Ranges | undefined
}

/**
 * A plan: steps in topological order, and what the run is asked to do with them.
 *
 * @since 0.1.0
 */
export interface ExecutionPlan {
  /** The selection text the plan was made from. */
  readonly selection: string
  /**
   * The partitions of the run: a key or a selection (`2024-01-01...2024-01-07`),
   * applied to every partitioned asset of the plan (`steps[i].partitions`).
   */
  readonly partition: string | undefined
  /** When the partition selection was resolved (ms since the epoch). */
  readonly resolvedAt?: number | undefined
  /** The dynamic partition keys the plan resolved with, by name. */
  readonly dynamicKeys?: Readonly<Record<string, ReadonlyArray<string | null>>> | undefined
  /** Skip the steps whose asset is up to date (recorded as `not-stale`). */
  readonly staleOnly: boolean
  /** The run this plan re-executes ({@link fromRun}). */
  readonly parentRunId: string | undefined
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
  /** The instant partitions are resolved at (default: now). */
  readonly now?: number | undefined
  /** Keys of dynamic partitions by name, by ordinal (`Instance.dynamicPartitions`). */
  readonly dynamicKeys?: Readonly<Record<string, ReadonlyArray<string | null>>> | undefined
  /** Observe the sources read by selected assets even when not selected. Default true. */
  readonly observeSources?: boolean | undefined
  /** Restrict the plan to these keys (after resolving the selection): used by re-execution. */
  readonly only?: ReadonlySet<string> | undefined
  /** Default false. */
  readonly staleOnly?: boolean | undefined
  readonly parentRunId?: string | undefined
  /**
   * The checks of the selected assets: planned after their asset (`with`, the
   * default), alone, against the stored values (`only`: no asset is
   * materialized and no source observed), or not at all (`none`).
   */
  readonly checks?: "with" | "only" | "none" | undefined
}

/**
 * A run cannot be re-executed: it does not exist, it is still going, or it
 * has nothing left to re-execute.
 *
 * @since 0.1.0
 */
export class ReexecutionError extends Schema.TaggedError<ReexecutionError>()("@strata/core/ReexecutionError", {
  runId: Schema.String,
  message: Schema.String
}) {}

/**
 * Plans a selection over a project. External assets are never planned;
 * selected sources become observation steps.
 *
 * @since 0.1.0
 */
export const make = (
  project: Project<unknown>,
  options?: Options
): Effect.Effect<
  ExecutionPlan,
  Selection.SelectionParseError | Selection.SelectionResolveError | PartitionKey.InvalidPartitionKey | InvalidPartitionKey
> =>
  Effect.try({ try: () => makeSync(project, options), catch: (error) => error }).pipe(
    // anything but a selection or partition error is a bug: a defect, never reported as a bad request
    Effect.catch((error) =>
      Selection.isSelectionError(error) || error instanceof PartitionKey.InvalidPartitionKey || error instanceof InvalidPartitionKey
        ? Effect.fail(error)
        : Effect.die(error)
    )
  )

/**
 * Like {@link make}, throwing on a bad selection.
 *
 * @since 0.1.0
 */
export const makeSync = (project: Project<unknown>, options?: Options): ExecutionPlan => {
  const selection = options?.selection ?? "*"
  const mask = Selection.resolveMask(project, selection, Selection.parseSync(selection))
  const checks = project.checks.length === 0 ? "none" : options?.checks ?? "with"
  restrict(project, mask, options?.only, checks !== "only" && (options?.observeSources ?? true))
  const steps = (checks === "only"
    ? checkStepsOnly(project, mask)
    : checks === "with"
    ? withChecks(project, stepsOf(project, mask))
    : stepsOf(project, mask)) as Array<PlanStep & { partitions?: Ranges.Ranges | undefined }>
  if (options?.partition !== undefined) checkPartition(options.partition, steps)
  const resolution = { now: options?.now ?? Date.now(), dynamicKeys: options?.dynamicKeys }
  // check steps carry their asset's partitions: they are evaluated per partition
  const partitioned = stepPartitions(project, steps, options?.partition, resolution, options?.staleOnly ?? false)
  return {
    selection,
    partition: options?.partition,
    ...(partitioned ? { resolvedAt: resolution.now, dynamicKeys: options?.dynamicKeys } : {}),
    staleOnly: options?.staleOnly ?? false,
    parentRunId: options?.parentRunId,
    steps
  }
}

// where a partition key enters a run: refused before anything is recorded or stored
const checkPartition = (partition: string, steps: ReadonlyArray<PlanStep>): void => {
  const keys = [...new Set(steps.map((step) => step.key))]
  const assets = keys.length <= 5 ? keys.join(", ") : `${keys.slice(0, 5).join(", ")} and ${keys.length - 5} more`
  const error = PartitionKey.check(partition, assets === "" ? undefined : assets)
  if (error !== undefined) throw error
}

/**
 * Marks what the plan holds: 1 a selected node, 2 a source observed because a
 * selected asset reads it, 0 neither. External assets are never planned.
 */
const restrict = (
  project: Project<unknown>,
  mask: Uint8Array,
  only: ReadonlySet<string> | undefined,
  observeSources: boolean
): void => {
  const graph = project.graph
  const size = graph.nodes.length
  // each pass only when it has something to do: a loop over every node is on-stack compiled by V8 in a large project
  if (only !== undefined || AssetGraph.hasKind(graph, "external")) {
    for (let i = 0; i < size; i++) {
      if (mask[i] === 0) continue
      const node = graph.nodes[i]!
      if (node.kind === "external" || (only !== undefined && !only.has(node.key))) mask[i] = 0
    }
  }
  if (!observeSources || !AssetGraph.hasKind(graph, "source")) return
  for (let i = 0; i < size; i++) {
    if (mask[i] !== 1 || graph.nodes[i]!.kind !== "asset") continue
    const upstream = graph.upstream[i]!
    for (let k = 0; k < upstream.length; k++) if (graph.nodes[upstream[k]!]!.kind === "source") mask[upstream[k]!] = 2
  }
}

/**
 * The plan's steps, in graph (topological) order. Lists are allocated at their
 * final length (a pushed-to `[]` reserves room for 16 entries: most of a large
 * plan's memory): upstream lists first, then downstream lists from the counts.
 */
const stepsOf = (project: Project<unknown>, mask: Uint8Array): Array<PlanStep> => {
  const graph = project.graph
  const size = graph.nodes.length
  const position = new Int32Array(size).fill(-1)
  const steps: Array<
    { key: AssetKey; stepKind: StepKind; upstream: Array<number>; downstream: Array<number>; partitions?: Ranges.Ranges }
  > = []
  const downCount: Array<number> = []
  for (let i = 0; i < size; i++) {
    if (mask[i] === 0) continue
    const node = graph.nodes[i]!
    position[i] = steps.length
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
    steps.push({ key: node.key, stepKind: node.kind === "source" ? "observe" : "materialize", upstream, downstream: [] })
  }
  const filled = new Int32Array(steps.length)
  for (let here = 0; here < steps.length; here++) steps[here]!.downstream = new Array(downCount[here]!)
  for (let here = 0; here < steps.length; here++) {
    const upstream = steps[here]!.upstream
    for (let k = 0; k < upstream.length; k++) {
      const p = upstream[k]!
      steps[p]!.downstream[filled[p]!++] = here
    }
  }
  return steps
}

/** Only the check steps of the selected computed assets (`checks: "only"`): no step waits on another. */
const checkStepsOnly = (project: Project<unknown>, mask: Uint8Array): Array<PlanStep> => {
  const steps: Array<PlanStep> = []
  const nodes = project.graph.nodes
  for (let i = 0; i < nodes.length; i++) {
    if (mask[i] !== 1) continue
    for (const check of project.checksOf(nodes[i]!.key)) {
      steps.push({ key: nodes[i]!.key, stepKind: "check", check: check.spec.name, upstream: [], downstream: [] })
    }
  }
  return steps
}

/**
 * Inserts each planned asset's checks right after it. A check step waits on
 * its asset's step; the asset's downstream steps also wait on its blocking
 * (`error`) checks, so a failing one skips them (naming the check).
 */
const withChecks = (project: Project<unknown>, base: ReadonlyArray<PlanStep>): ReadonlyArray<PlanStep> => {
  if (!base.some((step) => step.stepKind === "materialize" && project.checksOf(step.key).length > 0)) return base
  const moved = new Int32Array(base.length)
  const blocking: Array<ReadonlyArray<number>> = []
  const steps: Array<{ key: AssetKey; stepKind: StepKind; check?: string; upstream: Array<number>; downstream: Array<number> }> = []
  for (let p = 0; p < base.length; p++) {
    const step = base[p]!
    const here = steps.length
    moved[p] = here
    const upstream: Array<number> = []
    for (const u of step.upstream) upstream.push(moved[u]!, ...blocking[u]!)
    steps.push({ key: step.key, stepKind: step.stepKind, upstream, downstream: [] })
    const gates: Array<number> = []
    if (step.stepKind === "materialize") {
      for (const check of project.checksOf(step.key)) {
        if (check.spec.blocking) gates.push(steps.length)
        steps.push({ key: step.key, stepKind: "check", check: check.spec.name, upstream: [here], downstream: [] })
      }
    }
    blocking.push(gates)
  }
  for (let here = 0; here < steps.length; here++) for (const u of steps[here]!.upstream) steps[u]!.downstream.push(here)
  return steps
}

/**
 * The keys of a run's steps that are done: they succeeded, or were skipped as
 * up to date (`not-stale`), and no blocking check of theirs failed in the run.
 * Every other step (failed, skipped because an upstream failed or the run was
 * canceled, never started) is not.
 *
 * @since 0.1.0
 */
export const doneSteps = (events: ReadonlyArray<StoredEvent>): Set<string> => {
  const done = new Set<string>()
  const blocked: Array<string> = []
  for (const event of events) {
    if (event.type === "step-succeeded") done.add(event.assetKey)
    else if (event.type === "step-skipped" && event.kind === "not-stale") done.add(event.assetKey)
    else if (event.type === "check-evaluated" && !event.passed && event.severity === "error") blocked.push(event.assetKey)
  }
  for (const key of blocked) done.delete(key)
  return done
}

/**
 * How much of a run {@link fromRun} re-executes: every step (`all`), or the
 * steps that are not done (`failure`, see {@link doneSteps}).
 *
 * @since 0.1.0
 */
export type ReexecuteFrom = "failure" | "all"

/**
 * The plan that re-executes a finished run: its selection and partition, over
 * its steps (`all`) or its steps that are not done (`failure`), that the
 * project still has. Sources read by those steps are observed again. The
 * rule every caller uses (CLI, catalog, core).
 *
 * @since 0.1.0
 */
export const fromRun = (
  project: Project<unknown>,
  run: RunRecord | undefined,
  events: ReadonlyArray<StoredEvent>,
  from: ReexecuteFrom,
  runId: string = run?.runId ?? ""
): Effect.Effect<ExecutionPlan, ReexecutionError> =>
  Effect.suspend(() => {
    if (run === undefined) {
      return Effect.fail(new ReexecutionError({ runId, message: `run ${runId} does not exist; list runs with 'strata runs'` }))
    }
    if (run.status === "queued" || run.status === "started") {
      return Effect.fail(
        new ReexecutionError({ runId, message: `run ${runId} is still ${run.status}; wait for it to finish or cancel it` })
      )
    }
    const done = from === "all" ? new Set<string>() : doneSteps(events)
    const only = new Set(run.assetKeys.filter((key) => !done.has(key) && project.graph.index.has(key)))
    if (only.size === 0) {
      return Effect.fail(
        new ReexecutionError({
          runId,
          message: from === "all"
            ? `run ${runId} has no step the project still defines`
            : `run ${runId} has no failed or skipped step to re-execute`
        })
      )
    }
    // the parent's selection may not parse or resolve any more (a key was removed): `only` holds the steps
    return Effect.try({
      try: () => makeSync(project, { selection: "*", partition: run.partition, only, parentRunId: runId }),
      catch: (error) => error
    }).pipe(
      Effect.map((plan) => ({ ...plan, selection: run.selection })),
      // a run recorded before partition keys were checked
      Effect.catch((error) =>
        error instanceof PartitionKey.InvalidPartitionKey
          ? Effect.fail(new ReexecutionError({ runId, message: `run ${runId} cannot be re-executed: ${error.message}` }))
          : Effect.die(error)
      )
    )
  })

/**
 * A `staleOnly` plan narrowed to the stale and missing partitions of its
 * partitioned assets (within the partitions it names, or all of them when it
 * names none), read from the instance (`Staleness.partitions`). A
 * partitioned step left with no partition is skipped as up to date when the
 * run executes. Other plans are returned as they are.
 *
 * @since 0.1.0
 */
export const narrowToStale = (
  project: Project<unknown>,
  plan: ExecutionPlan
): Effect.Effect<ExecutionPlan, InstanceError | Selection.SelectionParseError | Selection.SelectionResolveError, Instance> => {
  if (!plan.staleOnly || plan.resolvedAt === undefined) return Effect.succeed(plan)
  return Effect.map(
    partitionStaleness(project, { now: plan.resolvedAt, dynamicKeys: plan.dynamicKeys }),
    (list) => {
      const wanted = new Map(list.map((s) => [s.key, Ranges.union(s.staleRanges, s.missingRanges)] as const))
      const steps = plan.steps.map((step) => {
        const stale = wanted.get(step.key)
        if (step.partitions === undefined || stale === undefined) return step
        return { ...step, partitions: Ranges.intersection(step.partitions, stale) }
      })
      return { ...plan, steps }
    }
  )
}
