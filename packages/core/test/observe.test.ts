import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Instance, Observe, Project, SourceAsset, Staleness } from "../src/index.ts"

describe("Observe.sources", () => {
  it.effect("records only changed sources, in a run tagged as an observation", () =>
    Effect.gen(function*() {
      let version = "v1"
      const raw = SourceAsset.make("raw", { observe: Effect.sync(() => ({ dataVersion: version })) })
      const fixed = SourceAsset.make("fixed", { observe: Effect.succeed({ dataVersion: "same" }) })
      const project = Project.make({ assets: [raw, fixed] })
      const instance = yield* Instance.Instance

      const first = yield* Observe.sources(project)
      expect(first.changed.map((c) => c.key)).toEqual(["raw", "fixed"])
      expect((yield* Staleness.status(project)).map((s) => s.status)).toEqual(["fresh", "fresh"])

      const second = yield* Observe.sources(project)
      expect(second.runId).toBeUndefined()
      expect(second.unchanged).toEqual(["raw", "fixed"])

      version = "v2"
      const third = yield* Observe.sources(project, { selection: "raw" })
      expect(third.changed).toEqual([{ key: "raw", dataVersion: "v2", previous: "v1" }])
      const runs = yield* instance.listRuns()
      expect(runs.length).toBe(2)
      expect(runs[0]!.tags).toEqual({ "strata/kind": "observe" })
      expect(runs[0]!.status).toBe("succeeded")
      expect((yield* instance.assets(["raw"])).get("raw")!.observation!.dataVersion).toBe("v2")
    }).pipe(Effect.provide(Instance.layerMemory)))

  it.effect("reports a source that cannot be observed without recording anything", () =>
    Effect.gen(function*() {
      const missing = SourceAsset.file("raw_missing", "/nonexistent/strata/users.csv")
      const project = Project.make({ assets: [missing] })
      const result = yield* Observe.sources(project)
      expect(result.failed[0]!.key).toBe("raw_missing")
      expect(result.failed[0]!.error.message).toContain("does not exist")
      expect((yield* (yield* Instance.Instance).listRuns()).length).toBe(0)
    }).pipe(Effect.provide(Instance.layerMemory)))
})
