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
 * Size: every materialization's and observation's metadata goes into the
 * instance's event log, which `strata runs show` and the catalog read back,
 * so it is capped ({@link MaxBytes}, 1 MiB of JSON by default). A step whose
 * metadata is larger fails with {@link MetadataTooLarge}; raise the cap for an
 * environment by adding `Metadata.layerMaxBytes(bytes)` to its layer.
 *
 * @since 0.1.0
 */
import { Buffer } from "node:buffer"
import { Context, Effect, Layer, Schema } from "effect"

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
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]
    if (part === undefined) continue
    for (const key in part) {
      result ??= {}
      result[key] = part[key]!
    }
  }
  return result ?? empty
}

/**
 * The default of {@link MaxBytes}: 1 MiB of JSON. Row counts, schemas of
 * thousands of columns, URIs and a preview of a few rows fit many times over;
 * a dump of the data does not, and belongs in the stored value.
 *
 * @since 0.1.0
 */
export const DEFAULT_MAX_BYTES = 1024 * 1024

/**
 * The largest metadata, in bytes of JSON (UTF-8), that a materialization or an
 * observation may record. Default {@link DEFAULT_MAX_BYTES}; `Infinity` turns
 * the check off. Provide it with {@link layerMaxBytes} in an environment's
 * layer (`strata.config.ts`), or with `Effect.provideService` around
 * `Materialize.materialize`.
 *
 * @since 0.1.0
 */
export const MaxBytes = Context.Reference<number>("@strata/core/Metadata/MaxBytes", {
  defaultValue: () => DEFAULT_MAX_BYTES
})

/**
 * Sets {@link MaxBytes} for everything run with this layer: add it to an
 * environment's layer to raise (or lower) the cap there.
 *
 * @example
 * ```ts
 * import { FileSystemIO, Metadata } from "@strata/core"
 * import { Layer } from "effect"
 *
 * // strata.config.ts, an environment whose assets record large previews
 * const local = () => Layer.mergeAll(FileSystemIO.layer(), Metadata.layerMaxBytes(8 * 1024 * 1024))
 * ```
 *
 * @since 0.1.0
 */
export const layerMaxBytes = (bytes: number): Layer.Layer<never> => {
  if (!(bytes > 0)) throw new RangeError(`Metadata.layerMaxBytes: the cap must be a positive number of bytes (or Infinity), got ${bytes}`)
  return Layer.succeed(MaxBytes, bytes)
}

/**
 * A materialization's or an observation's metadata is larger than
 * {@link MaxBytes}. Not retryable: the same asset gives the same metadata.
 *
 * @since 0.1.0
 */
export class MetadataTooLarge extends Schema.TaggedError<MetadataTooLarge>()("@strata/core/MetadataTooLarge", {
  key: Schema.String,
  partition: Schema.optional(Schema.String),
  /** What the metadata belonged to. */
  recording: Schema.Literals(["materialization", "observation"]),
  /** Its size, in bytes of JSON. */
  bytes: Schema.Number,
  maxBytes: Schema.Number,
  /** Whether the I/O manager had already stored the value when the size was known. */
  valueStored: Schema.Boolean
}) {
  /** Never retried: the same code gives the same metadata. */
  get isRetryable(): boolean {
    return false
  }

  override get message(): string {
    const of = `asset ${this.key}${this.partition === undefined ? "" : ` (partition ${this.partition})`}`
    const stored = this.valueStored
      ? " The I/O manager had already stored the new value; no materialization was recorded for it, so the instance " +
        "still shows the previous one until the asset materializes again."
      : ""
    return `the ${this.recording} metadata of ${of} is ${formatBytes(this.bytes)} of JSON, over the limit of ` +
      `${formatBytes(this.maxBytes)}. Record a summary (counts, a URI of the details) instead, or raise the limit ` +
      `for the environment by adding Metadata.layerMaxBytes(bytes) to its layer.${stored}`
  }
}

const formatBytes = (bytes: number): string => `${bytes.toLocaleString("en-US")} bytes`

/**
 * The size of metadata in bytes of JSON (UTF-8), when it is over `maxBytes`;
 * `undefined` when it fits. Pure; cheap for the usual few keys (no UTF-8
 * count when the JSON is short enough to fit whatever its characters).
 *
 * @since 0.1.0
 */
export const oversize = (metadata: Metadata | undefined, maxBytes: number): number | undefined => {
  if (metadata === undefined || metadata === empty) return undefined
  const json = JSON.stringify(metadata)
  // a UTF-16 code unit is at most 3 bytes of UTF-8, and at least 1
  if (json.length * 3 <= maxBytes) return undefined
  if (json.length > maxBytes) return Buffer.byteLength(json, "utf8")
  const bytes = Buffer.byteLength(json, "utf8")
  return bytes > maxBytes ? bytes : undefined
}

/** What metadata is checked for: an asset (and partition), and what it records. */
interface Subject {
  readonly key: string
  readonly partition: string | undefined
}

/**
 * Runs a step's store under {@link MaxBytes}: the metadata the asset returned
 * (`Output.make(value, { metadata })`) is checked before `store` runs, so that
 * too much of it fails the step with nothing stored; the metadata the I/O
 * manager returns, merged with it, is checked after (the value is then
 * already stored: the error says so). Fails with {@link MetadataTooLarge}.
 *
 * @since 0.1.0
 */
export const limitStore = <A extends { readonly metadata?: Metadata | undefined }, E, R>(
  subject: Subject,
  declared: Metadata | undefined,
  store: Effect.Effect<A, E, R>
): Effect.Effect<A, E | MetadataTooLarge, R> => limitStoreMap(subject, declared, store, identity)

const identity = <A>(a: A): A => a

/**
 * {@link limitStore}, then `f` of what `store` returned, in the same
 * continuation: on a step's path, one effect less than `Effect.map` after
 * `limitStore` (a step allocates each effect it builds).
 *
 * @since 0.1.0
 */
export const limitStoreMap = <A extends { readonly metadata?: Metadata | undefined }, B, E, R>(
  subject: Subject,
  declared: Metadata | undefined,
  store: Effect.Effect<A, E, R>,
  f: (stored: A) => B
): Effect.Effect<B, E | MetadataTooLarge, R> => {
  // on the per-step path: the cap is read from the fiber synchronously, and only when there is metadata
  const checked = Effect.flatMap(store, (stored) => {
    const metadata = declared === undefined ? stored.metadata : stored.metadata === undefined ? declared : merge(stored.metadata, declared)
    return metadata === undefined || metadata === empty
      ? Effect.succeed(f(stored))
      : Effect.withFiber((fiber) => {
        const maxBytes = fiber.getRef(MaxBytes)
        const bytes = oversize(metadata, maxBytes)
        return bytes === undefined ? Effect.succeed(f(stored)) : Effect.fail(tooLarge(subject, "materialization", bytes, maxBytes, true))
      })
  })
  if (declared === undefined || declared === empty) return checked
  return Effect.withFiber((fiber) => {
    const maxBytes = fiber.getRef(MaxBytes)
    const bytes = oversize(declared, maxBytes)
    return bytes === undefined ? checked : Effect.fail(tooLarge(subject, "materialization", bytes, maxBytes, false))
  })
}

/**
 * An observation under {@link MaxBytes}: fails with {@link MetadataTooLarge}
 * when the metadata `observe` returns is too large.
 *
 * @since 0.1.0
 */
export const limitObservation = <A extends { readonly metadata?: Metadata | undefined }, E, R>(
  key: string,
  observe: Effect.Effect<A, E, R>
): Effect.Effect<A, E | MetadataTooLarge, R> =>
  Effect.flatMap(observe, (observation) =>
    observation.metadata === undefined || observation.metadata === empty
      ? Effect.succeed(observation)
      : Effect.withFiber((fiber) => {
        const maxBytes = fiber.getRef(MaxBytes)
        const bytes = oversize(observation.metadata, maxBytes)
        return bytes === undefined
          ? Effect.succeed(observation)
          : Effect.fail(tooLarge({ key, partition: undefined }, "observation", bytes, maxBytes, false))
      }))

const tooLarge = (
  subject: Subject,
  recording: "materialization" | "observation",
  bytes: number,
  maxBytes: number,
  valueStored: boolean
) =>
  new MetadataTooLarge({
    key: subject.key,
    ...(subject.partition !== undefined ? { partition: subject.partition } : {}),
    recording,
    bytes,
    maxBytes,
    valueStored
  })
