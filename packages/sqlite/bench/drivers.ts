/**
 * Driver benchmark: the store's own code (src/internal/store.ts) on
 * `node:sqlite` and on `better-sqlite3`, on the executor's write path
 * (batched appendEvents) and the catalog's read paths. Prints JSON.
 *
 *   node --conditions=@strata/source bench/drivers.ts [events=100000] [processes=3]
 *
 * Every driver is measured in its own processes (drivers alternate, so that
 * the load of a shared machine and JIT warm-up hit both alike); each number
 * is the median over processes of the median of 5 rounds in a process, on a
 * fresh file database in the OS temp folder (WAL, synchronous=NORMAL, as in
 * production).
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import type { Event, Instance } from "@strata/core"
import { Effect, Schema } from "effect"
import { Event as CoreEvent } from "@strata/core"
import type { Database } from "../src/internal/database.ts"
import { openNodeSqlite } from "../src/internal/database.ts"
import { migrate } from "../src/internal/schema.ts"
import { makeStore } from "../src/internal/store.ts"

const require = createRequire(import.meta.url)
const BetterSqlite3 = require("better-sqlite3") as new(path: string, options: { timeout: number }) => Database

const drivers: Record<string, (file: string) => Database> = {
  "node:sqlite": (file) => openNodeSqlite(file, { readOnly: false, timeoutMs: 5000 }),
  "better-sqlite3": (file) => new BetterSqlite3(file, { timeout: 5000 })
}

const driverArgument = process.argv.find((argument) => argument.startsWith("--driver="))?.slice("--driver=".length)
const positional = process.argv.slice(2).filter((argument) => !argument.startsWith("--"))
const TOTAL = Number(positional[0] ?? 100_000)
const PROCESSES = Number(positional[1] ?? 3)
const ROUNDS = 5
const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-sqlite-bench-"))
let files = 0

const open = (driver: string) => {
  const file = path.join(folder, `bench-${++files}.db`)
  const db = drivers[driver]!(file)
  db.exec("PRAGMA journal_mode = WAL")
  db.exec("PRAGMA synchronous = NORMAL")
  db.exec("PRAGMA temp_store = MEMORY")
  migrate(db, file)
  return { db, store: makeStore(db, { path: file, persistent: true }) }
}

const run = <A>(effect: Effect.Effect<A, unknown>): A => Effect.runSync(effect)

const median = (values: Array<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** What the executor emits per step: started, (log), materialized, succeeded. */
const stepEvents = (runId: string, step: number): Array<Event.StrataEvent> => {
  const assetKey = `asset_${step % 2000}`
  const timestamp = 1_700_000_000_000 + step
  const events: Array<Event.StrataEvent> = [
    { type: "step-started", runId, timestamp, assetKey, attempt: 1 },
    {
      type: "asset-materialized",
      runId,
      timestamp,
      assetKey,
      metadata: { row_count: step, uri: `file:///data/${assetKey}.parquet`, bytes: 123_456 },
      dataVersion: `dv-${step}`,
      codeVersion: "cv-1",
      inputVersions: { upstream_a: "dv-a", upstream_b: "dv-b" }
    },
    { type: "step-succeeded", runId, timestamp, assetKey, attempt: 1, durationMs: 3 }
  ]
  if (step % 4 === 0) events.push({ type: "log", runId, timestamp, assetKey, level: "info", message: `wrote ${step} rows` })
  return events
}

const newRun = (runId: string): Instance.NewRun => ({
  runId,
  selection: "*",
  assetKeys: [],
  staleOnly: false,
  tags: {},
  createdAt: Date.now()
})

interface Result {
  readonly driver: string
  readonly batch: number
  readonly writeUsPerEvent: number
  readonly eventsPerSecond: number
}

const measureWrites = (driver: string, batch: number): Result => {
  const times: Array<number> = []
  for (let round = 0; round < ROUNDS; round++) {
    const { db, store } = open(driver)
    const runId = `run-${round}`
    run(store.createRun(newRun(runId)))
    const all: Array<Event.StrataEvent> = []
    for (let step = 0; all.length < TOTAL; step++) all.push(...stepEvents(runId, step))
    all.length = TOTAL
    const start = performance.now()
    for (let i = 0; i < all.length; i += batch) run(store.appendEvents(all.slice(i, i + batch)))
    times.push(performance.now() - start)
    db.close()
  }
  const ms = median(times)
  return {
    driver,
    batch,
    writeUsPerEvent: Number((ms * 1000 / TOTAL).toFixed(2)),
    eventsPerSecond: Math.round(TOTAL / (ms / 1000))
  }
}

const measureReads = (driver: string) => {
  const { db, store } = open(driver)
  // 20 runs of 500 steps over 2000 assets: every asset materialized 5 times
  for (let r = 0; r < 20; r++) {
    const runId = `run-${r}`
    run(store.createRun(newRun(runId)))
    const events: Array<Event.StrataEvent> = []
    for (let step = r * 500; step < (r + 1) * 500; step++) events.push(...stepEvents(runId, step))
    run(store.appendEvents(events))
  }
  const big = "big-run"
  run(store.createRun(newRun(big)))
  const events: Array<Event.StrataEvent> = []
  for (let step = 0; events.length < 10_000; step++) events.push(...stepEvents(big, 100_000 + step))
  events.length = 10_000
  run(store.appendEvents(events))
  const allRun = run(store.runEvents(big))
  const middle = allRun[4999]!.id

  const time = (f: () => unknown, repeat: number) => {
    const samples: Array<number> = []
    for (let round = 0; round < ROUNDS; round++) {
      const start = performance.now()
      for (let i = 0; i < repeat; i++) f()
      samples.push((performance.now() - start) / repeat)
    }
    return Number(median(samples).toFixed(3))
  }
  const result = {
    driver,
    "assets() 2000 assets, ms": time(() => run(store.assets()), 5),
    "assets(50 keys), ms": time(() => run(store.assets(Array.from({ length: 50 }, (_, i) => `asset_${i * 7}`))), 50),
    "runEvents(10k events), ms": time(() => run(store.runEvents(big)), 5),
    "runEvents(after cursor, 100), ms": time(() => run(store.runEvents(big, { after: middle, limit: 100 })), 200),
    "events(after, limit 1000), ms": time(() => run(store.events({ after: middle, limit: 1000 })), 20),
    "history(asset, 100), ms": time(() => run(store.history("asset_7")), 200),
    "listRuns(), ms": time(() => run(store.listRuns()), 200)
  }
  // where the 10k-event read spends its time: SQL, JSON.parse, Schema decode
  const rows = db.prepare("SELECT id, body FROM events WHERE run_seq = 21 ORDER BY id").all() as Array<
    { id: number; body: string }
  >
  const decode = Schema.decodeUnknownExit(CoreEvent.StoredEventSchema)
  const split = {
    driver,
    "10k rows: SQL only, ms": time(() => db.prepare("SELECT id, body FROM events WHERE run_seq = 21 ORDER BY id").all(), 5),
    "10k rows: JSON.parse, ms": time(() => rows.map((row) => JSON.parse(row.body)), 5),
    "10k rows: JSON.parse + Schema decode, ms": time(() =>
      rows.map((row) => {
        const value = JSON.parse(row.body)
        value.id = row.id
        return decode(value)
      }), 5)
  }
  db.close()
  return { result, split }
}

const measureDriver = (driver: string) => {
  const writes = [25, 100, 1000, 10_000].map((batch) => measureWrites(driver, batch))
  const { result, split } = measureReads(driver)
  return { writes, reads: result, decode: split }
}

type Measured = ReturnType<typeof measureDriver>

const medianOf = (samples: ReadonlyArray<Record<string, unknown>>): Record<string, unknown> => {
  const result: Record<string, unknown> = {}
  for (const key of Object.keys(samples[0]!)) {
    const values = samples.map((sample) => sample[key])
    result[key] = typeof values[0] === "number" ? median(values as Array<number>) : values[0]
  }
  return result
}

if (driverArgument !== undefined) {
  const measured = measureDriver(driverArgument)
  fs.rmSync(folder, { recursive: true, force: true })
  process.stdout.write(JSON.stringify(measured) + "\n")
} else {
  fs.rmSync(folder, { recursive: true, force: true })
  const samples: Record<string, Array<Measured>> = {}
  for (let i = 0; i < PROCESSES; i++) {
    const order = i % 2 === 0 ? Object.keys(drivers) : Object.keys(drivers).reverse()
    for (const driver of order) {
      const output = execFileSync(
        process.execPath,
        [...process.execArgv, process.argv[1]!, String(TOTAL), `--driver=${driver}`],
        { encoding: "utf8", maxBuffer: 1 << 24 }
      )
      ;(samples[driver] ??= []).push(JSON.parse(output) as Measured)
    }
  }
  const measuredDrivers = Object.keys(samples)
  process.stdout.write(
    JSON.stringify(
      {
        node: process.version,
        cpus: os.cpus().length,
        loadAverage: os.loadavg().map((load) => Number(load.toFixed(2))),
        events: TOTAL,
        processesPerDriver: PROCESSES,
        writes: measuredDrivers.flatMap((driver) =>
          [0, 1, 2, 3].map((i) => medianOf(samples[driver]!.map((sample) => sample.writes[i]! as unknown as Record<string, unknown>)))
        ),
        reads: measuredDrivers.map((driver) => medianOf(samples[driver]!.map((sample) => sample.reads))),
        decode: measuredDrivers.map((driver) => medianOf(samples[driver]!.map((sample) => sample.decode)))
      },
      null,
      2
    ) + "\n"
  )
}
