import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { ExecutionPlan, Instance, RunQueue } from "@strata/core"
import { TestProcess } from "@strata/core/testing"
import { SqliteInstance } from "@strata/sqlite"
import { Context, Effect, Layer } from "effect"
import { makeQueueProject } from "./fixtures/queueProject.ts"

const here = path.dirname(fileURLToPath(import.meta.url))
const BOUND = 60_000

const daemonProcess = (dir: string, file: string) =>
  Effect.map(
    TestProcess.scoped(
      "node",
      ["--conditions=@strata/source", path.join(here, "fixtures", "daemonChild.ts"), dir, `sqlite:${file}`, "queue-daemon", "5000", "queue"],
      (line) => line.includes("\"ready\":true"),
      { name: "the daemon" }
    ),
    (started) => started.child
  )

/** The most runs that were started at once among `runs`, from their recorded start and end times. */
const mostAtOnce = (runs: ReadonlyArray<Instance.RunRecord>): number => {
  const edges = runs.flatMap((run) => [[run.startedAt!, 1], [run.endedAt!, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let now = 0
  let most = 0
  for (const [, step] of edges) most = Math.max(most, now += step)
  return most
}

describe("RunQueue.dequeue", () => {
  const run = (runId: string, createdAt: number, tags: Record<string, string> = {}): Instance.RunRecord => ({
    runId, selection: runId, assetKeys: [runId], staleOnly: false, tags: { [RunQueue.QUEUED_TAG]: "cli", ...tags }, createdAt, status: "queued"
  })

  it("starts by priority then in queue order, within the global and tag limits, without a blocked run holding back the others", () => {
    const queued = [run("q1", 1, { database: "snowflake" }), run("q2", 2, { database: "snowflake" }), run("q3", 3), run("q4", 4, { [RunQueue.PRIORITY_TAG]: "10" })]
    expect(RunQueue.dequeue(queued, [], {}).start.map((r) => r.runId)).toEqual(["q4", "q1", "q2", "q3"])
    const limited = RunQueue.dequeue(queued, [], { maxConcurrentRuns: 3, tagLimits: [{ key: "database", value: "snowflake", limit: 1 }] })
    expect(limited.start.map((r) => r.runId)).toEqual(["q4", "q1", "q3"])
    expect(limited.waiting.map((w) => [w.run.runId, w.reason])).toEqual([["q2", "1 started runs have tag database=snowflake, the limit is 1"]])
    // slots are counted from started runs (queued or not)
    const started = { ...run("s1", 0, { database: "snowflake" }), status: "started" as const }
    expect(RunQueue.dequeue(queued, [started], { maxConcurrentRuns: 2, tagLimits: [{ key: "database", limit: 1 }] }).start.map((r) => r.runId)).toEqual(["q4"])
  })

  it("refuses limits that are not whole numbers, naming them", () => {
    expect(() => RunQueue.make({ maxConcurrentRuns: -1 })).toThrowError("run queue: maxConcurrentRuns must be a whole number >= 0, got -1")
    expect(() => RunQueue.make({ tagLimits: [{ key: "database", value: "snowflake", limit: 1.5 }] })).toThrowError(
      "run queue: the limit of tag database=snowflake must be a whole number >= 0, got 1.5"
    )
  })
})

describe("the run queue in the daemon", () => {
  it.live("a daemon process starts queued runs by priority then FIFO, never more than the limits, and ends a canceled queued run", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-queue-"))
      const file = path.join(dir, "instance.db")
      const instance = Context.get(yield* Layer.build(SqliteInstance.layer({ path: file })), Instance.Instance)
      const project = makeQueueProject()
      let at = Date.now()
      const queue = (key: string, options: { readonly tags?: Record<string, string>; readonly priority?: number } = {}) =>
        Effect.flatMap(ExecutionPlan.make(project, { selection: key }), (plan) =>
          RunQueue.enqueue(instance, plan, { runId: `run-${key}`, origin: "test", at: at++, ...options }))
      // queued by this process before any daemon runs: visible as `queued`, and not reaped as orphans meanwhile
      yield* queue("a", { tags: { database: "snowflake" } })
      yield* queue("b", { tags: { database: "snowflake" } })
      yield* queue("c")
      yield* queue("d", { priority: 10 })
      yield* queue("e", { priority: -5 })
      yield* instance.requestCancel("run-e", { at: Date.now(), reason: "not needed" })
      expect((yield* instance.listRuns({ status: "queued" })).map((run) => run.runId).sort()).toEqual(["run-a", "run-b", "run-c", "run-d", "run-e"])
      expect(yield* instance.reapOrphanedRuns({ now: Date.now() + 3_600_000, heartbeatTimeoutMs: 1_000, host: os.hostname() })).toEqual([])

      const daemon = yield* daemonProcess(dir, file)
      const runs = yield* TestProcess.waitUntil("every queued run to end", Effect.map(instance.listRuns({ limit: 10 }), (all) =>
        all.length === 5 && all.every((run) => run.endedAt !== undefined) ? all : undefined))
      const byId = new Map(runs.map((run) => [run.runId, run]))
      expect(byId.get("run-e")).toMatchObject({ status: "canceled", reason: "not needed" })
      expect(byId.get("run-e")!.startedAt).toBeUndefined()
      const ran = ["run-a", "run-b", "run-c", "run-d"].map((id) => byId.get(id)!)
      expect(ran.map((run) => run.status)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"])
      expect(ran.every((run) => run.tags[RunQueue.QUEUED_TAG] === "test")).toBe(true)
      expect(daemon.exitCode).toBeNull()
      // the limits held: never more than 2 runs at once, never two snowflake runs at once
      expect(mostAtOnce(ran)).toBeLessThanOrEqual(2)
      expect(mostAtOnce([byId.get("run-a")!, byId.get("run-b")!])).toBe(1)
      // priority first (d), then queue order: a with d in the first two slots, then b and c as slots free up
      const started = (id: string) => byId.get(id)!.startedAt!
      expect(started("run-d")).toBeLessThanOrEqual(started("run-a"))
      expect(started("run-a")).toBeLessThanOrEqual(started("run-b"))
      expect(started("run-a")).toBeLessThanOrEqual(started("run-c"))
      expect(started("run-b")).toBeGreaterThanOrEqual(byId.get("run-a")!.endedAt!)
    })), BOUND * 3)
})
