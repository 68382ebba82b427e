/**
 * The default local I/O manager: one file per asset (and partition) under a
 * base folder, `.strata/storage` by default.
 *
 * - Values are stored as JSON when JSON represents them exactly (plain
 *   objects, arrays, strings, finite numbers, booleans, null), and otherwise
 *   with Node's structured serialisation (v8: Dates, Maps, Sets, BigInts,
 *   typed arrays, undefined, NaN). `format` forces one or the other.
 * - Writes are atomic: the bytes go to a temporary file in the same folder,
 *   which is then renamed over the old file, so a reader (or a crash) never
 *   sees half a file.
 * - The data version is a hash of the stored bytes; metadata gives the file
 *   URI, its size and the format.
 *
 * Layout: `<base>/<key segments>.json` (or `.v8`); a partitioned asset uses
 * `<base>/<key segments>/@<partition>.json`. Segments and partition keys are
 * escaped by `StoragePath` (`@strata/core/spi`), so that no key or partition
 * (`..`, `/`, NUL, any Unicode, hundreds of characters) writes outside the
 * base or over another value's file: `bronze/raw_users` stays
 * `bronze/raw_users.json`; `.`, upper-case and non-ASCII characters become
 * `%XX` escapes.
 *
 * @since 0.1.0
 */
import type { Context } from "effect"
import { Effect, Layer } from "effect"
import * as Encoding from "./internal/fileSystem/encoding.ts"
import * as Files from "./internal/fileSystem/files.ts"
import * as StoreLoad from "./internal/fileSystem/storeLoad.ts"
import type { IOManager as IOManagerShape } from "./IOManager.ts"
import { DefaultIO } from "./IOManager.ts"
import * as PartitionedValues from "./partitions/partitionedValues.ts"

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** Folder holding the files. Default `.strata/storage` (relative to the working directory). */
  readonly base?: string | undefined
  /** `auto` (default): JSON when exact, else v8. */
  readonly format?: "auto" | "json" | "v8" | undefined
  /** fsync each file before renaming it (survives power loss, costs a disk flush per write). Default false. */
  readonly durable?: boolean | undefined
}

/**
 * Serialises a value to JSON when JSON represents it exactly, else returns `undefined`.
 *
 * @since 0.1.0
 */
export const exactJson: (value: unknown) => string | undefined = Encoding.exactJson

/**
 * Makes a file-system I/O manager.
 *
 * @since 0.1.0
 */
export const make = (options?: Options): IOManagerShape<unknown> => {
  const state = Files.files(options)
  // one file per partition: a range is stored and loaded partition by partition (partitions/partitionedValues.ts)
  return PartitionedValues.partitionAware<IOManagerShape<unknown>>({
    name: "filesystem",
    store: (context, value) => StoreLoad.store(state, context.key, context.partition, value),
    load: (context) => StoreLoad.load(state, context.key, context.partition)
  })
}

/**
 * Backs {@link DefaultIO} with a file-system I/O manager.
 *
 * @example
 * ```ts
 * import { FileSystemIO } from "@strata/core"
 * const io = FileSystemIO.layer({ base: ".strata/storage" })
 * ```
 * @since 0.1.0
 */
export const layer = (options?: Options): Layer.Layer<DefaultIO> =>
  Layer.effect(DefaultIO, Effect.sync(() => make(options)))

/**
 * Backs any I/O manager key whose values it can serialise.
 *
 * @since 0.1.0
 */
export const layerFor = <Id, A>(key: Context.Key<Id, IOManagerShape<A>>, options?: Options): Layer.Layer<Id> =>
  Layer.effect(key, Effect.sync(() => make(options) as IOManagerShape<A>))
