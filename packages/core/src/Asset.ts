/**
 * Assets: the data that should exist, as typed functions of other assets.
 *
 * `Asset.make(key, options, compute)` declares an asset. Upstream assets are
 * passed in `deps`; the compute function receives their loaded values, typed
 * from the upstreams' outputs, and returns an `Effect` of the new value (or of
 * an {@link Output} carrying runtime metadata). The services the effect needs
 * are the asset's requirements: running a project without providing them is a
 * compile error.
 *
 * @example
 * ```ts
 * import { Asset } from "@strata/core"
 * import { Effect } from "effect"
 *
 * const numbers = Asset.make("numbers", {}, () => Effect.succeed([1, 2, 3]))
 * const total = Asset.make("total", { deps: { numbers } }, ({ numbers }) =>
 *   Effect.succeed(numbers.reduce((a, b) => a + b, 0)))
 * ```
 *
 * @since 0.1.0
 */
import type { Context, Effect } from "effect"
import * as AssetKey from "./AssetKey.ts"
import type { AssetKind, AssetSpec, SourceLocation } from "./AssetSpec.ts"
import { defaultGroup } from "./AssetSpec.ts"
import type { CallSite } from "./internal/location.ts"
import { captureCallSite, resolveCallSite } from "./internal/location.ts"
import type { DefaultIO, IOManager } from "./IOManager.ts"
import { DefaultIO as DefaultIOKey } from "./IOManager.ts"
import type { Metadata } from "./Metadata.ts"
import * as MetadataModule from "./Metadata.ts"
import type { Output, ValueOf } from "./Output.ts"
import type { PartitionMapping } from "./PartitionMapping.ts"
import type { PartitionsDefinition } from "./Partitions.ts"
import { POOL_TAG } from "./Pool.ts"
import * as PartitionsModule from "./Partitions.ts"
import type { StepPartitions } from "./partitions/stepPartitions.ts"
import * as RetryPolicy from "./RetryPolicy.ts"

const TypeId: unique symbol = Symbol.for("@strata/core/Asset")

/**
 * What a compute function knows about the step running it.
 *
 * @since 0.1.0
 */
export interface AssetContext {
  readonly key: AssetKey.AssetKey
  readonly partition: string | undefined
  readonly runId: string
  /** 1 for the first attempt, 2 for the first retry... */
  readonly attempt: number
  /** The partitions the step writes, for a partitioned asset (a key, or a range with `partitions.keys`). */
  readonly partitions?: StepPartitions | undefined
}

/**
 * The context of a partitioned asset's compute function: `partitions` is always set.
 *
 * @since 0.1.0
 */
export interface PartitionedContext extends AssetContext {
  readonly partitions: StepPartitions
}

/**
 * The context a compute function receives: {@link PartitionedContext} when the asset has partitions.
 *
 * @since 0.1.0
 */
export type ContextFor<P> = [P] extends [PartitionsDefinition] ? PartitionedContext : AssetContext

/**
 * Anything that can be upstream of an asset: a computed asset, a source asset
 * or (for ordering only) an external one. The type parameters carry the
 * value it produces and the services it needs.
 *
 * @since 0.1.0
 */
export interface Node<A, R> {
  // No `out` variance annotations on the type parameters (here, Asset, SourceAsset, Output, Project): the
  // phantom fields below make them covariant anyway, and tsup's bundled index.d.ts re-declares these
  // interfaces as type aliases (`type Asset$1_Asset<out A> = Asset<A>`), where annotations are error TS2637
  // for users who compile without skipLibCheck (tools/install-check checks it).
  readonly [TypeId]: typeof TypeId
  readonly kind: AssetKind
  readonly key: AssetKey.AssetKey
  /** The plain description; `location` is resolved on first read. */
  readonly spec: AssetSpec
  /** Data dependencies by input name. */
  readonly deps: Readonly<Record<string, AnyNode>>
  /** Non-data dependencies. */
  readonly after: ReadonlyArray<AnyNode | AssetKey.AssetKey>
  /** The I/O manager key, or `undefined` for nodes whose value is not stored. */
  readonly io: Context.Key<unknown, IOManager<unknown>> | undefined
  /** The partitions definition, if the node is partitioned. */
  readonly partitions?: PartitionsDefinition | undefined
  /** Partition mappings by upstream key (edges without one use `PartitionMapping.defaultFor`). */
  readonly partitionMappings?: Readonly<Record<string, PartitionMapping>> | undefined
  readonly "~value": (_: never) => A
  readonly "~requirements": (_: never) => R
}

/**
 * Any node, whatever it produces or needs.
 *
 * @since 0.1.0
 */
export type AnyNode = Node<unknown, unknown>

/**
 * A computed asset producing `A`, failing with `E`, needing services `R`
 * (including its I/O manager's key), computed from the upstream values `I`
 * (`Inputs` of its `deps`; what `runAsset` of `@strata/core/testing` takes).
 *
 * @since 0.1.0
 */
export interface Asset<A, E = never, R = never, I = Readonly<Record<string, unknown>>> extends Node<A, R> {
  readonly kind: "asset"
  readonly io: Context.Key<unknown, IOManager<unknown>>
  readonly compute: (inputs: any, context: AssetContext) => Effect.Effect<unknown, E, unknown>
  readonly "~error": (_: never) => E
  readonly "~inputs": (_: never) => I
}

/**
 * Any computed asset.
 *
 * @since 0.1.0
 */
export type Any = Asset<unknown, unknown, unknown>

/**
 * The value a node produces.
 *
 * @since 0.1.0
 */
export type Value<T> = T extends Node<infer A, infer _R> ? A : never

/**
 * The services a node needs.
 *
 * @since 0.1.0
 */
export type Requirements<T> = T extends Node<infer _A, infer R> ? R : never

/**
 * The values a compute function receives for a `deps` record.
 *
 * @since 0.1.0
 */
export type Inputs<D extends Readonly<Record<string, AnyNode>>> = { readonly [K in keyof D]: Value<D[K]> }

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 */
export interface Options<D extends Readonly<Record<string, AnyNode>>, IOId, IOA, P = undefined> {
  /** Split the asset into partitions (`Partitions.daily({ start })`...). */
  readonly partitions?: P | undefined
  /** How each partition reads its upstreams' partitions, by input name (see `PartitionMapping`). */
  readonly partitionMappings?: { readonly [K in keyof D]?: PartitionMapping } | undefined
  /** Upstream assets whose loaded values the compute function receives, by name. */
  readonly deps?: D | undefined
  /** Upstream assets (or keys) that must be materialized first but whose values are not loaded. */
  readonly after?: ReadonlyArray<AnyNode | string> | undefined
  /** The group shown in the catalog and usable in selections (`group:silver`). Default: `default`. */
  readonly group?: string | undefined
  readonly tags?: Readonly<Record<string, string>> | undefined
  /**
   * The concurrency pool its steps take a slot of (kept as tag `strata/pool`);
   * the project declares the pool's limit (`runQueue: { pools }`, see `Pool`).
   */
  readonly pool?: string | undefined
  /** What the asset is made of or stored in (`postgres`, `parquet`, `python`): catalog icons and `kind:` selections. */
  readonly kinds?: ReadonlyArray<string> | undefined
  /** Owners: e-mail addresses or `team:name`. */
  readonly owners?: ReadonlyArray<string> | undefined
  readonly description?: string | undefined
  /** An explicit code version. Without one, a hash of the compute function's source is used. */
  readonly codeVersion?: string | undefined
  /** The I/O manager storing the value. Default: {@link DefaultIO}. */
  readonly io?: IOManagerKey<IOId, IOA> | undefined
  readonly retry?: RetryPolicy.Input | undefined
  /** Static metadata, shown in the catalog and passed to the I/O manager. */
  readonly metadata?: Metadata | undefined
}

/**
 * An I/O manager service key (see `IOManager.Tag`).
 *
 * @since 0.1.0
 */
export type IOManagerKey<Id, A> = Context.Key<Id, IOManager<A>>

const emptyArray: Array<never> = Object.freeze([]) as unknown as Array<never>
const emptyRecord: Readonly<Record<string, string>> = Object.freeze({})

/** Validates the options shared by every kind of node and builds the spec. */
export const makeSpec = (
  key: string,
  kind: AssetKind,
  options: {
    readonly deps?: Readonly<Record<string, AnyNode>> | undefined
    readonly after?: ReadonlyArray<AnyNode | string> | undefined
    readonly group?: string | undefined
    readonly tags?: Readonly<Record<string, string>> | undefined
    readonly kinds?: ReadonlyArray<string> | undefined
    readonly owners?: ReadonlyArray<string> | undefined
    readonly description?: string | undefined
    readonly codeVersion?: string | undefined
    readonly retry?: RetryPolicy.Input | undefined
    readonly metadata?: Metadata | undefined
  },
  io: string,
  site: CallSite
): { spec: AssetSpec; after: ReadonlyArray<AnyNode | AssetKey.AssetKey> } => {
  const assetKey = AssetKey.make(key)
  const deps: Array<AssetKey.AssetKey> = []
  if (options.deps !== undefined) {
    for (const name in options.deps) {
      const dep = options.deps[name]
      if (!isNode(dep)) {
        throw new TypeError(`asset ${assetKey}: deps.${name} is not an asset (got ${describe(dep)})`)
      }
      deps.push(dep.key)
    }
  }
  // an array grown by push keeps room for 16 keys; the copy has its exact size
  const depKeys = deps.length === 0 ? emptyArray : deps.slice()
  // shared empties: most assets have no 'after', tags, kinds or owners, and a
  // project of 100k assets should not allocate 100k empty containers for them
  const after: Array<AnyNode | AssetKey.AssetKey> = options.after === undefined ? emptyArray : []
  const afterKeys: Array<AssetKey.AssetKey> = options.after === undefined ? emptyArray : []
  for (const item of options.after ?? emptyArray) {
    if (typeof item === "string") {
      const itemKey = AssetKey.make(item)
      after.push(itemKey)
      afterKeys.push(itemKey)
    } else if (isNode(item)) {
      after.push(item)
      afterKeys.push(item.key)
    } else {
      throw new TypeError(`asset ${assetKey}: 'after' holds ${describe(item)}, not an asset or a key`)
    }
  }
  const spec = new SpecImpl({
    key: assetKey,
    kind,
    deps: depKeys,
    after: afterKeys,
    group: options.group ?? defaultGroup,
    tags: options.tags ?? emptyRecord,
    kinds: options.kinds ?? emptyArray,
    owners: options.owners ?? emptyArray,
    description: options.description,
    codeVersion: options.codeVersion,
    io,
    retry: options.retry === undefined ? undefined : RetryPolicy.make(options.retry),
    metadata: options.metadata ?? MetadataModule.empty
  }, site)
  return { spec, after }
}

class SpecImpl implements AssetSpec {
  readonly key: AssetKey.AssetKey
  readonly kind: AssetKind
  readonly deps: ReadonlyArray<AssetKey.AssetKey>
  readonly after: ReadonlyArray<AssetKey.AssetKey>
  readonly group: string
  readonly tags: Readonly<Record<string, string>>
  readonly kinds: ReadonlyArray<string>
  readonly owners: ReadonlyArray<string>
  readonly description: string | undefined
  readonly codeVersion: string | undefined
  readonly io: string
  readonly retry: RetryPolicy.RetryPolicy | undefined
  readonly metadata: Metadata
  #site: CallSite | undefined
  #location: SourceLocation | undefined
  constructor(fields: Omit<AssetSpec, "location">, site: CallSite) {
    this.key = fields.key
    this.kind = fields.kind
    this.deps = fields.deps
    this.after = fields.after
    this.group = fields.group
    this.tags = fields.tags
    this.kinds = fields.kinds
    this.owners = fields.owners
    this.description = fields.description
    this.codeVersion = fields.codeVersion
    this.io = fields.io
    this.retry = fields.retry
    this.metadata = fields.metadata
    this.#site = site
  }
  get location(): SourceLocation | undefined {
    if (this.#site !== undefined) {
      this.#location = resolveCallSite(this.#site)
      this.#site = undefined
    }
    return this.#location
  }
  toJSON(): AssetSpec {
    return { ...this, location: this.location }
  }
}

const describe = (value: unknown): string =>
  value === undefined ? "undefined" : value === null ? "null" : typeof value === "object" ? "an object" : typeof value

/**
 * `true` for assets, source assets and external assets.
 *
 * @since 0.1.0
 */
export const isNode = (u: unknown): u is AnyNode => typeof u === "object" && u !== null && TypeId in u

/**
 * `true` for computed assets.
 *
 * @since 0.1.0
 */
export const isAsset = (u: unknown): u is Any => isNode(u) && u.kind === "asset"

/** The brand shared by every node implementation (source and external assets use it too). */
export const NodeTypeId: typeof TypeId = TypeId

/**
 * Declares an asset.
 *
 * - `key`: a path such as `silver/users` (see `AssetKey`).
 * - `options`: `deps` (upstream assets whose values are passed in), `after`,
 *   `group`, `tags`, `kinds`, `owners`, `description`, `codeVersion`, `io`,
 *   `retry`, `metadata`, `pool`.
 * - `compute(inputs, context)`: returns an `Effect` of the value, or of
 *   `Output.make(value, { metadata })`.
 *
 * Throws `InvalidAssetKey` for a bad key and a `TypeError` for a dependency
 * that is not an asset.
 *
 * @since 0.1.0
 */
export const make = <
  const D extends Readonly<Record<string, AnyNode>> = {},
  Out = unknown,
  E = never,
  R = never,
  IOId = DefaultIO,
  IOA = unknown,
  P extends PartitionsDefinition | undefined = undefined
>(
  key: string,
  options: Options<D, IOId, IOA, P>,
  compute: (inputs: Inputs<D>, context: ContextFor<P>) => Effect.Effect<Out & Storable<Out, IOA>, E, R>
): Asset<ValueOf<Out>, E, R | IOId, Inputs<D>> => {
  const site = captureCallSite(make)
  const io = (options.io ?? DefaultIOKey) as unknown as Context.Key<unknown, IOManager<unknown>>
  if (options.pool !== undefined && (typeof options.pool !== "string" || options.pool.length === 0)) {
    throw new TypeError(`asset ${key}: 'pool' must be a non-empty string (got ${describe(options.pool)})`)
  }
  const tagged = options.pool === undefined ? options : { ...options, tags: { ...options.tags, [POOL_TAG]: options.pool } }
  const { after, spec } = makeSpec(key, "asset", tagged, io.key, site)
  if (options.partitions !== undefined) PartitionsModule.validate(options.partitions, spec.key)
  if (options.partitions === undefined && options.partitionMappings === undefined) {
    // the common asset as one literal: a spread (even of `{}`) makes V8 build the object on a slow path, about
    // twice the memory per asset
    return { [TypeId]: TypeId, kind: "asset", key: spec.key, spec, deps: options.deps ?? {}, after, io, compute } as
      unknown as Asset<ValueOf<Out>, E, R | IOId, Inputs<D>>
  }
  const partitionMappings: Record<string, PartitionMapping> = {}
  for (const name in options.partitionMappings ?? {}) {
    const dep = options.deps?.[name]
    if (dep === undefined) throw new TypeError(`asset ${spec.key}: partitionMappings.${name} names no input in 'deps'`)
    partitionMappings[dep.key] = options.partitionMappings![name]!
  }
  return {
    ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
    ...(options.partitionMappings === undefined ? {} : { partitionMappings }),
    [TypeId]: TypeId,
    kind: "asset",
    key: spec.key,
    spec,
    deps: options.deps ?? {},
    after,
    io,
    compute
  } as unknown as Asset<ValueOf<Out>, E, R | IOId, Inputs<D>>
}

/**
 * Resolves to `unknown` (no constraint) when the I/O manager can store the
 * computed value, and to an explanatory type otherwise, so that a mismatch is
 * reported on the compute function.
 *
 * @since 0.1.0
 */
export type Storable<Out, IOA> = [ValueOf<Out>] extends [IOA] ? unknown
  : { readonly "the asset's I/O manager cannot store this value; it stores": IOA }

export type { Output }
