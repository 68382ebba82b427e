/**
 * Metadata attached to assets (static, in the definition) and to
 * materializations (runtime: row counts, schemas, URIs, anything JSON).
 *
 * Metadata is plain JSON so that it can be stored by every instance and shown
 * by the catalog. Numeric entries are plotted over time by the catalog.
 *
 * Well-known keys (used by the integrations and the catalog):
 * `row_count`, `bytes`, `uri`, `schema`, `null_rate`, `null_count`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A JSON value.
 *
 * @since 0.1.0
 */
export type Json =
  | string
  | number
  | boolean
  | null
  | ReadonlyArray<Json>
  | { readonly [key: string]: Json }

/**
 * Metadata: a JSON object.
 *
 * @since 0.1.0
 */
export type Metadata = { readonly [key: string]: Json }

/**
 * Schema for metadata read back from storage or HTTP.
 *
 * @since 0.1.0
 */
export const MetadataSchema: Schema.Codec<Metadata> = Schema.Record(Schema.String, Schema.Json)

/**
 * An empty metadata object (shared, never mutated).
 *
 * @since 0.1.0
 */
export const empty: Metadata = Object.freeze({})

/**
 * Merges metadata objects, later keys winning. Returns {@link empty} when
 * every input is empty, to avoid allocating on the hot path.
 *
 * @since 0.1.0
 */
export const merge = (...parts: ReadonlyArray<Metadata | undefined>): Metadata => {
  let result: Record<string, Json> | undefined
  for (const part of parts) {
    if (part === undefined) continue
    for (const key in part) {
      result ??= {}
      result[key] = part[key]!
    }
  }
  return result ?? empty
}
