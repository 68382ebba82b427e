import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import pg from "pg"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { createTestDatabase, startWorker, stopWorkers, strata, type TestDatabase, type WorkerProcess } from "./support.ts"

// Retries, cancel, version skew and start-up failures, with real workers and coordinators.

let db: TestDatabase
let folder: string
const workers: Array<WorkerProcess> = []

beforeAll(async () => {
  db = await createTestDatabase()
  folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-worker-behaviour-"))
})

afterEach(async () => {
  await stopWorkers(workers.splice(0))
})

afterAll(async () => {
  await db?.drop()
  if (folder !== undefined) fs.rmSync(folder, { recursive: true, force: true })
})

type Event = Record<string, unknown> & { type: string; assetKey?: string; attempt?: number; error?: { tag: string; message: string } }

const eventsOf = async (runId: string) =>
  (await db.query<{ body: Event }>(`select body from strata.events where run_id = $1 order by id`, [runId])).map((row) => row.body)

const baseEnv = () => ({ DATABASE_URL: db.url, STRATA_TEST_STORAGE: path.join(folder, "storage"), STRATA_TEST_ASSETS: "1" })

describe("steps on workers", () => {
  it("a failing step is retried by its asset's policy, each attempt a job of its own", async () => {
    const env = { ...baseEnv(), STRATA_TEST_FLAKY: "1" }
    workers.push(startWorker([], env), startWorker([], env))
    await Promise.all(workers.map((w) => w.started))
    const done = await strata(["materialize", "--json", "--select", "flaky"], { ...env, STRATA_ENV: "distributed" })
    expect(done.code, done.stderr).toBe(0)
    const result = JSON.parse(done.stdout) as { runId: string; status: string }
    expect(result.status).toBe("succeeded")
    const events = (await eventsOf(result.runId)).filter((e) => e.assetKey === "flaky")
    expect(events.filter((e) => e.type === "step-started").map((e) => e.attempt)).toEqual([1, 2, 3])
    expect(events.filter((e) => e.type === "step-failed").map((e) => [e.attempt, e.willRetry, e.error?.message])).toEqual([
      [1, true, "flaky attempt 1 fails"],
      [2, true, "flaky attempt 2 fails"]
    ])
    expect(events.filter((e) => e.type === "asset-materialized")).toHaveLength(1)
    expect(JSON.parse(fs.readFileSync(path.join(folder, "storage", "distributed", "flaky.json"), "utf8"))).toEqual({ attempt: 3 })
  })

  it("a step naming an asset the workers' project lacks fails with a clear error (version skew)", async () => {
    // the workers load an older project (without `late`); the coordinator plans it
    workers.push(startWorker([], { ...baseEnv(), STRATA_TEST_SKEW: "1", STRATA_TEST_LATE: "1" }))
    await Promise.all(workers.map((w) => w.started))
    const done = await strata(["materialize", "--json", "--select", "late"], { ...baseEnv(), STRATA_TEST_LATE: "1", STRATA_ENV: "distributed" })
    expect(done.code).toBe(1)
    const result = JSON.parse(done.stdout) as { runId: string; status: string; failed: Array<{ key: string; error: { message: string } }> }
    expect(result.status).toBe("failed")
    expect(result.failed).toHaveLength(1)
    expect(result.failed[0]!.key).toBe("late")
    expect(result.failed[0]!.error.message).toContain("the project has no asset late")
  })

  it("a step whose asset has another code version on the worker fails with VersionSkew naming both versions", async () => {
    // the worker loads the same asset key with other code (code version 2); the coordinator planned version 1
    workers.push(startWorker([], { ...baseEnv(), STRATA_TEST_LATE: "1", STRATA_TEST_SKEW_CODE: "1" }))
    await Promise.all(workers.map((w) => w.started))
    const done = await strata(["materialize", "--json", "--select", "late"], { ...baseEnv(), STRATA_TEST_LATE: "1", STRATA_ENV: "distributed" })
    expect(done.code).toBe(1)
    const result = JSON.parse(done.stdout) as { runId: string; status: string; failed: Array<{ key: string; error: { tag: string; message: string } }> }
    expect(result.status).toBe("failed")
    expect(result.failed.map((f) => f.key)).toEqual(["late"])
    expect(result.failed[0]!.error.tag).toBe("@strata/core/VersionSkew")
    expect(result.failed[0]!.error.message).toContain("asset late: the run was planned with code version 1, but the process running this step loaded code version 2")
    const events = (await eventsOf(result.runId)).filter((e) => e.assetKey === "late")
    expect(events.map((e) => e.type)).toEqual(["step-started", "step-failed"])
    expect(events[1]!.error!.tag).toBe("@strata/core/VersionSkew")
    // the worker's code never ran: nothing stored
    expect(fs.existsSync(path.join(folder, "storage", "distributed", "late.json"))).toBe(false)
  })

  it("a run waiting on a queue no live worker serves is warned, and goes on once a worker starts", async () => {
    const env = { ...baseEnv(), STRATA_TEST_LEASE: "2000" }
    const run = strata(["materialize", "--json", "--select", "a/n0"], { ...env, STRATA_ENV: "distributed" })
    const deadline = Date.now() + 90_000
    let warning: Event | undefined
    while (warning === undefined) {
      if (Date.now() > deadline) throw new Error("no warning was recorded")
      await new Promise((resolve) => setTimeout(resolve, 100))
      // (the coordinator creates the tables as it starts)
      const [row] = await db.query<{ body: Event }>(
        `select e.body from strata.events e join strata.runs r using (run_id) where r.status = 'started' and e.type = 'log'`
      ).catch(() => [])
      warning = row?.body
    }
    expect(warning.level).toBe("warn")
    expect(warning.message).toContain("1 step waits on queue default, which has no live worker")
    expect(warning.message).toContain("strata worker")
    workers.push(startWorker([], env))
    const done = await run
    expect(done.code, done.stderr).toBe(0)
    expect((JSON.parse(done.stdout) as { status: string }).status).toBe("succeeded")
  })

  it("an enqueue lost with the server (not yet flushed) is made again when the coordinator's notification connection returns", async () => {
    const env = { ...baseEnv(), STRATA_TEST_LEASE: "2000" }
    const run = strata(["materialize", "--json", "--select", "a/n0"], { ...env, STRATA_ENV: "distributed" })
    const key = `%${JSON.stringify("a/n0")}%`
    const deadline = Date.now() + 90_000
    while ((await db.query(`select id from graphile_worker._private_jobs where key like $1`, [key]).catch(() => [])).length === 0) {
      if (Date.now() > deadline) throw new Error("the step was never enqueued")
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    // what a crash of the server does to an enqueue committed without a flush: the job is gone, and every
    // connection (the coordinator's LISTEN among them) is cut
    await db.query(`delete from graphile_worker._private_jobs where key like $1`, [key])
    const cut = await db.query<{ pid: number }>(
      `select pid from pg_stat_activity where datname = current_database() and query like 'listen %'`
    )
    expect(cut).toHaveLength(1)
    await db.query(`select pg_terminate_backend($1)`, [cut[0]!.pid])
    workers.push(startWorker([], env))
    const done = await run
    expect(done.code, done.stderr).toBe(0)
    const result = JSON.parse(done.stdout) as { runId: string; status: string }
    expect(result.status).toBe("succeeded")
    const events = (await eventsOf(result.runId)).filter((e) => e.assetKey === "a/n0")
    expect(events.map((e) => e.type)).toEqual(["step-started", "asset-materialized", "step-succeeded"])
  })

  it("events recorded from workers wake the instance's watchers (automation daemons) while the run goes on", async () => {
    const block = path.join(folder, "watch-block")
    fs.mkdirSync(block)
    // storage of its own: the cancel test below checks that nothing of `blocker` was stored
    const env = { ...baseEnv(), STRATA_TEST_BLOCK: block, STRATA_TEST_STORAGE: path.join(folder, "watch-storage") }
    workers.push(startWorker([], env))
    await workers[0]!.started
    // what a daemon does: LISTEN on the instance's channel; at each notification, see how far the event log goes
    const listener = new pg.Client({ connectionString: db.url })
    await listener.connect()
    const seen: Array<number> = []
    listener.on("notification", () => {
      void listener.query("select coalesce(max(id), 0)::int as id from strata.events").then((result) => seen.push(result.rows[0].id as number))
    })
    await listener.query(`listen "strata_events:strata"`)
    try {
      const run = strata(["materialize", "--json", "--select", "+blocker"], { ...env, STRATA_ENV: "distributed" })
      // the blocker's start, recorded on the worker and moved into the instance by the coordinator, while it blocks
      const deadline = Date.now() + 90_000
      let startedId: number | undefined
      while (startedId === undefined) {
        if (Date.now() > deadline) throw new Error("the blocker's start was never recorded")
        await new Promise((resolve) => setTimeout(resolve, 50))
        const [row] = await db.query<{ id: string }>(`select id from strata.events where asset_key = 'blocker' and type = 'step-started'`)
        if (row !== undefined) startedId = Number(row.id)
      }
      const deadline2 = Date.now() + 5_000
      while (!seen.some((id) => id >= startedId)) {
        if (Date.now() > deadline2) throw new Error(`no notification after event ${startedId} was recorded (seen: ${seen.join(", ")})`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(fs.existsSync(path.join(block, "release"))).toBe(false)
      fs.writeFileSync(path.join(block, "release"), "")
      const result = JSON.parse((await run).stdout) as { status: string }
      expect(result.status).toBe("succeeded")
    } finally {
      await listener.end()
    }
  })

  /** One worker; a run whose `blocker` step has started on it and blocks. */
  const blockedRun = async (name: string) => {
    const block = path.join(folder, name)
    fs.mkdirSync(block)
    const env = { ...baseEnv(), STRATA_TEST_BLOCK: block, STRATA_ENV: "distributed" }
    workers.push(startWorker([], env))
    await workers[0]!.started
    const run = strata(["materialize", "--json", "--select", "+blocker"], env)
    const deadline = Date.now() + 90_000
    while (!fs.readdirSync(block).some((file) => file.startsWith("started-"))) {
      if (Date.now() > deadline) throw new Error("blocker never started")
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const [running] = await db.query<{ run_id: string }>(`select run_id from strata.runs where status = 'started'`)
    return { env, run, runId: running!.run_id }
  }

  const stepsInterrupted = async (worker: WorkerProcess) => {
    const deadline = Date.now() + 30_000
    while (!worker.lines.some((line) => line.event === "steps-interrupted")) {
      if (Date.now() > deadline) throw new Error(`the worker never interrupted the step: ${JSON.stringify(worker.lines)}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    return worker.lines.find((line) => line.event === "steps-interrupted")!
  }

  it("canceling a run from the CLI interrupts its step on a worker", async () => {
    const { env, run, runId } = await blockedRun("cancel-block")
    const cancel = await strata(["runs", "cancel", runId, "--json"], env)
    expect(cancel.code, cancel.stderr).toBe(0)
    const done = await run
    const result = JSON.parse(done.stdout) as { runId: string; status: string }
    expect(result.status).toBe("canceled")
    // the worker interrupted the step (it never saw the release file) and recorded nothing for it
    await stepsInterrupted(workers[0]!)
    const events = (await eventsOf(result.runId)).filter((e) => e.assetKey === "blocker")
    expect(events.map((e) => e.type)).toEqual(["step-started", "step-failed"])
    expect(events[1]!.error!.tag).toBe("Interrupted")
    expect(fs.existsSync(path.join(folder, "storage", "distributed", "blocker.json"))).toBe(false)
  })

  it("a worker hears the cancel channel on graphile-worker's listening connection (not only at its heartbeat)", async () => {
    const { env, run, runId } = await blockedRun("notify-block")
    // the notification alone, as a coordinator sends it: the run has no cancel request the heartbeat could see
    await db.query(`select pg_notify('strata_workers:cancel', $1)`, [runId])
    expect(await stepsInterrupted(workers[0]!)).toMatchObject({ runId, message: "the run was canceled" })
    const cancel = await strata(["runs", "cancel", runId, "--json"], env)
    expect(cancel.code, cancel.stderr).toBe(0)
    expect((JSON.parse((await run).stdout) as { status: string }).status).toBe("canceled")
  })

  it("SIGTERM: a step still running after the shutdown timeout goes back to the queue and runs on another worker", async () => {
    const block = path.join(folder, "shutdown-block")
    fs.mkdirSync(block)
    const env = { ...baseEnv(), STRATA_TEST_BLOCK: block }
    const first = startWorker(["--shutdown-timeout", "1"], env)
    workers.push(first)
    await first.started
    const run = strata(["materialize", "--json", "--select", "+blocker"], { ...env, STRATA_ENV: "distributed" })
    const deadline = Date.now() + 90_000
    while (!fs.readdirSync(block).some((name) => name === `started-${first.pid}`)) {
      if (Date.now() > deadline) throw new Error("blocker never started")
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    first.child.kill("SIGTERM")
    await first.exited
    expect(first.lines.map((line) => line.event)).toContain("worker-stopped")
    const second = startWorker([], env)
    workers.push(second)
    await second.started
    fs.writeFileSync(path.join(block, "release"), "")
    const done = await run
    expect(done.code, done.stderr).toBe(0)
    const result = JSON.parse(done.stdout) as { runId: string; status: string }
    expect(result.status).toBe("succeeded")
    const events = (await eventsOf(result.runId)).filter((e) => e.assetKey === "blocker")
    expect(events.filter((e) => e.type === "asset-materialized")).toHaveLength(1)
    expect(events.filter((e) => e.type === "step-failed")).toHaveLength(0)
    expect(JSON.parse(fs.readFileSync(path.join(folder, "storage", "distributed", "blocker.json"), "utf8")).pid).toBe(second.pid)
  })

  it("a worker that cannot reach Postgres exits non-zero and says so", async () => {
    const env = { ...baseEnv(), DATABASE_URL: "postgres://postgres@127.0.0.1:1/nowhere" }
    const worker = startWorker([], env)
    expect(await worker.exited).not.toBe(0)
    expect(worker.stderr()).toMatch(/environment distributed .* failed to start: .*(ECONNREFUSED|connect)/s)
  })

  it("a worker whose environment fails to build exits non-zero and names the environment", async () => {
    const worker = startWorker([], { ...baseEnv(), STRATA_ENV: "broken" })
    expect(await worker.exited).toBe(2)
    expect(worker.stderr()).toContain("environment broken")
    expect(worker.stderr()).toContain("the secret store is unreachable")
  })

  it("a worker in an environment without a queue refuses to start", async () => {
    const worker = startWorker([], { ...baseEnv(), STRATA_ENV: "local" })
    expect(await worker.exited).toBe(1)
    expect(worker.stderr()).toContain("does not run steps on workers")
  })
})
