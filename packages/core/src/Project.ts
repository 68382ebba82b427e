/**
 * A project: the validated set of assets Strata knows about, with their
 * graph. The type parameter `R` is the union of the services every asset
 * and I/O manager needs; materializing the project requires a Layer that
 * provides all of them.
 *
 * @example
 * ```ts
 * import { Asset, Project } from "@strata/core"
 * import { Effect } from "effect"
 *
 * const a = Asset.make("a", {}, () => Effect.succeed(1))
 * const b = Asset.make("b", { deps: { a } }, ({ a }) => Effect.succeed(a + 1))
 * export const project = Project.make({ assets: [a, b] })
 * ```
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import type { AnyNode, Requirements } from "./Asset.ts"
import { isNode } from "./Asset.ts"
import * as AssetGraph from "./AssetGraph.ts"
import type { AssetSpec } from "./AssetSpec.ts"
import type * as Check from "./Check.ts"
import { isCheck } from "./Check.ts"
import type { FreshnessPolicy } from "./Freshness.ts"
import { isPolicy } from "./Freshness.ts"
import type { PartitionMappingError } from "./PartitionMapping.ts"
import type { PartitionDefinitionError } from "./Partitions.ts"
import { checkPartitions } from "./partitions/checkProject.ts"
import * as Automation from "./Automation.ts"
import * as Pool from "./Pool.ts"

const TypeId: unique symbol = Symbol.for("@strata/core/Project")

/**
 * A validated project needing services `R`.
 *
 * @since 0.1.0
 */
export interface Project<R = never> {
  readonly [TypeId]: typeof TypeId
  readonly graph: AssetGraph.AssetGraph
  /** The node with this key, if any. */
  readonly get: (key: string) => AnyNode | undefined
  readonly specs: () => ReadonlyArray<AssetSpec>
  /** The asset checks, in the order given. */
  readonly checks: ReadonlyArray<Check.Any>
  /** The checks of one asset (empty when it has none). */
  readonly checksOf: (key: string) => ReadonlyArray<Check.Any>
  /** The freshness policies (`Freshness.policy`), one per asset at most. */
  readonly freshness: ReadonlyArray<FreshnessPolicy>
  /** Whether any node is partitioned (a plan of an unpartitioned project skips its per-step partition pass). */
  readonly partitioned: boolean
  /** Conditions, schedules and sensors (see `Automation`); empty when none were declared. */
  readonly automation: Automation.Definitions
  readonly "~requirements": (_: never) => R
}

/**
 * Two different definitions share a key.
 *
 * @since 0.1.0
 */
export class DuplicateAssetKey extends Schema.TaggedError<DuplicateAssetKey>()("@strata/core/DuplicateAssetKey", {
  asset: Schema.String,
  locations: Schema.Array(Schema.String)
}) {
  override get message(): string {
    const where = this.locations.length > 0 ? ` (defined at ${this.locations.join(" and ")})` : ""
    return `asset ${this.asset} is defined more than once${where}; give each definition its own key`
  }
}

/**
 * An asset depends on a key the project does not define.
 *
 * @since 0.1.0
 */
export class UnknownDependency extends Schema.TaggedError<UnknownDependency>()("@strata/core/UnknownDependency", {
  asset: Schema.String,
  dependency: Schema.String
}) {
  override get message(): string {
    return `asset ${this.asset} depends on ${this.dependency}, which is not in the project; ` +
      `add ${this.dependency} to Project.make({ assets }) or remove the dependency`
  }
}

/**
 * The dependencies form a cycle.
 *
 * @since 0.1.0
 */
export class CycleDetected extends Schema.TaggedError<CycleDetected>()("@strata/core/CycleDetected", {
  asset: Schema.String,
  path: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `the dependencies form a cycle: ${this.path.join(" -> ")}; an asset cannot depend on itself, even indirectly`
  }
}

/**
 * An asset depends on an external asset, which nobody builds.
 *
 * @since 0.1.0
 */
export class InvalidDependency extends Schema.TaggedError<InvalidDependency>()("@strata/core/InvalidDependency", {
  asset: Schema.String,
  dependency: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `asset ${this.asset} cannot depend on ${this.dependency}: ${this.reason}`
  }
}

/**
 * A check names an asset the project does not have (or another definition of
 * its key), is not a computed asset, or repeats a check name of its asset.
 *
 * @since 0.1.0
 */
export class InvalidCheck extends Schema.TaggedError<InvalidCheck>()("@strata/core/InvalidCheck", {
  asset: Schema.String,
  check: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `check ${this.check} of asset ${this.asset}: ${this.reason}`
  }
}

/**
 * A project definition that is not valid.
 *
 * @since 0.1.0
 */
export type ProjectError =
  | DuplicateAssetKey
  | UnknownDependency
  | CycleDetected
  | InvalidDependency
  | InvalidCheck
  | PartitionDefinitionError
  | PartitionMappingError
  | Automation.AutomationError

/**
 * What {@link make} accepts.
 *
 * @since 0.1.0
 */
export interface Config<Nodes extends ReadonlyArray<AnyNode>, Checks extends ReadonlyArray<Check.Any> = readonly []> {
  /** Assets, source assets and external assets. */
  readonly assets: Nodes
  /** Asset checks (`Check.make` and the built-ins); each names an asset of `assets`. */
  readonly checks?: Checks | undefined
  /** Freshness policies (`Freshness.policy`), at most one per asset of `assets`. */
  readonly freshness?: ReadonlyArray<FreshnessPolicy> | undefined
  /** Conditions by asset key, schedules and sensors (see `Automation`). */
  readonly automation?: Automation.Config | undefined
}

/**
 * The services a project's assets and checks need.
 *
 * @since 0.1.0
 */
export type ProjectRequirements<Nodes extends ReadonlyArray<AnyNode>, Checks extends ReadonlyArray<Check.Any>> =
  | Requirements<Nodes[number]>
  | Check.Requirements<Checks[number]>

/**
 * Validates a project, failing with a {@link ProjectError} that names the asset.
 *
 * @since 0.1.0
 */
export const validate = <const Nodes extends ReadonlyArray<AnyNode>, const Checks extends ReadonlyArray<Check.Any> = readonly []>(
  config: Config<Nodes, Checks>
): Effect.Effect<Project<Requirements<Nodes[number]> | Check.Requirements<Checks[number]>>, ProjectError> =>
  Effect.suspend(() => {
    const result = build(config.assets, config.checks ?? [], config.freshness ?? [], config.automation)
    return isProject(result) ? Effect.succeed(result) : Effect.fail(result)
  }) as Effect.Effect<Project<Requirements<Nodes[number]> | Check.Requirements<Checks[number]>>, ProjectError>

/**
 * Validates a project and returns it; throws a {@link ProjectError} (an
 * `Error` naming the asset) when the definitions are not valid.
 *
 * @since 0.1.0
 */
export const make = <const Nodes extends ReadonlyArray<AnyNode>, const Checks extends ReadonlyArray<Check.Any> = readonly []>(
  config: Config<Nodes, Checks>
): Project<Requirements<Nodes[number]> | Check.Requirements<Checks[number]>> => {
  const result = build(config.assets, config.checks ?? [], config.freshness ?? [], config.automation)
  if (!isProject(result)) throw result
  return result as Project<Requirements<Nodes[number]> | Check.Requirements<Checks[number]>>
}

/**
 * `true` for values made by {@link make}.
 *
 * @since 0.1.0
 */
export const isProject = (u: unknown): u is Project<unknown> =>
  typeof u === "object" && u !== null && TypeId in u

const noChecks: ReadonlyArray<Check.Any> = []

const where = (node: AnyNode): string => {
  const location = node.spec.location
  return location === undefined ? "unknown place" : `${location.file}:${location.line}`
}

/** The checks by asset key, or the first invalid one. */
const checksByAsset = (
  checks: ReadonlyArray<Check.Any>,
  byKey: (key: string) => AnyNode | undefined
): Map<string, Array<Check.Any>> | InvalidCheck => {
  if (!Array.isArray(checks)) throw new TypeError("Project.make: 'checks' must be an array of checks")
  const result = new Map<string, Array<Check.Any>>()
  for (let i = 0; i < checks.length; i++) {
    const check = checks[i]
    if (!isCheck(check)) throw new TypeError(`Project.make: checks[${i}] is not a check (made by Check.make)`)
    const { assetKey, name } = check.spec
    const node = byKey(assetKey)
    const invalid = (reason: string) => new InvalidCheck({ asset: assetKey, check: name, reason })
    if (node === undefined) return invalid(`the project has no asset ${assetKey}; add it to Project.make({ assets })`)
    if (node !== check.asset) return invalid(`it was made for another definition of ${assetKey} than the project's`)
    if (node.kind !== "asset") return invalid(`${assetKey} is a ${node.kind} asset; checks run on computed assets`)
    let list = result.get(assetKey)
    if (list === undefined) result.set(assetKey, list = [])
    if (list.some((other) => other.spec.name === name)) return invalid(`the asset has two checks named ${name}`)
    list.push(check)
  }
  return result
}

/** The policies, or the first that names an asset the project does not have or repeats one. */
const freshnessPolicies = (
  policies: ReadonlyArray<FreshnessPolicy>,
  byKey: (key: string) => AnyNode | undefined
): ReadonlyArray<FreshnessPolicy> | InvalidDependency => {
  const seen = new Set<string>()
  for (let i = 0; i < policies.length; i++) {
    const policy = policies[i]
    if (!isPolicy(policy)) throw new TypeError(`Project.make: freshness[${i}] is not a policy (made by Freshness.policy)`)
    const invalid = (reason: string) => new InvalidDependency({ asset: policy.assetKey, dependency: policy.assetKey, reason })
    if (byKey(policy.assetKey) !== policy.asset) return invalid(`its freshness policy names an asset the project does not have`)
    if (seen.has(policy.assetKey)) return invalid("it has two freshness policies; give it one")
    seen.add(policy.assetKey)
  }
  return [...policies]
}

/** Every pool an asset names must be declared with a limit: a misspelled pool would otherwise limit nothing. */
const checkPools = (nodes: ReadonlyArray<AnyNode>, pools: Readonly<Record<string, number>> | undefined): void => {
  for (let n = 0; n < nodes.length; n++) {
    const pool = Pool.poolOf(nodes[n]!.spec.tags)
    if (pool === undefined || pools?.[pool] !== undefined) continue
    const declared = Object.keys(pools ?? {})
    throw new TypeError(
      `asset ${nodes[n]!.key} names pool '${pool}', which the project does not declare ` +
        `(declare its limit in automation.runQueue.pools${declared.length > 0 ? `; declared: ${declared.join(", ")}` : ""})`
    )
  }
}

const build = (
  input: ReadonlyArray<AnyNode>,
  checks: ReadonlyArray<Check.Any>,
  policies: ReadonlyArray<FreshnessPolicy>,
  automationConfig?: Automation.Config
): Project<unknown> | ProjectError => {
  const indexed = indexNodes(input)
  if (indexed instanceof DuplicateAssetKey) return indexed
  const { nodes, position } = indexed
  const byKey = (key: string): AnyNode | undefined => {
    const i = position.get(key)
    return i === undefined ? undefined : nodes[i]
  }
  const dependencyError = checkDependencies(nodes, byKey)
  if (dependencyError !== undefined) return dependencyError
  const checkMap = checksByAsset(checks, byKey)
  if (checkMap instanceof InvalidCheck) return checkMap
  const freshness = freshnessPolicies(policies, byKey)
  if (freshness instanceof InvalidDependency) return freshness
  const partitionError = checkPartitions(nodes, byKey)
  if (partitionError !== undefined) return partitionError
  const graph = AssetGraph.makeIndexed(nodes, position)
  if ("_tag" in graph) return new CycleDetected({ asset: graph.path[0]!, path: graph.path })
  const automation = Automation.validate(graph, automationConfig)
  if ("_tag" in automation) return automation
  checkPools(nodes, automation.runQueue?.pools)
  let specs: ReadonlyArray<AssetSpec> | undefined
  return {
    [TypeId]: TypeId,
    graph,
    checks: [...checks],
    checksOf: (key: string) => checkMap.get(key) ?? noChecks,
    freshness,
    partitioned: nodes.some((node) => node.partitions !== undefined),
    get: (key: string) => {
      const i = graph.index.get(key)
      return i === undefined ? undefined : graph.nodes[i]
    },
    specs: () => (specs ??= graph.nodes.map((node) => node.spec)),
    automation
  } as unknown as Project<unknown>
}

/**
 * The nodes once each (the same node listed twice is kept once) and each key's position, handed to the
 * graph so that the keys are hashed once; two different nodes with one key are a `DuplicateAssetKey`.
 */
const indexNodes = (
  input: ReadonlyArray<AnyNode>
): { readonly nodes: Array<AnyNode>; readonly position: Map<string, number> } | DuplicateAssetKey => {
  if (!Array.isArray(input)) throw new TypeError("Project.make: 'assets' must be an array of assets")
  const nodes: Array<AnyNode> = []
  const position = new Map<string, number>()
  for (let i = 0; i < input.length; i++) {
    const node = input[i]
    if (!isNode(node)) {
      throw new TypeError(`Project.make: assets[${i}] is not an asset (got ${node === null ? "null" : typeof node})`)
    }
    const existing = position.get(node.key)
    if (existing === undefined) {
      position.set(node.key, nodes.length)
      nodes.push(node)
    } else if (nodes[existing] !== node) {
      return new DuplicateAssetKey({ asset: node.key, locations: [where(nodes[existing]!), where(node)] })
    }
  }
  return { nodes, position }
}

/** The first error of a node's `deps` and `after`, and of the node objects its `deps` hold. */
const checkDependencies = (nodes: ReadonlyArray<AnyNode>, byKey: (key: string) => AnyNode | undefined): ProjectError | undefined => {
  // indexed loops: this runs once per process, mostly before the JIT has
  // optimized anything, where for-of over arrays is several times slower
  for (let n = 0; n < nodes.length; n++) {
    const node = nodes[n]!
    const spec = node.spec
    const deps = spec.deps
    for (let k = 0; k < deps.length; k++) {
      const error = checkDependency(node, deps[k]!, byKey)
      if (error !== undefined) return error
    }
    const after = spec.after
    for (let k = 0; k < after.length; k++) {
      const error = checkDependency(node, after[k]!, byKey)
      if (error !== undefined) return error
    }
    const error = checkDependencyNodes(node, byKey)
    if (error !== undefined) return error
  }
  return undefined
}

/** A dependency must be in the project, and only an external asset may depend on an external one. */
const checkDependency = (node: AnyNode, key: string, byKey: (key: string) => AnyNode | undefined): ProjectError | undefined => {
  const dep = byKey(key)
  if (dep === undefined) return new UnknownDependency({ asset: node.key, dependency: key })
  if (dep.kind === "external" && node.kind !== "external") {
    return new InvalidDependency({
      asset: node.key,
      dependency: key,
      reason: `${key} is an external asset, which Strata never builds; declare it with Asset.make or SourceAsset.make`
    })
  }
  return undefined
}

/** The node objects in `deps` must be the project's own (not another node with the same key), and a source passed in must load. */
const checkDependencyNodes = (node: AnyNode, byKey: (key: string) => AnyNode | undefined): ProjectError | undefined => {
  for (const name in node.deps) {
    const dep = node.deps[name]!
    if (byKey(dep.key) !== dep) {
      return new DuplicateAssetKey({ asset: dep.key, locations: [where(byKey(dep.key)!), where(dep)] })
    }
    if (dep.kind === "source" && (dep as { load?: unknown }).load === undefined) {
      return new InvalidDependency({
        asset: node.key,
        dependency: dep.key,
        reason: `source ${dep.key} has no 'load' function, so it has no value to pass in; ` +
          `give it one or list it in 'after' instead of 'deps'`
      })
    }
  }
  return undefined
}
