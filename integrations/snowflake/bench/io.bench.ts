/**
 * The Snowflake I/O manager against the raw driver calls it is made of, on the
 * same local server and the same table: N rows x 6 columns (int64, float64,
 * utf8 with nulls, bool, timestamp, decimal as text in a NUMBER column via
 * `snowflake:type`).
 *
 * - raw write: `create table` + `insertArrow` (the same path and method);
 * - I/O manager write: `store` (staging table, the same insert, swap, drop,
 *   comment, information-schema check, content hash);
 * - raw read: `queryArrow("select * from t")`; I/O manager read: `load`.
 *
 * Usage: node integrations/snowflake/bench/io.bench.ts [rows=1000000] [method=stage|binds] [repeats=3]
 * Prints one JSON object (medians over the repeats, the two sides interleaved) on the last stdout line.
 */
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

if (!process.execArgv.some((arg) => arg.includes("@strata/source"))) {
  const result = spawnSync(process.execPath, ["--conditions=@strata/source", fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit"
  })
  process.exit(result.status ?? 1)
}

const { AssetKey } = await import("@strata/core")
const Arrow = await import("apache-arrow")
const { Effect, Redacted } = await import("effect")
const { SnowflakeClient, SnowflakeIOManager } = await import("../src/index.ts")
const { start } = await import("../src/testing.ts")

const rows = Number(process.argv[2] ?? 1_000_000)
const method = (process.argv[3] ?? "stage") as "stage" | "binds"
const repeats = Number(process.argv[4] ?? 3)

const makeTable = () => {
  const ids = new BigInt64Array(rows)
  const prices = new Float64Array(rows)
  const names: Array<string | null> = new Array(rows)
  const flags: Array<boolean> = new Array(rows)
  const times = new BigInt64Array(rows)
  for (let i = 0; i < rows; i++) {
    ids[i] = BigInt(i)
    prices[i] = i / 7
    names[i] = i % 10 === 0 ? null : `name-${i % 1000}`
    flags[i] = i % 3 === 0
    times[i] = BigInt(1_704_067_200_000 + i * 1000)
  }
  return new Arrow.Table({
    id: Arrow.makeVector(ids),
    price: Arrow.makeVector(prices),
    name: Arrow.vectorFromArray(names, new Arrow.Utf8()),
    flag: Arrow.vectorFromArray(flags, new Arrow.Bool()),
    at: Arrow.makeVector(Arrow.makeData({ type: new Arrow.TimestampMillisecond(), length: rows, data: times })),
    qty: Arrow.makeVector(Int32Array.from({ length: rows }, (_, i) => i % 100))
  })
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9

const server = await start({ databases: ["ANALYTICS"] })
try {
  const table = makeTable()
  const figures = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const client = yield* SnowflakeClient.make({ ...server.connection, auth: { _tag: "Password", password: Redacted.make(server.password) } })
    const io = SnowflakeIOManager.make(client, { method }).tables
    const context = { key: AssetKey.make("bench/orders"), partition: undefined, runId: "bench", definitionMetadata: {} }
    const input = { key: AssetKey.make("bench/orders"), partition: undefined, downstream: undefined, definitionMetadata: {} }
    const timings = { rawWrite: [] as Array<number>, ioWrite: [] as Array<number>, rawRead: [] as Array<number>, ioRead: [] as Array<number> }
    yield* client.execute("create schema if not exists bench")
    for (let repeat = 0; repeat < repeats; repeat++) {
      let started = process.hrtime.bigint()
      yield* client.execute("drop table if exists bench.raw_orders")
      yield* client.insertArrow("bench.raw_orders", table, { method, create: true })
      timings.rawWrite.push(seconds(started))
      started = process.hrtime.bigint()
      yield* io.store(context, table)
      timings.ioWrite.push(seconds(started))
      started = process.hrtime.bigint()
      const raw = yield* client.queryArrow("select * from bench.raw_orders")
      timings.rawRead.push(seconds(started))
      started = process.hrtime.bigint()
      const loaded = yield* io.load(input)
      timings.ioRead.push(seconds(started))
      if (raw.table.numRows !== rows || loaded.numRows !== rows) throw new Error(`read ${raw.table.numRows} / ${loaded.numRows} rows of ${rows}`)
    }
    return timings
  })))
  const raw = { write: median(figures.rawWrite), read: median(figures.rawRead) }
  const manager = { write: median(figures.ioWrite), read: median(figures.ioRead) }
  console.log(JSON.stringify({
    rows,
    columns: 6,
    method,
    raw_write_s: raw.write,
    io_write_s: manager.write,
    write_overhead_pct: Math.round((manager.write / raw.write - 1) * 1000) / 10,
    raw_read_s: raw.read,
    io_read_s: manager.read,
    read_overhead_pct: Math.round((manager.read / raw.read - 1) * 1000) / 10
  }))
} finally {
  await server.close()
}
