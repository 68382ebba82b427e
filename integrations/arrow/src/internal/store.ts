/**
 * `ArrowIO.write`: checks, then writes a table to a temporary file and
 * renames it over the stored one. The writer's state (its temporary file
 * sequence and the folders already swept) is a value passed in.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import type { IOManager, Metadata } from "@strata/core"
import { isProcessAlive } from "@strata/core/spi"
import type { Table } from "apache-arrow"
import { Effect, Exit } from "effect"
import * as ArrowError from "../ArrowError.ts"
import type { WriteOptions } from "../ArrowIO.ts"
import { assertTable } from "../TypeHandler.ts"
import type { Settings, Where } from "./layout.ts"
import { checkKey, fileOf, otherFormat } from "./layout.ts"
import { checkSchema } from "./schemaCheck.ts"
import { writeTemp } from "./writeFile.ts"

/** One manager's writes: numbers its temporary files, remembers the folders it swept. */
export interface Writer {
  readonly settings: Settings
  sequence: number
  readonly swept: Set<string>
}

export const writer = (settings: Settings): Writer => ({ settings, sequence: 0, swept: new Set() })

// Temporary files and replaced files (`.old`) left by writers that died on
// this host (killed, power cut) are removed the first time this manager
// writes into their folder: once per folder, so a folder of many
// partitions is listed once.
const sweep = async (state: Writer, folder: string): Promise<void> => {
  if (state.swept.has(folder)) return
  state.swept.add(folder)
  const names = await fs.promises.readdir(folder).catch(() => [] as Array<string>)
  const marker = `.${state.settings.host}.`
  for (const name of names) {
    if (!name.endsWith(".tmp") && !name.endsWith(".old")) continue
    const at = name.lastIndexOf(marker)
    if (at < 0) continue
    const [pid, seq, extra] = name.slice(at + marker.length, -".tmp".length).split(".")
    if (extra !== undefined || !/^\d+$/.test(pid ?? "") || !/^\d+$/.test(seq ?? "")) continue
    if (Number(pid) === process.pid || isProcessAlive(Number(pid))) continue
    await fs.promises.rm(path.join(folder, name), { force: true }).catch(() => {})
  }
}

const syncFolder = async (folder: string): Promise<void> => {
  const handle = await fs.promises.open(folder, "r")
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

// Replacing a file frees the old one's blocks inside the rename: about 20 ms for 50 MB on
// ext4, as long as the write itself. A second link to the old file keeps the rename a mere
// swap of names; the old file is unlinked after the store reports (a writer that dies first
// leaves it to the next writer's sweep, like a temporary file).
const replace = async (state: Writer, temp: string, where: Where): Promise<void> => {
  const { settings } = state
  const file = where.file
  const old = `${file}.${settings.host}.${process.pid}.${++state.sequence}.old`
  const kept = await fs.promises.link(file, old).then(() => true, () => false)
  try {
    await fs.promises.rename(temp, file)
  } catch (error) {
    if (kept) await fs.promises.rm(old, { force: true }).catch(() => {})
    throw error
  }
  if (kept) fs.promises.rm(old, { force: true }).catch(() => {})
  if (settings.durable) await syncFolder(path.dirname(file))
  // the file of the other format, if the layer's format changed: the new file wins anyway
  await fs.promises.rm(fileOf(settings, where.key, where.partition, otherFormat(settings.format)), { force: true })
    .catch(() => {})
}

export const write = (state: Writer) =>
  Effect.fn("ArrowIO.write")(function*(key: string, value: Table, writeOptions?: WriteOptions) {
    const { settings } = state
    yield* checkKey(key)
    const partition = writeOptions?.partition
    const file = fileOf(settings, key, partition)
    const where = { key, partition, file }
    const table = yield* Effect.try({
      try: () => assertTable(value),
      catch: (error) => ArrowError.make({ reason: "invalid-value", detail: (error as ArrowError.ArrowError).detail, ...where })
    })
    if ((writeOptions?.schemaChange ?? settings.schemaChange) === "error") yield* checkSchema(settings, table, where)
    yield* Effect.promise(() => sweep(state, path.dirname(file)))
    const temp = `${file}.${settings.host}.${process.pid}.${++state.sequence}.tmp`
    const { profile, written } = yield* writeTemp(settings, table, temp, where).pipe(
      Effect.tap(() =>
        Effect.tryPromise({ try: () => replace(state, temp, where), catch: (cause) => ArrowError.fromSystemError(cause, where) })
      ),
      Effect.onExit((exit) =>
        Exit.isSuccess(exit) ? Effect.void : Effect.promise(() => fs.promises.rm(temp, { force: true }).catch(() => {}))
      )
    )
    const metadata: Record<string, Metadata.Json> = {
      ...profile,
      bytes: written.size,
      uri: pathToFileURL(file).href,
      path: file,
      format: settings.format
    }
    if (settings.format === "parquet") metadata.compression = settings.compression
    return { metadata, dataVersion: written.hash } satisfies IOManager.StoreResult
  })
