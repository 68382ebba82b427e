import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Asset, Project, Selection } from "../src/index.ts"

describe("selection with operators on both sides", () => {
  // a -> b -> c, and a -> x (a sibling branch of b)
  const a = Asset.make("a", {}, () => Effect.succeed(1))
  const b = Asset.make("b", { deps: { a } }, ({ a }) => Effect.succeed(a))
  const c = Asset.make("c", { deps: { b } }, ({ b }) => Effect.succeed(b))
  const x = Asset.make("x", { deps: { a } }, ({ a }) => Effect.succeed(a))
  const project = Project.make({ assets: [a, b, c, x] })

  it("selects the key's upstreams and downstreams, not the downstreams of its upstreams", () => {
    expect([...Selection.resolveSync(project, "+b+")].sort()).toEqual(["a", "b", "c"])
    expect([...Selection.resolveSync(project, "*b*")].sort()).toEqual(["a", "b", "c"])
    expect([...Selection.resolveSync(project, "+b")].sort()).toEqual(["a", "b"])
    expect([...Selection.resolveSync(project, "b*")].sort()).toEqual(["b", "c"])
  })
})
