/**
 * Bulk-load throughput: Strata's Postgres I/O manager (binary COPY from an
 * Arrow table, into a staging table swapped in by one transaction, with the
 * content hash) against `psql \copy` of the same rows as CSV, on the same
 * server, into a fresh database that is dropped afterwards.
 *
 * Usage: node integrations/postgres/bench/copy.bench.ts [rows=1000000] [repeats=3]
 * Server: DATABASE_URL, or 127.0.0.1:5432 as user postgres (trust auth).
 * Prints one JSON object on the last stdout line.
 */
import { spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

// The workspace packages are TypeScript sources: re-run with the export
// condition that points at them when started as a plain `node` script.
if (!process.execArgv.some((arg) => arg.includes("@strata/source"))) {
  const result = spawnSync(process.execPath, ["--conditions=@strata/source", fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit"
  })
  process.exit(result.status ?? 1)
}

const { AssetKey } = await import("@strata/core")
const Arrow = await import("apache-arrow")
const { Effect, Layer } = await import("effect")
const pg = (await import("pg")).default
const { PgClient, PostgresIOManager } = await import("../src/index.ts")

const rows = Number(process.argv[2] ?? 1_000_000)
const repeats = Number(process.argv[3] ?? 3)
const url = new URL(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres")
const server = { host: url.hostname, port: Number(url.port || 5432), user: decodeURIComponent(url.username || "postgres") }
const database = `strata_bench_${process.pid}_${randomBytes(3).toString("hex")}`

const admin = async (text: string) => {
  const client = new pg.Client({ ...server, database: decodeURIComponent(url.pathname.slice(1) || "postgres") })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

// --- the data: 6 typed columns, with nulls
const ids = new Int32Array(rows)
const amounts = new BigInt64Array(rows)
const prices = new Float64Array(rows)
const flags = new Uint8Array((rows + 7) >> 3)
const times = new BigInt64Array(rows)
const names: Array<string | null> = new Array(rows)
for (let i = 0; i < rows; i++) {
  ids[i] = i
  amounts[i] = BigInt(i) * 1_000_003n
  prices[i] = i / 7
  if (i % 3 === 0) flags[i >> 3]! |= 1 << (i & 7)
  times[i] = 1_600_000_000_000_000n + BigInt(i) * 1_000_000n
  names[i] = i % 13 === 0 ? null : `customer-${i}`
}
const isNull = { amount: (i: number) => i % 7 === 0, price: (i: number) => i % 11 === 0, name: (i: number) => i % 13 === 0, active: (i: number) => i % 5 === 0, at: (i: number) => i % 17 === 0 }
const bitmap = (test: (i: number) => boolean) => {
  const bits = new Uint8Array((rows + 7) >> 3)
  let nulls = 0
  for (let i = 0; i < rows; i++) {
    if (test(i)) nulls++
    else bits[i >> 3]! |= 1 << (i & 7)
  }
  return { nullBitmap: bits, nullCount: nulls }
}
const offsets = new Int32Array(rows + 1)
const text = Buffer.from(names.map((name) => name ?? "").join(""), "utf8")
let end = 0
for (let i = 0; i < rows; i++) {
  end += names[i] === null ? 0 : Buffer.byteLength(names[i]!, "utf8")
  offsets[i + 1] = end
}
const fields = [
  new Arrow.Field("id", new Arrow.Int32(), false),
  new Arrow.Field("amount", new Arrow.Int64(), true),
  new Arrow.Field("price", new Arrow.Float64(), true),
  new Arrow.Field("name", new Arrow.Utf8(), true),
  new Arrow.Field("active", new Arrow.Bool(), true),
  new Arrow.Field("at", new Arrow.TimestampMicrosecond("UTC"), true)
]
const children = [
  Arrow.makeData({ type: new Arrow.Int32(), length: rows, nullCount: 0, data: ids }),
  Arrow.makeData({ type: new Arrow.Int64(), length: rows, data: amounts, ...bitmap(isNull.amount) }),
  Arrow.makeData({ type: new Arrow.Float64(), length: rows, data: prices, ...bitmap(isNull.price) }),
  Arrow.makeData({ type: new Arrow.Utf8(), length: rows, valueOffsets: offsets, data: new Uint8Array(text), ...bitmap(isNull.name) }),
  Arrow.makeData({ type: new Arrow.Bool(), length: rows, data: flags, ...bitmap(isNull.active) }),
  Arrow.makeData({ type: new Arrow.TimestampMicrosecond("UTC"), length: rows, data: times, ...bitmap(isNull.at) })
]
const schema = new Arrow.Schema(fields)
const table = new Arrow.Table(schema, [
  new Arrow.RecordBatch(schema, Arrow.makeData({ type: new Arrow.Struct(fields), length: rows, nullCount: 0, children }))
])

// --- the same rows as CSV, for psql
const csvFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "strata-copy-bench-")), "rows.csv")
{
  const out = fs.openSync(csvFile, "w")
  let buffer = ""
  for (let i = 0; i < rows; i++) {
    const at = isNull.at(i) ? "" : new Date(Number(times[i]! / 1000n)).toISOString()
    buffer += `${ids[i]},${isNull.amount(i) ? "" : amounts[i]},${isNull.price(i) ? "" : prices[i]},${names[i] ?? ""},${
      isNull.active(i) ? "" : i % 3 === 0 ? "t" : "f"
    },${at}\n`
    if (buffer.length > 1 << 20) {
      fs.writeSync(out, buffer)
      buffer = ""
    }
  }
  fs.writeSync(out, buffer)
  fs.closeSync(out)
}

const columns = "id integer not null, amount bigint, price double precision, name text, active boolean, at timestamptz"
const psql = (command: string) => {
  const started = performance.now()
  const result = spawnSync(
    "psql",
    ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", server.host, "-p", String(server.port), "-U", server.user, "-d", database, "-c", command],
    { encoding: "utf8", env: { ...process.env, ...(url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {}) } }
  )
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`)
  return (performance.now() - started) / 1000
}

const databaseUrl = new URL(url)
databaseUrl.pathname = `/${database}`

await admin(`create database "${database}"`)
try {
  const layer = PostgresIOManager.layer().pipe(
    Layer.provideMerge(PgClient.layer({ connectionString: databaseUrl.href }))
  )
  const timings = await Effect.runPromise(
    Effect.gen(function*() {
      const io = yield* PostgresIOManager
      const client = yield* PgClient
      const strata: Array<number> = []
      const psqlIn: Array<number> = []
      const psqlOut: Array<number> = []
      const loads: Array<number> = []
      for (let round = 0; round < repeats; round++) {
        // psql into a fresh table each round (what a one-shot load does)
        yield* client.query(`drop table if exists public.psql_rows`)
        yield* client.query(`create table public.psql_rows (${columns})`)
        psqlIn.push(psql(`\\copy public.psql_rows from '${csvFile}' with (format csv)`))
        psqlOut.push(psql(`\\copy public.psql_rows to '${csvFile}.out' with (format csv)`))
        let started = performance.now()
        yield* io.store({ key: AssetKey.make("bench/rows"), partition: undefined, runId: "bench", definitionMetadata: {} }, table)
        strata.push((performance.now() - started) / 1000)
        started = performance.now()
        const loaded = yield* io.load({ key: AssetKey.make("bench/rows"), partition: undefined, downstream: undefined, definitionMetadata: {} })
        loads.push((performance.now() - started) / 1000)
        if (loaded.numRows !== rows) throw new Error(`loaded ${loaded.numRows} rows, expected ${rows}`)
      }
      const [check] = yield* client.query<{ n: number }>(`select count(*)::int as n from public.psql_rows`)
      if (check!.n !== rows) throw new Error(`psql loaded ${check!.n} rows`)
      return { strata, psqlIn, psqlOut, loads }
    }).pipe(Effect.provide(layer))
  )
  const best = (values: ReadonlyArray<number>) => Math.min(...values)
  const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  const summary = (values: ReadonlyArray<number>) => ({
    seconds: round(best(values)),
    rowsPerSecond: Math.round(rows / best(values)),
    medianSeconds: round(median(values)),
    runs: values.map(round)
  })
  const result = {
    benchmark: "postgres-copy",
    rows,
    columns: fields.length,
    repeats,
    csvBytes: fs.statSync(csvFile).size,
    // writing: Strata's store (binary COPY from Arrow, staging table + swap, content hash) vs psql \copy FROM of the CSV
    strata: summary(timings.strata),
    psql: summary(timings.psqlIn),
    ratio: round(best(timings.psqlIn) / best(timings.strata)),
    medianRatio: round(median(timings.psqlIn) / median(timings.strata)),
    // reading: Strata's load (binary COPY to Arrow) vs psql \copy TO a CSV file
    read: summary(timings.loads),
    psqlRead: summary(timings.psqlOut),
    readRatio: round(best(timings.psqlOut) / best(timings.loads)),
    node: process.version,
    cpus: os.cpus().length
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
} finally {
  fs.rmSync(path.dirname(csvFile), { recursive: true, force: true })
  await admin(`drop database if exists "${database}" with (force)`)
}

function round(value: number) {
  return Math.round(value * 1000) / 1000
}
