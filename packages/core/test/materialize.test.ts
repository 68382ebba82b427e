import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, Fiber, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"
import {
  Asset,
  Event,
  FileSystemIO,
  InMemoryIO,
  Instance,
  Materialize,
  Output,
  Project,
  RetryPolicy,
  SourceAsset
} from "../src/index.ts"

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "strata-core-"))

interface User {
  readonly id: number
  readonly email: string
  readonly country: string | null
  readonly signup: string
}

const seedPipeline = (csvPath: string) => {
  const rawUsers = SourceAsset.file("raw_users", csvPath, {
    parse: (text) => text.trim().split("\n").slice(1).map((line) => line.split(","))
  })
  const silverUsers = Asset.make("silver_users", { deps: { rawUsers }, group: "silver" }, ({ rawUsers }) =>
    Effect.gen(function*() {
      const seen = new Set<string>()
      const users: Array<User> = []
      for (const [id, email, country, signup] of rawUsers) {
        const normalised = email!.trim().toLowerCase()
        if (!normalised.includes("@") || seen.has(normalised)) continue
        seen.add(normalised)
        users.push({ id: Number(id), email: normalised, country: country === "" ? null : country!, signup: signup! })
      }
      yield* Effect.logInfo(`kept ${users.length} of ${rawUsers.length} rows`)
      return Output.make(users, { metadata: { row_count: users.length, dropped: rawUsers.length - users.length } })
    }))
  const goldUserMetrics = Asset.make("gold_user_metrics", { deps: { silverUsers }, group: "gold" }, ({ silverUsers }) => {
    const byCountry: Record<string, number> = {}
    for (const user of silverUsers) byCountry[user.country ?? "unknown"] = (byCountry[user.country ?? "unknown"] ?? 0) + 1
    const rows = Object.entries(byCountry).map(([country, users]) => ({ country, users }))
    return Effect.succeed(Output.make(rows, { metadata: { row_count: rows.length } }))
  })
  return { rawUsers, silverUsers, goldUserMetrics, project: Project.make({ assets: [rawUsers, silverUsers, goldUserMetrics] }) }
}

const csv = [
  "id,email,country,signup",
  "1,Ada@Example.com ,UK,2024-01-01",
  "2,bob@example.com,US,2024-01-02",
  "3,ada@example.com,UK,2024-01-03",
  "4,not-an-email,FR,2024-01-03",
  "5,cy@example.com,,2024-01-04"
].join("\n")

describe("materialize", () => {
  it.effect("runs the seed pipeline with the file-system I/O manager and records row counts", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const csvPath = path.join(dir, "raw_users.csv")
      fs.writeFileSync(csvPath, csv)
      const { project } = seedPipeline(csvPath)
      const base = path.join(dir, "storage")
      const result = yield* Materialize.materialize(project).pipe(Effect.provide(FileSystemIO.layer({ base })))
      expect(result.status).toBe("succeeded")
      expect(result.observed).toEqual(["raw_users"])
      expect(result.materialized).toEqual(["silver_users", "gold_user_metrics"])

      // the files are really there and read back
      const silver = JSON.parse(fs.readFileSync(path.join(base, "silver_users.json"), "utf8")) as Array<User>
      expect(silver.map((u) => u.email)).toEqual(["ada@example.com", "bob@example.com", "cy@example.com"])
      expect(silver[2]!.country).toBeNull()
      const gold = JSON.parse(fs.readFileSync(path.join(base, "gold_user_metrics.json"), "utf8"))
      expect(gold).toEqual([{ country: "UK", users: 1 }, { country: "US", users: 1 }, { country: "unknown", users: 1 }])
      const io = FileSystemIO.make({ base })
      const loaded = yield* io.load({ key: "gold_user_metrics" as never, partition: undefined, downstream: undefined, definitionMetadata: {} })
      expect(loaded).toEqual(gold)

      const instance = yield* Instance.Instance
      const records = yield* instance.assets()
      const silverRecord = records.get("silver_users")!.materialization!
      expect(silverRecord.metadata.row_count).toBe(3)
      expect(silverRecord.metadata.dropped).toBe(2)
      expect(silverRecord.metadata.uri).toBe(path.join(base, "silver_users.json"))
      expect(records.get("gold_user_metrics")!.materialization!.metadata.row_count).toBe(3)
      expect(silverRecord.inputVersions.raw_users).toBe(records.get("raw_users")!.observation!.dataVersion)
      expect(silverRecord.dataVersion).toMatch(/^[0-9a-f]{16}$/)

      // the log line written by the compute function is an event of its step
      const events = yield* instance.runEvents(result.runId)
      const log = events.find((e) => e.type === "log")
      expect(log).toMatchObject({ type: "log", assetKey: "silver_users", level: "info", message: "kept 3 of 5 rows" })
      const run = yield* instance.getRun(result.runId)
      expect(run?.status).toBe("succeeded")
      expect(events.map((e) => e.type)).toEqual([
        "run-started",
        "step-started",
        "asset-observed",
        "step-succeeded",
        "step-started",
        "log",
        "asset-materialized",
        "step-succeeded",
        "step-started",
        "asset-materialized",
        "step-succeeded",
        "run-succeeded"
      ])
    }).pipe(Effect.provide(Instance.layerMemory)))

  it.effect("materializes in memory with typed values", () =>
    Effect.gen(function*() {
      const a = Asset.make("a", {}, () => Effect.succeed([1, 2, 3]))
      const b = Asset.make("b", { deps: { a } }, ({ a }) => Effect.succeed(a.map((x) => x * 2)))
      const result = yield* Materialize.materializeInMemory(Project.make({ assets: [a, b] }))
      expect(result.value(b)).toEqual([2, 4, 6])
    }))

  it.effect("stores non-JSON values with v8 and reads them back", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const when = Asset.make("when", {}, () => Effect.succeed({ at: new Date(0), ids: new Set([1n, 2n]) }))
      const reads = Asset.make("reads", { deps: { when } }, ({ when }) => Effect.succeed(when.at.getTime() + when.ids.size))
      const result = yield* Materialize.materializeInMemory(Project.make({ assets: [when] }))
      expect(result.status).toBe("succeeded")
      const run = yield* Materialize.materialize(Project.make({ assets: [when, reads] })).pipe(
        Effect.provide(Layer.mergeAll(FileSystemIO.layer({ base: dir }), Instance.layerMemory))
      )
      expect(run.status).toBe("succeeded")
      expect(fs.existsSync(path.join(dir, "when.v8"))).toBe(true)
      expect(JSON.parse(fs.readFileSync(path.join(dir, "reads.json"), "utf8"))).toBe(2)
    }))
})

class Flaky extends Schema.TaggedError<Flaky>()("Flaky", { attempt: Schema.Number }) {}
class Fatal extends Schema.TaggedError<Fatal>()("Fatal", { message: Schema.String }) {
  get isRetryable() {
    return false
  }
}

describe("failures", () => {
  it.effect("retries a failing asset per its policy, then skips its downstream while independent branches go on", () =>
    Effect.gen(function*() {
      let calls = 0
      const flaky = Asset.make("flaky", { retry: { maxRetries: 2 } }, (_, ctx) =>
        Effect.suspend(() => {
          calls++
          return Effect.fail(new Flaky({ attempt: ctx.attempt }))
        }))
      const after = Asset.make("after_flaky", { deps: { flaky } }, () => Effect.succeed(1))
      const further = Asset.make("further", { deps: { after } }, () => Effect.succeed(1))
      const independent = Asset.make("independent", {}, () => Effect.succeed(1))
      const result = yield* Materialize.materializeInMemory(Project.make({ assets: [flaky, after, further, independent] }))
      expect(calls).toBe(3)
      expect(result.status).toBe("failed")
      expect(result.failed.map((f) => f.key)).toEqual(["flaky"])
      expect(result.failed[0]!.error.tag).toBe("Flaky")
      expect(result.materialized).toEqual(["independent"])
      expect(result.skipped).toEqual([
        { key: "after_flaky", kind: "upstream-failed", reason: "upstream flaky failed" },
        { key: "further", kind: "upstream-failed", reason: "upstream flaky failed" }
      ])
    }))

  it.effect("records each attempt and does not retry an error that says it is not retryable", () =>
    Effect.gen(function*() {
      let calls = 0
      const fatal = Asset.make("fatal", { retry: { maxRetries: 5 } }, () =>
        Effect.suspend(() => {
          calls++
          return Effect.fail(new Fatal({ message: "bad SQL" }))
        }))
      const flaky = Asset.make("flaky2", { retry: { maxRetries: 1 } }, (_, ctx) =>
        ctx.attempt === 1 ? Effect.fail(new Flaky({ attempt: 1 })) : Effect.succeed("ok"))
      const events: Array<Event.StrataEvent> = []
      const result = yield* Materialize.materializeInMemory(Project.make({ assets: [fatal, flaky] }), {
        onEvent: (event) => events.push(event),
        concurrency: 1
      })
      expect(calls).toBe(1)
      expect(result.materialized).toEqual(["flaky2"])
      const failedEvents = events.filter((e): e is Event.StepFailed => e.type === "step-failed")
      expect(failedEvents.map((e) => [e.assetKey, e.attempt, e.willRetry])).toEqual([
        ["fatal", 1, false],
        ["flaky2", 1, true]
      ])
      expect(failedEvents[0]!.error).toMatchObject({ tag: "Fatal", message: "bad SQL", retryable: false })
      expect(events.filter((e) => e.type === "step-started" && e.assetKey === "flaky2").length).toBe(2)
    }))

  it.effect("waits between retries following the backoff", () =>
    Effect.gen(function*() {
      const attempts: Array<number> = []
      const slow = Asset.make("slow", { retry: { maxRetries: 2, delay: "1 second", backoff: "exponential" } }, (_, ctx) =>
        Effect.suspend(() => {
          attempts.push(ctx.attempt)
          return ctx.attempt < 3 ? Effect.fail(new Flaky({ attempt: ctx.attempt })) : Effect.succeed(1)
        }))
      const fiber = yield* Effect.forkChild(Materialize.materializeInMemory(Project.make({ assets: [slow] })))
      yield* Effect.yieldNow
      yield* TestClock.adjust("999 millis")
      expect(attempts).toEqual([1])
      yield* TestClock.adjust("1 millis")
      expect(attempts).toEqual([1, 2])
      yield* TestClock.adjust("1999 millis")
      expect(attempts).toEqual([1, 2])
      yield* TestClock.adjust("1 millis")
      const result = yield* Fiber.join(fiber)
      expect(attempts).toEqual([1, 2, 3])
      expect(result.status).toBe("succeeded")
    }))

  it.effect("linear backoff grows by the delay each retry and is capped by maxDelay (README: Retries)", () =>
    Effect.gen(function*() {
      const attempts: Array<number> = []
      const policy = { maxRetries: 3, delay: "1 second", backoff: "linear", maxDelay: "1500 millis" } as const
      expect([1, 2, 3].map((retry) => RetryPolicy.delayMs(RetryPolicy.make(policy), retry))).toEqual([1000, 1500, 1500])
      const load = Asset.make("load", { retry: policy }, (_, ctx) =>
        Effect.suspend(() => {
          attempts.push(ctx.attempt)
          return ctx.attempt <= 3 ? Effect.fail(new Flaky({ attempt: ctx.attempt })) : Effect.succeed(ctx.attempt)
        }))
      const fiber = yield* Effect.forkChild(Materialize.materializeInMemory(Project.make({ assets: [load] })))
      yield* Effect.yieldNow
      yield* TestClock.adjust("999 millis")
      expect(attempts).toEqual([1])
      yield* TestClock.adjust("1 millis") // retry 1: 1 s
      expect(attempts).toEqual([1, 2])
      yield* TestClock.adjust("1499 millis") // retry 2: 2 s, capped at 1.5 s
      expect(attempts).toEqual([1, 2])
      yield* TestClock.adjust("1 millis")
      expect(attempts).toEqual([1, 2, 3])
      yield* TestClock.adjust("1500 millis") // retry 3: 3 s, capped at 1.5 s
      const result = yield* Fiber.join(fiber)
      expect(attempts).toEqual([1, 2, 3, 4])
      expect(result.status).toBe("succeeded")
    }))

  it.effect("names the asset when a defect is thrown in compute", () =>
    Effect.gen(function*() {
      const boom = Asset.make("boom", {}, () => Effect.sync(() => JSON.parse("{not json")))
      const result = yield* Materialize.materializeInMemory(Project.make({ assets: [boom] }))
      expect(result.failed[0]!.key).toBe("boom")
      expect(result.failed[0]!.error.tag).toBe("SyntaxError")
      expect(result.failed[0]!.error.stack).toContain("SyntaxError")
    }))

  it.effect("cancels a run mid-way: running steps are interrupted, pending ones skipped, the run recorded as canceled", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      let finalized = false
      const fast = Asset.make("fast", {}, () => Effect.succeed(1))
      const hangs = Asset.make("hangs", { deps: { fast } }, () =>
        Deferred.succeed(started, undefined).pipe(
          Effect.andThen(Effect.never),
          Effect.onInterrupt(() => Effect.sync(() => {
            finalized = true
          }))
        ))
      const never = Asset.make("never_runs", { deps: { hangs } }, () => Effect.succeed(1))
      const instance = Instance.makeMemory()
      const events: Array<Event.StrataEvent> = []
      const fiber = yield* Effect.forkChild(
        Materialize.materialize(Project.make({ assets: [fast, hangs, never] }), { onEvent: (e) => events.push(e) }).pipe(
          Effect.provide(InMemoryIO.layer),
          Effect.provideService(Instance.Instance, instance)
        )
      )
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      expect(finalized).toBe(true)
      const runId = events[0]!.runId
      const run = yield* instance.getRun(runId)
      expect(run?.status).toBe("canceled")
      const stored = yield* instance.runEvents(runId)
      expect(stored.filter((e) => e.type === "asset-materialized").map((e) => (e as Event.AssetMaterialized).assetKey)).toEqual(["fast"])
      expect(stored.find((e) => e.type === "step-failed")).toMatchObject({ assetKey: "hangs", error: { tag: "Interrupted" } })
      expect(stored.find((e) => e.type === "step-skipped")).toMatchObject({ assetKey: "never_runs", kind: "canceled" })
      expect(stored[stored.length - 1]!.type).toBe("run-canceled")
    }))

  it.effect("re-executes a failed run from failure: only failed and skipped steps run again", () =>
    Effect.gen(function*() {
      let healthy = false
      const runs: Array<string> = []
      const a = Asset.make("a", {}, () => Effect.sync(() => runs.push("a")))
      const b = Asset.make("b", { deps: { a } }, () =>
        Effect.suspend(() => {
          runs.push("b")
          return healthy ? Effect.succeed(2) : Effect.fail(new Fatal({ message: "down" }))
        }))
      const c = Asset.make("c", { deps: { b } }, () => Effect.sync(() => runs.push("c")))
      const project = Project.make({ assets: [a, b, c] })
      const first = yield* Materialize.materialize(project)
      expect(first.status).toBe("failed")
      healthy = true
      runs.length = 0
      const second = yield* Materialize.materialize(project, { reexecute: { runId: first.runId } })
      expect(runs).toEqual(["b", "c"])
      expect(second.status).toBe("succeeded")
      const instance = yield* Instance.Instance
      expect((yield* instance.getRun(second.runId))?.parentRunId).toBe(first.runId)
      const again = yield* Effect.flip(Materialize.materialize(project, { reexecute: { runId: second.runId } }))
      expect(again.message).toContain("has no failed or skipped step")
      const missing = yield* Effect.flip(Materialize.materialize(project, { reexecute: { runId: "nope" } }))
      expect(missing.message).toContain("run nope does not exist")
    }).pipe(Effect.provide(Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory))))

  it.effect("fails a step whose upstream was never materialized, saying what to select", () =>
    Effect.gen(function*() {
      const a = Asset.make("a", {}, () => Effect.succeed(1))
      const b = Asset.make("b", { deps: { a } }, ({ a }) => Effect.succeed(a))
      const result = yield* Materialize.materializeInMemory(Project.make({ assets: [a, b] }), { selection: "b" })
      expect(result.failed[0]!.error.message).toBe(
        "upstream a has never been materialized; select it too (--select +b) or materialize it first"
      )
    }))

  it.effect("rejects an unknown selection before creating a run", () =>
    Effect.gen(function*() {
      const a = Asset.make("a", {}, () => Effect.succeed(1))
      const error = yield* Effect.flip(Materialize.materializeInMemory(Project.make({ assets: [a] }), { selection: "b" }))
      expect(error._tag).toBe("@strata/core/SelectionResolveError")
      expect(error.message).toContain("no asset has the key 'b'")
    }))

  it.effect("never runs more steps at once than the concurrency limit", () =>
    Effect.gen(function*() {
      let running = 0
      let peak = 0
      const assets = Array.from({ length: 12 }, (_, i) =>
        Asset.make(`n${i}`, {}, () =>
          Effect.gen(function*() {
            running++
            peak = Math.max(peak, running)
            yield* Effect.sleep(5)
            running--
            return i
          })))
      const fiber = yield* Effect.forkChild(Materialize.materializeInMemory(Project.make({ assets }), { concurrency: 3 }))
      for (let i = 0; i < 10; i++) yield* TestClock.adjust(5)
      const result = yield* Fiber.join(fiber)
      expect(result.materialized).toHaveLength(12)
      expect(peak).toBe(3)
    }))
})

class Greeting extends Context.Service<Greeting, { readonly greet: (name: string) => string }>()("test/Greeting") {}

describe("resources", () => {
  it.effect("passes services to compute functions through the layer", () =>
    Effect.gen(function*() {
      const hello = Asset.make("hello", {}, () =>
        Effect.gen(function*() {
          const greeting = yield* Greeting
          return greeting.greet("strata")
        }))
      const result = yield* Materialize.materializeInMemory(Project.make({ assets: [hello] })).pipe(
        Effect.provide(Layer.succeed(Greeting, { greet: (name) => `hello ${name}` }))
      )
      expect(result.value(hello)).toBe("hello strata")
    }))
})
