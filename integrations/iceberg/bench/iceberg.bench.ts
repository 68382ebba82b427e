/**
 * Iceberg next to plain Parquet through parquet-wasm, on the same table:
 * `node integrations/iceberg/bench/iceberg.bench.ts <N>` (add
 * `--conditions=@strata/source` to run the sources instead of dist).
 *
 * The table has N rows × 6 columns (Int64, Float64, Utf8, Bool,
 * Timestamp<MICROSECOND, UTC>, Int64; five of them with nulls).
 *
 * - raw write: `tableToIPC(table, "stream")` → parquet-wasm `Table.fromIPCStream`
 *   → `writeParquet` (zstd) + `fs.promises.writeFile`; raw read:
 *   `readFile` + `readParquet` (batch size 2^20) → `intoIPCStream` → `tableFromIPC`.
 * - Iceberg write: `IcebergTable.overwrite` on a filesystem catalog (the
 *   same Parquet encoding, plus field ids, column statistics, the manifest
 *   that marks the previous file deleted, the new manifest, the manifest list,
 *   `metadata.json` and the commit); Iceberg read: `IcebergTable.read` (loads
 *   the metadata, the manifest list and manifest, reads the file, maps
 *   columns by field id).
 *
 * Wall and CPU time (user + system of the process: steadier on a shared
 * machine) are reported. Each figure is the best of 15 runs, raw and Iceberg interleaved (alternating
 * which goes first; all writes, then all reads), each after a garbage
 * collection. Prints one JSON object on its last line.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { IcebergCatalog, IcebergTable } from "@strata/iceberg"
import { type Table, tableFromIPC, tableToIPC } from "apache-arrow"
import { Effect } from "effect"
import * as Parquet from "parquet-wasm"
import { eventsTable } from "../test/tables.ts"

const n = Number(process.argv[2] ?? 1_000_000)
if (!Number.isInteger(n) || n <= 0) {
  process.stderr.write("usage: node integrations/iceberg/bench/iceberg.bench.ts <rows>\n")
  process.exit(2)
}
const repeats = 15
const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-iceberg-bench-"))
const table = eventsTable(n, 1)
const tableMb = tableToIPC(table, "stream").byteLength / 1e6
const layer = IcebergCatalog.layerFileSystem({ warehouse: path.join(folder, "warehouse") })

setFlagsFromString("--expose-gc")
const collect = runInNewContext("gc") as () => void

// wall time, and the process's CPU time (user + system): on a shared machine
// the CPU time moves much less than the wall time
const cpu = { rawWrite: [] as Array<number>, icebergWrite: [] as Array<number>, rawRead: [] as Array<number>, icebergRead: [] as Array<number> }
const time = async (run: () => Promise<unknown>, cpuTimes?: Array<number>): Promise<number> => {
  collect()
  const start = performance.now()
  const startCpu = process.cpuUsage()
  await run()
  const used = process.cpuUsage(startCpu)
  cpuTimes?.push((used.user + used.system) / 1e6)
  return (performance.now() - start) / 1000
}

const rawFile = path.join(folder, "raw.parquet")
const rawWrite = async () => {
  const wasmTable = Parquet.Table.fromIPCStream(tableToIPC(table, "stream"))
  const properties = new Parquet.WriterPropertiesBuilder().setCompression(Parquet.Compression.ZSTD).build()
  await fs.promises.writeFile(rawFile, Parquet.writeParquet(wasmTable, properties))
}
const rawRead = async (): Promise<Table> =>
  tableFromIPC(Parquet.readParquet(await fs.promises.readFile(rawFile), { batchSize: 1 << 20 }).intoIPCStream())
const icebergWrite = () => Effect.runPromise(IcebergTable.overwrite("bench.events", table).pipe(Effect.provide(layer)))
const icebergRead = () => Effect.runPromise(IcebergTable.read("bench.events").pipe(Effect.provide(layer)))

// warm up (JIT, WebAssembly memory growth, page cache) and check
await rawWrite()
await icebergWrite()
const checkRaw = await rawRead()
const checkIceberg = await icebergRead()
if (checkRaw.numRows !== n || checkIceberg.numRows !== n) throw new Error(`read back ${checkRaw.numRows} and ${checkIceberg.numRows} rows, not ${n}`)

const times = { rawWrite: [] as Array<number>, icebergWrite: [] as Array<number>, rawRead: [] as Array<number>, icebergRead: [] as Array<number> }
for (let i = 0; i < repeats; i++) {
  if (i % 2 === 0) {
    times.rawWrite.push(await time(rawWrite, cpu.rawWrite))
    times.icebergWrite.push(await time(icebergWrite, cpu.icebergWrite))
  } else {
    times.icebergWrite.push(await time(icebergWrite, cpu.icebergWrite))
    times.rawWrite.push(await time(rawWrite, cpu.rawWrite))
  }
}
for (let i = 0; i < repeats; i++) {
  if (i % 2 === 0) {
    times.rawRead.push(await time(rawRead, cpu.rawRead))
    times.icebergRead.push(await time(icebergRead, cpu.icebergRead))
  } else {
    times.icebergRead.push(await time(icebergRead, cpu.icebergRead))
    times.rawRead.push(await time(rawRead, cpu.rawRead))
  }
}

const best = (values: Array<number>): number => Math.min(...values)
const round = (value: number, digits = 4) => Number(value.toFixed(digits))
const figures: Record<string, number> = { n, columns: table.numCols, table_mb: round(tableMb, 3) }
for (const op of ["write", "read"] as const) {
  const raw = best(op === "write" ? times.rawWrite : times.rawRead)
  const iceberg = best(op === "write" ? times.icebergWrite : times.icebergRead)
  figures[`parquet_${op}_raw_s`] = round(raw)
  figures[`parquet_${op}_iceberg_s`] = round(iceberg)
  figures[`parquet_${op}_raw_rows_per_s`] = Math.round(n / raw)
  figures[`parquet_${op}_iceberg_rows_per_s`] = Math.round(n / iceberg)
  figures[`${op}_overhead_pct`] = round((iceberg - raw) / raw * 100, 1)
  const rawCpu = best(op === "write" ? cpu.rawWrite : cpu.rawRead)
  const icebergCpu = best(op === "write" ? cpu.icebergWrite : cpu.icebergRead)
  figures[`parquet_${op}_raw_cpu_s`] = round(rawCpu)
  figures[`parquet_${op}_iceberg_cpu_s`] = round(icebergCpu)
  figures[`${op}_cpu_overhead_pct`] = round((icebergCpu - rawCpu) / rawCpu * 100, 1)
}
figures.raw_file_mb = round(fs.statSync(rawFile).size / 1e6, 3)
figures.load_average_1m = round(os.loadavg()[0]!, 2)

fs.rmSync(folder, { recursive: true, force: true })
process.stdout.write(`${JSON.stringify(figures)}\n`)
