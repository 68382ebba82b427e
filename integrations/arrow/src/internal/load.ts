/**
 * `ArrowIO.read`: the stored file (of the layer's format, or of the other
 * one if the format changed since), decoded, or some of its columns.
 */
import * as fs from "node:fs"
import type { Table } from "apache-arrow"
import { tableFromIPC } from "apache-arrow"
import { Effect } from "effect"
import * as ArrowError from "../ArrowError.ts"
import type { ReadOptions } from "../ArrowIO.ts"
import type { Format } from "./codec.ts"
import * as Codec from "./codec.ts"
import type { Settings, Where } from "./layout.ts"
import { checkColumns, checkKey, fileOf, otherFormat } from "./layout.ts"
import * as WorkerClient from "./workerClient.ts"

type Stored = { bytes: Uint8Array; file: string; format: Format }

const readIfExists = (file: string): Promise<Uint8Array | undefined> =>
  fs.promises.readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined
    throw error
  })

const readBytes = (settings: Settings, key: string, partition: string | undefined) => {
  const { format } = settings
  return Effect.tryPromise({
    try: async (): Promise<Stored | undefined> => {
      const file = fileOf(settings, key, partition)
      const bytes = await readIfExists(file)
      if (bytes !== undefined) return { bytes, file, format }
      // the layer's format changed since the asset was stored: read what is there
      const other = fileOf(settings, key, partition, otherFormat(format))
      const otherBytes = await readIfExists(other)
      return otherBytes === undefined ? undefined : { bytes: otherBytes, file: other, format: otherFormat(format) }
    },
    catch: (cause) => ArrowError.fromSystemError(cause, { key, partition, file: fileOf(settings, key, partition) })
  }).pipe(
    Effect.flatMap((stored) =>
      stored !== undefined ? Effect.succeed(stored) : Effect.fail(ArrowError.make({
        reason: "missing",
        key,
        partition,
        file: fileOf(settings, key, partition),
        detail: `nothing is stored at ${fileOf(settings, key, partition)} (nor as .${Codec.extensions[otherFormat(format)]}); ` +
          "materialize the asset first"
      }))
    )
  )
}

const corruptFile = (where: Where) => (cause: unknown) =>
  ArrowError.make({
    reason: "corrupt-file",
    ...where,
    detail: `${(cause as Error)?.message ?? cause}; the file is damaged or was not written by @strata/arrow: ` +
      "re-materialize the asset (the file will be replaced)",
    cause
  })

const decode = (stored: Stored, columns: ReadonlyArray<string> | undefined, corrupt: (cause: unknown) => ArrowError.ArrowError) =>
  stored.format === "parquet"
    // parquet-rs decodes in the worker; the Arrow IPC it returns is read without copying
    ? Effect.try({ try: () => Codec.checkParquet(stored.bytes), catch: corrupt }).pipe(
      Effect.andThen(Effect.tryPromise({
        try: () =>
          WorkerClient.run<WorkerClient.Decoded>({
            kind: "read-parquet",
            bytes: stored.bytes,
            columns: columns === undefined ? undefined : [...columns]
          }, stored.bytes),
        catch: corrupt
      })),
      Effect.flatMap((reply) => Effect.try({ try: (): Table => tableFromIPC(reply.ipc), catch: corrupt }))
    )
    : Effect.try({ try: () => Codec.decodeIpc(stored.bytes), catch: corrupt })

export const read = (settings: Settings) =>
  Effect.fn("ArrowIO.read")(function*(key: string, readOptions?: ReadOptions) {
    yield* checkKey(key)
    const partition = readOptions?.partition
    const columns = readOptions?.columns
    const stored = yield* readBytes(settings, key, partition)
    const where = { key, partition, file: stored.file }
    const corrupt = corruptFile(where)
    if (columns !== undefined) {
      const schema = yield* Effect.try({
        try: () => stored.format === "parquet" ? Codec.parquetSchema(stored.bytes) : undefined,
        catch: corrupt
      })
      if (schema !== undefined) yield* checkColumns(schema, columns, where)
    }
    const table = yield* decode(stored, columns, corrupt)
    if (columns === undefined) return table
    yield* checkColumns(table.schema, columns, where)
    return table.select(columns as Array<string>)
  })
