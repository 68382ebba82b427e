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
import type { AssetState, Condition, Facts, Result } from "./AutomationCondition.ts"
import * as AutomationCondition from "./AutomationCondition.ts"
import * as Cron from "./Cron.ts"
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
}

/**
 * The assets with a condition that `keys` can affect: the keys themselves
 * and everything downstream of them.
 *
 * @since 0.1.0
 */
export const affected = (project: Project<unknown>, keys: Iterable<string>): Set<string> => {
  const graph = project.graph
  const seen = new Uint8Array(graph.nodes.length)
  const stack: Array<number> = []
  for (const key of keys) {
    const i = graph.index.get(key)
    if (i !== undefined && seen[i] === 0) {
      seen[i] = 1
      stack.push(i)
    }
  }
  while (stack.length > 0) {
    for (const j of graph.downstream[stack.pop()!]!) {
      if (seen[j] === 0) {
        seen[j] = 1
        stack.push(j)
      }
    }
  }
  const result = new Set<string>()
  for (let i = 0; i < seen.length; i++) {
    const key = graph.nodes[i]!.key
    if (seen[i] === 1 && project.automation.conditions.has(key)) result.add(key)
  }
  return result
}

/**
 * The assets whose conditions read a cron with a tick in `(from, to]`.
 *
 * @since 0.1.0
 */
export const cronDue = (project: Project<unknown>, from: number, to: number): Set<string> => {
  const due = new Set<string>()
  for (const [key, condition] of project.automation.conditions) {
    if (AutomationCondition.crons(condition).some((cron) => Cron.between(cron, from, to, 1).length > 0)) due.add(key)
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
  for (const condition of project.automation.conditions.values()) {
    for (const cron of AutomationCondition.crons(condition)) {
      const [tick] = Cron.next(cron, after)
      if (tick !== undefined && (next === undefined || tick < next)) next = tick
    }
  }
  return next
}

const stateAfter = (
  condition: Condition,
  state: AssetState | undefined,
  now: number,
  request: { readonly cursor: number; readonly runId: string } | undefined
): AssetState | undefined => {
  const crons = AutomationCondition.crons(condition)
  let cronHandled = state?.cronHandled
  for (const cron of crons) {
    const id = Cron.id(cron)
    if (request === undefined && cronHandled?.[id] !== undefined) continue
    const latest = Cron.latest(cron, now)
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
 * Evaluates the conditions of the candidate assets, upstream first.
 *
 * @since 0.1.0
 */
export const evaluate = (input: Input): Output => {
  const { project } = input
  const graph = project.graph
  const conditions = project.automation.conditions
  const order: Array<number> = []
  for (const key of input.candidates ?? conditions.keys()) {
    const i = graph.index.get(key)
    if (i !== undefined && conditions.has(key)) order.push(i)
  }
  order.sort((a, b) => a - b)
  const requested = new Set<string>()
  // built once per asset and evaluation: an asset is read as a subject and as the upstream of each downstream
  const known = new Map<string, Facts>()
  const facts = (key: string): Facts => {
    let found = known.get(key)
    if (found === undefined) {
      const i = graph.index.get(key)
      found = {
        key,
        upstream: i === undefined ? [] : graph.upstream[i]!.map((j) => graph.nodes[j]!.key),
        record: input.records.get(key),
        status: input.statuses.get(key),
        state: input.states.get(key)
      }
      known.set(key, found)
    }
    return found
  }
  const context = { now: input.now, previousCursor: input.previousCursor, facts, inProgress: input.inProgress, requested }
  const evaluations: Array<Output["evaluations"][number]> = []
  const states: Array<Output["states"][number]> = []
  const request = { cursor: input.cursor, runId: input.runId }
  for (const i of order) {
    const key = graph.nodes[i]!.key
    const condition = conditions.get(key)!
    const result = AutomationCondition.evaluate(condition, facts(key), context)
    const isRequested = result.value && input.disabled?.has(key) !== true
    if (isRequested) requested.add(key)
    evaluations.push({ assetKey: key, requested: isRequested, result })
    const state = stateAfter(condition, input.states.get(key), input.now, isRequested ? request : undefined)
    if (state !== undefined) states.push({ assetKey: key, state })
  }
  return { evaluations, requested: [...requested], states }
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
    const records = yield* instance.assets(project.graph.nodes.map((node) => node.key))
    const statuses = new Map<string, AssetStatus>()
    for (const status of Staleness.compute(project, records)) statuses.set(status.key, status)
    const states = yield* instance.automation.assetStates()
    const inProgress = new Set<string>()
    for (const run of yield* instance.listRuns({ status: ["queued", "started"], limit: 10_000 })) {
      for (const key of run.assetKeys) inProgress.add(key)
    }
    return evaluate({ ...options, project, records, statuses, states, inProgress })
  })
