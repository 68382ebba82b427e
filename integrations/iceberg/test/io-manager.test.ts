// IcebergIO on a filesystem catalog: what it stores is read back by itself and by icebird (an independent
// reader over HTTP); partitions replace only themselves; the data version is the snapshot id; errors are typed.
import * as path from "node:path"
import { AssetKey, IOManager } from "@strata/core"
import * as Arrow from "apache-arrow"
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { IcebergCatalog, IcebergIO } from "../src/index.ts"
import { icebirdRows, rowsOf, serveFolder, tempDir } from "./support.ts"

const output = (key: string, partition?: string): IOManager.OutputContext => ({
  key: AssetKey.make(key),
  partition,
  runId: "run-1",
  definitionMetadata: {}
})
const input = (key: string, partition?: string): IOManager.InputContext => ({
  key: AssetKey.make(key),
  partition,
  downstream: undefined,
  definitionMetadata: {}
})

const managers = (warehouse: string, location?: string) =>
  IcebergIO.make(IcebergCatalog.makeFileSystem(location === undefined ? { warehouse } : { warehouse, location }))

const orders = (amounts: ReadonlyArray<number>) =>
  new Arrow.Table({
    id: Arrow.makeVector(BigInt64Array.from(amounts.map((_, i) => BigInt(i + 1)))),
    amount: Arrow.makeVector(Float64Array.from(amounts)),
    region: Arrow.vectorFromArray(amounts.map((amount) => (amount > 10 ? "EU" : null)), new Arrow.Utf8())
  })

describe("IcebergIO", () => {
  it("stores an Iceberg table other engines read, with the snapshot id as its data version", async () => {
    const warehouse = tempDir("io")
    // the warehouse is also served over HTTP, for icebird; locations in the metadata point there
    const served = await serveFolder(warehouse)
    const io = managers(warehouse, served.url).tables
    const first = await Effect.runPromise(io.store(output("silver/orders"), orders([5, 12.5, 30])))
    const second = await Effect.runPromise(io.store(output("silver/orders"), orders([1, 2])))
    const loaded = await Effect.runPromise(io.load(input("silver/orders")))
    expect(rowsOf(loaded)).toEqual([{ id: 1n, amount: 1, region: null }, { id: 2n, amount: 2, region: null }])
    expect(first.dataVersion).toMatch(/^snapshot-\d+$/)
    expect(second.dataVersion).not.toBe(first.dataVersion)
    expect(second.metadata).toMatchObject({
      row_count: 2,
      table: "silver.orders",
      null_counts: { id: 0, amount: 0, region: 2 },
      files_added: 1,
      files_removed: 1,
      table_rows: 2
    })
    expect(second.dataVersion).toBe(`snapshot-${second.metadata?.["snapshot_id"]}`)
    // an independent reader sees the overwrite, not both writes
    try {
      const rows = await icebirdRows(`${served.url}/silver/orders`)
      expect(rows.map((row) => Number(row["amount"]))).toEqual([1, 2])
    } finally {
      await served.close()
    }
  })

  it("a partition replaces only itself and loads alone", async () => {
    const io = managers(tempDir("io-partitions")).tables
    const run = <A>(effect: Effect.Effect<A, IOManager.IOError>) => Effect.runPromise(effect)
    await run(io.store(output("gold/daily", "2024-01-01"), orders([1, 2])))
    await run(io.store(output("gold/daily", "2024-01-02"), orders([3])))
    await run(io.store(output("gold/daily", "2024-01-01"), orders([10, 20, 30])))
    const first = rowsOf(await run(io.load(input("gold/daily", "2024-01-01"))))
    const second = rowsOf(await run(io.load(input("gold/daily", "2024-01-02"))))
    expect(first.map((row) => row["amount"])).toEqual([10, 20, 30])
    expect(Object.keys(first[0]!)).not.toContain("_partition")
    expect(second.map((row) => row["amount"])).toEqual([3])
  })

  it("DefaultIO: JSON values and rows load back as what was stored", async () => {
    const io = managers(tempDir("io-values")).values
    await Effect.runPromise(io.store(output("kinds/config"), { a: 1, b: ["x", null] }))
    await Effect.runPromise(io.store(output("kinds/rows"), [{ city: "Oslo", n: 2 }, { city: "Rome", n: null }]))
    expect(await Effect.runPromise(io.load(input("kinds/config")))).toEqual({ a: 1, b: ["x", null] })
    expect(await Effect.runPromise(io.load(input("kinds/rows")))).toEqual([{ city: "Oslo", n: 2 }, { city: "Rome", n: null }])
  })

  it("a missing table is a typed error naming the asset", async () => {
    const warehouse = tempDir("io-missing")
    const exit = await Effect.runPromiseExit(managers(warehouse).tables.load(input("silver/never")))
    expect(Exit.isFailure(exit)).toBe(true)
    const error = Exit.isFailure(exit) ? exit.cause.reasons.find((reason) => reason._tag === "Fail") : undefined
    const failure = error?._tag === "Fail" ? error.error as IOManager.IOError : undefined
    expect(failure?.key).toBe("silver/never")
    expect(failure?.message).toContain("materialize it first")
    expect(path.isAbsolute(warehouse)).toBe(true)
  })
})
