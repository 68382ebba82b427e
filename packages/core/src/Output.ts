/**
 * What a compute function may return besides a bare value: the value plus
 * runtime metadata (row counts, anything JSON) and, optionally, its data
 * version when the asset knows it better than a hash of the stored bytes.
 *
 * @since 0.1.0
 */
import type { Metadata } from "./Metadata.ts"

const TypeId: unique symbol = Symbol.for("@strata/core/Output")

/**
 * A value with runtime metadata.
 *
 * @since 0.1.0
 */
export interface Output<A> {
  readonly [TypeId]: typeof TypeId
  readonly value: A
  readonly metadata: Metadata | undefined
  readonly dataVersion: string | undefined
}

/**
 * Wraps a computed value with runtime metadata.
 *
 * @example
 * ```ts
 * import { Asset, Output } from "@strata/core"
 * import { Effect } from "effect"
 *
 * const users = Asset.make("users", {}, () =>
 *   Effect.succeed(Output.make([{ id: 1 }], { metadata: { row_count: 1 } })))
 * ```
 * @since 0.1.0
 */
export const make = <A>(
  value: A,
  options?: { readonly metadata?: Metadata | undefined; readonly dataVersion?: string | undefined }
): Output<A> => ({
  [TypeId]: TypeId,
  value,
  metadata: options?.metadata,
  dataVersion: options?.dataVersion
})

/**
 * `true` when `u` was made by {@link make}.
 *
 * @since 0.1.0
 */
export const isOutput = (u: unknown): u is Output<unknown> =>
  typeof u === "object" && u !== null && TypeId in u

/**
 * The value type carried by a compute result: `ValueOf<Output<A> | B>` is `A | B`.
 *
 * @since 0.1.0
 */
export type ValueOf<T> = T extends Output<infer A> ? A : T
