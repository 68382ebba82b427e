import { Asset, Instance, IOManager, Materialize, Project } from "@strata/core"
import type * as Arrow from "apache-arrow"
import { Effect, Layer } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { PgClient, PgError, PostgresInstance, PostgresIOManager, PostgresRowsIOManager } from "../src/index.ts"

class TableIO extends IOManager.Tag<TableIO, Arrow.Table>()("typetest/TableIO") {}
class NumbersIO extends IOManager.Tag<NumbersIO, ReadonlyArray<number>>()("typetest/NumbersIO") {}

describe("layers", () => {
  it("I/O managers and the instance need a PgClient, which needs nothing", () => {
    expectTypeOf(PostgresIOManager.layer()).toEqualTypeOf<Layer.Layer<PostgresIOManager, never, PgClient>>()
    expectTypeOf(PostgresRowsIOManager.layer()).toEqualTypeOf<Layer.Layer<PostgresRowsIOManager, never, PgClient>>()
    expectTypeOf(PostgresIOManager.layerFor(TableIO)).toEqualTypeOf<Layer.Layer<TableIO, never, PgClient>>()
    expectTypeOf(PostgresIOManager.layerDefault()).toEqualTypeOf<Layer.Layer<IOManager.DefaultIO, never, PgClient>>()
    expectTypeOf(PostgresInstance.layer()).toEqualTypeOf<Layer.Layer<Instance.Instance, Instance.InstanceError, PgClient>>()
    expectTypeOf(PgClient.layer({})).toEqualTypeOf<Layer.Layer<PgClient, PgError>>()
  })

  it("a key whose values are not tables needs a handler", () => {
    // @ts-expect-error NumbersIO's values are not Arrow tables: a handler is required
    PostgresIOManager.layerFor(NumbersIO)
    PostgresIOManager.layerFor(NumbersIO, {
      handler: { name: "numbers", toTable: () => null as unknown as Arrow.Table, fromTable: () => [1, 2] }
    })
  })

  it("a project materialized on Postgres needs every layer", () => {
    const a = Asset.make("a", { io: TableIO }, () => Effect.succeed(null as unknown as Arrow.Table))
    const run = Materialize.materialize(Project.make({ assets: [a] }))
    const closed = <A, E>(effect: Effect.Effect<A, E, never>) => effect
    // @ts-expect-error the PgClient is missing
    closed(run.pipe(Effect.provide(Layer.mergeAll(PostgresIOManager.layerFor(TableIO), PostgresInstance.layer()))))
    closed(
      run.pipe(
        Effect.provide(
          Layer.mergeAll(PostgresIOManager.layerFor(TableIO), PostgresInstance.layer()).pipe(Layer.provide(PgClient.layerConfig))
        )
      )
    )
  })
})
