import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import { once } from "node:events"
import * as os from "node:os"
import * as path from "node:path"
import { DatabaseSync } from "node:sqlite"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { FileSystemIO, Instance, Materialize } from "@strata/core"
import { Effect, Layer } from "effect"
import { SqliteInstance } from "../src/index.ts"
import { makeProject } from "./fixtures/crashProject.ts"

const here = path.dirname(fileURLToPath(import.meta.url))

const waitFor = <A>(what: string, probe: Effect.Effect<A | undefined, unknown>, timeoutMs = 30_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = yield* probe
      if (value !== undefined) return value
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for ${what}`))
      yield* Effect.sleep(50)
    }
  })

describe("crash safety", () => {
  it.live("a run SIGKILLed mid-materialization is reaped on reopen, nothing half-recorded, and re-executes from failure", () =>
    Effect.gen(function*() {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-sqlite-crash-"))
      const dbPath = path.join(folder, ".strata", "instance.db")
      const child: ChildProcess = spawn(
        process.execPath,
        ["--conditions=@strata/source", path.join(here, "fixtures", "crashChild.ts"), folder],
        { env: { ...process.env, STRATA_CRASH_BLOCK: "1" }, stdio: ["ignore", "ignore", "pipe"] }
      )
      let stderr = ""
      child.stderr!.on("data", (chunk) => stderr += String(chunk))
      const exited = once(child, "exit")
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(folder, { recursive: true, force: true })))

      yield* waitFor(
        "the child to start the slow step",
        Effect.sync(() => fs.existsSync(path.join(folder, "slow-started")) ? true : child.exitCode !== null ? (() => {
          throw new Error(`child exited early (${child.exitCode}): ${stderr}`)
        })() : undefined)
      )

      // a reader sees the live run while the executor holds the database (WAL: not blocked)
      yield* Effect.scoped(Effect.gen(function*() {
        const reader = yield* SqliteInstance.make({ path: dbPath, reapOrphans: false })
        yield* waitFor(
          "raw's materialization and slow's start to be flushed",
          Effect.map(reader.runEvents("crashed-run"), (events) =>
            events.some((e) => e.type === "asset-materialized" && e.assetKey === "raw") &&
              events.some((e) => e.type === "step-started" && e.assetKey === "slow")
              ? true
              : undefined)
        )
        expect((yield* reader.getRun("crashed-run"))!.status).toBe("started")
      }))

      const pid = child.pid!
      child.kill("SIGKILL")
      const [, signal] = yield* Effect.promise(() => exited)
      expect(signal).toBe("SIGKILL")

      const integrity = new DatabaseSync(dbPath, { readOnly: true })
      expect(integrity.prepare("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" })
      integrity.close()

      yield* Effect.scoped(Effect.gen(function*() {
        const instance = yield* SqliteInstance.make({ path: dbPath })
        const run = (yield* instance.getRun("crashed-run"))!
        expect(run.status).toBe("failed")
        expect(run.pid).toBe(pid)
        expect(run.reason).toContain(`pid ${pid}`)
        expect(run.reason).toContain("exited before the run finished")

        const events = yield* instance.runEvents("crashed-run")
        const materialized = events.filter((e) => e.type === "asset-materialized").map((e) => e.assetKey)
        expect(materialized).toEqual(["raw"])
        expect(events.some((e) => e.type === "step-succeeded" && e.assetKey === "slow")).toBe(false)
        expect(events.at(-1)).toMatchObject({ type: "run-failed", runId: "crashed-run" })

        // the step the crash interrupted is closed as failed, with the same reason
        const slowFailed = events.find((e) => e.type === "step-failed" && e.assetKey === "slow")
        expect(slowFailed).toMatchObject({ willRetry: false, error: { tag: "@strata/core/OrphanedRun", message: run.reason } })

        const index = yield* instance.assets()
        expect([...index.keys()].sort()).toEqual(["raw", "slow"])
        expect(index.get("slow")!.materialization).toBeUndefined()
        expect(index.get("slow")!.failure!.runId).toBe("crashed-run")
        expect((yield* instance.history("slow"))).toEqual([])
        const stored = fs.readdirSync(path.join(folder, "storage"))
        expect(stored).toEqual(["raw.json"])

        const result = yield* Materialize.materialize(makeProject(folder), { reexecute: { runId: "crashed-run" } }).pipe(
          Effect.provide(Layer.mergeAll(
            FileSystemIO.layer({ base: path.join(folder, "storage") }),
            Layer.succeed(Instance.Instance, instance)
          ))
        )
        expect(result.status).toBe("succeeded")
        expect(result.materialized).toEqual(["slow", "report"])
        const rerun = (yield* instance.getRun(result.runId))!
        expect(rerun.parentRunId).toBe("crashed-run")
        expect(rerun.status).toBe("succeeded")
        const after = yield* instance.assets()
        expect([...after.keys()].sort()).toEqual(["raw", "report", "slow"])
        expect(after.get("slow")!.failure).toBeUndefined()
        expect(after.get("report")!.materialization!.inputVersions).toEqual({
          slow: after.get("slow")!.materialization!.dataVersion
        })
        expect(JSON.parse(fs.readFileSync(path.join(folder, "storage", "report.json"), "utf8"))).toEqual({ total: 100 })
      }))
    }), 60_000)

  it.live("a process SIGKILLed while writing big batches leaves only whole batches", () =>
    Effect.gen(function*() {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-sqlite-bulk-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(folder, { recursive: true, force: true })))
      const dbPath = path.join(folder, "instance.db")
      const size = 5000
      for (const delayMs of [37, 111]) {
        fs.rmSync(`${dbPath}.ready`, { force: true })
        const child = spawn(
          process.execPath,
          ["--conditions=@strata/source", path.join(here, "fixtures", "bulkWriter.ts"), dbPath, String(size)],
          { stdio: ["ignore", "ignore", "pipe"] }
        )
        let stderr = ""
        child.stderr.on("data", (chunk) => stderr += String(chunk))
        const exited = once(child, "exit")
        yield* waitFor(
          "the first batch",
          Effect.sync(() => {
            if (child.exitCode !== null) throw new Error(`writer exited early (${child.exitCode}): ${stderr}`)
            return fs.existsSync(`${dbPath}.ready`) ? true : undefined
          })
        )
        yield* Effect.sleep(delayMs)
        child.kill("SIGKILL")
        yield* Effect.promise(() => exited)

        const integrity = new DatabaseSync(dbPath, { readOnly: true })
        expect(integrity.prepare("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" })
        integrity.close()
        yield* Effect.scoped(Effect.gen(function*() {
          const instance = yield* SqliteInstance.make({ path: dbPath, reapOrphans: false })
          const events = yield* instance.runEvents("bulk")
          expect(events.length).toBeGreaterThanOrEqual(size)
          expect(events.length % size).toBe(0)
          const batches = events.length / size
          const last = `batch-${batches - 1}`
          expect((yield* instance.partitions("asset_0")).size).toBe(batches)
          expect((yield* instance.partitions(`asset_${size - 1}`)).get(last)?.dataVersion).toBe(`${batches - 1}:${size - 1}`)
          // clear the run for the next round
          yield* instance.wipeAssets(Array.from({ length: size }, (_, i) => `asset_${i}`))
          yield* instance.appendEvents([{ type: "run-canceled", runId: "bulk", timestamp: 0, reason: "test" }])
          yield* instance.prune({ endedBefore: Number.MAX_SAFE_INTEGER })
        }))
      }
    }), 60_000)
})
