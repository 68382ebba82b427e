/**
 * Source assets: data that Strata does not build but depends on, such as a
 * raw file dropped by another system or a table owned by another team.
 *
 * A source is observed: observing yields a data version (a content hash, a
 * last-modified stamp, a row count). When the version changes, the assets
 * that read the source become stale. A source with a `load` function can be
 * used in `deps`, and its loaded value is passed to compute functions.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { createReadStream } from "node:fs"
import { readFile, stat } from "node:fs/promises"
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Schema } from "effect"
import type { AnyNode, Node } from "./Asset.ts"
import { makeSpec, NodeTypeId } from "./Asset.ts"
import type { AssetKey } from "./AssetKey.ts"
import { captureCallSite } from "./internal/location.ts"
import type { Metadata, MetadataTooLarge } from "./Metadata.ts"
import type { PartitionsDefinition } from "./Partitions.ts"
import * as Partitions from "./Partitions.ts"
import { limitObservation } from "./Metadata.ts"

/**
 * The result of observing a source.
 *
 * @since 0.1.0
 */
export interface Observation {
  /** The whole source's version; for a partitioned source it changes when any partition's does ({@link partitionObservation}). */
  readonly dataVersion: string
  readonly metadata?: Metadata | undefined
  /**
   * A partitioned source: the data version of each partition observed, by
   * partition key. Partitions whose version changed since the last
   * observation make exactly the downstream partitions reading them stale.
   */
  readonly partitions?: Readonly<Record<string, string>> | undefined
}

/**
 * A partitioned source's observation from its partitions' data versions:
 * the whole source's `dataVersion` is a hash of them all, so that
 * `strata observe` records the observation when any partition changed.
 *
 * @example
 * ```ts
 * import { SourceAsset } from "@strata/core"
 * const observation = SourceAsset.partitionObservation({ "2024-01-01": "a1", "2024-01-02": "b7" })
 * ```
 * @since 0.1.0
 */
export const partitionObservation = (
  partitions: Readonly<Record<string, string>>,
  metadata?: Metadata
): Observation => {
  const hash = createHash("sha256")
  for (const key of Object.keys(partitions).sort()) hash.update(`${key}\u0000${partitions[key]}\n`)
  return { dataVersion: hash.digest("hex").slice(0, 16), partitions, ...(metadata === undefined ? {} : { metadata }) }
}

/**
 * What a source's loader knows.
 *
 * @since 0.1.0
 */
export interface LoadContext {
  readonly key: AssetKey
  readonly partition: string | undefined
  /** The asset reading the source. */
  readonly downstream: AssetKey | undefined
}

/**
 * A source asset producing `A` when loaded.
 *
 * @since 0.1.0
 */
export interface SourceAsset<A, E = never, R = never> extends Node<A, R> {
  readonly kind: "source"
  /** The `observe` given, failing with `MetadataTooLarge` when its metadata is over `Metadata.MaxBytes`. */
  readonly observe: Effect.Effect<Observation, E | MetadataTooLarge, unknown>
  readonly load: ((context: LoadContext) => Effect.Effect<unknown, E, unknown>) | undefined
  /**
   * The local files the source reads, as absolute paths, so that tools (the
   * catalog of `strata dev`) can watch them and observe the source when one
   * changes. `SourceAsset.file` lists its file (a relative path resolved
   * against the working directory when read, as observing it does); sources
   * made with {@link make} list their `files` (none by default); a path
   * ending in `/*` stands for any file of its folder.
   *
   * @since 0.1.0
   */
  readonly files: ReadonlyArray<string>
}

/**
 * Any source asset.
 *
 * @since 0.1.0
 */
export type Any = SourceAsset<unknown, unknown, unknown>

/**
 * Raised when a source cannot be observed or loaded.
 *
 * @since 0.1.0
 */
export class SourceError extends Schema.TaggedError<SourceError>()("@strata/core/SourceError", {
  key: Schema.String,
  operation: Schema.Literals(["observe", "load"]),
  uri: Schema.optional(Schema.String),
  message: Schema.String,
  isRetryable: Schema.Boolean,
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 */
export interface Options<A, E, R, E2, R2> {
  /** Observes the source and returns its current data version. */
  readonly observe: Effect.Effect<Observation, E, R>
  /** Loads the source's value for the assets that list it in `deps`. */
  readonly load?: ((context: LoadContext) => Effect.Effect<A, E2, R2>) | undefined
  readonly group?: string | undefined
  readonly tags?: Readonly<Record<string, string>> | undefined
  readonly kinds?: ReadonlyArray<string> | undefined
  readonly owners?: ReadonlyArray<string> | undefined
  readonly description?: string | undefined
  readonly metadata?: Metadata | undefined
  /**
   * Partitions of an observable partitioned source (Dagster: an observable
   * source asset with partitions): `observe` reports each partition's data
   * version (`Observation.partitions`). Downstream assets with the same
   * definition read it partition by partition (identity mapping), or through
   * `partitionMappings`.
   */
  readonly partitions?: PartitionsDefinition | undefined
  /**
   * Local files the source reads, so that `strata dev` and the daemon watch
   * them and observe the source when one changes: paths (relative ones are
   * resolved against the working directory when read) or `URL`s; a path
   * ending in `/*` stands for any file of that folder (a partitioned
   * source's drops, one file per partition).
   */
  readonly files?: ReadonlyArray<string | URL> | undefined
}

/**
 * Declares a source asset.
 *
 * @example
 * ```ts
 * import { SourceAsset } from "@strata/core"
 * import { Effect } from "effect"
 *
 * const orders = SourceAsset.make("raw/orders", {
 *   observe: Effect.succeed({ dataVersion: "2024-06-01" }),
 *   load: () => Effect.succeed([{ id: 1 }])
 * })
 * ```
 * @since 0.1.0
 */
export const make = <A = void, E = never, R = never, E2 = never, R2 = never>(
  key: string,
  options: Options<A, E, R, E2, R2>
): SourceAsset<A, E | E2, R | R2> => {
  const site = captureCallSite(make)
  const files = options.files?.map((file) => typeof file === "string" ? file : fileURLToPath(file))
  return build(key, options, site, files === undefined ? undefined : () => files.map((file) => resolve(file))) as SourceAsset<
    A,
    E | E2,
    R | R2
  >
}

const build = (
  key: string,
  options: Options<unknown, unknown, unknown, unknown, unknown>,
  site: ReturnType<typeof captureCallSite>,
  files: (() => ReadonlyArray<string>) | undefined = () => []
): Any => {
  const { spec } = makeSpec(key, "source", options, "", site)
  if (options.partitions !== undefined) Partitions.validate(options.partitions, spec.key)
  const node = {
    ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
    [NodeTypeId]: NodeTypeId,
    kind: "source" as const,
    key: spec.key,
    spec,
    deps: {} as Readonly<Record<string, AnyNode>>,
    after: [],
    io: undefined,
    // every path that records an observation (a run, Observe.sources) runs this effect
    observe: limitObservation(spec.key, options.observe),
    load: options.load,
    get files() {
      return files === undefined ? [] : files()
    }
  }
  return node as unknown as Any
}

/**
 * Options of {@link file}.
 *
 * @since 0.1.0
 */
export interface FileOptions<A> extends Omit<Options<A, never, never, never, never>, "observe" | "load" | "files" | "partitions"> {
  /** Turns the file's text into the value passed downstream. Default: the text itself. */
  readonly parse?: ((text: string, path: string) => A) | undefined
}

/**
 * A source backed by a local file, observed by the SHA-256 of its content.
 * Relative paths are resolved against the working directory when observed;
 * pass `new URL("./data.csv", import.meta.url)` to pin a path to a module.
 * The source's `files` holds the absolute path (resolved when read, like
 * the path observed), so that `strata dev` can watch it.
 *
 * @example
 * ```ts
 * import { SourceAsset } from "@strata/core"
 * const rawUsers = SourceAsset.file("raw_users", new URL("./data/users.csv", import.meta.url), {
 *   parse: (text) => text.split("\n")
 * })
 * ```
 * @since 0.1.0
 */
export const file = <A = string>(
  key: string,
  path: string | URL,
  options?: FileOptions<A>
): SourceAsset<A, SourceError> => {
  const site = captureCallSite(file)
  const filePath = typeof path === "string" ? path : fileURLToPath(path)
  const parse = options?.parse
  const failure = (operation: "observe" | "load") => (cause: unknown) =>
    new SourceError({
      key,
      operation,
      uri: filePath,
      message: (cause as NodeJS.ErrnoException)?.code === "ENOENT"
        ? `source ${key}: file ${filePath} does not exist`
        : `source ${key}: cannot ${operation === "observe" ? "hash" : "read"} ${filePath}: ${String((cause as Error)?.message ?? cause)}`,
      isRetryable: false,
      cause
    })
  const observe = Effect.tryPromise({
    try: async () => {
      const info = await stat(filePath)
      const dataVersion = await hashFile(filePath)
      return {
        dataVersion,
        metadata: { uri: filePath, bytes: info.size, modified_at: info.mtime.toISOString() }
      } satisfies Observation
    },
    catch: failure("observe")
  })
  const load = () =>
    Effect.tryPromise({
      try: async () => {
        const text = await readFile(filePath, "utf8")
        return parse === undefined ? text : parse(text, filePath)
      },
      catch: failure("load")
    })
  return build(key, { ...options, observe, load }, site, () => [resolve(filePath)]) as SourceAsset<A, SourceError>
}

const hashFile = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const hash = createHash("sha256")
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex").slice(0, 16)))
  })

/**
 * `true` for source assets.
 *
 * @since 0.1.0
 */
export const isSourceAsset = (u: AnyNode): u is Any => u.kind === "source"
