import { expect, layer } from "@effect/vitest"
import type { Event } from "@strata/core"
import { Asset, InMemoryIO, Instance, Materialize, Project } from "@strata/core"
import { Context, Deferred, Effect, Fiber, Layer } from "effect"
import { PostgresInstance } from "../src/index.ts"
import { TestDb } from "./support.ts"

// Each "writer" has its own pool, as a separate process would.
const open = (database: TestDb["Service"]) =>
  Effect.map(Layer.build(PostgresInstance.layerClient(database.config, { schema: "shared" })), (context) =>
    Context.get(context, Instance.Instance))

layer(TestDb.layer, { timeout: 60_000, excludeTestServices: true })("PostgresInstance with several writers", (it) => {
  it.effect("a materialization delivered twice at once (two writers) is recorded once", () =>
    Effect.scoped(Effect.gen(function*() {
      const database = yield* TestDb
      const a = yield* open(database)
      const b = yield* open(database)
      yield* a.createRun({ runId: "twice", selection: "*", assetKeys: ["x"], staleOnly: false, tags: {}, createdAt: 1 })
      const event: Event.StrataEvent = {
        type: "asset-materialized",
        runId: "twice",
        timestamp: 2,
        assetKey: "x",
        metadata: {},
        dataVersion: "v",
        codeVersion: "c",
        inputVersions: {}
      }
      yield* Effect.all([a.appendEvents([event]), b.appendEvents([event]), a.appendEvents([event]), b.appendEvents([event])], {
        concurrency: "unbounded"
      })
      expect((yield* a.runEvents("twice")).map((e) => e.type)).toEqual(["asset-materialized"])
      expect(yield* b.history("x")).toHaveLength(1)
    })))

  it.effect("a cancel request written through one pool stops a run executed through another", () =>
    Effect.scoped(Effect.gen(function*() {
      const database = yield* TestDb
      const executing = yield* open(database)
      const catalog = yield* open(database)
      const started = yield* Deferred.make<void>()
      const slow = Asset.make("slow", {}, () => Deferred.succeed(started, undefined).pipe(Effect.andThen(Effect.never)))
      const after = Asset.make("after", { deps: { slow } }, () => Effect.succeed(1))
      const fiber = yield* Effect.forkChild(
        Materialize.materialize(Project.make({ assets: [slow, after] }), { runId: "pg-cancel" }).pipe(
          Effect.provide(InMemoryIO.layer),
          Effect.provideService(Instance.Instance, executing)
        )
      )
      yield* Deferred.await(started)
      const requested = yield* catalog.requestCancel("pg-cancel", { at: Date.now(), reason: "canceled from another pool" })
      expect([requested.status, requested.cancelReason]).toEqual(["started", "canceled from another pool"])
      const result = yield* Fiber.join(fiber)
      expect(result.status).toBe("canceled")
      expect(result.failed.map((f) => f.key)).toEqual(["slow"])
      expect(result.skipped.map((s) => [s.key, s.kind])).toEqual([["after", "canceled"]])
      const run = (yield* catalog.getRun("pg-cancel"))!
      expect([run.status, run.reason]).toEqual(["canceled", "canceled from another pool"])
      const refused = yield* Effect.flip(catalog.requestCancel("pg-cancel", { at: Date.now() }))
      expect(refused._tag).toBe("@strata/core/CancelRequestError")
    })))

  it.effect("a reader tailing the log with an `after` cursor misses nothing while 4 writers append", () =>
    Effect.scoped(Effect.gen(function*() {
      const database = yield* TestDb
      const writers = yield* Effect.all(Array.from({ length: 4 }, () => open(database)))
      const reader = yield* open(database)
      const batches = 40
      for (let w = 0; w < writers.length; w++) {
        yield* writers[w]!.createRun({ runId: `w${w}`, selection: "*", assetKeys: [], staleOnly: false, tags: {}, createdAt: w })
      }
      const start = (yield* reader.events()).at(-1)?.id ?? 0
      const writing = Effect.all(
        writers.map((writer, w) =>
          Effect.forEach(Array.from({ length: batches }, (_, i) => i), (i) =>
            writer.appendEvents(Array.from({ length: 5 }, (_, j): Event.StrataEvent => ({
              type: "log",
              runId: `w${w}`,
              timestamp: i * 10 + j,
              level: "info",
              message: `writer ${w} batch ${i} line ${j}`
            }))))
        ),
        { concurrency: "unbounded" }
      )
      const seen: Array<number> = []
      let cursor = start
      let done = false
      const tail = Effect.gen(function*() {
        while (true) {
          const finished = done
          const page = yield* reader.events({ after: cursor })
          for (const event of page) seen.push(event.id)
          if (page.length > 0) cursor = page.at(-1)!.id
          if (finished && page.length === 0) return
          yield* Effect.sleep(2)
        }
      })
      yield* Effect.all([writing.pipe(Effect.ensuring(Effect.sync(() => (done = true)))), tail], { concurrency: "unbounded" })
      const all = (yield* reader.events({ after: start })).map((event) => event.id)
      expect(all).toHaveLength(writers.length * batches * 5)
      expect(seen).toEqual(all)
      // each writer's lines are in its own order
      for (let w = 0; w < writers.length; w++) {
        const lines = (yield* reader.runEvents(`w${w}`)).map((event) => (event as Event.Log).message)
        expect(lines).toEqual(Array.from({ length: batches * 5 }, (_, k) => `writer ${w} batch ${Math.floor(k / 5)} line ${k % 5}`))
      }
    })))
})
