/**
 * A condition evaluated per partition of a partitioned asset, on ranges.
 *
 * Each operand is the set of the subject's partitions it holds for (over the
 * definition's index space, `Ranges`): `and` is intersection, `or` union,
 * `not` the complement within the partitions that exist. Operands about the
 * asset as a whole (failed, freshness late, cron tick passed, updated since
 * the cron tick) hold for all its partitions or none.
 *
 * An upstream operand is evaluated on the upstream's own partitions, then
 * mapped to the subject's through the edge's partition mapping
 * (`anyUpstream`: the partitions that read at least one partition where it
 * holds; `allUpstreams`: those that read none where it does not). `hasNewData`
 * is about a pair (upstream partition, downstream partition), so a condition
 * holding it is evaluated in the subject's frame, each operand mapped on its
 * own.
 *
 * A downstream partition *has new data* from an upstream when an upstream
 * partition it reads changed data (`PartitionVersion.changedAt`) after the
 * downstream partition was materialized or requested, and after the daemon
 * first evaluated the asset per partition (`AssetState.partitionsSince`):
 * turning automation on for an asset of a million days asks for nothing
 * until new data arrives. An unpartitioned upstream's update gives new data
 * to the materialized partitions and the latest one only (missing ones are
 * `onMissing`'s).
 *
 * Everything is linear in ranges and segments, never in partitions.
 */
import type { Condition, Context, Facts, PartitionRequest, Result } from "../AutomationCondition.ts"
import * as AutomationCondition from "../AutomationCondition.ts"
import type { PartitionVersion } from "../Instance.ts"
import type * as PartitionMapping from "../PartitionMapping.ts"
import * as Partitions from "../Partitions.ts"
import * as Ranges from "../partitions/Ranges.ts"
import { readers } from "../partitions/staleness.ts"
import type { PartitionStaleness } from "../partitions/staleness.ts"

/**
 * What per-partition evaluation reads about one partitioned asset.
 *
 * @since 0.1.0
 */
export interface PartitionFacts {
  readonly space: Partitions.Space
  readonly fingerprint: string
  /** The current definition's segments (`instance.partitionVersions`). */
  readonly segments: ReadonlyArray<PartitionVersion>
  readonly staleness: PartitionStaleness | undefined
  /** Partitions planned by queued or started runs. */
  readonly inProgress: Ranges.Ranges
  /** The daemon's earlier requests over the current definition. */
  readonly requests: ReadonlyArray<PartitionRequest>
  /** Upstream data changed at or before this event id is not new (`AssetState.partitionsSince`). */
  readonly since: number
  /** The mapping of the edge to an upstream (undefined: not partitioned or no mapping). */
  readonly mappingTo: (upstream: string) => PartitionMapping.PartitionMapping | undefined
}

/**
 * A set of partitions and its explanation (a placeholder when the evaluation
 * only decides: `explain` false).
 *
 * @since 0.1.0
 */
export interface Evaluated {
  readonly set: Ranges.Ranges
  readonly result: Result
}

/** The result of an evaluation that only decides: no labels, counts nor selections are built. */
const UNEXPLAINED: Result = { label: "", value: false }

const nodeOf = (
  explain: boolean,
  label: () => string,
  set: Ranges.Ranges,
  facts: PartitionFacts,
  children?: ReadonlyArray<Result>
): Evaluated => explain ? explained(label(), set, facts, children) : { set, result: UNEXPLAINED }

const explained = (label: string, set: Ranges.Ranges, facts: PartitionFacts, children?: ReadonlyArray<Result>): Evaluated => ({
  set,
  result: {
    label,
    value: set.length > 0,
    partitions: { count: Ranges.count(set), total: Ranges.count(facts.space.all), text: Partitions.format(facts.space, set) },
    ...(children === undefined ? {} : { children })
  }
})

/** The ranges of some segments, normalized. */
const rangesOf = (segments: Iterable<PartitionVersion>): Ranges.Ranges => {
  const out: Array<Ranges.Range> = []
  for (const segment of segments) out.push([segment.start, segment.end])
  return Ranges.normalize(out)
}

/** The latest `lookback` partitions of a time-window space; all of any other. */
export const latestWindow = (facts: PartitionFacts, lookback: number): Ranges.Ranges => {
  if (facts.space.definition._tag !== "TimeWindow") return facts.space.all
  const last = facts.space.all.at(-1)
  return last === undefined ? Ranges.empty : Ranges.intersection(facts.space.all, Ranges.range(Math.max(0, last[1] - lookback), last[1]))
}

/** The partitions requested since they were last materialized. */
export const pendingRequests = (facts: PartitionFacts): Ranges.Ranges => {
  let out: Ranges.Ranges = Ranges.empty
  for (const request of facts.requests) {
    const after = rangesOf(facts.segments.filter((segment) => segment.eventId > request.at))
    out = Ranges.union(out, Ranges.difference(Ranges.normalize(request.ranges), after))
  }
  return Ranges.intersection(out, facts.space.all)
}

/** Of `set`, the subject's partitions materialized or requested at or after event `at`. */
const handledAfter = (facts: PartitionFacts, set: Ranges.Ranges, at: number): Ranges.Ranges => {
  let handled = rangesOf(facts.segments.filter((segment) => segment.eventId >= at))
  for (const request of facts.requests) if (request.at >= at) handled = Ranges.union(handled, Ranges.normalize(request.ranges))
  return Ranges.intersection(set, handled)
}

/** The subject's partitions that have new data from `upstream` (see the module comment). */
const newData = (upstream: Facts, up: PartitionFacts | undefined, facts: PartitionFacts): Ranges.Ranges => {
  if (up === undefined) {
    const at = AutomationCondition.updateId(upstream.record)
    if (at <= facts.since) return Ranges.empty
    const materialized = Ranges.difference(facts.space.all, facts.staleness?.missingRanges ?? facts.space.all)
    const domain = Ranges.union(materialized, latestWindow(facts, 1))
    return Ranges.difference(domain, handledAfter(facts, domain, at))
  }
  const mapping = facts.mappingTo(upstream.key)
  if (mapping === undefined) return Ranges.empty
  const out: Array<Ranges.Range> = []
  for (const segment of up.segments) {
    if (segment.changedAt <= facts.since) continue
    const read = readers(mapping, facts.space, up.space, facts.space.all, Ranges.intersection([[segment.start, segment.end]], up.space.all))
    out.push(...Ranges.difference(read, handledAfter(facts, read, segment.changedAt)))
  }
  return Ranges.normalize(out)
}

const holdsHasNewData = (condition: Condition): boolean => {
  switch (condition._tag) {
    case "HasNewData":
      return true
    case "Not":
      return holdsHasNewData(condition.condition)
    case "And":
    case "Or":
      return condition.conditions.some(holdsHasNewData)
    default:
      return false
  }
}

const combine = (
  condition: Extract<Condition, { _tag: "And" | "Or" | "Not" }>,
  facts: PartitionFacts,
  explain: boolean,
  each: (child: Condition) => Evaluated
): Evaluated => {
  if (condition._tag === "Not") {
    const child = each(condition.condition)
    return nodeOf(explain, () => "not", Ranges.difference(facts.space.all, child.set), facts, [child.result])
  }
  const children = condition.conditions.map(each)
  let set: Ranges.Ranges = condition._tag === "And" ? facts.space.all : Ranges.empty
  for (const child of children) set = condition._tag === "And" ? Ranges.intersection(set, child.set) : Ranges.union(set, child.set)
  return nodeOf(explain, () => condition.label ?? (condition._tag === "And" ? "all of" : "any of"), set, facts, children.map((child) => child.result))
}

/**
 * The subject's partitions for which `condition` holds, and why; with
 * `explain` false, only the set (the same set, its `result` a placeholder):
 * a tick decides every candidate and explains only some.
 *
 * @since 0.1.0
 */
export const evaluate = (condition: Condition, subject: Facts, facts: PartitionFacts, context: Context, explain = true): Evaluated => {
  const label = () => AutomationCondition.operandLabel(condition, subject)
  const node = (set: Ranges.Ranges) => nodeOf(explain, label, set, facts)
  switch (condition._tag) {
    case "Missing":
      return node(facts.staleness?.missingRanges ?? facts.space.all)
    case "InProgress":
      return node(facts.inProgress)
    case "Stale":
      return node(facts.staleness?.staleRanges ?? Ranges.empty)
    case "CodeVersionChanged": {
      let set: Ranges.Ranges = Ranges.empty
      for (const reason of facts.staleness?.reasons ?? []) if (reason.reason.type === "code-changed") set = Ranges.union(set, reason.ranges)
      return node(set)
    }
    case "NewlyUpdated":
      return node(Ranges.intersection(rangesOf(facts.segments.filter((s) => s.eventId > context.previousCursor)), facts.space.all))
    case "NewlyRequested":
      return node(context.requestedPartitions?.get(subject.key) ?? Ranges.empty)
    case "RequestedSinceUpdated":
      return node(pendingRequests(facts))
    case "HasNewData":
      // about an upstream of the subject: only inside anyUpstream / allUpstreams
      return node(Ranges.empty)
    case "InLatestTimeWindow":
      return node(latestWindow(facts, condition.lookback))
    case "Failed":
    case "FreshnessLate":
    case "CronTickPassed":
    case "UpdatedSinceCronTick":
      return node(AutomationCondition.holds(condition, subject, context) ? facts.space.all : Ranges.empty)
    case "AnyUpstream":
    case "AllUpstreams":
      return upstreams(condition, subject, facts, context, explain)
    case "And":
    case "Or":
    case "Not":
      return combine(condition, facts, explain, (child) => evaluate(child, subject, facts, context, explain))
  }
}

/**
 * `condition` about `upstream`, as the subject's partitions: an operand is
 * evaluated on the upstream's partitions and mapped to those that read them
 * (all or none for an unpartitioned upstream); `hasNewData` is computed for
 * the pair.
 */
const lifted = (
  condition: Condition,
  upstream: Facts,
  subject: Facts,
  facts: PartitionFacts,
  context: Context,
  explain: boolean
): Evaluated => {
  const up = context.partitions?.(upstream.key)
  if (condition._tag === "HasNewData") {
    return nodeOf(explain, () => AutomationCondition.operandLabel(condition, upstream), newData(upstream, up, facts), facts)
  }
  if (holdsHasNewData(condition) && (condition._tag === "And" || condition._tag === "Or" || condition._tag === "Not")) {
    return combine(condition, facts, explain, (child) => lifted(child, upstream, subject, facts, context, explain))
  }
  if (up === undefined && !explain) {
    return { set: AutomationCondition.holds(condition, upstream, context, subject) ? facts.space.all : Ranges.empty, result: UNEXPLAINED }
  }
  if (up === undefined) {
    const result = AutomationCondition.evaluate(condition, upstream, context, subject)
    return { set: result.value ? facts.space.all : Ranges.empty, result }
  }
  const own = evaluate(condition, upstream, up, context, explain)
  const mapping = facts.mappingTo(upstream.key)
  return { set: mapping === undefined ? Ranges.empty : readers(mapping, facts.space, up.space, facts.space.all, own.set), result: own.result }
}

const upstreams = (
  condition: Extract<Condition, { _tag: "AnyUpstream" | "AllUpstreams" }>,
  subject: Facts,
  facts: PartitionFacts,
  context: Context,
  explain: boolean
): Evaluated => {
  const any = condition._tag === "AnyUpstream"
  const { allow, ignore } = condition.filter
  const matched: Array<string> = []
  const unmatched: Array<string> = []
  let count = 0
  let set: Ranges.Ranges = any ? Ranges.empty : facts.space.all
  let example: Result | undefined
  for (const key of subject.upstream) {
    if ((allow !== undefined && !allow.includes(key)) || ignore?.includes(key) === true) continue
    count++
    const one = lifted(condition.condition, context.facts(key), subject, facts, context, explain)
    set = any ? Ranges.union(set, one.set) : Ranges.intersection(set, one.set)
    if (!explain) continue
    const list = one.set.length > 0 ? matched : unmatched
    if (list.length < 20) list.push(key)
    if (example === undefined || (example.value !== one.result.value && one.result.value === any)) example = one.result
  }
  if (!explain) return { set, result: UNEXPLAINED }
  const evaluated = explained(`${any ? "any upstream" : "all upstreams"} of ${count}`, set, facts, example === undefined ? undefined : [example])
  return {
    set,
    result: {
      ...evaluated.result,
      ...(matched.length > 0 ? { matched } : {}),
      ...(unmatched.length > 0 ? { unmatched } : {})
    }
  }
}

/** At most this many requests are kept per asset; a request of more ranges is kept as its hull. */
const MAX_REQUESTS = 20
const MAX_REQUEST_RANGES = 1_000

/**
 * The subject's requests after this evaluation: those still pending, plus
 * `requested` at `cursor` when given; undefined when nothing changed.
 *
 * @since 0.1.0
 */
export const requestsAfter = (
  facts: PartitionFacts,
  stored: ReadonlyArray<PartitionRequest> | undefined,
  requested: Ranges.Ranges | undefined,
  cursor: number
): ReadonlyArray<PartitionRequest> | undefined => {
  const kept = facts.requests.filter((request) => {
    const after = rangesOf(facts.segments.filter((segment) => segment.eventId > request.at))
    return Ranges.difference(Ranges.normalize(request.ranges), after).length > 0
  })
  if (requested === undefined && kept.length === (stored?.length ?? 0)) return undefined
  if (requested === undefined) return kept
  // a hull over-approximates what is pending: at worst a partition waits for its materialization to be asked again
  const ranges = requested.length > MAX_REQUEST_RANGES ? [[requested[0]![0], requested.at(-1)![1]] as const] : requested
  return [...kept, { at: cursor, fingerprint: facts.fingerprint, ranges }].slice(-MAX_REQUESTS)
}
