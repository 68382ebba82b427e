import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Asset, ExternalAsset, InMemoryIO, Instance, IOManager, Materialize, Project, SourceAsset, Staleness, Version } from "../src/index.ts"

const byKey = (statuses: ReadonlyArray<Staleness.AssetStatus>) =>
  Object.fromEntries(statuses.map((s) => [s.key, { status: s.status, reasons: s.reasons.map(Staleness.describe) }]))

const env = Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory)

// a tiny world: a raw source whose version the test controls, and a chain built on it
const world = (
  state: { version: string; rows: Array<number> },
  options?: { silverCompute?: (inputs: { raw: Array<number> }) => Effect.Effect<Array<number>>; goldVersion?: string }
) => {
  const raw = SourceAsset.make("raw", {
    observe: Effect.sync(() => ({ dataVersion: state.version })),
    load: () => Effect.sync(() => state.rows)
  })
  const silver = Asset.make("silver", { deps: { raw } }, options?.silverCompute ?? (({ raw }) => Effect.succeed(raw.map((x) => x * 1))))
  const gold = Asset.make("gold", { deps: { silver }, codeVersion: options?.goldVersion ?? "g1" }, ({ silver }) =>
    Effect.succeed(silver.reduce((a, b) => a + b, 0)))
  const dashboard = ExternalAsset.make("dashboard", { deps: [gold] })
  return { raw, silver, gold, project: Project.make({ assets: [raw, silver, gold, dashboard] }) }
}

describe("staleness", () => {
  it.effect("is missing before anything ran, fresh after", () =>
    Effect.gen(function*() {
      const { project } = world({ version: "v1", rows: [1, 2] })
      expect(byKey(yield* Staleness.status(project))).toEqual({
        raw: { status: "missing", reasons: ["never observed"] },
        silver: { status: "missing", reasons: ["never materialized"] },
        gold: { status: "missing", reasons: ["never materialized"] },
        dashboard: { status: "stale", reasons: ["upstream gold is missing"] }
      })
      yield* Materialize.materialize(project)
      const after = yield* Staleness.status(project)
      expect(after.every((s) => s.status === "fresh")).toBe(true)
    }).pipe(Effect.provide(env)))

  it.effect("upstream has new data: names the upstream and both versions; downstream is stale transitively", () =>
    Effect.gen(function*() {
      const state = { version: "v1", rows: [1, 2] }
      const { project } = world(state)
      yield* Materialize.materialize(project)
      state.version = "v2"
      state.rows = [1, 2, 3]
      // a new observation records the source's new version
      yield* Materialize.materialize(project, { selection: "raw" })
      const statuses = byKey(yield* Staleness.status(project))
      expect(statuses.silver).toEqual({ status: "stale", reasons: ["upstream raw has new data (v2 after v1)"] })
      expect(statuses.gold).toEqual({ status: "stale", reasons: ["upstream silver is stale"] })
      expect(statuses.dashboard).toEqual({ status: "stale", reasons: ["upstream gold is stale"] })
    }).pipe(Effect.provide(env)))

  it.effect("code version changed: names both versions, explicit or hashed from the source", () =>
    Effect.gen(function*() {
      const state = { version: "v1", rows: [1, 2] }
      yield* Materialize.materialize(world(state).project)
      const changed = world(state, { goldVersion: "g2", silverCompute: ({ raw }) => Effect.succeed(raw.map((x) => x * 2)) })
      const statuses = yield* Staleness.status(changed.project)
      const silver = statuses.find((s) => s.key === "silver")!
      expect(silver.status).toBe("stale")
      expect(silver.reasons[0]!.type).toBe("code-changed")
      expect(Staleness.describe(silver.reasons[0]!)).toMatch(/^code version changed \([0-9a-f]{16} -> [0-9a-f]{16}\)$/)
      const gold = statuses.find((s) => s.key === "gold")!
      expect(gold.reasons.map(Staleness.describe)).toEqual(["code version changed (g1 -> g2)", "upstream silver is stale"])
    }).pipe(Effect.provide(env)))

  it("ignores comments and formatting in the default code version, not real changes", () => {
    const a = (x: number) => x + 1
    // prettier-ignore
    const b = (x: number) => {
      return x + 1 // a comment
    }
    const c = (x: number) => {
      /* also a comment */ return x + 1
    }
    const d = (x: number) => {
      return x + 2
    }
    expect(Version.ofFunction(b)).toBe(Version.ofFunction(c))
    expect(Version.ofFunction(b)).not.toBe(Version.ofFunction(d))
    expect(Version.ofFunction(a)).not.toBe(Version.ofFunction(b))
    expect(Version.normalizeSource("x => 'a  //  b' // c")).toBe("x=>'a  //  b'")
  })

  it.effect("dependencies changed: names what was added and removed", () =>
    Effect.gen(function*() {
      const a = Asset.make("a", {}, () => Effect.succeed(1))
      const b = Asset.make("b", {}, () => Effect.succeed(2))
      const make = (withB: boolean) =>
        Asset.make("c", { codeVersion: "same", ...(withB ? { after: [b] } : { after: [a] }) }, () => Effect.succeed(3))
      yield* Materialize.materialize(Project.make({ assets: [a, b, make(false)] }))
      const statuses = yield* Staleness.status(Project.make({ assets: [a, b, make(true)] }))
      expect(byKey(statuses).c).toEqual({ status: "stale", reasons: ["dependencies changed (added b; removed a)"] })
    }).pipe(Effect.provide(env)))

  it.effect("re-materializing an upstream to identical output leaves downstream fresh, and staleOnly then does nothing", () =>
    Effect.gen(function*() {
      const state = { version: "v1", rows: [1, 2] }
      const { project } = world(state)
      yield* Materialize.materialize(project)
      // silver recomputed (forced) with the same output: same data version
      const again = yield* Materialize.materialize(project, { selection: "silver" })
      expect(again.materialized).toEqual(["silver"])
      expect(byKey(yield* Staleness.status(project)).gold).toEqual({ status: "fresh", reasons: [] })
      const staleOnly = yield* Materialize.materialize(project, { staleOnly: true })
      expect(staleOnly.materialized).toEqual([])
      expect(staleOnly.observed).toEqual(["raw"])
      expect(staleOnly.skipped.map((s) => [s.key, s.kind])).toEqual([["silver", "not-stale"], ["gold", "not-stale"]])
      expect(staleOnly.skipped[0]!.reason).toMatch(/^up to date: code and inputs unchanged since run /)
    }).pipe(Effect.provide(env)))

  it.effect("staleOnly rebuilds exactly the stale cone, and stops where data did not change", () =>
    Effect.gen(function*() {
      const state = { version: "v1", rows: [1, 2] }
      const { project } = world(state)
      yield* Materialize.materialize(project)
      // the source changes but silver's output does not (same rows): gold must not be rebuilt
      state.version = "v2"
      const sameRows = yield* Materialize.materialize(project, { staleOnly: true })
      expect(sameRows.materialized).toEqual(["silver"])
      expect(sameRows.skipped.map((s) => s.key)).toEqual(["gold"])
      // now the rows change too: both rebuild
      state.version = "v3"
      state.rows = [5]
      const newRows = yield* Materialize.materialize(project, { staleOnly: true })
      expect(newRows.materialized).toEqual(["silver", "gold"])
      const statuses = yield* Staleness.status(project)
      expect(statuses.filter((s) => s.kind !== "external").every((s) => s.status === "fresh")).toBe(true)
    }).pipe(Effect.provide(env)))

  it.effect("computes statuses for 10,000 assets in one linear pass", () =>
    Effect.gen(function*() {
      const width = 1000
      const layers: Array<Array<Asset.Asset<number, never, IOManager.DefaultIO>>> = []
      for (let l = 0; l < 10; l++) {
        const layer: Array<Asset.Asset<number, never, IOManager.DefaultIO>> = []
        for (let i = 0; i < width; i++) {
          if (l === 0) layer.push(Asset.make(`a_0_${i}`, {}, () => Effect.succeed(1)))
          else {
            const x = layers[l - 1]![i]!
            const y = layers[l - 1]![(i + 1) % width]!
            layer.push(Asset.make(`a_${l}_${i}`, { deps: { x, y } }, ({ x, y }) => Effect.succeed((x + y) % 1000)))
          }
        }
        layers.push(layer)
      }
      const project = Project.make({ assets: layers.flat() })
      yield* Materialize.materialize(project)
      expect((yield* Staleness.status(project)).filter((s) => s.status !== "fresh")).toHaveLength(0)
      yield* Materialize.materialize(project, { selection: "a_0_0" })
      // a_0_0 re-materialized with identical output: nothing is stale
      expect((yield* Staleness.status(project)).filter((s) => s.status !== "fresh")).toHaveLength(0)
    }).pipe(Effect.provide(env)), 60_000)
})
