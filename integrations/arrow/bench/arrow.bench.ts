/**
 * Throughput of ArrowIO's store and load next to the raw library calls on
 * the same table: `node integrations/arrow/bench/arrow.bench.ts <N>`
 * (add `--conditions=@strata/source` to run the sources instead of dist).
 *
 * The table has N rows × 6 columns (Int64, Float64, Utf8, Bool,
 * Timestamp<MICROSECOND, UTC>, Int64; five of them with nulls).
 *
 * - raw IPC write: `tableToIPC(table, "file")` + `fs.promises.writeFile`;
 *   raw IPC read: `fs.promises.readFile` + `tableFromIPC`.
 * - raw Parquet write: `tableToIPC(table, "stream")` → parquet-wasm
 *   `Table.fromIPCStream` → `writeParquet` (zstd) + `writeFile`; raw
 *   Parquet read: `readFile` + `readParquet` (same batch size as ArrowIO) →
 *   `intoIPCStream` → `tableFromIPC`.
 * - Strata: `ArrowIO.write` (schema check against the previous file,
 *   encoding, temporary file + rename, content hash, table profile) and
 *   `ArrowIO.read`, run with `Effect.runPromise`; `*_write_basic_*` with
 *   `statistics: "basic"` (no min/max/distinct pass).
 *
 * Each figure is the best of 15 runs, raw and Strata interleaved (alternating
 * which goes first; all writes, then all reads), each after a garbage
 * collection: on a shared machine the minimum is the steadiest estimate of
 * what the code itself costs.
 * MB/s count the table's Arrow IPC size (its uncompressed data), so Parquet
 * and IPC figures compare. Prints one JSON object on its last line.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { ArrowIO, TableMetadata } from "@strata/arrow"
import { type Table, tableFromIPC, tableToIPC } from "apache-arrow"
import { Effect } from "effect"
import * as Parquet from "parquet-wasm"
import xxhash from "xxhash-wasm"
import { bigTable } from "../test/tables.ts"

const n = Number(process.argv[2] ?? 1_000_000)
if (!Number.isInteger(n) || n <= 0) {
  process.stderr.write("usage: node integrations/arrow/bench/arrow.bench.ts <rows>\n")
  process.exit(2)
}
const repeats = 15
const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-arrow-bench-"))
const table = bigTable(n, 0)
const tableMb = tableToIPC(table, "stream").byteLength / 1e6

const best = (values: Array<number>): number => Math.min(...values)

// Collect garbage before each measurement, so that one run does not pay for
// the previous one's allocations.
setFlagsFromString("--expose-gc")
const collect = runInNewContext("gc") as () => void

const time = async (run: () => Promise<unknown>): Promise<number> => {
  collect()
  const start = performance.now()
  await run()
  return (performance.now() - start) / 1000
}

const rawIpcWrite = async (file: string) => {
  await fs.promises.writeFile(file, tableToIPC(table, "file"))
}
const rawIpcRead = async (file: string): Promise<Table> => tableFromIPC(await fs.promises.readFile(file))
const rawParquetWrite = async (file: string) => {
  const wasmTable = Parquet.Table.fromIPCStream(tableToIPC(table, "stream"))
  const properties = new Parquet.WriterPropertiesBuilder().setCompression(Parquet.Compression.ZSTD).build()
  await fs.promises.writeFile(file, Parquet.writeParquet(wasmTable, properties))
}
const rawParquetRead = async (file: string): Promise<Table> =>
  tableFromIPC(Parquet.readParquet(await fs.promises.readFile(file), { batchSize: 1 << 20 }).intoIPCStream())

const figures: Record<string, number> = { n, columns: table.numCols, table_mb: Number(tableMb.toFixed(3)) }
const round = (value: number, digits = 4) => Number(value.toFixed(digits))

for (const format of ["ipc", "parquet"] as const) {
  const io = ArrowIO.make({ base: path.join(folder, "strata"), format })
  const rawFile = path.join(folder, `raw.${format === "ipc" ? "arrow" : "parquet"}`)
  const rawWrite = format === "ipc" ? rawIpcWrite : rawParquetWrite
  const rawRead = format === "ipc" ? rawIpcRead : rawParquetRead
  const basic = ArrowIO.make({ base: path.join(folder, "basic"), format, statistics: "basic" })
  const strataWrite = () => Effect.runPromise(io.write("bench/table", table))
  const basicWrite = () => Effect.runPromise(basic.write("bench/table", table))
  const strataRead = () => Effect.runPromise(io.read("bench/table"))

  // warm up both paths (JIT, WebAssembly memory growth, page cache)
  await rawWrite(rawFile)
  await strataWrite()
  await basicWrite()
  const checkRaw = await rawRead(rawFile)
  const checkStrata = await strataRead()
  if (checkRaw.numRows !== n || checkStrata.numRows !== n) throw new Error(`read back ${checkRaw.numRows} and ${checkStrata.numRows} rows, not ${n}`)

  const times = {
    rawWrite: [] as Array<number>,
    strataWrite: [] as Array<number>,
    basicWrite: [] as Array<number>,
    rawRead: [] as Array<number>,
    strataRead: [] as Array<number>
  }
  // writes, then reads (so that a read does not share the machine with the
  // tail of a write), alternating which goes first
  for (let i = 0; i < repeats; i++) {
    if (i % 2 === 0) {
      times.rawWrite.push(await time(() => rawWrite(rawFile)))
      times.strataWrite.push(await time(strataWrite))
      times.basicWrite.push(await time(basicWrite))
    } else {
      times.basicWrite.push(await time(basicWrite))
      times.strataWrite.push(await time(strataWrite))
      times.rawWrite.push(await time(() => rawWrite(rawFile)))
    }
  }
  for (let i = 0; i < repeats; i++) {
    if (i % 2 === 0) {
      times.rawRead.push(await time(() => rawRead(rawFile)))
      times.strataRead.push(await time(strataRead))
    } else {
      times.strataRead.push(await time(strataRead))
      times.rawRead.push(await time(() => rawRead(rawFile)))
    }
  }
  for (const op of ["write", "read"] as const) {
    const raw = best(op === "write" ? times.rawWrite : times.rawRead)
    const strata = best(op === "write" ? times.strataWrite : times.strataRead)
    figures[`${format}_${op}_raw_s`] = round(raw)
    figures[`${format}_${op}_strata_s`] = round(strata)
    figures[`${format}_${op}_raw_rows_per_s`] = Math.round(n / raw)
    figures[`${format}_${op}_strata_rows_per_s`] = Math.round(n / strata)
    figures[`${format}_${op}_raw_mb_per_s`] = round(tableMb / raw, 1)
    figures[`${format}_${op}_strata_mb_per_s`] = round(tableMb / strata, 1)
    figures[`${format}_${op}_overhead_pct`] = round((strata - raw) / raw * 100, 1)
  }
  const basicWriteS = best(times.basicWrite)
  figures[`${format}_write_basic_strata_s`] = round(basicWriteS)
  figures[`${format}_write_basic_overhead_pct`] = round((basicWriteS - best(times.rawWrite)) / best(times.rawWrite) * 100, 1)
  figures[`${format}_file_mb`] = round(fs.statSync(io.path("bench/table")).size / 1e6, 3)
}

// where the write overhead goes: the two extra passes over the data
const profile: Array<number> = []
const hashing: Array<number> = []
const sha256: Array<number> = []
const ipcBytes = tableToIPC(table, "file")
const hasher = await xxhash()
for (let i = 0; i < repeats; i++) {
  profile.push(await time(async () => TableMetadata.describe(table)))
  hashing.push(await time(async () => hasher.h64Raw(ipcBytes)))
  sha256.push(await time(async () => createHash("sha256").update(ipcBytes).digest("hex")))
}
figures.profile_s = round(best(profile))
// the data version's hash (xxHash64), and SHA-256 for comparison
figures.hash_ipc_s = round(best(hashing))
figures.sha256_ipc_s = round(best(sha256))

fs.rmSync(folder, { recursive: true, force: true })
process.stdout.write(`${JSON.stringify(figures)}\n`)
