import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Asset, AutomationCondition, ExecutionPlan, FileSystemIO, Freshness, Project } from "@strata/core"
import { TestProcess } from "@strata/core/testing"
import { SqliteInstance } from "@strata/sqlite"
import { Effect } from "effect"
import { Daemon, Runtime } from "../src/index.ts"

const BOUND = 60_000

describe("freshness in the daemon", () => {
  it.live("an asset past its max lag is recorded late, its onLate condition runs it, and it is recorded fresh again", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-freshness-"))
      const report = Asset.make("report", {}, () => Effect.sync(() => Date.now()))
      const other = Asset.make("other", {}, () => Effect.succeed(1))
      const project = Project.make({
        assets: [report, other],
        freshness: [Freshness.policy(report, { maxLag: "2 seconds" })],
        automation: { conditions: { report: AutomationCondition.onLate() } }
      })
      const runtime = yield* Runtime.make({
        load: () => Promise.resolve({ project, layer: FileSystemIO.layer({ base: path.join(dir, "storage") }) }),
        instance: SqliteInstance.layer({ path: path.join(dir, "instance.db") })
      })
      const generation = runtime.host.current
      const instance = generation.instance
      // materialized by hand first: fresh for 2 s
      yield* runtime.launcher.launch(generation, ExecutionPlan.makeSync(project, { selection: "report" }), {})
      yield* TestProcess.waitUntil("the first run", Effect.map(instance.listRuns({}), (runs) => runs.find((run) => run.status === "succeeded")))
      yield* Daemon.start(runtime, { leaseTtlMs: 5_000 })
      const freshnessTicks = Effect.map(instance.automation.ticks({ name: "freshness", limit: 100 }), (ticks) => [...ticks].reverse())
      const late = yield* TestProcess.waitUntil("report recorded late", Effect.map(freshnessTicks, (ticks) => ticks.find((tick) => tick.reason?.startsWith("report late since"))))
      expect(late.reason).toContain("not updated for more than 2s")
      // the late asset's condition requested a run of it, which made it fresh again
      const run = yield* TestProcess.waitUntil("the onLate run", Effect.map(instance.listRuns({}), (runs) =>
        runs.find((run) => run.tags["strata/automation"] === "conditions" && run.status === "succeeded")))
      expect(run.assetKeys).toEqual(["report"])
      const again = yield* TestProcess.waitUntil("report fresh again", Effect.map(freshnessTicks, (ticks) =>
        ticks.find((tick) => tick.at > late.at && tick.reason?.startsWith("report fresh again"))))
      expect(again.reason).toMatch(/fresh again: fresh until/)
      const why = yield* instance.automation.evaluations("report", { limit: 50 })
      expect(why.some((evaluation) => evaluation.requested && evaluation.result.label === "on late")).toBe(true)
      expect((yield* instance.automation.assetStates(["report"])).get("report")?.freshness).toBeDefined()
      // `other` has no policy: never recorded
      expect((yield* freshnessTicks).every((tick) => !tick.reason?.startsWith("other"))).toBe(true)
    })), BOUND * 3)
})
