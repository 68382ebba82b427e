/**
 * `runAsset` (from `@strata/core/testing`): one asset's compute with given
 * upstream values and test Layers, nothing loaded or stored, no instance.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Schema } from "effect"
import { Asset, IOManager, Output, SourceAsset } from "../src/index.ts"
import { runAsset, runAssetOutput } from "../src/testing.ts"

class Rates extends Context.Service<Rates, { readonly eur: (usd: number) => Effect.Effect<number> }>()("test/Rates") {}
class TableIO extends IOManager.Tag<TableIO, ReadonlyArray<{ id: number; eur: number }>>()("test/TableIO") {}
class BadRow extends Schema.TaggedError<BadRow>()("BadRow", { id: Schema.Number }) {}

// the upstream reads a real file: the test never touches it
const rawOrders = SourceAsset.file("raw_orders", "data/does-not-exist.csv", {
  parse: (text) => text.split("\n").map((line) => ({ id: Number(line), usd: 10 }))
})
const orders = Asset.make("orders", { deps: { rawOrders }, io: TableIO }, ({ rawOrders }, context) =>
  Effect.gen(function*() {
    const rates = yield* Rates
    const rows = []
    for (const order of rawOrders) {
      if (order.usd < 0) return yield* new BadRow({ id: order.id })
      rows.push({ id: order.id, eur: yield* rates.eur(order.usd) })
    }
    return Output.make(rows, { metadata: { row_count: rows.length, attempt: context.attempt } })
  }))

const testRates = Layer.succeed(Rates, { eur: (usd) => Effect.succeed(usd * 0.5) })

describe("runAsset", () => {
  it.effect("computes with the given upstream values and test Layers; the I/O manager is not needed", () =>
    Effect.gen(function*() {
      const rows = yield* runAsset(orders, { upstream: { rawOrders: [{ id: 1, usd: 10 }, { id: 2, usd: 4 }] }, layer: testRates })
      expect(rows).toEqual([{ id: 1, eur: 5 }, { id: 2, eur: 2 }])
      const output = yield* runAssetOutput(orders, { upstream: { rawOrders: [{ id: 3, usd: 2 }] }, layer: testRates, attempt: 2 })
      expect(output.value).toEqual([{ id: 3, eur: 1 }])
      expect(output.metadata).toEqual({ row_count: 1, attempt: 2 })
    }))

  it.effect("fails with the asset's own error", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(runAsset(orders, { upstream: { rawOrders: [{ id: 7, usd: -1 }] }, layer: testRates }))
      expect(error).toEqual(new BadRow({ id: 7 }))
    }))

  it.effect("an asset without deps and services needs no options", () =>
    Effect.gen(function*() {
      const one = Asset.make("one", {}, () => Effect.succeed(1))
      const value = yield* runAsset(one)
      expect(value).toBe(1)
    }))

  it("is typed like the asset: upstream values, value and missing services are checked", () => {
    if (Math.random() < 2) return // types only
    // @ts-expect-error rawOrders must be an array of { id, usd }
    runAsset(orders, { upstream: { rawOrders: "nope" }, layer: testRates })
    // @ts-expect-error the upstream value is required
    runAsset(orders, { upstream: {}, layer: testRates })
    const needsRates: Effect.Effect<ReadonlyArray<{ id: number; eur: number }>, BadRow, Rates> = runAsset(orders, {
      upstream: { rawOrders: [] }
    })
    const provided: Effect.Effect<ReadonlyArray<{ id: number; eur: number }>, BadRow, never> = runAsset(orders, {
      upstream: { rawOrders: [] },
      layer: testRates
    })
    void needsRates
    void provided
  })
})
