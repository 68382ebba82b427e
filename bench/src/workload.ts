/**
 * The reference workload: N trivial assets in 10 layers of width N/10.
 * `a_0_<i>` returns 1; `a_<l>_<i>` (l > 0) reads `a_<l-1>_<i>` and
 * `a_<l-1>_<(i+1) mod width>` and returns `(x + y) % 1000`. The data work is
 * nothing, so whatever a run costs is orchestration.
 *
 * @since 0.1.0
 */
import type { IOManager } from "@strata/core"
import { Asset } from "@strata/core"
import { Effect } from "effect"

/**
 * Number of layers of the workload.
 *
 * @since 0.1.0
 */
export const LAYERS = 10

/**
 * The width of a layer for `n` assets; `n` must be a positive multiple of {@link LAYERS}.
 *
 * @since 0.1.0
 */
export const widthOf = (n: number): number => {
  if (!Number.isInteger(n) || n < LAYERS || n % LAYERS !== 0) {
    throw new RangeError(`the workload needs N to be a positive multiple of ${LAYERS}, got ${n}`)
  }
  return n / LAYERS
}

/**
 * The key of asset `i` of layer `l`.
 *
 * @since 0.1.0
 */
export const keyOf = (layer: number, i: number): string => `a_${layer}_${i}`

/**
 * An asset of the workload.
 *
 * @since 0.1.0
 */
export type Workload = Asset.Asset<number, never, IOManager.DefaultIO>

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 */
export interface Options {
  /**
   * The value of the layer-0 assets, read at compute time. Default: always 1.
   * The staleness case changes it between runs so that re-materializing a
   * root yields new data (same data would, rightly, make nothing stale).
   */
  readonly rootValue?: (() => number) | undefined
}

/**
 * Builds the N assets, upstream layers first.
 *
 * @since 0.1.0
 */
export const make = (n: number, options?: Options): Array<Workload> => {
  const width = widthOf(n)
  const rootValue = options?.rootValue
  const assets: Array<Workload> = new Array(n)
  let previous: Array<Workload> = new Array(width)
  for (let i = 0; i < width; i++) {
    const asset = rootValue === undefined
      ? Asset.make(keyOf(0, i), {}, () => Effect.succeed(1))
      : Asset.make(keyOf(0, i), {}, () => Effect.succeed(rootValue()))
    previous[i] = asset
    assets[i] = asset
  }
  for (let layer = 1; layer < LAYERS; layer++) {
    const current: Array<Workload> = new Array(width)
    for (let i = 0; i < width; i++) {
      const x = previous[i]!
      const y = previous[(i + 1) % width]!
      const asset = Asset.make(keyOf(layer, i), { deps: { x, y } }, ({ x, y }) => Effect.succeed((x + y) % 1000))
      current[i] = asset
      assets[layer * width + i] = asset
    }
    previous = current
  }
  return assets
}

/**
 * The value every asset of `layer` holds when the roots hold `root`,
 * computed from the definition rather than by running the assets.
 *
 * @since 0.1.0
 */
export const expectedValue = (layer: number, root = 1): number => {
  let value = root
  for (let l = 1; l <= layer; l++) value = (value + value) % 1000
  return value
}

/**
 * The keys downstream of `a_0_<root>` (the root excluded), from the index
 * arithmetic of the definition, not from the project's graph: the asset
 * `a_l_i` reads `i` and `i+1` of layer `l-1`, so the root reaches indexes
 * `root-l .. root` (mod width) of layer `l`.
 *
 * @since 0.1.0
 */
export const downstreamCone = (n: number, root: number): ReadonlySet<string> => {
  const width = widthOf(n)
  const cone = new Set<string>()
  let reached = new Set<number>([root])
  for (let layer = 1; layer < LAYERS; layer++) {
    const next = new Set<number>()
    for (let i = 0; i < width; i++) {
      if (reached.has(i) || reached.has((i + 1) % width)) next.add(i)
    }
    for (const i of next) cone.add(keyOf(layer, i))
    reached = next
  }
  return cone
}
