/**
 * External assets: consumers outside Strata (a dashboard, a reverse-ETL sync,
 * a notebook) declared with the assets they read. Nobody builds them; they
 * appear in the graph so that a failing asset shows what breaks downstream.
 *
 * @since 0.1.0
 */
import type { AnyNode, Node } from "./Asset.ts"
import { makeSpec, NodeTypeId } from "./Asset.ts"
import { captureCallSite } from "./internal/location.ts"
import type { Metadata } from "./Metadata.ts"

/**
 * An external consumer.
 *
 * @since 0.1.0
 */
export interface ExternalAsset extends Node<never, never> {
  readonly kind: "external"
}

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** The assets it reads. */
  readonly deps: ReadonlyArray<AnyNode | string>
  readonly group?: string | undefined
  readonly tags?: Readonly<Record<string, string>> | undefined
  readonly kinds?: ReadonlyArray<string> | undefined
  readonly owners?: ReadonlyArray<string> | undefined
  readonly description?: string | undefined
  readonly metadata?: Metadata | undefined
}

/**
 * Declares an external consumer.
 *
 * @example
 * ```ts
 * import { ExternalAsset } from "@strata/core"
 * declare const gold: import("@strata/core").Asset.Any
 * const dashboard = ExternalAsset.make("dashboards/growth", { deps: [gold], kinds: ["dashboard"] })
 * ```
 * @since 0.1.0
 */
export const make = (key: string, options: Options): ExternalAsset => {
  const site = captureCallSite(make)
  const { after, spec } = makeSpec(key, "external", { ...options, deps: undefined, after: options.deps }, "", site)
  return {
    [NodeTypeId]: NodeTypeId,
    kind: "external",
    key: spec.key,
    spec,
    deps: {},
    after,
    io: undefined
  } as unknown as ExternalAsset
}
