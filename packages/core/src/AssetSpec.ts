/**
 * The plain, encodable description of an asset: everything about it but its
 * code. Specs are what `strata list`, the catalog and the instance see.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { AssetKeySchema } from "./AssetKey.ts"
import type { AssetKey } from "./AssetKey.ts"
import type { Metadata } from "./Metadata.ts"
import { MetadataSchema } from "./Metadata.ts"
import type { RetryPolicy } from "./RetryPolicy.ts"

/**
 * Where an asset was defined: the file, line and column of its `make` call.
 *
 * @since 0.1.0
 */
export interface SourceLocation {
  readonly file: string
  readonly line: number
  readonly column: number
}

/**
 * What an asset is: computed by Strata, a source Strata observes but does not
 * build, or an external consumer (a dashboard) that Strata only shows.
 *
 * @since 0.1.0
 */
export type AssetKind = "asset" | "source" | "external"

/**
 * The plain description of an asset.
 *
 * @since 0.1.0
 */
export interface AssetSpec {
  readonly key: AssetKey
  readonly kind: AssetKind
  /** Upstream assets whose values the compute function receives. */
  readonly deps: ReadonlyArray<AssetKey>
  /** Upstream assets that only order execution (and count for staleness). */
  readonly after: ReadonlyArray<AssetKey>
  readonly group: string
  readonly tags: Readonly<Record<string, string>>
  readonly kinds: ReadonlyArray<string>
  readonly owners: ReadonlyArray<string>
  readonly description: string | undefined
  /** The code version given in the definition, if any. */
  readonly codeVersion: string | undefined
  /** The service key of the asset's I/O manager (empty for sources without a loader and externals). */
  readonly io: string
  readonly retry: RetryPolicy | undefined
  readonly metadata: Metadata
  readonly location: SourceLocation | undefined
}

/**
 * Schema of {@link AssetSpec}, for specs crossing a boundary.
 *
 * @since 0.1.0
 */
export const AssetSpecSchema = Schema.Struct({
  key: AssetKeySchema,
  kind: Schema.Literals(["asset", "source", "external"]),
  deps: Schema.Array(AssetKeySchema),
  after: Schema.Array(AssetKeySchema),
  group: Schema.String,
  tags: Schema.Record(Schema.String, Schema.String),
  kinds: Schema.Array(Schema.String),
  owners: Schema.Array(Schema.String),
  description: Schema.UndefinedOr(Schema.String),
  codeVersion: Schema.UndefinedOr(Schema.String),
  io: Schema.String,
  retry: Schema.UndefinedOr(Schema.Struct({
    maxRetries: Schema.Number,
    delayMs: Schema.Number,
    backoff: Schema.Literals(["constant", "linear", "exponential"]),
    maxDelayMs: Schema.Number,
    jitter: Schema.Boolean
  })),
  metadata: MetadataSchema,
  location: Schema.UndefinedOr(Schema.Struct({ file: Schema.String, line: Schema.Number, column: Schema.Number }))
})

/**
 * The default group of assets that name none.
 *
 * @since 0.1.0
 */
export const defaultGroup = "default"
