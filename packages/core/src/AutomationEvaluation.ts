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
import type { AssetState, Condition, Facts, Result } from "./AutomationCondition.ts"
import * as AutomationCondition from "./AutomationCondition.ts"
import * as Cron from "./Cron.ts"
import type { FreshnessPolicy } from "./Freshness.ts"
import type { AssetRecord, InstanceError } from "./Instance.ts"
import { Instance } from "./Instance.ts"
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
const contextOf = (input: Input, requested: Set<string>): AutomationCondition.Context => {
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
    }
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
  const { project } = input
  const graph = project.graph
  const all = conditionEntries(project)
  let entries: ReadonlyArray<ConditionEntry> = all.list
  if (input.candidates !== undefined) {
    const some: Array<ConditionEntry> = []
    for (const key of input.candidates) {
      const i = graph.index.get(key)
      const entry = i === undefined ? undefined : all.byIndex[i]
      if (entry !== undefined) some.push(entry)
    }
    entries = some.sort((a, b) => a.index - b.index)
  }
  const requested = new Set<string>()
  const context = contextOf(input, requested)
  const evaluations: Array<Output["evaluations"][number]> = []
  const states: Array<Output["states"][number]> = []
  const outcomes = new Map<string, boolean>()
  const request = { cursor: input.cursor, runId: input.runId }
  const previous = input.previous
  for (const { key, condition, readsCron } of entries) {
    const subject = context.facts(key)
    const value = AutomationCondition.holds(condition, subject, context)
    const isRequested = value && input.disabled?.has(key) !== true
    outcomes.set(key, value)
    if (previous === undefined || value || previous.get(key) !== value) {
      // explained before `key` joins `requested`: `newlyRequested` of the subject reads the same as in `holds`
      evaluations.push({ assetKey: key, requested: isRequested, result: AutomationCondition.evaluate(condition, subject, context) })
    }
    if (isRequested) requested.add(key)
    if (!readsCron && !isRequested) continue
    const state = stateAfter(condition, input.states.get(key), input.now, isRequested ? request : undefined, context)
    if (state !== undefined) states.push({ assetKey: key, state })
  }
  return { evaluations, requested: [...requested], states, outcomes }
}

interface ConditionEntry {
  readonly index: number
  readonly key: string
  readonly condition: Condition
  readonly readsCron: boolean
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
      const entry = { index, key, condition, readsCron: AutomationCondition.crons(condition).length > 0 }
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
    for (const run of yield* instance.listRuns({ status: ["queued", "started"], limit: 10_000 })) {
      for (const key of run.assetKeys) inProgress.add(key)
    }
    return evaluate({ ...options, candidates, project, records, statuses, states, inProgress })
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
