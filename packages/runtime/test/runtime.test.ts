import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Asset, ExecutionPlan, FileSystemIO, Instance, Project, SourceAsset } from "@strata/core"
import { Deferred, Effect, Layer } from "effect"
import { Runtime } from "../src/index.ts"

const waitFor = <A>(what: string, probe: Effect.Effect<A | undefined, unknown>) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 20_000
    for (;;) {
      const value = yield* probe
      if (value !== undefined) return value
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for ${what}`))
      yield* Effect.sleep(20)
    }
  })

describe("the headless runtime", () => {
  it.live("launches plans, keeps a run on the generation it started on across a reload, and re-executes by core's rule", () =>
    Effect.gen(function*() {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-runtime-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(folder, { recursive: true, force: true })))
      const gate = yield* Deferred.make<void>()
      let released = 0
      let version = 1
      let failing = true
      // each load builds its own layer; the test counts the layers released
      const load = () => {
        const v = version
        const a = Asset.make("a", {}, () => Effect.succeed(v))
        const slow = Asset.make("slow", { deps: { a } }, ({ a }) => Effect.as(Deferred.await(gate), a * 10))
        const flaky = Asset.make("flaky", { deps: { a } }, ({ a }) => failing ? Effect.fail(new Error("down")) : Effect.succeed(a))
        const layer = Layer.merge(
          FileSystemIO.layer({ base: folder }),
          Layer.effectDiscard(Effect.addFinalizer(() => Effect.sync(() => released++)))
        )
        return Promise.resolve({ project: Project.make({ assets: [a, slow, flaky] }), layer })
      }
      const runtime = yield* Runtime.make({ load, instance: Instance.layerMemory })
      const { host, launcher } = runtime
      const first = host.current
      const instance = first.instance

      // a run blocked in `slow` holds the first generation through a reload
      const runId = yield* launcher.launch(first, ExecutionPlan.makeSync(first.project, { selection: "a, slow" }), { source: "test" })
      yield* waitFor("slow to start", Effect.map(instance.runEvents(runId), (events) =>
        events.some((e) => e.type === "step-started" && e.assetKey === "slow") ? true : undefined))
      expect(launcher.isExecuting(runId)).toBe(true)
      expect([...launcher.runningKeys()]).toEqual(["slow"])
      version = 2
      const second = yield* host.reload
      expect(second.number).toBe(first.number + 1)
      expect(released, "the first generation is kept while its run goes on").toBe(0)
      yield* Deferred.succeed(gate, undefined)
      const run = yield* waitFor("the run to end", Effect.map(instance.getRun(runId), (r) => r?.status === "succeeded" ? r : undefined))
      expect(run.tags).toEqual({ source: "test" })
      yield* waitFor("the first generation to be released", Effect.sync(() => released === 1 ? true : undefined))
      // it ran the first generation's code: a = 1
      expect(JSON.parse(fs.readFileSync(path.join(folder, "slow.json"), "utf8"))).toBe(10)

      // a failed run, re-executed from its failure by ExecutionPlan.fromRun once the asset is fixed
      const failed = yield* launcher.launch(second, ExecutionPlan.makeSync(second.project, { selection: "a, flaky" }), {})
      yield* waitFor("the run to fail", Effect.map(instance.getRun(failed), (r) => r?.status === "failed" ? true : undefined))
      failing = false
      const again = yield* launcher.reexecute(failed, "failure", {})
      expect(again.plan.steps.map((step) => step.key)).toEqual(["flaky"])
      const rerun = yield* waitFor("the re-execution to end", Effect.map(instance.getRun(again.runId), (r) =>
        r?.status === "succeeded" ? r : undefined))
      expect(rerun.parentRunId).toBe(failed)
      expect(JSON.parse(fs.readFileSync(path.join(folder, "flaky.json"), "utf8"))).toBe(2)
    }), 60_000)

  it.live("cancels a run it executes at once, naming itself, and refuses to re-execute a run still going", () =>
    Effect.gen(function*() {
      const never = Asset.make("never", {}, () => Effect.never)
      const runtime = yield* Runtime.make({
        load: () => Promise.resolve({ project: Project.make({ assets: [never] }), layer: FileSystemIO.layer({ base: os.tmpdir() }) }),
        instance: Instance.layerMemory,
        name: "a test"
      })
      const generation = runtime.host.current
      const runId = yield* runtime.launcher.launch(generation, ExecutionPlan.makeSync(generation.project), {})
      const reexecute = yield* Effect.flip(runtime.launcher.reexecute(runId, "failure", {}))
      expect(reexecute.message).toMatch(/still running/)
      const canceled = yield* runtime.launcher.cancel(generation.instance, runId)
      expect(canceled.requested).toBe(false)
      expect(canceled.run.status).toBe("canceled")
      expect(canceled.run.reason).toMatch(/^canceled from a test \(pid \d+ on /)
      expect(runtime.launcher.size).toBe(0)
    }), 30_000)

  it.live("watches source files and records a changed file's observation by itself", () =>
    Effect.gen(function*() {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-runtime-watch-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(folder, { recursive: true, force: true })))
      const file = path.join(folder, "raw.csv")
      fs.writeFileSync(file, "a\n1\n")
      const raw = SourceAsset.file("raw", file)
      const runtime = yield* Runtime.make({
        load: () => Promise.resolve({ project: Project.make({ assets: [raw] }), layer: FileSystemIO.layer({ base: folder }) }),
        instance: Instance.layerMemory,
        watchSources: true
      })
      expect(runtime.watching?.folders).toEqual([folder])
      const instance = runtime.host.current.instance
      fs.writeFileSync(file, "a\n2\n")
      const observed = yield* waitFor("the observation", Effect.map(instance.assets(["raw"]), (records) => records.get("raw")?.observation))
      expect(observed.dataVersion.length).toBeGreaterThan(0)
      const runs = yield* instance.listRuns()
      expect(runs[0]!.tags).toEqual({ "strata/kind": "observe" })
    }), 30_000)
})
