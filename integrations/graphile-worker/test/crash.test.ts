import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Version } from "@strata/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createTestDatabase, startWorker, stopWorkers, strata, type TestDatabase, type WorkerProcess } from "./support.ts"

// A worker SIGKILLed while it holds a step: its lease lapses, another worker runs the step again, and the run
// records exactly one materialization of it, whose value is the one in storage.

let db: TestDatabase
let folder: string
const workers: Array<WorkerProcess> = []

beforeAll(async () => {
  db = await createTestDatabase()
  folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-worker-crash-"))
})

afterAll(async () => {
  await stopWorkers(workers)
  await db?.drop()
  if (folder !== undefined) fs.rmSync(folder, { recursive: true, force: true })
})

type Event = Record<string, unknown> & { type: string; assetKey?: string; worker?: { pid: number } }

const waitFor = async <A>(what: string, probe: () => A | undefined, timeoutMs = 90_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe("a worker killed mid-step", () => {
  it("SIGKILL: the step runs again on another worker; one materialization, the stored value is the recorded one", async () => {
    const block = path.join(folder, "block")
    fs.mkdirSync(block)
    const env = {
      DATABASE_URL: db.url,
      STRATA_TEST_STORAGE: path.join(folder, "storage"),
      STRATA_TEST_ASSETS: "3",
      STRATA_TEST_BLOCK: block,
      // a short lease, so that the test does not wait 30 s for the dead worker's lease to lapse
      STRATA_TEST_LEASE: "2000"
    }
    for (let i = 0; i < 2; i++) workers.push(startWorker(["--concurrency", "2"], env))
    await Promise.all(workers.map((w) => w.started))
    const run = strata(["materialize", "--json"], { ...env, STRATA_ENV: "distributed" })

    // the worker that took `blocker` says so with a file named after its pid; it is killed while it holds the step
    const victimPid = await waitFor("a worker to start blocker", () => {
      const marker = fs.readdirSync(block).find((name) => name.startsWith("started-"))
      return marker === undefined ? undefined : Number(marker.slice("started-".length))
    })
    const victim = workers.find((w) => w.pid === victimPid)!
    const survivor = workers.find((w) => w.pid !== victimPid)!
    expect(victim).toBeDefined()
    // the instance shows the step as started on that worker (a step running longer than 100 ms is written as
    // started at once, before it ends) before the worker is killed
    for (const deadline = Date.now() + 60_000; ;) {
      const started = await db.query(
        `select 1 from strata.events where type = 'step-started' and asset_key = 'blocker' and (body->'worker'->>'pid')::int = $1`,
        [victimPid]
      )
      if (started.length > 0) break
      if (Date.now() > deadline) throw new Error("the victim's step-started was never written")
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    victim.child.kill("SIGKILL")
    expect(await victim.exited).toBe(null)
    fs.writeFileSync(path.join(block, "release"), "")

    const done = await run
    expect(done.code, done.stderr).toBe(0)
    const result = JSON.parse(done.stdout) as { runId: string; status: string; materialized: Array<string> }
    expect(result.status).toBe("succeeded")
    expect([...result.materialized].sort()).toEqual(["a/n0", "a/n1", "a/n2", "after_blocker", "blocker"])

    const events = (await db.query<{ body: Event }>(`select body from strata.events where run_id = $1 order by id`, [result.runId]))
      .map((row) => row.body)
    const ofBlocker = events.filter((e) => e.assetKey === "blocker")
    // started by the victim, then again by the survivor; one materialization, one success, no failure
    expect(ofBlocker.filter((e) => e.type === "step-started").map((e) => e.worker?.pid)).toEqual([victimPid, survivor.pid])
    expect(ofBlocker.filter((e) => e.type === "asset-materialized")).toHaveLength(1)
    expect(ofBlocker.filter((e) => e.type === "step-succeeded")).toHaveLength(1)
    expect(ofBlocker.filter((e) => e.type === "step-failed")).toHaveLength(0)
    const recorded = ofBlocker.find((e) => e.type === "asset-materialized") as Event & { dataVersion: string }

    // the stored value is the survivor's, and it is the recorded one (its bytes hash to the recorded data version)
    const file = path.join(folder, "storage", "distributed", "blocker.json")
    const bytes = fs.readFileSync(file, "utf8")
    expect(JSON.parse(bytes)).toEqual({ root: 0, pid: survivor.pid })
    expect(Version.hash(bytes)).toBe(recorded.dataVersion)
    const latest = await db.query<{ materialization: { dataVersion: string; runId: string } }>(
      `select materialization from strata.asset_latest where asset_key = 'blocker'`
    )
    expect(latest[0]!.materialization).toMatchObject({ dataVersion: recorded.dataVersion, runId: result.runId })
    // nothing half-written: only whole files in storage, no temporary ones
    const files = (fs.readdirSync(path.join(folder, "storage", "distributed"), { recursive: true }) as Array<string>)
      .filter((f) => fs.statSync(path.join(folder, "storage", "distributed", f)).isFile())
    expect(files.every((f) => f.endsWith(".json"))).toBe(true)
    // `strata runs show` names the worker of each start
    const show = await strata(["runs", "show", result.runId], { ...env, STRATA_ENV: "distributed" })
    expect(show.code, show.stderr).toBe(0)
    expect(show.stdout).toMatch(new RegExp(`step-started\\s+blocker on worker pool-\\w+ \\(pid ${victimPid} on `))
    expect(show.stdout).toMatch(new RegExp(`step-started\\s+blocker on worker pool-\\w+ \\(pid ${survivor.pid} on `))
    // the dead worker is gone from the live workers; the survivor is there
    const live = await db.query<{ pid: number }>(`select pid from strata_workers.workers`)
    expect(live.map((row) => row.pid)).toEqual([survivor.pid])
  })

  it("a step whose workers are SIGKILLed 3 times fails with WorkerLost and is not handed out again", async () => {
    // the workers of the test before (its survivor) would take this run's step too: only this test's workers run
    await stopWorkers(workers.splice(0))
    const block = path.join(folder, "lost-block")
    fs.mkdirSync(block)
    const env = {
      DATABASE_URL: db.url,
      STRATA_TEST_STORAGE: path.join(folder, "lost-storage"),
      STRATA_TEST_ASSETS: "1",
      STRATA_TEST_BLOCK: block,
      STRATA_TEST_LEASE: "2000"
    }
    const run = strata(["materialize", "--json"], { ...env, STRATA_ENV: "distributed" })
    // one worker at a time: each takes `blocker` (a new delivery of the same job), shows it started, and is killed
    const victims: Array<number> = []
    for (let delivery = 1; delivery <= 3; delivery++) {
      const worker = startWorker([], env)
      workers.push(worker)
      await worker.started
      await waitFor(`delivery ${delivery} of blocker`, () => fs.existsSync(path.join(block, `started-${worker.pid}`)) ? true : undefined)
      for (const deadline = Date.now() + 60_000; ;) {
        const started = await db.query(
          `select 1 from strata.events where type = 'step-started' and asset_key = 'blocker' and (body->'worker'->>'pid')::int = $1`,
          [worker.pid]
        )
        if (started.length > 0) break
        if (Date.now() > deadline) throw new Error(`the step-started of delivery ${delivery} was never written`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      worker.child.kill("SIGKILL")
      expect(await worker.exited).toBe(null)
      victims.push(worker.pid)
    }
    // the fourth delivery does not run the step: it records WorkerLost
    const last = startWorker([], env)
    workers.push(last)
    await last.started
    const done = await run
    expect(done.code).toBe(1)
    const result = JSON.parse(done.stdout) as { runId: string; status: string; failed: Array<{ key: string; error: { message: string } }> }
    expect(result.status).toBe("failed")
    expect(result.failed.map((f) => f.key)).toEqual(["blocker"])
    expect(result.failed[0]!.error.message).toContain("given to a worker 3 times")
    // the fourth worker never started the asset's code
    expect(fs.existsSync(path.join(block, `started-${last.pid}`))).toBe(false)
    const events = (await db.query<{ body: Event & { error?: { tag: string; message: string } } }>(
      `select body from strata.events where run_id = $1 order by id`,
      [result.runId]
    )).map((row) => row.body)
    const ofBlocker = events.filter((e) => e.assetKey === "blocker")
    expect(ofBlocker.filter((e) => e.type === "step-started").map((e) => e.worker?.pid)).toEqual([...victims, last.pid])
    const failed = ofBlocker.filter((e) => e.type === "step-failed")
    expect(failed).toHaveLength(1)
    expect(failed[0]!.error!.tag).toBe("@strata/graphile-worker/WorkerLost")
    expect(ofBlocker.filter((e) => e.type === "asset-materialized")).toHaveLength(0)
    // its downstream was skipped, and nothing was stored for either
    expect(events.some((e) => e.type === "step-skipped" && e.assetKey === "after_blocker")).toBe(true)
    expect(fs.existsSync(path.join(folder, "lost-storage", "distributed", "blocker.json"))).toBe(false)
  })
})
