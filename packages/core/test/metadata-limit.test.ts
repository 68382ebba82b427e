import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import {
  Asset,
  FileSystemIO,
  Instance,
  IOManager,
  Materialize,
  Metadata,
  Observe,
  Output,
  Project,
  SourceAsset
} from "../src/index.ts"

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "strata-core-metadata-"))

/** `bytes` bytes of JSON metadata (one string entry). */
const metadataOf = (bytes: number): Metadata.Metadata => ({ preview: "x".repeat(bytes - '{"preview":""}'.length) })

/** The run's events in the instance, for the asset. */
const recorded = (runId: string, key: string) =>
  Effect.gen(function*() {
    const instance = yield* Instance.Instance
    return (yield* instance.runEvents(runId)).filter((event) => "assetKey" in event && event.assetKey === key)
  })

describe("Metadata.oversize", () => {
  it("counts bytes of UTF-8 JSON, not characters, at the boundary", () => {
    const ascii = metadataOf(100)
    expect(JSON.stringify(ascii).length).toBe(100)
    expect(Metadata.oversize(ascii, 100)).toBeUndefined()
    expect(Metadata.oversize(ascii, 99)).toBe(100)
    // "é" is 1 UTF-16 unit, 2 bytes: 12 characters of JSON around 10 of them make 22 bytes
    const accented = { a: "é".repeat(10) }
    expect(JSON.stringify(accented).length).toBe(18)
    expect(Metadata.oversize(accented, 28)).toBeUndefined()
    expect(Metadata.oversize(accented, 27)).toBe(28)
    // an emoji is 2 units, 4 bytes
    expect(Metadata.oversize({ e: "😀" }, 9)).toBe(12)
    expect(Metadata.oversize(Metadata.empty, 0)).toBeUndefined()
    expect(Metadata.oversize(undefined, 0)).toBeUndefined()
    expect(Metadata.oversize(metadataOf(10_000_000), Number.POSITIVE_INFINITY)).toBeUndefined()
  })

  it("layerMaxBytes refuses a cap that is not a positive number", () => {
    expect(() => Metadata.layerMaxBytes(0)).toThrow(/positive number of bytes/)
    expect(() => Metadata.layerMaxBytes(Number.NaN)).toThrow(/positive number of bytes/)
  })
})

describe("a step whose metadata is too large", () => {
  it.live("50 MB of metadata from the asset fails the step with MetadataTooLarge; nothing is stored or recorded", () =>
    Effect.gen(function*() {
      const base = tempDir()
      let attempts = 0
      let big = false
      const report = Asset.make("reports/daily", { retry: { maxRetries: 2 } }, () =>
        Effect.sync(() => {
          attempts++
          return Output.make({ total: big ? 2 : 1 }, { metadata: big ? metadataOf(50 * 1024 * 1024) : { rows: 1 } })
        }))
      const project = Project.make({ assets: [report] })
      const io = FileSystemIO.layer({ base })
      const file = path.join(base, "reports", "daily")
      // a first, small materialization
      const first = yield* Materialize.materialize(project).pipe(Effect.provide(io))
      expect(first.status).toBe("succeeded")
      const storedBefore = fs.readdirSync(path.dirname(file)).map((name) => fs.readFileSync(path.join(path.dirname(file), name), "utf8"))

      big = true
      attempts = 0
      const run = yield* Materialize.materialize(project).pipe(Effect.provide(io))
      expect(run.status).toBe("failed")
      expect(attempts).toBe(1) // not retried: the same code gives the same metadata
      const error = run.failed[0]!.error
      expect(error.tag).toBe("@strata/core/MetadataTooLarge")
      expect(error.retryable).toBe(false)
      expect(error.message).toContain("asset reports/daily")
      expect(error.message).toContain("52,428,800 bytes")
      expect(error.message).toContain("1,048,576 bytes")
      expect(error.message).toContain("Metadata.layerMaxBytes")
      expect(error.message).not.toContain("already stored")
      // the stored value is the first run's, untouched
      const storedAfter = fs.readdirSync(path.dirname(file)).map((name) => fs.readFileSync(path.join(path.dirname(file), name), "utf8"))
      expect(storedAfter).toEqual(storedBefore)
      // no materialization recorded; the index still has the first run's
      const events = yield* recorded(run.runId, "reports/daily")
      expect(events.map((event) => event.type)).toEqual(["step-started", "step-failed"])
      expect(JSON.stringify(events).length).toBeLessThan(10_000)
      const record = (yield* (yield* Instance.Instance).assets(["reports/daily"])).get("reports/daily")
      expect(record?.materialization?.runId).toBe(first.runId)
    }).pipe(Effect.provide(Instance.layerMemory)))

  it.live("the cap is the environment's: Metadata.layerMaxBytes raises or lowers it", () =>
    Effect.gen(function*() {
      const preview = Asset.make("preview", {}, () => Effect.succeed(Output.make(1, { metadata: metadataOf(2 * 1024 * 1024) })))
      const small = Asset.make("small", {}, () => Effect.succeed(Output.make(1, { metadata: metadataOf(200) })))
      const project = Project.make({ assets: [preview, small] })
      const io = FileSystemIO.layer({ base: tempDir() })

      const byDefault = yield* Materialize.materialize(project).pipe(Effect.provide(io))
      expect(byDefault.failed.map((failure) => failure.key)).toEqual(["preview"])
      expect(byDefault.materialized).toEqual(["small"])

      const raised = yield* Materialize.materialize(project).pipe(Effect.provide(Layer.mergeAll(io, Metadata.layerMaxBytes(4 * 1024 * 1024))))
      expect(raised.status).toBe("succeeded")
      const record = (yield* (yield* Instance.Instance).assets(["preview"])).get("preview")
      expect(record?.materialization?.runId).toBe(raised.runId)
      expect(JSON.stringify({ preview: record?.materialization?.metadata?.["preview"] }).length).toBe(2 * 1024 * 1024)

      const lowered = yield* Materialize.materialize(project).pipe(Effect.provide(Layer.mergeAll(io, Metadata.layerMaxBytes(100))))
      expect(lowered.failed.map((failure) => failure.key).sort()).toEqual(["preview", "small"])
      expect(lowered.failed.find((failure) => failure.key === "small")!.error.message).toContain("200 bytes of JSON, over the limit of 100 bytes")
    }).pipe(Effect.provide(Instance.layerMemory)))

  it.live("too much metadata from the I/O manager: the step fails, saying the value was stored but not recorded", () =>
    Effect.gen(function*() {
      class WideIO extends IOManager.Tag<WideIO, number>()("test/WideIO") {}
      const stored = new Map<string, number>()
      const wide = Layer.succeed(WideIO, {
        name: "wide",
        store: (context, value) =>
          Effect.sync(() => {
            stored.set(context.key, value)
            // a schema of 30,000 columns: about 1.5 MB
            return { metadata: { schema: Array.from({ length: 30_000 }, (_, i) => ({ name: `column_${i}`, type: "double precision" })) } }
          }),
        load: (context) => Effect.succeed(stored.get(context.key)!)
      })
      const table = Asset.make("warehouse/wide", { io: WideIO }, () => Effect.succeed(42))
      const run = yield* Materialize.materialize(Project.make({ assets: [table] })).pipe(Effect.provide(wide))
      expect(run.status).toBe("failed")
      const error = run.failed[0]!.error
      expect(error.tag).toBe("@strata/core/MetadataTooLarge")
      expect(error.message).toContain("the materialization metadata of asset warehouse/wide is")
      expect(error.message).toContain("had already stored the new value")
      expect(stored.get("warehouse/wide")).toBe(42)
      expect((yield* recorded(run.runId, "warehouse/wide")).map((event) => event.type)).toEqual(["step-started", "step-failed"])
      expect((yield* (yield* Instance.Instance).assets(["warehouse/wide"])).get("warehouse/wide")?.materialization).toBeUndefined()
    }).pipe(Effect.provide(Instance.layerMemory)))

  it.live("an observation's metadata is capped too, in a run and in Observe.sources", () =>
    Effect.gen(function*() {
      const feed = SourceAsset.make("raw/feed", {
        observe: Effect.succeed({ dataVersion: "v1", metadata: metadataOf(3 * 1024 * 1024) }),
        load: () => Effect.succeed(1)
      })
      const user = Asset.make("uses_feed", { deps: { feed } }, ({ feed }) => Effect.succeed(feed + 1))
      const project = Project.make({ assets: [feed, user] })
      const run = yield* Materialize.materialize(project)
      expect(run.failed.map((failure) => [failure.key, failure.error.tag])).toEqual([["raw/feed", "@strata/core/MetadataTooLarge"]])
      expect(run.failed[0]!.error.message).toContain("the observation metadata of asset raw/feed is 3,145,728 bytes")
      expect(run.skipped.map((skip) => skip.key)).toEqual(["uses_feed"])
      const observed = yield* Observe.sources(project)
      expect(observed.failed.map((failure) => [failure.key, failure.error.tag])).toEqual([["raw/feed", "@strata/core/MetadataTooLarge"]])
      const events = yield* (yield* Instance.Instance).events()
      expect(events.some((event) => event.type === "asset-observed")).toBe(false)
    }).pipe(Effect.provide(Layer.mergeAll(Instance.layerMemory, FileSystemIO.layer({ base: tempDir() })))))
})
