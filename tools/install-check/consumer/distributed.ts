// @strata/graphile-worker as a user runs it: `strata worker` (the installed CLI) started on
// distributed.config.ts, then `strata materialize`, whose steps the worker runs. Prints one line of
// JSON: the run's status and assets, the worker each step started on, the stored total, how the worker stopped
// after SIGTERM. Connection from DATABASE_URL; the schema prefix is the first argument (dropped after).
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as readline from "node:readline"
import { PgClient, quoteIdentifier } from "@strata/postgres"
import { Effect } from "effect"

const prefix = process.argv[2]
if (prefix === undefined) throw new Error("usage: node distributed.ts SCHEMA_PREFIX")
const here = import.meta.dirname
const bin = path.join(here, "node_modules", ".bin", "strata")
const config = path.join(here, "distributed.config.ts")
const env = { ...process.env, STRATA_SCHEMA_PREFIX: prefix, STRATA_ENV: "distributed", NO_COLOR: "1" }

const worker = spawn(bin, ["worker", "--json", "--concurrency", "2", "-f", config], { env, stdio: ["ignore", "pipe", "pipe"] })
let workerErr = ""
const workerEvents: Array<string> = []
worker.stderr.on("data", (chunk) => (workerErr += chunk))
const exited = new Promise<number | null>((resolve) => worker.on("exit", (code) => resolve(code)))
const started = await new Promise<{ pid: number }>((resolve, reject) => {
  readline.createInterface({ input: worker.stdout }).on("line", (text) => {
    const line = JSON.parse(text) as { event?: string; pid?: number }
    workerEvents.push(line.event ?? "")
    if (line.event === "worker-started") resolve({ pid: line.pid! })
  })
  void exited.then((code) => reject(new Error(`strata worker exited with ${code} before starting: ${workerErr}`)))
})

const materialize = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
  const child = spawn(bin, ["materialize", "--json", "-f", config], { env, stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk) => (stdout += chunk))
  child.stderr.on("data", (chunk) => (stderr += chunk))
  child.on("close", (code) => resolve({ code, stdout, stderr }))
})
worker.kill("SIGTERM")
const workerExit = await exited
if (materialize.code !== 0) throw new Error(`strata materialize exited with ${materialize.code}: ${materialize.stderr}${materialize.stdout}`)
const result = JSON.parse(materialize.stdout) as { runId: string; status: string; materialized: Array<string> }

const program = Effect.gen(function*() {
  const client = yield* PgClient
  const starts = yield* client.query<{ asset_key: string; pid: number }>(
    `select asset_key, (body->'worker'->>'pid')::int as pid from ${quoteIdentifier(`${prefix}_instance`)}.events
     where run_id = $1 and type = 'step-started' order by id`,
    [result.runId]
  )
  for (const suffix of ["queue", "workers", "instance"]) yield* client.query(`drop schema if exists ${quoteIdentifier(`${prefix}_${suffix}`)} cascade`)
  return starts
}).pipe(Effect.provide(PgClient.layerConfig))
const starts = await Effect.runPromise(program)

console.log(JSON.stringify({
  status: result.status,
  materialized: [...result.materialized].sort(),
  startedOnWorker: starts.map((row) => [row.asset_key, row.pid === started.pid]),
  total: JSON.parse(fs.readFileSync(path.join(here, ".strata", "distributed", "total.json"), "utf8")) as number,
  // SIGTERM is a graceful stop: the worker says so and exits 130 (interrupted), as the CLI does on Ctrl-C
  workerStopped: workerEvents.includes("worker-stopped"),
  workerExit
}))
