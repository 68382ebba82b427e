import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { Asset, AssetKey, ExternalAsset, Project, SourceAsset } from "../src/index.ts"

const one = () => Effect.succeed(1)

describe("AssetKey", () => {
  it("accepts path keys and unicode letters", () => {
    expect(AssetKey.make("bronze/raw_users")).toBe("bronze/raw_users")
    expect(AssetKey.make("ventes/été-2024.v2")).toBe("ventes/été-2024.v2")
    expect(AssetKey.name(AssetKey.make("a/b/c"))).toBe("c")
  })

  it.each([
    ["", "cannot be empty"],
    ["/users", "cannot start or end with '/'"],
    ["users/", "cannot start or end with '/'"],
    ["a//b", "empty segment"],
    ["raw users", "contains \" \""],
    ["orders+1", "contains \"+\""],
    ["-x", "must start with a letter"]
  ])("rejects %j (%s)", (key, problem) => {
    expect(() => AssetKey.make(key)).toThrowError(AssetKey.InvalidAssetKey)
    expect(AssetKey.problem(key)).toContain(problem)
  })

  it("names the key in the error", () => {
    const error = (() => {
      try {
        Asset.make("silver users", {}, one)
      } catch (error) {
        return error
      }
    })() as AssetKey.InvalidAssetKey
    expect(error._tag).toBe("@strata/core/InvalidAssetKey")
    expect(error.message).toContain("\"silver users\"")
  })
})

describe("Asset.make", () => {
  it("records the spec and where it was defined", () => {
    const raw = Asset.make("bronze/raw", { group: "bronze", kinds: ["json"], owners: ["team:data"], tags: { tier: "1" } }, one)
    const clean = Asset.make("silver/clean", { deps: { raw }, description: "clean rows", codeVersion: "v1" }, ({ raw }) =>
      Effect.succeed(raw + 1))
    expect(clean.spec.deps).toEqual(["bronze/raw"])
    expect(clean.spec.codeVersion).toBe("v1")
    expect(raw.spec.group).toBe("bronze")
    expect(clean.spec.group).toBe("default")
    expect(raw.spec.location?.file).toMatch(/definitions\.test\.ts$/)
    expect(raw.spec.location?.line).toBeGreaterThan(40)
    expect(JSON.parse(JSON.stringify(clean.spec)).location.file).toMatch(/definitions\.test\.ts$/)
  })

  it("rejects a dependency that is not an asset, naming both", () => {
    expect(() => Asset.make("b", { deps: { a: {} as never } }, one)).toThrowError(/asset b: deps\.a is not an asset/)
    expect(() => Asset.make("b", { after: [42 as never] }, one)).toThrowError(/asset b: 'after' holds number/)
  })

  it("rejects a bad retry policy", () => {
    expect(() => Asset.make("b", { retry: { maxRetries: -1 } }, one)).toThrowError(/maxRetries/)
  })
})

describe("Project.make", () => {
  const a = Asset.make("a", {}, one)
  const b = Asset.make("b", { deps: { a } }, ({ a }) => Effect.succeed(a))

  it("orders the graph topologically", () => {
    const c = Asset.make("c", { deps: { b }, after: [a] }, ({ b }) => Effect.succeed(b))
    const project = Project.make({ assets: [c, b, a] })
    expect(project.graph.nodes.map((n) => n.key)).toEqual(["a", "b", "c"])
    expect(project.get("c")).toBe(c)
  })

  it("rejects duplicate keys, naming the asset and both definitions", () => {
    const other = Asset.make("a", {}, one)
    const error = Exit.findErrorOption(Effect.runSyncExit(Project.validate({ assets: [a, other] })))
    expect(error._tag).toBe("Some")
    const failure = (error as { value: Project.ProjectError }).value
    expect(failure).toBeInstanceOf(Project.DuplicateAssetKey)
    expect(failure.asset).toBe("a")
    expect(failure.message).toMatch(/asset a is defined more than once \(defined at .*definitions\.test\.ts:\d+ and .*definitions\.test\.ts:\d+\)/)
  })

  it("rejects a dependency missing from the project", () => {
    expect(() => Project.make({ assets: [b] })).toThrowError(Project.UnknownDependency)
    expect(() => Project.make({ assets: [b] })).toThrowError(/asset b depends on a, which is not in the project/)
  })

  it("rejects a cycle and names its path", () => {
    const x = Asset.make("x", { after: ["z"] }, one)
    const y = Asset.make("y", { deps: { x } }, one)
    const z = Asset.make("z", { deps: { y } }, one)
    const w = Asset.make("w", { deps: { z } }, one)
    let thrown: unknown
    try {
      Project.make({ assets: [w, x, y, z] })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(Project.CycleDetected)
    const cycle = thrown as Project.CycleDetected
    expect(cycle.path[0]).toBe(cycle.path[cycle.path.length - 1])
    expect(new Set(cycle.path)).toEqual(new Set(["x", "y", "z"]))
    expect(cycle.message).toMatch(/the dependencies form a cycle: (x|y|z) -> (x|y|z) -> (x|y|z) -> (x|y|z)/)
  })

  it("rejects a self-dependency", () => {
    const self = Asset.make("self", { after: ["self"] }, one)
    expect(() => Project.make({ assets: [self] })).toThrowError(/self -> self/)
  })

  it("rejects building on an external asset and on a source without a loader", () => {
    const dashboard = ExternalAsset.make("dashboards/growth", { deps: [a] })
    const late = Asset.make("late", { after: [dashboard] }, one)
    expect(() => Project.make({ assets: [a, dashboard, late] })).toThrowError(/asset late cannot depend on dashboards\/growth/)
    const raw = SourceAsset.make("raw", { observe: Effect.succeed({ dataVersion: "1" }) })
    const reads = Asset.make("reads", { deps: { raw } }, one)
    expect(() => Project.make({ assets: [raw, reads] })).toThrowError(/source raw has no 'load' function/)
    expect(Project.make({ assets: [raw, Asset.make("waits", { after: [raw] }, one)] }).graph.nodes).toHaveLength(2)
  })

  it("rejects something that is not an asset", () => {
    expect(() => Project.make({ assets: [a, "b" as never] })).toThrowError(/assets\[1\] is not an asset/)
  })
})

describe("SourceAsset files", () => {
  it("a file source lists its file as an absolute path; a custom source lists none", () => {
    const relative = SourceAsset.file("raw_a", "data/a.csv")
    expect(relative.files).toEqual([`${process.cwd()}/data/a.csv`])
    // resolved when read, like the path observed: `strata` changes to the config's folder after loading the project
    const cwd = process.cwd()
    try {
      process.chdir(tmpdir())
      expect(relative.files).toEqual([join(process.cwd(), "data", "a.csv")])
    } finally {
      process.chdir(cwd)
    }
    const pinned = SourceAsset.file("raw_b", new URL("./data/b.csv", import.meta.url))
    expect(pinned.files).toEqual([new URL("./data/b.csv", import.meta.url).pathname])
    const custom = SourceAsset.make("raw_c", { observe: Effect.succeed({ dataVersion: "1" }) })
    expect(custom.files).toEqual([])
  })
})
