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
 * p50 and p95. With STRATA_BENCH_CPU=1, also the CPU time used during the
 * run (from /proc/<pid>/stat, sampled every 20 ms between the run's start and
 * end) by the coordinator, the workers together and the Postgres backends of
 * the bench's database together, in milliseconds per step, the database's
 * committed transactions per step (including workers' start and stop), and
 * graphile-worker's job fetches per step (all, and those that found no job).
 *
 * Usage: node integrations/graphile-worker/bench/dist.bench.ts [N=1000]
 * (STRATA_BENCH_IN_PROCESS=0: workers only; STRATA_BENCH_WARM=1: each setting's
 * workers run the plan once before the measured run)
 * Server: 127.0.0.1:5432 as user postgres (trust auth), or STRATA_TEST_PG*.
 * Prints one JSON object on the last stdout line.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import pg from "pg"
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

/** utime + stime of a process in ms (clock ticks of 10 ms), or undefined once it is gone. */
const cpuMs = (pid: number): number | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

/**
 * Samples the CPU of the coordinator (the `strata materialize` child, found as the newest child of this process),
 * the workers and the database's backends every 20 ms; `report` gives each group's CPU between the samples closest
 * to the run's start and end.
 */
const cpuSampler = async (workers: ReadonlyArray<WorkerProcess>) => {
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  const own = (await client.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid
  const samples: Array<{ at: number; groups: Record<string, Map<number, number>> }> = []
  let backends: Array<number> = []
  let coordinator: number | undefined
  const refresh = async () => {
    const rows = await client.query<{ pid: number }>("select pid from pg_stat_activity where datname = current_database() and pid <> $1", [own])
    backends = rows.rows.map((row) => row.pid)
    const children = fs.readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number)
    coordinator = children.filter((pid) => !workers.some((w) => w.pid === pid)).at(-1)
  }
  const sample = () => {
    const group = (pids: ReadonlyArray<number>) => new Map(pids.flatMap((pid) => { const ms = cpuMs(pid); return ms === undefined ? [] : [[pid, ms] as const] }))
    samples.push({ at: Date.now(), groups: { coordinator: group(coordinator === undefined ? [] : [coordinator]), workers: group(workers.map((w) => w.pid)), backends: group(backends) } })
  }
  const refreshing = setInterval(() => void refresh().catch(() => {}), 100)
  const sampling = setInterval(sample, 20)
  await refresh()
  return {
    report: async (startAt: number, endAt: number, steps: number) => {
      clearInterval(refreshing)
      clearInterval(sampling)
      await client.end()
      // per process: its last value up to the run's end minus its value at the run's start (0 if born later)
      const used = (name: string) => {
        const before = samples.findLast((s) => s.at <= startAt)?.groups[name] ?? new Map<number, number>()
        const after = new Map<number, number>()
        for (const s of samples) if (s.at <= endAt) for (const [pid, ms] of s.groups[name]!) after.set(pid, ms)
        let total = 0
        for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0)
        return Number((total / steps).toFixed(3))
      }
      return { coordinator: used("coordinator"), workers: used("workers"), backends: used("backends") }
    }
  }
}

const counting = process.env.STRATA_BENCH_CPU === "1"

/**
 * The database's committed transactions so far (each statement outside a transaction is one), after the backends
 * flushed their statistics: a backend reports at most once a second while busy and within 10 s once idle (Postgres
 * 15), so a count taken sooner after the workers started would leave their start-up to the run's count.
 */
const transactions = async () => {
  await new Promise((resolve) => setTimeout(resolve, 11_000))
  const rows = await db.query<{ n: string }>("select xact_commit as n from pg_stat_database where datname = current_database()")
  return Number(rows[0]!.n)
}

const materialize = async (environment: string) => {
  const done = await strata(["materialize", "--json", "--concurrency", "32"], { ...env, STRATA_ENV: environment })
  if (done.code !== 0) throw new Error(`materialize (${environment}) exited ${done.code}: ${done.stderr}`)
  const result = JSON.parse(done.stdout) as { status: string; materialized: Array<string>; durationMs: number }
  if (result.status !== "succeeded" || result.materialized.length !== n) throw new Error(`run ${result.status}, ${result.materialized.length} of ${n}`)
  return result.durationMs
}

try {
  if (process.env.STRATA_BENCH_IN_PROCESS !== "0") {
    const localSampler = counting ? await cpuSampler([]) : undefined
    const local = await materialize("local")
    if (localSampler !== undefined) {
      const endAt = Date.now()
      const cpu = await localSampler.report(endAt - local, endAt, n)
      figures.in_process_cpu_ms_per_step = cpu.coordinator
      figures.in_process_cpu_ms_per_step_backends = cpu.backends
    }
    figures.in_process_s = local / 1000
    figures.in_process_steps_per_s = Math.round(n / (local / 1000))
  }
  for (const count of settings) {
    const workers: Array<WorkerProcess> = []
    for (let i = 0; i < count; i++) workers.push(startWorker(["--concurrency", "8", "--verbose"], env))
    await Promise.all(workers.map((w) => w.started))
    // warm workers: a first run of the same plan, unmeasured, so that their code is compiled and optimized (a
    // worker that lives for hours is); `strata materialize` is a new process each time
    const warm = process.env.STRATA_BENCH_WARM === "1"
    if (warm) await materialize("distributed")
    const skipLines = workers.map((w) => w.lines.length)
    const xactsBefore = counting ? await transactions() : 0
    const sampler = counting ? await cpuSampler(workers) : undefined
    const ms = await materialize("distributed")
    const endAt = Date.now()
    if (sampler !== undefined) {
      const cpu = await sampler.report(endAt - ms, endAt, n)
      figures[`w${count}_cpu_ms_per_step_coordinator`] = cpu.coordinator
      figures[`w${count}_cpu_ms_per_step_workers`] = cpu.workers
      figures[`w${count}_cpu_ms_per_step_backends`] = cpu.backends
    }
    await stopWorkers(workers)
    if (counting) {
      figures[`w${count}_transactions_per_step`] = Number(((await transactions() - xactsBefore) / n).toFixed(2))
      // graphile-worker's fetches (each worker's `worker-stopped` line counts them since it started: the warm run too)
      const stopped = workers.flatMap((w) => w.lines.filter((l) => l.event === "worker-stopped"))
      const runs = warm ? 2 : 1
      const perStep = (field: string) => Number((stopped.reduce((sum, l) => sum + (l[field] as number), 0) / (n * runs)).toFixed(3))
      figures[`w${count}_fetches_per_step`] = perStep("fetches")
      figures[`w${count}_empty_fetches_per_step`] = perStep("emptyFetches")
    }
    const latencies = workers.flatMap((w, i) => w.lines.slice(skipLines[i]).filter((l) => l.event === "step-started").map((l) => l.queuedMs as number))
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
