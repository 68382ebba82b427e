import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as readline from "node:readline"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import type { Event } from "@strata/core"
import { Executor, ExecutionPlan, FileSystemIO, Instance, RunCoordinator, StepRequest } from "@strata/core"
import { Effect, Layer, Semaphore } from "effect"
import { SqliteInstance } from "../src/index.ts"
import { makeProject } from "./fixtures/remoteProject.ts"

// The seam a queue of workers uses: the coordinator hands each attempt's StepRequest, as JSON, to another
// Node process that loaded the same project; that process runs Step.execute and appends the step's events to
// the shared SQLite instance itself. The run must record the same events and store the same values as the
// in-process executor.
const here = path.dirname(fileURLToPath(import.meta.url))

interface StepProcess {
  readonly child: ChildProcess
  readonly send: (request: StepRequest.StepRequest) => Promise<StepRequest.StepResult & { pid: number }>
}

const startStepProcess = (db: string, storage: string, csv: string, attempts: string): StepProcess => {
  const child = spawn(process.execPath, ["--conditions=@strata/source", path.join(here, "fixtures", "stepChild.ts"), db, storage, csv, attempts], {
    stdio: ["pipe", "pipe", "inherit"]
  })
  const answers = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  return {
    child,
    send: async (request) => {
      // the request crosses as JSON text, encoded with its Schema. Its code version is left out: this process
      // runs under vitest, which rewrites imports inside function source (`__vi_import_0__.Effect`), so its
      // hash of an asset's source never equals a plain Node process's. The check itself is tested with
      // coordinator and workers in plain processes (@strata/graphile-worker's version-skew test).
      const { codeVersion: _planned, ...sent } = request
      child.stdin!.write(`${StepRequest.toJson(sent)}\n`)
      const answer = await answers.next()
      if (answer.done === true) throw new Error(`step process ${child.pid} exited (code ${child.exitCode})`)
      return JSON.parse(answer.value) as StepRequest.StepResult & { pid: number }
    }
  }
}

/** An executor that sends every attempt to one of the step processes (each handles one request at a time). */
const processExecutor = (processes: ReadonlyArray<StepProcess>, ran: Set<number>) =>
  Effect.map(Effect.forEach(processes, () => Semaphore.make(1)), (locks) => {
    let next = 0
    return Executor.remote("child-processes", (request) =>
      Effect.suspend(() => {
        const i = next++ % processes.length
        return locks[i]!.withPermits(1)(Effect.promise(async () => {
          const result = await processes[i]!.send(request)
          ran.add(result.pid)
          return result
        }))
      }))
  })

/** Events without what differs between two runs of the same plan: ids, run ids, times, storage folders, stacks. */
const normalize = (events: ReadonlyArray<Event.StoredEvent>) =>
  events.map((event) => {
    const { durationMs: _d, id: _i, runId: _r, timestamp: _t, ...rest } = event as Event.StoredEvent & { durationMs?: number }
    const text = JSON.stringify(rest).replace(/\/(local|remote)\/storage\//g, "/<storage>/").replace(/(local|remote|parallel)-run/g, "<run>")
    const normalized = JSON.parse(text) as typeof rest & { error?: { stack?: string } }
    // a stack names the process's own frames
    if (normalized.error !== undefined) delete normalized.error.stack
    return normalized
  })

const byStep = (events: ReturnType<typeof normalize>) =>
  [...events].sort((a, b) => JSON.stringify([(a as { assetKey?: string }).assetKey ?? "", a.type]).localeCompare(JSON.stringify([(b as { assetKey?: string }).assetKey ?? "", b.type])))

const storedFiles = (base: string) =>
  Object.fromEntries(
    (fs.readdirSync(base, { recursive: true }) as Array<string>).sort().map((file) => [file, fs.readFileSync(path.join(base, file), "utf8")])
  )

describe("step requests executed in other processes", () => {
  it.live("record the same events and values as the in-process executor", () =>
    Effect.gen(function*() {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-remote-steps-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(folder, { recursive: true, force: true })))
      const csv = path.join(folder, "raw.csv")
      fs.writeFileSync(csv, "id,amount\n1,10\n2,20.5\n3,7\n")
      const attempts = path.join(folder, "attempts.log")
      const project = makeProject(csv, attempts)
      const plan = ExecutionPlan.makeSync(project)

      const runIn = (name: string, runId: string, executor?: Executor.ExecutorShape, concurrency = 1) =>
        Effect.gen(function*() {
          const instance = yield* Instance.Instance
          const result = yield* RunCoordinator.execute(project, plan, { runId, concurrency }).pipe(
            executor === undefined ? (effect) => effect : Effect.provideService(Executor.Executor, executor)
          )
          return { result, events: yield* instance.runEvents(result.runId), records: yield* instance.assets() }
        }).pipe(Effect.provide(Layer.mergeAll(
          FileSystemIO.layer({ base: path.join(folder, name, "storage") }),
          SqliteInstance.layer({ path: path.join(folder, name, "instance.db") })
        )))

      // the in-process executor, in a process that loads the project as the step processes do
      const localDb = path.join(folder, "local", "instance.db")
      fs.mkdirSync(path.dirname(localDb), { recursive: true })
      const localRun = spawnSync(process.execPath, [
        "--conditions=@strata/source",
        path.join(here, "fixtures", "localRun.ts"),
        localDb,
        path.join(folder, "local", "storage"),
        csv,
        attempts,
        "local-run",
        path.join(folder, "local-result.json")
      ], { encoding: "utf8" })
      expect(localRun.status, localRun.stderr).toBe(0)
      const local = yield* Effect.gen(function*() {
        const instance = yield* Instance.Instance
        return {
          result: JSON.parse(fs.readFileSync(path.join(folder, "local-result.json"), "utf8")) as RunCoordinator.RunResult,
          events: yield* instance.runEvents("local-run"),
          records: yield* instance.assets()
        }
      }).pipe(Effect.provide(SqliteInstance.layer({ path: localDb, reapOrphans: false })))

      // the step processes open the same instance file and storage folder as the coordinator
      const remoteDb = path.join(folder, "remote", "instance.db")
      const remoteStorage = path.join(folder, "remote", "storage")
      fs.mkdirSync(path.dirname(remoteDb), { recursive: true })
      const processes = [0, 1, 2].map(() => startStepProcess(remoteDb, remoteStorage, csv, attempts))
      yield* Effect.addFinalizer(() => Effect.sync(() => processes.forEach(({ child }) => child.kill())))
      const ran = new Set<number>()
      const remote = yield* runIn("remote", "remote-run", yield* processExecutor(processes.slice(0, 1), ran))

      expect(local.result.status).toBe("succeeded")
      expect(remote.result).toMatchObject({
        status: "succeeded",
        materialized: local.result.materialized,
        observed: local.result.observed,
        failed: []
      })
      expect([...ran]).toEqual([processes[0]!.child.pid])
      // every event, in order, the same: step-started/failed (willRetry) of flaky's first attempt, the logs
      // captured in the child, materializations with their metadata, data, code and input versions
      expect(normalize(remote.events)).toEqual(normalize(local.events))
      expect(local.events.some((e) => e.type === "step-failed" && e.willRetry)).toBe(true)
      expect(local.events.some((e) => e.type === "log" && e.message === "parsed 3 rows")).toBe(true)
      // the same values stored, and the same latest versions in the index
      expect(storedFiles(remoteStorage)).toEqual(storedFiles(path.join(folder, "local", "storage")))
      expect(JSON.parse(fs.readFileSync(path.join(remoteStorage, "report.json"), "utf8"))).toEqual({ total: 37.5, rows: 3 })
      const versions = (records: typeof local.records) => [...records].map(([key, r]) => [key, r.materialization?.dataVersion ?? r.observation?.dataVersion])
      expect(versions(remote.records)).toEqual(versions(local.records))

      // three processes at once: the same events (in another order) and values
      ran.clear()
      const parallel = yield* runIn("remote", "parallel-run", yield* processExecutor(processes, ran), 3)
      expect(parallel.result.status).toBe("succeeded")
      expect(ran.size, "steps ran in each of the three processes").toBe(3)
      expect(byStep(normalize(parallel.events))).toEqual(byStep(normalize(local.events)))
      expect(storedFiles(remoteStorage)).toEqual(storedFiles(path.join(folder, "local", "storage")))
    }), 120_000)
})
