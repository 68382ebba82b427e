import { Context, Effect, Layer } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { Asset, FileSystemIO, Instance, IOManager, Materialize, Output, Project } from "../src/index.ts"

class Warehouse extends Context.Service<Warehouse, { readonly rows: (table: string) => Effect.Effect<number> }>()(
  "typetest/Warehouse"
) {}
class Table {
  readonly numRows = 0
}
class TableIO extends IOManager.Tag<TableIO, Table>()("typetest/TableIO") {}

const closed = <A, E>(effect: Effect.Effect<A, E, never>) => effect

const users = Asset.make("users", {}, () => Effect.succeed([{ id: 1, email: "a@b.c" }]))
const counted = Asset.make("counted", { deps: { users } }, ({ users }) =>
  Effect.gen(function*() {
    const warehouse = yield* Warehouse
    const extra = yield* warehouse.rows("users")
    return Output.make(users.length + extra, { metadata: { row_count: users.length } })
  }))
const table = Asset.make("table", { io: TableIO }, () => Effect.succeed(new Table()))
const project = Project.make({ assets: [users, counted, table] })

describe("compile-time requirements", () => {
  it("infers values and requirements from upstreams and compute functions", () => {
    expectTypeOf<Asset.Value<typeof users>>().toEqualTypeOf<Array<{ id: number; email: string }>>()
    expectTypeOf<Asset.Value<typeof counted>>().toEqualTypeOf<number>()
    expectTypeOf<Asset.Requirements<typeof counted>>().toEqualTypeOf<Warehouse | IOManager.DefaultIO>()
    expectTypeOf<Asset.Requirements<typeof table>>().toEqualTypeOf<TableIO>()
  })

  it("needs every resource and I/O manager of the project before it can run", () => {
    const everything = Layer.mergeAll(
      FileSystemIO.layer(),
      FileSystemIO.layerFor(TableIO),
      Instance.layerMemory,
      Layer.succeed(Warehouse, { rows: () => Effect.succeed(1) })
    )
    closed(Materialize.materialize(project).pipe(Effect.provide(everything)))

    // @ts-expect-error Warehouse (a resource) is not provided
    closed(Materialize.materialize(project).pipe(Effect.provide(Layer.mergeAll(FileSystemIO.layer(), FileSystemIO.layerFor(TableIO), Instance.layerMemory))))

    // @ts-expect-error TableIO (an I/O manager) is not provided
    closed(Materialize.materialize(project).pipe(Effect.provide(Layer.mergeAll(FileSystemIO.layer(), Instance.layerMemory, Layer.succeed(Warehouse, { rows: () => Effect.succeed(1) })))))

    // in memory: I/O managers and the instance are provided, resources are still required
    closed(Materialize.materializeInMemory(project).pipe(Effect.provide(Layer.succeed(Warehouse, { rows: () => Effect.succeed(1) }))))
    // @ts-expect-error Warehouse is still required in memory
    closed(Materialize.materializeInMemory(project))
  })

  it("rejects a compute function that misuses an upstream's type", () => {
    // @ts-expect-error users is an array of objects, not a string
    Asset.make("bad", { deps: { users } }, ({ users }) => Effect.succeed(users.toUpperCase()))
    // @ts-expect-error counted is a number: it has no .length
    Asset.make("bad2", { deps: { counted } }, ({ counted }) => Effect.succeed(counted.length))
    // @ts-expect-error the input is named users, not user
    Asset.make("bad3", { deps: { users } }, ({ user }) => Effect.succeed(user))
  })

  it("rejects a value its I/O manager cannot store", () => {
    // @ts-expect-error TableIO stores Tables, not numbers
    Asset.make("bad4", { io: TableIO }, () => Effect.succeed(42))
    Asset.make("ok", { io: TableIO }, () => Effect.succeed(Output.make(new Table(), { metadata: { row_count: 0 } })))
  })
})
