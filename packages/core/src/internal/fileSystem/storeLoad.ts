/**
 * The file-system I/O manager's `store` and `load` of one asset (or one
 * partition): values under 1 MiB are written synchronously, larger ones
 * asynchronously.
 */
import * as fs from "node:fs"
import { deserialize } from "node:v8"
import { Effect } from "effect"
import type { StoreResult } from "../../IOManager.ts"
import { IOError } from "../../IOManager.ts"
import * as Version from "../../Version.ts"
import { encode, type Encoded } from "./encoding.ts"
import type { Files } from "./files.ts"
import { location, writeAsync, writeSync } from "./files.ts"

const LARGE = 1 << 20

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

const writeEncoded = (state: Files, stem: string, encoded: Encoded, key: string, partition: string | undefined) => {
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
        writeSync(state, file, bytes)
        if (fs.existsSync(other)) fs.rmSync(other, { force: true })
        return result()
      },
      catch: storeError(key, partition, file)
    })
  }
  return Effect.tryPromise({
    try: async () => {
      await writeAsync(state, file, bytes)
      await fs.promises.rm(other, { force: true })
      return result()
    },
    catch: storeError(key, partition, file)
  })
}

export const store = (
  state: Files,
  key: string,
  partition: string | undefined,
  value: unknown
): Effect.Effect<StoreResult, IOError> => {
  const stem = location(state, key, partition)
  return Effect.suspend(() => {
    let encoded: Encoded
    try {
      encoded = encode(state.format, value)
    } catch (cause) {
      return Effect.fail(storeError(key, partition, undefined)(cause))
    }
    return writeEncoded(state, stem, encoded, key, partition)
  })
}

const readStem = (stem: string): unknown => {
  let bytes: Buffer
  try {
    bytes = fs.readFileSync(`${stem}.json`)
    return JSON.parse(bytes.toString("utf8")) as unknown
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error
  }
  bytes = fs.readFileSync(`${stem}.v8`)
  return deserialize(bytes) as unknown
}

export const load = (state: Files, key: string, partition: string | undefined): Effect.Effect<unknown, IOError> => {
  const stem = location(state, key, partition)
  return Effect.try({
    try: () => readStem(stem),
    catch: (cause) => {
      const missing = (cause as NodeJS.ErrnoException)?.code === "ENOENT"
      return new IOError({
        operation: "load",
        key,
        partition,
        uri: `${stem}.json`,
        message: missing
          ? `asset ${key} has no stored value at ${stem}.json (or .v8); materialize it first`
          : `cannot load asset ${key} from ${stem}: ${(cause as Error)?.message ?? cause} ` +
            "(the file is damaged or was not written by Strata; re-materialize the asset)",
        isRetryable: false,
        cause
      })
    }
  })
}
