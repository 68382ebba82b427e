import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { FileSystemIO, Instance, Materialize, Observe } from "@strata/core"
import { TestProcess } from "@strata/core/testing"
import { PostgresInstance } from "@strata/postgres"
import { SqliteInstance } from "@strata/sqlite"
import { Context, Effect, Layer } from "effect"
import pg from "pg"
import { Daemon, Runtime } from "../src/index.ts"
import { makeProject } from "./fixtures/daemonProject.ts"
import { makePartitionProject } from "./fixtures/partitionProject.ts"

const here = path.dirname(fileURLToPath(import.meta.url))
const BOUND = 60_000

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "strata-daemon-"))

const openInstance = (layer: Layer.Layer<Instance.Instance, unknown>) =>
  Effect.map(Layer.build(layer), (context) => Context.get(context, Instance.Instance))

/** The automation runs of the conditions ticks that succeeded, with their keys. */
const conditionRuns = (instance: Instance.InstanceShape) =>
  Effect.map(instance.listRuns({ limit: 100 }), (runs) => runs.filter((run) => run.tags["strata/automation"] === "conditions"))

const child = (dir: string, backend: string, holder: string, ttlMs: number, schedule: boolean | "partitions") =>
  Effect.map(
    TestProcess.scoped(
      "node",
      ["--conditions=@strata/source", path.join(here, "fixtures", "daemonChild.ts"), dir, backend, holder, String(ttlMs), schedule === "partitions" ? schedule : schedule ? "yes" : "no"],
      (line) => line.includes("\"ready\":true"),
      { name: `daemon ${holder}` }
    ),
    (started) => started.child
  )

describe("Daemon", () => {
  it.live("in process: a source change leads to one run of exactly the eager chain, and the tick says why", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = tempDir()
      fs.writeFileSync(path.join(dir, "raw.csv"), "a\nb\n")
      const project = makeProject(dir, { schedule: false })
      const runtime = yield* Runtime.make({
        load: () => Promise.resolve({ project, layer: FileSystemIO.layer({ base: path.join(dir, "storage") }) }),
        instance: SqliteInstance.layer({ path: path.join(dir, "instance.db") })
      })
      const instance = runtime.host.current.instance
      const daemon = yield* Daemon.start(runtime, { leaseTtlMs: 5_000 })
      yield* TestProcess.waitUntil("the lease", Effect.sync(() => daemon.isActive() || undefined))
      // first observation: raw is new, so silver and gold (never built) are requested as one run
      yield* Observe.sources(project).pipe(Effect.provideService(Instance.Instance, instance), Effect.provide(FileSystemIO.layer({ base: path.join(dir, "storage") })))
      const first = yield* TestProcess.waitUntil("the first automation run", Effect.map(conditionRuns(instance), (runs) => runs.find((run) => run.status === "succeeded")))
      expect(first.assetKeys).toEqual(["silver", "gold"])
      // a change of the raw file: one more run, of exactly silver and gold
      fs.writeFileSync(path.join(dir, "raw.csv"), "a\nb\nc\n")
      yield* Observe.sources(project).pipe(Effect.provideService(Instance.Instance, instance), Effect.provide(FileSystemIO.layer({ base: path.join(dir, "storage") })))
      const second = yield* TestProcess.waitUntil("the second automation run", Effect.map(conditionRuns(instance), (runs) =>
        runs.length >= 2 && runs[0]!.status === "succeeded" ? runs[0] : undefined))
      expect(second.assetKeys).toEqual(["silver", "gold"])
      const why = yield* instance.automation.evaluations("gold", { limit: 50 })
      const requested = why.find((evaluation) => evaluation.requested)!
      expect(requested.result.label).toBe("eager")
      expect(requested.result.children![0]!.matched).toEqual(["silver"])
      // after the run: the evaluations it caused requested nothing more
      yield* Effect.sleep(500)
      expect((yield* conditionRuns(instance)).length).toBe(2)
      const tick = (yield* instance.automation.ticks({ origin: "conditions", status: "launched" }))[0]!
      expect(tick.runs.map((run) => run.runId)).toContain(second.runId)
    })), BOUND * 3)

  it.live("a separate daemon process reacts to a materialization another process commits to the SQLite file", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = tempDir()
      fs.writeFileSync(path.join(dir, "raw.csv"), "x\n")
      const file = path.join(dir, "instance.db")
      const instance = yield* openInstance(SqliteInstance.layer({ path: file }))
      yield* child(dir, `sqlite:${file}`, "solo", 5_000, false)
      yield* TestProcess.waitUntil("the child's lease", Effect.map(instance.automation.lease(Daemon.LEASE), (lease) => lease?.holder === "solo" || undefined))
      // this process observes the source: the daemon process sees the commit through the file, not by a click
      yield* Observe.sources(makeProject(dir, { schedule: false })).pipe(
        Effect.provideService(Instance.Instance, instance),
        Effect.provide(FileSystemIO.layer({ base: path.join(dir, "storage") }))
      )
      const run = yield* TestProcess.waitUntil("the daemon's run", Effect.map(conditionRuns(instance), (runs) => runs.find((r) => r.status === "succeeded")))
      expect(run.assetKeys).toEqual(["silver", "gold"])
      expect(run.pid).not.toBe(process.pid)
    })), BOUND * 3)

  it.live("a daemon process launches eager runs of exactly the partitions whose upstream partitions changed", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = tempDir()
      const counts: Record<string, number> = {}
      const write = () => fs.writeFileSync(path.join(dir, "events.json"), JSON.stringify(counts))
      write()
      const file = path.join(dir, "instance.db")
      const instance = yield* openInstance(SqliteInstance.layer({ path: file }))
      const project = makePartitionProject(dir)
      const materialize = (selection: string, partition: string) =>
        Materialize.materialize(project, { selection, partition, observeSources: false }).pipe(
          Effect.provideService(Instance.Instance, instance),
          Effect.provide(FileSystemIO.layer({ base: path.join(dir, "storage") })),
          Effect.tap((result) => Effect.sync(() => expect(result.failed).toEqual([])))
        )
      yield* materialize("*", "2026-11-01...2026-11-10")
      yield* child(dir, `sqlite:${file}`, "parts", 5_000, "partitions")
      // the daemon's first evaluation: what it saw then is not new to daily_users
      yield* TestProcess.waitUntil("the first conditions tick", Effect.map(instance.automation.ticks({ origin: "conditions" }), (ticks) => ticks.length > 0 || undefined))
      counts["2026-11-03"] = 5
      counts["2026-11-07"] = 8
      write()
      yield* materialize("events", "2026-11-03")
      yield* materialize("events", "2026-11-07")
      // the daemon may react to each materialization on its own: one run, or one per day
      const runs = yield* TestProcess.waitUntil("the daemon's partition runs", Effect.map(conditionRuns(instance), (runs) => {
        const done = runs.filter((r) => r.status === "succeeded")
        const days = new Set(done.flatMap((r) => (r.partition ?? "").split(",")))
        return done.length === runs.length && days.has("2026-11-03") && days.has("2026-11-07") ? done : undefined
      }))
      for (const run of runs) expect(run.assetKeys).toEqual(["daily_users"])
      expect(runs.flatMap((r) => r.partition!.split(",")).sort()).toEqual(["2026-11-03", "2026-11-07"])
      const requested = (yield* instance.automation.evaluations("daily_users", { limit: 10 })).filter((evaluation) => evaluation.requested)
      expect(requested.map((evaluation) => evaluation.result.partitions!.text).sort().join(",")).toBe(runs.map((r) => r.partition).sort().join(","))
      // the runs wrote exactly those two days: the others keep their first materialization
      const versions = (yield* instance.partitionVersions!("daily_users"))!
      const ids = new Set(runs.map((r) => r.runId))
      const rewritten = versions.segments.filter((segment) => ids.has(segment.runId)).map((segment) => [segment.start, segment.end])
      expect(rewritten).toEqual([[2, 3], [6, 7]])
      // nothing more is requested once they are built
      yield* Effect.sleep(1_000)
      expect((yield* conditionRuns(instance)).length).toBe(runs.length)
    })), BOUND * 3)

  const leaseTest = (backend: () => Effect.Effect<{ readonly spec: string; readonly layer: Layer.Layer<Instance.Instance, unknown> }, unknown, import("effect").Scope.Scope>) =>
    Effect.scoped(Effect.gen(function*() {
      const dir = tempDir()
      fs.writeFileSync(path.join(dir, "raw.csv"), "x\n")
      const { layer, spec } = yield* backend()
      const instance = yield* openInstance(layer)
      const first = yield* child(dir, spec, "first", 3_000, true)
      yield* TestProcess.waitUntil("the first daemon's lease", Effect.map(instance.automation.lease(Daemon.LEASE), (lease) => lease?.holder === "first" || undefined))
      yield* child(dir, spec, "second", 3_000, true)
      const launched = () => instance.automation.ticks({ origin: "schedule", status: "launched", limit: 1000 })
      yield* TestProcess.waitUntil("three launched schedule ticks", Effect.map(launched(), (ticks) => ticks.length >= 3 || undefined))
      // the second daemon waited: every tick so far is the first's
      expect((yield* instance.automation.lease(Daemon.LEASE))!.holder).toBe("first")
      first.kill("SIGKILL")
      yield* TestProcess.waitUntil("the second daemon to take over", Effect.map(instance.automation.lease(Daemon.LEASE), (lease) => lease?.holder === "second" || undefined))
      const before = (yield* launched()).length
      yield* TestProcess.waitUntil("three more launched ticks", Effect.map(launched(), (ticks) => ticks.length >= before + 3 || undefined))
      // no tick twice: one tick per scheduled second, one run per tick, every run recorded once
      const ticks = (yield* instance.automation.ticks({ origin: "schedule", limit: 1000 })).filter((tick) => tick.scheduledAt !== undefined && tick.status !== "skipped")
      const seconds = ticks.map((tick) => tick.scheduledAt)
      expect(new Set(seconds).size).toBe(seconds.length)
      const runs = (yield* instance.listRuns({ limit: 1000 })).filter((run) => run.tags["strata/automation"] === "schedule/every_second")
      const perTick = new Map<string, number>()
      for (const run of runs) perTick.set(run.tags["strata/tick"]!, (perTick.get(run.tags["strata/tick"]!) ?? 0) + 1)
      expect([...perTick.values()].every((count) => count === 1)).toBe(true)
      const launchedIds = new Set((yield* launched()).flatMap((tick) => tick.runs.map((run) => run.runId)))
      for (const id of launchedIds) expect(runs.some((run) => run.runId === id)).toBe(true)
    }))

  it.live("two daemons on one SQLite file: one acts; SIGKILL of it, the other takes over; no tick launched twice", () =>
    leaseTest(() => Effect.sync(() => {
      const file = path.join(tempDir(), "instance.db")
      return { spec: `sqlite:${file}`, layer: SqliteInstance.layer({ path: file }) }
    })), BOUND * 4)

  it.live("two daemons on one Postgres database: the same", () =>
    leaseTest(() =>
      Effect.acquireRelease(
        Effect.promise(async () => {
          const name = `strata_daemon_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
          const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" })
          await admin.connect()
          await admin.query(`create database "${name}"`)
          await admin.end()
          const url = `postgres://postgres@127.0.0.1:5432/${name}`
          return { name, spec: `postgres:${url}`, layer: PostgresInstance.layerClient(url) }
        }),
        ({ name }) =>
          Effect.promise(async () => {
            const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" })
            await admin.connect()
            await admin.query(`drop database if exists "${name}" with (force)`)
            await admin.end()
          })
      )), BOUND * 4)
})
