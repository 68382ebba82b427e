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
import * as fs from "node:fs"
import * as path from "node:path"
import { deserialize, serialize } from "node:v8"
import type { Context } from "effect"
import { Effect, Layer } from "effect"
import type { IOManager as IOManagerShape, StoreResult } from "./IOManager.ts"
import { DefaultIO, IOError } from "./IOManager.ts"
import * as StoragePath from "./StoragePath.ts"
import * as PartitionedValues from "./partitions/partitionedValues.ts"
import * as Version from "./Version.ts"

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

const LARGE = 1 << 20

/**
 * Serialises a value to JSON when JSON represents it exactly, else returns `undefined`.
 *
 * @since 0.1.0
 */
export const exactJson = (value: unknown): string | undefined => {
  let exact = true
  const text = JSON.stringify(value, function(this: unknown, key: string, replaced: unknown) {
    if (!exact) return undefined
    const original = (this as Record<string, unknown>)[key]
    switch (typeof original) {
      case "number":
        if (!Number.isFinite(original)) exact = false
        break
      case "bigint":
      case "function":
      case "symbol":
        exact = false
        break
      case "undefined":
        if (Array.isArray(this) || key === "") exact = false
        break
      case "object":
        if (original !== null && !Array.isArray(original)) {
          const proto = Object.getPrototypeOf(original)
          if (proto !== Object.prototype && proto !== null) exact = false
        }
    }
    // an inexact value is not handed on: JSON.stringify would throw on a BigInt
    return exact ? replaced : undefined
  })
  return exact && text !== undefined ? text : undefined
}

/**
 * Makes a file-system I/O manager.
 *
 * @since 0.1.0
 */
export const make = (options?: Options): IOManagerShape<unknown> => {
  const base = path.resolve(options?.base ?? path.join(".strata", "storage"))
  const format = options?.format ?? "auto"
  const durable = options?.durable ?? false
  const madeDirs = new Set<string>()
  let sequence = 0

  // the shared mapping: no key or partition escapes the base or lands on another's file. An asset's stem is
  // kept (bounded by the project's assets): a run stores each asset once and loads it once per downstream
  const stems = new Map<string, string>()
  const location = (key: string, partition: string | undefined): string => {
    if (partition !== undefined) return StoragePath.stem(base, key, partition)
    let stem = stems.get(key)
    if (stem === undefined) {
      stem = StoragePath.stem(base, key, undefined)
      stems.set(key, stem)
    }
    return stem
  }

  const encode = (value: unknown): { bytes: Uint8Array | string; ext: "json" | "v8" } => {
    if (format !== "v8") {
      const json = exactJson(value)
      if (json !== undefined) return { bytes: json, ext: "json" }
      if (format === "json") {
        throw new Error("the value has no exact JSON form (a Date, Map, BigInt, NaN, class instance...); use format 'auto' or 'v8'")
      }
    }
    return { bytes: serialize(value), ext: "v8" }
  }

  const writeSync = (file: string, bytes: Uint8Array | string) => {
    const dir = path.dirname(file)
    if (!madeDirs.has(dir)) {
      fs.mkdirSync(dir, { recursive: true })
      madeDirs.add(dir)
    }
    const temp = `${file}.${process.pid}.${++sequence}.tmp`
    try {
      if (durable) {
        const fd = fs.openSync(temp, "w")
        try {
          fs.writeFileSync(fd, bytes)
          fs.fsyncSync(fd)
        } finally {
          fs.closeSync(fd)
        }
      } else {
        fs.writeFileSync(temp, bytes)
      }
      fs.renameSync(temp, file)
    } catch (error) {
      fs.rmSync(temp, { force: true })
      throw error
    }
  }

  const writeAsync = async (file: string, bytes: Uint8Array | string) => {
    const dir = path.dirname(file)
    await fs.promises.mkdir(dir, { recursive: true })
    madeDirs.add(dir)
    const temp = `${file}.${process.pid}.${++sequence}.tmp`
    try {
      const handle = await fs.promises.open(temp, "w")
      try {
        await handle.writeFile(bytes)
        if (durable) await handle.sync()
      } finally {
        await handle.close()
      }
      await fs.promises.rename(temp, file)
    } catch (error) {
      await fs.promises.rm(temp, { force: true })
      throw error
    }
  }

  const storeError = (key: string, partition: string | undefined, uri: string | undefined) => (cause: unknown) =>
    new IOError({
      operation: "store",
      key,
      partition,
      uri,
      message: `cannot store asset ${key}${uri === undefined ? "" : ` to ${uri}`}: ${(cause as Error)?.message ?? cause}`,
      isRetryable: ["EBUSY", "EAGAIN", "EMFILE", "ENFILE"].includes((cause as NodeJS.ErrnoException)?.code ?? ""),
      cause
    })

  // one file per partition: a range is stored and loaded partition by partition (partitions/partitionedValues.ts)
  return PartitionedValues.partitionAware<IOManagerShape<unknown>>({
    name: "filesystem",
    store(context, value) {
      const stem = location(context.key, context.partition)
      return Effect.suspend(() => {
        let encoded: { bytes: Uint8Array | string; ext: "json" | "v8" }
        try {
          encoded = encode(value)
        } catch (cause) {
          return Effect.fail(storeError(context.key, context.partition, undefined)(cause))
        }
        const file = `${stem}.${encoded.ext}`
        const other = `${stem}.${encoded.ext === "json" ? "v8" : "json"}`
        const bytes = encoded.bytes
        const size = typeof bytes === "string" ? Buffer.byteLength(bytes) : bytes.byteLength
        const result = (): StoreResult => ({
          dataVersion: Version.hash(bytes),
          metadata: { uri: file, bytes: size, format: encoded.ext }
        })
        if (size < LARGE) {
          return Effect.try({
            try: () => {
              writeSync(file, bytes)
              if (fs.existsSync(other)) fs.rmSync(other, { force: true })
              return result()
            },
            catch: storeError(context.key, context.partition, file)
          })
        }
        return Effect.tryPromise({
          try: async () => {
            await writeAsync(file, bytes)
            await fs.promises.rm(other, { force: true })
            return result()
          },
          catch: storeError(context.key, context.partition, file)
        })
      })
    },
    load(context) {
      const stem = location(context.key, context.partition)
      return Effect.try({
        try: () => {
          let bytes: Buffer
          try {
            bytes = fs.readFileSync(`${stem}.json`)
            return JSON.parse(bytes.toString("utf8")) as unknown
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error
          }
          bytes = fs.readFileSync(`${stem}.v8`)
          return deserialize(bytes) as unknown
        },
        catch: (cause) => {
          const missing = (cause as NodeJS.ErrnoException)?.code === "ENOENT"
          return new IOError({
            operation: "load",
            key: context.key,
            partition: context.partition,
            uri: `${stem}.json`,
            message: missing
              ? `asset ${context.key} has no stored value at ${stem}.json (or .v8); materialize it first`
              : `cannot load asset ${context.key} from ${stem}: ${(cause as Error)?.message ?? cause} ` +
                "(the file is damaged or was not written by Strata; re-materialize the asset)",
            isRetryable: false,
            cause
          })
        }
      })
    }
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
