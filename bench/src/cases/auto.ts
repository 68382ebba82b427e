/**
 * `auto:N`: N assets (the workload's layered graph), every one but the roots
 * `eager`, materialized, with the automation daemon running on the SQLite
 * instance (files storage). Measures:
 * - `eval_all_ms`: one conditions evaluation of all N assets, reading the
 *   instance (asset index, statuses, states, runs in progress) — the cost of
 *   a tick that evaluates everything (median of 5);
 * - `eval_pure_ms`: the pure evaluation alone, from records already read,
 *   explaining every asset (what the daemon's first evaluation does);
 * - `tick_pure_ms` / `tick_pure_cpu_ms`: a later tick of all N assets where
 *   no outcome changed (the daemon passes the previous outcomes: booleans
 *   only, nothing explained), wall and CPU time, median of 21;
 * - `reaction_ms`: from the root's re-materialization committed (its run
 *   ended) to the daemon's run of the downstream cone created, and
 *   `reaction_started_ms` to that run started. The run's steps are checked
 *   to be exactly the cone.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Instance as InstanceTypes } from "@strata/core"
import { AutomationCondition, AutomationEvaluation, ExecutionPlan, FileSystemIO, Instance, Project, Staleness } from "@strata/core"
import { Daemon, Runtime } from "@strata/runtime"
import { SqliteInstance } from "@strata/sqlite"
import { Effect } from "effect"
import { argumentN, expectEqual, main, peakRssMb, round } from "../script.ts"
import * as Workload from "../workload.ts"

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

const waitFor = <A>(what: string, check: () => Promise<A | undefined>): Promise<A> =>
  (async () => {
    for (let attempt = 0; attempt < 120_000; attempt++) {
      const value = await check()
      if (value !== undefined) return value
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    throw new Error(`gave up waiting for ${what}`)
  })()

main(async () => {
  const n = argumentN()
  let rootValue = 1
  const assets = Workload.make(n, { rootValue: () => rootValue })
  const root = Workload.keyOf(0, 0)
  const cone = Workload.downstreamCone(n, 0)
  const conditions: Record<string, AutomationCondition.Condition> = {}
  for (const asset of assets) if (asset.spec.deps.length + asset.spec.after.length > 0) conditions[asset.key] = AutomationCondition.eager()
  const project = Project.make({ assets, automation: { conditions } })
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-bench-auto-"))
  const program = Effect.scoped(Effect.gen(function*() {
    const runtime = yield* Runtime.make({
      load: () => Promise.resolve({ project, layer: FileSystemIO.layer({ base: path.join(folder, "storage") }) }),
      instance: SqliteInstance.layer({ path: path.join(folder, "strata.db") })
    })
    const generation = runtime.host.current
    const instance = generation.instance
    const runToEnd = (selection: string) =>
      Effect.gen(function*() {
        const runId = yield* runtime.launcher.launch(generation, ExecutionPlan.makeSync(project, { selection }), {})
        return yield* Effect.promise(() => waitFor("the run", () => Effect.runPromise(instance.getRun(runId)).then((run) => run?.endedAt === undefined ? undefined : run)))
      })
    yield* runToEnd("*")

    const evalAll: Array<number> = []
    const evalPure: Array<number> = []
    const tickPure: Array<number> = []
    const tickCpu: Array<number> = []
    const records = yield* instance.assets()
    const statuses = new Map(Staleness.compute(project, records).map((status) => [status.key, status] as const))
    const input = { project, now: Date.now(), previousCursor: 0, cursor: 0, records, statuses, states: new Map(), inProgress: new Set<string>(), runId: "bench" }
    const previous = AutomationEvaluation.evaluate(input).outcomes
    for (let i = 0; i < 21; i++) {
      // a tick of every asset where no outcome changed: booleans only, nothing explained
      const cpu = process.cpuUsage()
      const start = performance.now()
      const output = AutomationEvaluation.evaluate({ ...input, previous })
      tickPure.push(performance.now() - start)
      const used = process.cpuUsage(cpu)
      tickCpu.push((used.user + used.system) / 1000)
      expectEqual("explained with nothing changed", output.evaluations.length, 0)
    }
    for (let i = 0; i < 5; i++) {
      let start = performance.now()
      yield* AutomationEvaluation.read(project, { now: Date.now(), previousCursor: 0, cursor: yield* instance.lastEventId(), runId: "bench" }).pipe(
        Effect.provideService(Instance.Instance, instance)
      )
      evalAll.push(performance.now() - start)
      const records = yield* instance.assets()
      const statuses = new Map(Staleness.compute(project, records).map((status) => [status.key, status] as const))
      start = performance.now()
      const output = AutomationEvaluation.evaluate({ project, now: Date.now(), previousCursor: 0, cursor: 0, records, statuses, states: new Map(), inProgress: new Set(), runId: "bench" })
      evalPure.push(performance.now() - start)
      expectEqual("requested with everything fresh", output.requested.length, 0)
    }

    const daemon = yield* Daemon.start(runtime, { leaseTtlMs: 30_000 })
    yield* Effect.promise(() => waitFor("the daemon's first cycle", async () => daemon.cycles() > 0 || undefined))
    rootValue = 2
    const changed = yield* runToEnd(root)
    const automated = yield* Effect.promise(() =>
      waitFor("the daemon's run", async () => {
        const runs = await Effect.runPromise(instance.listRuns({ limit: 5 }))
        return runs.find((run: InstanceTypes.RunRecord) => run.tags["strata/automation"] === "conditions" && run.startedAt !== undefined)
      })
    )
    expectEqual("the daemon's run plans exactly the downstream cone", [...automated.assetKeys].sort().join(), [...cone].filter((key) => key !== root).sort().join())
    return {
      n,
      conditions: Object.keys(conditions).length,
      eval_all_ms: round(median(evalAll), 3),
      eval_pure_ms: round(median(evalPure), 3),
      tick_pure_ms: round(median(tickPure), 3),
      tick_pure_cpu_ms: round(median(tickCpu), 3),
      reaction_ms: round(automated.createdAt - changed.endedAt!, 1),
      reaction_started_ms: round(automated.startedAt! - changed.endedAt!, 1),
      cone: cone.size - 1,
      peak_rss_mb: peakRssMb()
    }
  }))
  try {
    return await Effect.runPromise(program)
  } finally {
    fs.rmSync(folder, { recursive: true, force: true })
  }
})
