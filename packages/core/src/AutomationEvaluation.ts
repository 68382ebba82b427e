/**
 * One evaluation of a project's asset conditions, as a pure function: given
 * what the instance knows (asset records, statuses, runs in progress, the
 * daemon's per-asset state) and which assets to look at, it returns each
 * asset's result, the assets requested (in topological order, so an eager
 * chain is requested whole and launched as one run) and the states to store.
 *
 * The daemon calls it with the assets that new events can affect (the assets
 * the events name and everything downstream of them), with the assets whose
 * conditions read a cron whose tick passed, and with every asset on start.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import * as AssetGraph from "./AssetGraph.ts"
import type * as Backfill from "./Backfill.ts"
import type { PartitionInput } from "./automation/partitionFacts.ts"
import { partitionFactsOf, readPartitionInput } from "./automation/partitionFacts.ts"
import * as PartitionSets from "./automation/partitionSets.ts"
import type { AssetState, Condition, Facts, Result } from "./AutomationCondition.ts"
import * as AutomationCondition from "./AutomationCondition.ts"
import * as Cron from "./Cron.ts"
import type { FreshnessPolicy } from "./Freshness.ts"
import type { AssetRecord, InstanceError } from "./Instance.ts"
import { Instance } from "./Instance.ts"
import * as Partitions from "./Partitions.ts"
import type { Project } from "./Project.ts"
import type { AssetStatus } from "./Staleness.ts"
import * as Staleness from "./Staleness.ts"

/**
 * What one evaluation reads.
 *
 * @since 0.1.0
 */
export interface Input {
  readonly project: Project<unknown>
  readonly now: number
  /** The event id the previous evaluation read up to (0 at first). */
  readonly previousCursor: number
  /** The event id this evaluation reads up to. */
  readonly cursor: number
  readonly records: ReadonlyMap<string, AssetRecord>
  /** Statuses by key (`Staleness.compute`). */
  readonly statuses: ReadonlyMap<string, AssetStatus>
  readonly states: ReadonlyMap<string, AssetState>
  /** Keys planned by queued or started runs. */
  readonly inProgress: ReadonlySet<string>
  /** The assets to evaluate (those with a condition among them); all when omitted. */
  readonly candidates?: Iterable<string> | undefined
  /** Assets whose automation is turned off: evaluated, never requested. */
  readonly disabled?: ReadonlySet<string> | undefined
  /** The run id the requested assets will be launched under. */
  readonly runId: string
  /**
   * Each asset's outcome in the previous evaluation (`Output.outcomes`): when
   * given, only requested assets and changed outcomes are explained.
   */
  readonly previous?: ReadonlyMap<string, boolean> | undefined
  /** What per-partition evaluation reads (`read` fills it when a candidate is partitioned). */
  readonly partitions?: PartitionInput | undefined
}

/**
 * What one evaluation decided.
 *
 * @since 0.1.0
 */
export interface Output {
  readonly evaluations: ReadonlyArray<{ readonly assetKey: string; readonly requested: boolean; readonly result: Result }>
  /** Requested keys, in topological order. */
  readonly requested: ReadonlyArray<string>
  /** States to store (requested assets, and crons seen for the first time). */
  readonly states: ReadonlyArray<{ readonly assetKey: string; readonly state: AssetState }>
  /** Every evaluated asset's outcome (before the `disabled` switch), for the next evaluation's `previous`. */
  readonly outcomes: ReadonlyMap<string, boolean>
  /** The partitions requested of each requested partitioned asset. */
  readonly partitions: ReadonlyMap<string, RequestedPartitions>
}

/**
 * The partitions requested of one asset: ranges over its definition (by
 * `fingerprint`) and the same as a partition selection a run takes.
 *
 * @since 0.1.0
 */
export interface RequestedPartitions {
  readonly space: Partitions.Space
  readonly fingerprint: string
  readonly ranges: Partitions.Ranges.Ranges
  readonly selection: string
}

/**
 * A run to launch for an evaluation's requests: assets, and the partitions
 * of its partitioned ones.
 *
 * @since 0.1.0
 */
export interface RequestRun {
  readonly assetKeys: ReadonlyArray<string>
  readonly partition?: string | undefined
}

const RANGES_PER_RUN = Math.min(1_000, Partitions.SELECTION_LIMITS.items)

/**
 * Cuts an evaluation's requests into runs. Partitioned assets requested for
 * the same partitions of the same definition share runs (an eager chain of
 * daily assets is one run per cut); their partitions are cut by `policy` as a
 * backfill's are (`single-run` by default: one run for them all). The
 * unpartitioned assets join the run when there is exactly one group of
 * partitions and one cut, else they run on their own, first.
 *
 * @since 0.1.0
 */
export const requestRuns = (output: Output, policy: Backfill.Policy = { _tag: "single-run" }): Array<RequestRun> => {
  const plain: Array<string> = []
  const groups = new Map<string, { requested: RequestedPartitions; keys: Array<string> }>()
  for (const key of output.requested) {
    const requested = output.partitions.get(key)
    if (requested === undefined) {
      plain.push(key)
      continue
    }
    const id = `${requested.fingerprint}/${requested.selection}`
    const group = groups.get(id) ?? { requested, keys: [] }
    group.keys.push(key)
    groups.set(id, group)
  }
  const runs: Array<RequestRun> = []
  for (const { requested, keys } of groups.values()) {
    const size = policy._tag === "per-partition" ? 1 : policy._tag === "max-per-run" ? policy.size : Number.MAX_SAFE_INTEGER
    for (const chunk of Partitions.Ranges.chunks(requested.ranges, size)) {
      // a run's selection names at most SELECTION_LIMITS.items ranges: scattered partitions take more runs
      for (let i = 0; i < chunk.length; i += RANGES_PER_RUN) {
        runs.push({ assetKeys: keys, partition: Partitions.selection(requested.space, chunk.slice(i, i + RANGES_PER_RUN)) })
      }
    }
  }
  if (plain.length === 0) return runs
  if (runs.length === 1) return [{ assetKeys: output.requested, partition: runs[0]!.partition }]
  return [{ assetKeys: plain }, ...runs]
}

/**
 * The assets with a condition that `keys` can affect: the keys themselves
 * and everything downstream of them.
 *
 * @since 0.1.0
 */
export const affected = (project: Project<unknown>, keys: Iterable<string>): Set<string> => {
  const graph = project.graph
  const seen = reach(graph, keys, graph.downstream)
  const result = new Set<string>()
  for (let i = 0; i < seen.length; i++) {
    const key = graph.nodes[i]!.key
    if (seen[i] === 1 && project.automation.conditions.has(key)) result.add(key)
  }
  return result
}

// per project (its definitions only change on load): each distinct cron with the assets whose conditions read it
const cronIndexOf = new WeakMap<Project<unknown>["automation"], ReadonlyArray<{ readonly cron: Cron.Cron; readonly keys: ReadonlyArray<string> }>>()

const cronIndex = (project: Project<unknown>) => {
  let index = cronIndexOf.get(project.automation)
  if (index === undefined) {
    const byId = new Map<string, { cron: Cron.Cron; keys: Array<string> }>()
    for (const [key, condition] of project.automation.conditions) {
      for (const cron of AutomationCondition.crons(condition)) {
        const id = Cron.id(cron)
        const entry = byId.get(id) ?? { cron, keys: [] }
        entry.keys.push(key)
        byId.set(id, entry)
      }
    }
    index = [...byId.values()]
    cronIndexOf.set(project.automation, index)
  }
  return index
}

/**
 * The assets whose conditions read a cron with a tick in `(from, to]`.
 *
 * @since 0.1.0
 */
export const cronDue = (project: Project<unknown>, from: number, to: number): Set<string> => {
  const due = new Set<string>()
  for (const { cron, keys } of cronIndex(project)) {
    if (Cron.between(cron, from, to, 1).length > 0) for (const key of keys) due.add(key)
  }
  return due
}

/**
 * The next instant any condition's cron ticks after `after`, if any.
 *
 * @since 0.1.0
 */
export const nextCronTick = (project: Project<unknown>, after: number): number | undefined => {
  let next: number | undefined
  for (const { cron } of cronIndex(project)) {
    const [tick] = Cron.next(cron, after)
    if (tick !== undefined && (next === undefined || tick < next)) next = tick
  }
  return next
}

const stateAfter = (
  condition: Condition,
  state: AssetState | undefined,
  now: number,
  request: { readonly cursor: number; readonly runId: string } | undefined,
  context: AutomationCondition.Context
): AssetState | undefined => {
  const crons = AutomationCondition.crons(condition)
  if (crons.length === 0 && request === undefined) return undefined
  let cronHandled = state?.cronHandled
  for (const cron of crons) {
    const id = Cron.id(cron)
    if (request === undefined && cronHandled?.[id] !== undefined) continue
    const latest = context.latestTick === undefined ? Cron.latest(cron, now) : context.latestTick(cron)
    if (latest !== undefined) cronHandled = { ...cronHandled, [id]: latest }
  }
  if (request === undefined && cronHandled === state?.cronHandled) return undefined
  return {
    ...state,
    ...(request === undefined ? {} : { requestedAt: request.cursor, requestRunId: request.runId }),
    ...(cronHandled === undefined ? {} : { cronHandled })
  }
}

/**
 * Each node's upstream keys (data deps then `after` deps), in graph order,
 * computed once per graph.
 *
 * @since 0.1.0
 */
export const upstreamKeys = (graph: AssetGraph.AssetGraph): ReadonlyArray<ReadonlyArray<string>> => AssetGraph.upstreamKeysOf(graph)

const policiesByProject = new WeakMap<Project<unknown>, ReadonlyMap<string, FreshnessPolicy>>()

const policiesOf = (project: Project<unknown>): ReadonlyMap<string, FreshnessPolicy> => {
  let policies = policiesByProject.get(project)
  if (policies === undefined) {
    policies = new Map(project.freshness.map((policy) => [policy.assetKey, policy] as const))
    policiesByProject.set(project, policies)
  }
  return policies
}

/** The per-evaluation view of the instance: facts built once per asset, cron ticks once per cron. */
const contextOf = (
  input: Input,
  requested: Set<string>,
  requestedPartitions: Map<string, Partitions.Ranges.Ranges>
): AutomationCondition.Context => {
  const graph = input.project.graph
  const ups = upstreamKeys(graph)
  const known: Array<Facts | undefined> = new Array(graph.nodes.length)
  const policies = policiesOf(input.project)
  const ticks = new Map<Cron.Cron, number | undefined>()
  return {
    now: input.now,
    previousCursor: input.previousCursor,
    inProgress: input.inProgress,
    requested,
    facts: (key) => {
      const i = graph.index.get(key)
      if (i === undefined) return { key, upstream: [], record: input.records.get(key), status: input.statuses.get(key), state: input.states.get(key) }
      return known[i] ??= {
        key,
        upstream: ups[i]!,
        record: input.records.get(key),
        status: input.statuses.get(key),
        state: input.states.get(key),
        freshness: policies.get(key)
      }
    },
    latestTick: (cron) => {
      if (ticks.has(cron)) return ticks.get(cron)
      const tick = Cron.latest(cron, input.now)
      ticks.set(cron, tick)
      return tick
    },
    requestedPartitions,
    ...(input.partitions === undefined ? {} : { partitions: partitionFactsOf(input.project, input.partitions, input.states, input.cursor) })
  }
}

/**
 * Evaluates the conditions of the candidate assets, upstream first. Each
 * candidate's outcome is tested without building an explanation; the
 * explanation (`evaluations`) is built for every candidate when
 * `input.previous` is absent, else only for the requested ones and those
 * whose outcome differs from `previous` (a tick where nothing changed
 * explains nothing).
 *
 * @since 0.1.0
 */
export const evaluate = (input: Input): Output => {
  const entries = entriesFor(input.project, input.candidates)
  const requested = new Set<string>()
  const requestedPartitions = new Map<string, Partitions.Ranges.Ranges>()
  const context = contextOf(input, requested, requestedPartitions)
  const evaluations: Array<Output["evaluations"][number]> = []
  const states: Array<Output["states"][number]> = []
  const outcomes = new Map<string, boolean>()
  const partitions = new Map<string, RequestedPartitions>()
  const request = { cursor: input.cursor, runId: input.runId }
  const previous = input.previous
  for (const { key, condition, readsCron, partitioned } of entries) {
    const subject = context.facts(key)
    const facts = partitioned ? context.partitions?.(key) : undefined
    // a partitioned asset's outcome is a set of partitions: decided without its explanation (like `holds`)
    // unless everything is explained anyway (no previous outcomes)
    const evaluated = facts === undefined ? undefined : PartitionSets.evaluate(condition, subject, facts, context, previous === undefined)
    const value = evaluated === undefined ? AutomationCondition.holds(condition, subject, context) : evaluated.set.length > 0
    const isRequested = value && input.disabled?.has(key) !== true
    outcomes.set(key, value)
    if (previous === undefined || value || previous.get(key) !== value) {
      // explained before `key` joins `requested`: `newlyRequested` of the subject reads the same as when decided
      const result = facts === undefined
        ? AutomationCondition.evaluate(condition, subject, context)
        : previous === undefined
        ? evaluated!.result
        : PartitionSets.evaluate(condition, subject, facts, context, true).result
      evaluations.push({ assetKey: key, requested: isRequested, result })
    }
    if (isRequested) requested.add(key)
    if (isRequested && evaluated !== undefined && facts !== undefined) {
      requestedPartitions.set(key, evaluated.set)
      partitions.set(key, { space: facts.space, fingerprint: facts.fingerprint, ranges: evaluated.set, selection: Partitions.selection(facts.space, evaluated.set) })
    }
    const base = facts === undefined ? input.states.get(key) : partitionState(facts, input.states.get(key), isRequested ? evaluated?.set : undefined, input.cursor)
    if (!readsCron && !isRequested && base === input.states.get(key)) continue
    const state = stateAfter(condition, base, input.now, isRequested ? request : undefined, context) ??
      (base === input.states.get(key) ? undefined : base)
    if (state !== undefined) states.push({ assetKey: key, state })
  }
  return { evaluations, requested: [...requested], states, outcomes, partitions }
}

/** A partitioned asset's state with its pending requests and first-evaluation cursor; the same object when unchanged. */
const partitionState = (
  facts: PartitionSets.PartitionFacts,
  state: AssetState | undefined,
  requested: Partitions.Ranges.Ranges | undefined,
  cursor: number
): AssetState | undefined => {
  const requests = PartitionSets.requestsAfter(facts, state?.partitionRequests, requested, cursor)
  if (requests === undefined && state?.partitionsSince !== undefined) return state
  return {
    ...state,
    partitionsSince: state?.partitionsSince ?? cursor,
    ...(requests === undefined ? {} : { partitionRequests: requests })
  }
}

/** The entries of the candidates (all when undefined), in graph order. */
const entriesFor = (project: Project<unknown>, candidates: Iterable<string> | undefined): ReadonlyArray<ConditionEntry> => {
  const all = conditionEntries(project)
  if (candidates === undefined) return all.list
  const some: Array<ConditionEntry> = []
  for (const key of candidates) {
    const i = project.graph.index.get(key)
    const entry = i === undefined ? undefined : all.byIndex[i]
    if (entry !== undefined) some.push(entry)
  }
  return some.sort((a, b) => a.index - b.index)
}

interface ConditionEntry {
  readonly index: number
  readonly key: string
  readonly condition: Condition
  readonly readsCron: boolean
  readonly partitioned: boolean
}

// per project, in graph (topological) order: what only changes when the project is loaded
const entriesOf = new WeakMap<Project<unknown>["automation"], { list: ReadonlyArray<ConditionEntry>; byIndex: ReadonlyArray<ConditionEntry | undefined> }>()

const conditionEntries = (project: Project<unknown>) => {
  let found = entriesOf.get(project.automation)
  if (found === undefined) {
    const { graph } = project
    const byIndex: Array<ConditionEntry | undefined> = new Array(graph.nodes.length)
    const list: Array<ConditionEntry> = []
    for (let index = 0; index < graph.nodes.length; index++) {
      const key = graph.nodes[index]!.key
      const condition = project.automation.conditions.get(key)
      if (condition === undefined) continue
      const node = graph.nodes[index]!
      const entry = {
        index,
        key,
        condition,
        readsCron: AutomationCondition.crons(condition).length > 0,
        partitioned: node.partitions !== undefined && node.kind === "asset"
      }
      byIndex[index] = entry
      list.push(entry)
    }
    found = { list, byIndex }
    entriesOf.set(project.automation, found)
  }
  return found
}

/**
 * Reads what an evaluation needs from the instance (asset index, statuses,
 * the daemon's per-asset states, runs in progress) and evaluates. The runs in
 * progress are the queued and started runs' planned keys (their finished
 * steps included: an asset stays in progress until its run ends).
 *
 * @since 0.1.0
 */
export const read = (
  project: Project<unknown>,
  options: Omit<Input, "project" | "records" | "statuses" | "states" | "inProgress">
): Effect.Effect<Output, InstanceError, Instance> =>
  Effect.gen(function*() {
    const instance = yield* Instance
    const graph = project.graph
    // a tick with candidates reads only them and their ancestors (what their statuses depend on)
    const candidates = options.candidates === undefined ? undefined : [...options.candidates]
    const only = candidates === undefined ? undefined : ancestors(project, candidates)
    const keys = only === undefined ? graph.nodes.map((node) => node.key) : only.map((i) => graph.nodes[i]!.key)
    const records = yield* instance.assets(keys)
    const statuses = new Map<string, AssetStatus>()
    for (const status of Staleness.compute(project, records, only)) statuses.set(status.key, status)
    const states = yield* instance.automation.assetStates(only === undefined ? undefined : keys)
    const inProgress = new Set<string>()
    const runs = yield* instance.listRuns({ status: ["queued", "started"], limit: 10_000 })
    for (const run of runs) {
      for (const key of run.assetKeys) inProgress.add(key)
    }
    // partitions are read only when a partitioned asset is evaluated: an unpartitioned tick stays as cheap as before
    const partitions = entriesFor(project, candidates).some((entry) => entry.partitioned)
      ? yield* readPartitionInput(project, instance, { only, records, statuses, runs, now: options.now })
      : undefined
    return evaluate({ ...options, candidates, project, records, statuses, states, inProgress, partitions })
  })

/**
 * The node indexes of `keys` and all their ancestors, in topological order.
 *
 * @since 0.1.0
 */
export const ancestors = (project: Project<unknown>, keys: Iterable<string>): Array<number> => {
  const seen = reach(project.graph, keys, project.graph.upstream)
  const result: Array<number> = []
  for (let i = 0; i < seen.length; i++) if (seen[i] === 1) result.push(i)
  return result
}

/** Marks `keys` and every node reachable from them along `edges` (1 = reached), by node index. */
const reach = (
  graph: Project<unknown>["graph"],
  keys: Iterable<string>,
  edges: ReadonlyArray<ReadonlyArray<number>>
): Uint8Array => {
  const seen = new Uint8Array(graph.nodes.length)
  const stack: Array<number> = []
  const visit = (i: number) => {
    if (seen[i] === 0) {
      seen[i] = 1
      stack.push(i)
    }
  }
  for (const key of keys) {
    const i = graph.index.get(key)
    if (i !== undefined) visit(i)
  }
  while (stack.length > 0) for (const j of edges[stack.pop()!]!) visit(j)
  return seen
}
