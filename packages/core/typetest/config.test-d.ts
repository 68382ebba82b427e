import { Context, Effect, Layer } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { Asset, FileSystemIO, Instance, IOManager, Project, StrataConfig } from "../src/index.ts"

class Clock2 extends Context.Service<Clock2, { readonly now: Effect.Effect<number> }>()("typetest/Clock2") {}
class TableIO extends IOManager.Tag<TableIO, ReadonlyArray<number>>()("typetest/TableIO") {}

const stamp = Asset.make("stamp", {}, () => Effect.gen(function*() { return yield* (yield* Clock2).now }))
const rows = Asset.make("rows", { io: TableIO }, () => Effect.succeed([1, 2, 3]))
const total = Asset.make("total", { deps: { rows } }, ({ rows }) => Effect.succeed(rows.length))
const project = Project.make({ assets: [stamp, rows, total] })

const clockLayer = Layer.succeed(Clock2, { now: Effect.succeed(0) })
const tableLayer = FileSystemIO.layerFor(TableIO)

describe("StrataConfig.define", () => {
  it("accepts environments providing every requirement, with or without an Instance", () => {
    const config = StrataConfig.define({
      project,
      environments: {
        local: () => Layer.mergeAll(clockLayer, tableLayer, FileSystemIO.layer()),
        prod: () => Layer.mergeAll(clockLayer, tableLayer, FileSystemIO.layer(), Instance.layerMemory)
      },
      defaultEnvironment: "local"
    })
    expectTypeOf(config.project).toEqualTypeOf<Project.Project<Clock2 | TableIO | IOManager.DefaultIO>>()
  })

  it("rejects an environment missing a resource", () => {
    StrataConfig.define({
      project,
      environments: {
        // @ts-expect-error Clock2 is not provided
        local: () => Layer.mergeAll(tableLayer, FileSystemIO.layer())
      }
    })
  })

  it("rejects an environment missing an I/O manager", () => {
    StrataConfig.define({
      project,
      environments: {
        local: () => Layer.mergeAll(clockLayer, tableLayer, FileSystemIO.layer()),
        // @ts-expect-error TableIO is not provided
        prod: () => Layer.mergeAll(clockLayer, FileSystemIO.layer())
      }
    })
  })

  it("rejects a layer that still needs something", () => {
    const needsClock = Layer.effect(TableIO, Effect.gen(function*() {
      yield* Clock2
      return FileSystemIO.make() as IOManager.IOManager<ReadonlyArray<number>>
    }))
    StrataConfig.define({
      project,
      environments: {
        // @ts-expect-error the layer requires Clock2 as an input
        local: () => Layer.mergeAll(needsClock, FileSystemIO.layer())
      }
    })
  })

  it("rejects an unknown default environment", () => {
    StrataConfig.define({
      project,
      environments: { local: () => Layer.mergeAll(clockLayer, tableLayer, FileSystemIO.layer()) },
      // @ts-expect-error there is no prod environment
      defaultEnvironment: "prod"
    })
  })
})

describe("StrataConfig.CheckEnvironment (the readable compile error)", () => {
  it("is the Layer when it provides everything, else a message naming the missing service", () => {
    type Complete = Layer.Layer<Clock2 | TableIO, never, never>
    expectTypeOf<StrataConfig.CheckEnvironment<Clock2 | TableIO, Complete>>().toEqualTypeOf<Complete>()
    expectTypeOf<StrataConfig.CheckEnvironment<Clock2 | TableIO, Layer.Layer<TableIO, never, never>>>()
      .toEqualTypeOf<"this environment does not provide typetest/Clock2">()
    expectTypeOf<StrataConfig.CheckEnvironment<TableIO, Layer.Layer<TableIO, never, Clock2>>>()
      .toEqualTypeOf<"this environment's Layer still requires typetest/Clock2; provide it inside the Layer">()
  })
})
