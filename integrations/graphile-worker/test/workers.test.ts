import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createTestDatabase, startWorker, stopWorkers, strata, type TestDatabase, type WorkerProcess } from "./support.ts"

// Real Postgres, real `strata worker` processes, real `strata materialize` coordinators (child processes).

let db: TestDatabase
let folder: string
const workers: Array<WorkerProcess> = []

beforeAll(async () => {
  db = await createTestDatabase()
  folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-workers-"))
})

afterAll(async () => {
  await stopWorkers(workers)
  await db?.drop()
  if (folder !== undefined) fs.rmSync(folder, { recursive: true, force: true })
})

type Event = Record<string, unknown> & { type: string; assetKey?: string; attempt?: number }

const runEvents = (schema: string, runId: string) =>
  db.query<{ body: Event }>(`select body from ${schema}.events where run_id = $1 order by id`, [runId]).then((rows) => rows.map((r) => r.body))

/** Events without what differs between two runs of one plan: times, run ids, durations, the worker. */
const normalize = (events: ReadonlyArray<Event>) =>
  events.map(({ timestamp: _t, runId: _r, durationMs: _d, worker: _w, ...rest }) =>
    JSON.stringify(rest).replace(/\/(distributed|local)\//g, "/<storage>/")).sort()

const storedFiles = (base: string) =>
  Object.fromEntries((fs.readdirSync(base, { recursive: true }) as Array<string>).sort()
    .filter((file) => fs.statSync(path.join(base, file)).isFile())
    .map((file) => [file, fs.readFileSync(path.join(base, file), "utf8")]))

describe("strata worker", () => {
  it("3 workers run a 1,000-asset plan: every step on a worker, the same events and values as in process", async () => {
    const env = { DATABASE_URL: db.url, STRATA_TEST_STORAGE: folder, STRATA_TEST_ASSETS: "1000" }
    for (let i = 0; i < 3; i++) workers.push(startWorker(["--concurrency", "4"], env))
    const started = await Promise.all(workers.map((w) => w.started))
    const workerIds = new Set(started.map((line) => line.worker as string))
    expect(workerIds.size).toBe(3)

    const distributed = await strata(["materialize", "--json", "--concurrency", "16"], { ...env, STRATA_ENV: "distributed" })
    expect(distributed.code, distributed.stderr).toBe(0)
    const result = JSON.parse(distributed.stdout) as { runId: string; status: string; materialized: Array<string> }
    expect(result.status).toBe("succeeded")
    expect(result.materialized).toHaveLength(1000)

    const local = await strata(["materialize", "--json", "--concurrency", "16"], { ...env, STRATA_ENV: "local" })
    expect(local.code, local.stderr).toBe(0)
    const localResult = JSON.parse(local.stdout) as { runId: string; materialized: Array<string> }
    expect([...result.materialized].sort()).toEqual([...localResult.materialized].sort())

    const events = await runEvents("strata", result.runId)
    const starts = events.filter((e) => e.type === "step-started")
    expect(starts).toHaveLength(1000)
    // every step ran in a worker, and each of the three workers ran some
    const ranBy = new Set(starts.map((e) => (e.worker as { id: string } | undefined)?.id))
    expect([...ranBy].sort()).toEqual([...workerIds].sort())
    expect(normalize(events)).toEqual(normalize(await runEvents("strata_local", localResult.runId)))
    expect(storedFiles(path.join(folder, "distributed"))).toEqual(storedFiles(path.join(folder, "local")))
    const latest = await db.query<{ n: string }>(`select count(*) as n from strata.asset_latest where materialization is not null`)
    expect(Number(latest[0]!.n)).toBe(1000)
    await stopWorkers(workers.splice(0))
  })
})
