/**
 * Where `ArrowIO` keeps a table: the settings resolved from the layer's
 * options, the file of an asset (and partition), and the checks every read
 * and write makes on a key and on asked-for columns.
 */
import * as os from "node:os"
import * as path from "node:path"
import { AssetKey } from "@strata/core"
import { StoragePath } from "@strata/core/spi"
import type { Schema } from "apache-arrow"
import { Effect } from "effect"
import * as ArrowError from "../ArrowError.ts"
import type { Options } from "../ArrowIO.ts"
import type * as TableMetadata from "../TableMetadata.ts"
import type { Compression, Format } from "./codec.ts"
import * as Codec from "./codec.ts"

/** The layer's options with their defaults applied. */
export interface Settings {
  readonly base: string
  readonly format: Format
  readonly compression: Compression
  readonly schemaChange: "error" | "allow"
  readonly durable: boolean
  readonly rowGroupRows: number | undefined
  readonly statistics: TableMetadata.Statistics
  /** This host's name, in temporary file names (see `sweep`). */
  readonly host: string
}

export const settings = (options?: Options): Settings => ({
  base: path.resolve(options?.base ?? path.join(".strata", "tables")),
  format: options?.format ?? "parquet",
  compression: options?.compression ?? "zstd",
  schemaChange: options?.schemaChange ?? "error",
  durable: options?.durable ?? false,
  rowGroupRows: options?.rowGroupRows,
  statistics: options?.statistics ?? "full",
  host: os.hostname()
})

/** The asset, partition and file an error names. */
export type Where = { key: string; partition: string | undefined; file: string }

export const otherFormat = (format: Format): Format => format === "parquet" ? "ipc" : "parquet"

/** core's shared mapping: no key or partition escapes the base or lands on another's file. */
export const fileOf = (
  layout: { readonly base: string; readonly format: Format },
  key: string,
  partition: string | undefined,
  as: Format = layout.format
): string => `${StoragePath.stem(layout.base, key, partition)}.${Codec.extensions[as]}`

export const checkKey = (key: string): Effect.Effect<void, ArrowError.ArrowError> => {
  const problem = AssetKey.problem(key)
  return problem === undefined
    ? Effect.void
    : Effect.fail(ArrowError.make({ reason: "invalid-value", key, detail: problem }))
}

export const checkColumns = (
  schema: Schema,
  columns: ReadonlyArray<string>,
  where: Where
): Effect.Effect<void, ArrowError.ArrowError> => {
  const names = new Set(schema.fields.map((field) => field.name))
  const unknown = columns.find((column) => !names.has(column))
  return unknown === undefined ? Effect.void : Effect.fail(ArrowError.make({
    reason: "unknown-column",
    ...where,
    column: unknown,
    detail: `the stored table has no column ${JSON.stringify(unknown)}; its columns are ${[...names].join(", ")}`
  }))
}
