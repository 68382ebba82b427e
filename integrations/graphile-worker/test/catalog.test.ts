import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as readline from "node:readline"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cliBin, configFile, createTestDatabase, startWorker, stopWorkers, type TestDatabase, type WorkerProcess } from "./support.ts"

// The catalog (`strata dev`, its real HTTP API) launches a run whose steps go to a worker, and its Cancel
// (`POST /api/runs/:runId/cancel`) reaches the step running there.

let db: TestDatabase
let folder: string
const workers: Array<WorkerProcess> = []
let catalog: ChildProcess | undefined

beforeAll(async () => {
  db = await createTestDatabase()
  folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-worker-catalog-"))
})

afterAll(async () => {
  await stopWorkers(workers)
  if (catalog !== undefined && catalog.exitCode === null) {
    const exited = new Promise((resolve) => catalog!.on("exit", resolve))
    catalog.kill("SIGTERM")
    await exited
  }
  await db?.drop()
  if (folder !== undefined) fs.rmSync(folder, { recursive: true, force: true })
})

type Event = Record<string, unknown> & { type: string; assetKey?: string; error?: { tag: string } }

const waitFor = async <A>(what: string, probe: () => Promise<A | undefined> | A | undefined, timeoutMs = 90_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Starts `strata dev` on a free port; resolves with its URL. */
const startCatalog = (env: Record<string, string>) =>
  new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@strata/source", cliBin, "dev", "--port", "0", "--no-daemon", "--no-watch", "-f", configFile], {
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    catalog = child
    let stderr = ""
    child.stderr!.on("data", (chunk) => (stderr += chunk))
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      const url = /Strata catalog on (http:\/\/\S+)/.exec(line)?.[1]
      if (url !== undefined) resolve(url)
    })
    child.on("exit", (code) => reject(new Error(`strata dev exited with ${code}: ${stderr}`)))
  })

const api = async (url: string, method: "GET" | "POST", body?: unknown) => {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  return { status: response.status, body: await response.json() as Record<string, unknown> }
}

describe("the catalog and steps on workers", () => {
  it("Cancel in the catalog interrupts a step running on a worker; the run ends canceled", async () => {
    const block = path.join(folder, "block")
    fs.mkdirSync(block)
    const env = {
      DATABASE_URL: db.url,
      STRATA_TEST_STORAGE: path.join(folder, "storage"),
      STRATA_TEST_ASSETS: "1",
      STRATA_TEST_BLOCK: block,
      STRATA_ENV: "distributed"
    }
    const worker = startWorker([], env)
    workers.push(worker)
    await worker.started
    const url = await startCatalog(env)

    const launched = await api(`${url}/api/runs`, "POST", { selection: "*" })
    expect(launched.status, JSON.stringify(launched.body)).toBe(200)
    const runId = launched.body.runId as string
    // the worker runs `blocker` (it marks the start with its pid) and the instance shows it started there
    await waitFor("blocker to start on the worker", () => fs.existsSync(path.join(block, `started-${worker.pid}`)) ? true : undefined)
    await waitFor("the instance to show blocker started on the worker", async () => {
      const rows = await db.query(
        `select 1 from strata.events where run_id = $1 and type = 'step-started' and asset_key = 'blocker' and (body->'worker'->>'pid')::int = $2`,
        [runId, worker.pid]
      )
      return rows.length > 0 ? true : undefined
    })

    const canceled = await api(`${url}/api/runs/${encodeURIComponent(runId)}/cancel`, "POST")
    expect(canceled.status, JSON.stringify(canceled.body)).toBe(200)
    // the run ends canceled, in the catalog and in the instance
    const status = await waitFor("the run to end", async () => {
      const run = await api(`${url}/api/runs/${encodeURIComponent(runId)}`, "GET")
      const value = (run.body.run as { status?: string } | undefined)?.status ?? (run.body.status as string | undefined)
      return value === "canceled" || value === "failed" || value === "succeeded" ? value : undefined
    })
    expect(status).toBe("canceled")
    // the worker interrupted the step (it was never released) and recorded nothing of it
    await waitFor("the worker to interrupt the step", () => worker.lines.some((line) => line.event === "steps-interrupted") ? true : undefined, 30_000)
    const events = (await db.query<{ body: Event }>(`select body from strata.events where run_id = $1 order by id`, [runId])).map((r) => r.body)
    const ofBlocker = events.filter((e) => e.assetKey === "blocker")
    expect(ofBlocker.map((e) => e.type)).toEqual(["step-started", "step-failed"])
    expect(ofBlocker[1]!.error!.tag).toBe("Interrupted")
    expect(events.some((e) => e.type === "asset-materialized" && e.assetKey === "blocker")).toBe(false)
    expect(events.at(-1)!.type).toBe("run-canceled")
    expect(fs.existsSync(path.join(folder, "storage", "distributed", "blocker.json"))).toBe(false)
    // the job is gone from the queue: nothing is left for a worker to pick up later
    const jobs = await db.query(`select 1 from graphile_worker.jobs`)
    expect(jobs).toHaveLength(0)
  })
})
