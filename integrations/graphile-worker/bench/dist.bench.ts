/**
 * Steps through the queue: N trivial assets (the test project's binary tree,
 * files through FileSystemIO, the instance in Postgres) materialized by one
 * `strata materialize` coordinator with 1, 2 and 4 `strata worker` processes
 * (concurrency 8 each), and in process for comparison, on a fresh database.
 *
 * Figures per setting: the run's own duration (`durationMs` of the result, so
 * process start-up is not counted), steps per second, wall milliseconds per
 * step, and the enqueue-to-start latency of every step (the worker's clock at
 * the start minus the coordinator's at the enqueue; one machine, one clock):
 * p50 and p95.
 *
 * Usage: node integrations/graphile-worker/bench/dist.bench.ts [N=1000]
 * Server: 127.0.0.1:5432 as user postgres (trust auth), or STRATA_TEST_PG*.
 * Prints one JSON object on the last stdout line.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { createTestDatabase, startWorker, stopWorkers, strata, type WorkerProcess } from "../test/support.ts"

const n = Number(process.argv[2] ?? 1000)
const settings = (process.env.STRATA_BENCH_WORKERS ?? "1,2,4").split(",").map(Number)
const db = await createTestDatabase()
const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-dist-bench-"))
const env = { DATABASE_URL: db.url, STRATA_TEST_STORAGE: folder, STRATA_TEST_ASSETS: String(n) }
const figures: Record<string, number> = { n, load_avg_1m: Number(os.loadavg()[0]!.toFixed(2)) }

const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

const materialize = async (environment: string) => {
  const done = await strata(["materialize", "--json", "--concurrency", "32"], { ...env, STRATA_ENV: environment })
  if (done.code !== 0) throw new Error(`materialize (${environment}) exited ${done.code}: ${done.stderr}`)
  const result = JSON.parse(done.stdout) as { status: string; materialized: Array<string>; durationMs: number }
  if (result.status !== "succeeded" || result.materialized.length !== n) throw new Error(`run ${result.status}, ${result.materialized.length} of ${n}`)
  return result.durationMs
}

try {
  const local = await materialize("local")
  figures.in_process_s = local / 1000
  figures.in_process_steps_per_s = Math.round(n / (local / 1000))
  for (const count of settings) {
    const workers: Array<WorkerProcess> = []
    for (let i = 0; i < count; i++) workers.push(startWorker(["--concurrency", "8", "--verbose"], env))
    await Promise.all(workers.map((w) => w.started))
    const ms = await materialize("distributed")
    await stopWorkers(workers)
    const latencies = workers.flatMap((w) => w.lines.filter((l) => l.event === "step-started").map((l) => l.queuedMs as number))
    if (latencies.length !== n) throw new Error(`${latencies.length} steps started on workers, expected ${n}`)
    const name = `w${count}`
    figures[`${name}_s`] = ms / 1000
    figures[`${name}_steps_per_s`] = Math.round(n / (ms / 1000))
    figures[`${name}_ms_per_step`] = Number((ms / n).toFixed(3))
    figures[`${name}_enqueue_to_start_p50_ms`] = percentile(latencies, 0.5)
    figures[`${name}_enqueue_to_start_p95_ms`] = percentile(latencies, 0.95)
  }
  console.log(JSON.stringify(figures))
} finally {
  await db.drop()
  fs.rmSync(folder, { recursive: true, force: true })
}
