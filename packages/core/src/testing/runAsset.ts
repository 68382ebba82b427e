/**
 * Unit tests of one asset: its compute function with given upstream values
 * and test Layers, as Dagster users call an asset function directly. Nothing
 * is loaded or stored (no I/O manager, no instance, no run): the upstream
 * values are the fixtures, the Layer gives the services (a fake API, a
 * throwaway database).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Layer } from "effect"
import type { Asset, AssetContext } from "../Asset.ts"
import type { IOManagerKeys } from "../Materialize.ts"
import type { Output } from "../Output.ts"
import { isOutput } from "../Output.ts"

/**
 * Options of {@link runAsset}.
 *
 * @since 0.1.0
 */
export interface RunAssetOptions<I, ROut, LE> {
  /** The upstream values, by the names of the asset's `deps` (typed like its compute function's inputs). */
  readonly upstream: I
  /** Services the compute function needs (resources, test doubles). I/O managers are not needed. */
  readonly layer?: Layer.Layer<ROut, LE, never> | undefined
  readonly partition?: string | undefined
  /** `context.attempt` (default 1), to test behaviour that depends on retries. */
  readonly attempt?: number | undefined
  /** `context.runId` (default `test`). */
  readonly runId?: string | undefined
}

/** `options` may be left out when the asset has no deps. */
type OptionalWhenEmpty<I, ROut, LE> = {} extends I ? [options?: RunAssetOptions<I, ROut, LE>] : [options: RunAssetOptions<I, ROut, LE>]

/**
 * The services the compute function of an asset needing `R` still needs
 * once `ROut` is provided: `R` without its I/O manager keys and without `ROut`.
 *
 * @since 0.1.0
 */
export type Remaining<R, ROut> = Exclude<Exclude<R, IOManagerKeys<R>>, ROut>

/**
 * Runs an asset's compute function with `upstream` values and `layer`, and
 * succeeds with the value it computes (the value of an `Output.make`); fails
 * with the asset's own error. Needs only what the layer does not provide.
 *
 * @example
 * ```ts
 * import { Asset } from "@strata/core"
 * import { runAsset } from "@strata/core/testing"
 * import { Effect } from "effect"
 *
 * const orders = Asset.make("orders", {}, () => Effect.succeed([{ usd: 10 }]))
 * const total = Asset.make("total", { deps: { orders } }, ({ orders }) => Effect.succeed(orders.reduce((s, o) => s + o.usd, 0)))
 * Effect.runPromise(runAsset(total, { upstream: { orders: [{ usd: 1 }, { usd: 2 }] } })).then(console.log) // 3
 * ```
 * @since 0.1.0
 */
export const runAsset = <A, E, R, I, ROut = never, LE = never>(
  asset: Asset<A, E, R, I>,
  ...options: OptionalWhenEmpty<I, ROut, LE>
): Effect.Effect<A, E | LE, Remaining<R, ROut>> =>
  Effect.map(runAssetOutput(asset, ...options), (output) => output.value)

/**
 * {@link runAsset}, succeeding with the whole output: the value, and the
 * metadata and data version given with `Output.make` (`undefined` without).
 *
 * @since 0.1.0
 */
export const runAssetOutput = <A, E, R, I, ROut = never, LE = never>(
  asset: Asset<A, E, R, I>,
  ...[options]: OptionalWhenEmpty<I, ROut, LE>
): Effect.Effect<Pick<Output<A>, "value" | "metadata" | "dataVersion">, E | LE, Remaining<R, ROut>> => {
  const context: AssetContext = {
    key: asset.key,
    partition: options?.partition,
    runId: options?.runId ?? "test",
    attempt: options?.attempt ?? 1
  }
  const computed = Effect.suspend(() => asset.compute(options?.upstream ?? {}, context)).pipe(
    Effect.map((result) =>
      isOutput(result)
        ? { value: result.value as A, metadata: result.metadata, dataVersion: result.dataVersion }
        : { value: result as A, metadata: undefined, dataVersion: undefined }
    )
  )
  const layer = options?.layer
  return (layer === undefined ? computed : Effect.provide(computed, layer)) as Effect.Effect<
    Pick<Output<A>, "value" | "metadata" | "dataVersion">,
    E | LE,
    Remaining<R, ROut>
  >
}
