// Operations on real tables, checked with our reader and with icebird (an
// independent reader) after partition overwrites, schema evolution and
// snapshot expiry.
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Exit } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { IcebergTable, TableMetadata } from "../src/index.ts"
import { fileSystemLayer, filesUnder, icebirdRows, rowsOf, run, runExit, serveFolder, tableOf, tempDir } from "./support.ts"

let warehouse: string
let server: { url: string; close: () => Promise<void> }
let layer: ReturnType<typeof fileSystemLayer>

beforeAll(async () => {
  warehouse = tempDir("operations")
  server = await serveFolder(warehouse)
  layer = fileSystemLayer(warehouse, server.url)
})
afterAll(async () => {
  await server.close()
  fs.rmSync(warehouse, { recursive: true, force: true })
})

const DAY = 86_400_000_000n
const day = (iso: string) => BigInt(Date.parse(`${iso}T00:00:00Z`)) * 1000n

const orders = (rows: ReadonlyArray<{ id: number; country: string; at: bigint; amount: number }>) =>
  tableOf({
    id: { type: "long", values: rows.map((row) => BigInt(row.id)), nullable: false },
    country: { type: "string", values: rows.map((row) => row.country) },
    at: { type: "timestamptz", values: rows.map((row) => row.at) },
    amount: { type: "double", values: rows.map((row) => row.amount) }
  })

const sortById = (rows: Array<Record<string, unknown>>) => rows.sort((a, b) => Number(BigInt(a["id"] as bigint) - BigInt(b["id"] as bigint)))
const ids = (rows: Array<Record<string, unknown>>) => sortById(rows).map((row) => Number(row["id"]))

describe("replacing the partitions written (dynamic overwrite)", () => {
  it("with day() and identity partitions, replaces exactly the partitions of the written rows", async () => {
    const options = { partitionBy: [{ column: "at", transform: "day" as const }, { column: "country" }] }
    const base = orders([
      { id: 1, country: "FR", at: day("2024-05-01") + 5n, amount: 1 },
      { id: 2, country: "DE", at: day("2024-05-01") + 6n, amount: 2 },
      { id: 3, country: "FR", at: day("2024-05-02"), amount: 3 },
      { id: 4, country: "FR", at: day("2024-05-03") + DAY - 1n, amount: 4 }
    ])
    const first = await run(IcebergTable.replacePartitions("shop.orders", base, options), layer)
    expect(first).toMatchObject({ addedFiles: 4, removedFiles: 0, operation: "append", totalRecords: 4 })
    expect(filesUnder(path.join(warehouse, "shop", "orders", "data")).map((file) => path.relative(path.join(warehouse, "shop", "orders", "data"), path.dirname(file))).sort())
      .toEqual(["at_day=2024-05-01/country=DE", "at_day=2024-05-01/country=FR", "at_day=2024-05-02/country=FR", "at_day=2024-05-03/country=FR"])

    // a new version of day 2024-05-01 / FR, and a new partition
    const update = orders([
      { id: 10, country: "FR", at: day("2024-05-01") + 7n, amount: 10 },
      { id: 11, country: "IT", at: day("2024-05-02"), amount: 11 }
    ])
    const second = await run(IcebergTable.replacePartitions("shop.orders", update), layer)
    expect(second).toMatchObject({ addedFiles: 2, removedFiles: 1, removedRecords: 1, operation: "overwrite", totalRecords: 5 })
    expect(ids(rowsOf(await run(IcebergTable.read("shop.orders"), layer)))).toEqual([2, 3, 4, 10, 11])
    expect(ids(await icebirdRows(`${server.url}/shop/orders`))).toEqual([2, 3, 4, 10, 11])
    // the previous snapshot is still readable
    expect(ids(rowsOf(await run(IcebergTable.read("shop.orders", { snapshotId: first.snapshotId }), layer)))).toEqual([1, 2, 3, 4])
  })

  it("prunes files by partition and column statistics, projects columns and filters rows", async () => {
    const byDay = await run(IcebergTable.plan("shop.orders", { filter: [{ column: "at", op: ">=", value: new Date("2024-05-02T00:00:00Z") }] }), layer)
    expect(byDay.files.length).toBe(3) // 05-02 FR, 05-02 IT, 05-03 FR
    expect(byDay.filesSkipped).toBe(2)
    // day(at) keeps the 05-02 files for noon; their column bounds (midnight) drop them
    const byBounds = await run(IcebergTable.plan("shop.orders", { filter: [{ column: "at", op: ">=", value: new Date("2024-05-02T12:00:00Z") }] }), layer)
    expect(byBounds.files.map((file) => file.dataFile.partition[1])).toEqual(["FR"])
    const byCountry = await run(IcebergTable.plan("shop.orders", { filter: [{ column: "country", op: "in", values: ["IT", "DE"] }] }), layer)
    expect(byCountry.files.map((file) => file.dataFile.partition[1]).sort()).toEqual(["DE", "IT"])
    const byStats = await run(IcebergTable.plan("shop.orders", { filter: [{ column: "amount", op: ">", value: 9.5 }] }), layer)
    expect(byStats.files.map((file) => file.dataFile.recordCount)).toEqual([1, 1])
    const table = await run(IcebergTable.read("shop.orders", {
      columns: ["id", "amount"],
      filter: [{ column: "at", op: "<", value: new Date("2024-05-02T00:00:00Z") }]
    }), layer)
    expect(table.schema.fields.map((field) => field.name)).toEqual(["id", "amount"])
    expect(sortById(rowsOf(table))).toEqual([{ id: 2n, amount: 2 }, { id: 10n, amount: 10 }])
  })
})

describe("overwrite and time travel", () => {
  it("overwrite replaces every row; reads by snapshot id and by time see the past", async () => {
    const one = await run(IcebergTable.overwrite("shop.items", tableOf({ n: { type: "int", values: [1, 2] } })), layer)
    await new Promise((resolve) => setTimeout(resolve, 5))
    const between = Date.now()
    await new Promise((resolve) => setTimeout(resolve, 5))
    const two = await run(IcebergTable.overwrite("shop.items", tableOf({ n: { type: "int", values: [3] } })), layer)
    expect(two).toMatchObject({ operation: "overwrite", removedFiles: 1, removedRecords: 2, totalRecords: 1 })
    expect(rowsOf(await run(IcebergTable.read("shop.items"), layer))).toEqual([{ n: 3 }])
    expect(rowsOf(await run(IcebergTable.read("shop.items", { asOf: between }), layer))).toEqual([{ n: 1 }, { n: 2 }])
    expect(rowsOf(await run(IcebergTable.read("shop.items", { snapshotId: one.snapshotId }), layer))).toEqual([{ n: 1 }, { n: 2 }])
    const missing = await runExit(IcebergTable.read("shop.items", { asOf: 0 }), layer)
    expect(Exit.isFailure(missing) && String(missing.cause)).toMatch(/no snapshot was current/)
  })
})

describe("schema evolution by field id", () => {
  it("adds, renames and widens columns; old files read through the new schema, by us and by icebird", async () => {
    const v1 = tableOf({ id: { type: "int", values: [1, 2], nullable: false }, price: { type: "double", values: [1.5, 2.5] } })
    await run(IcebergTable.append("shop.evolve", v1), layer)
    // widen id int -> long, add a column
    const v2 = tableOf({
      id: { type: "long", values: [3n], nullable: false },
      price: { type: "double", values: [3.5] },
      note: { type: "string", values: ["new"] }
    })
    const added = await run(IcebergTable.append("shop.evolve", v2), layer)
    expect(added.schemaChanges).toEqual([
      { column: "id", change: "widened", from: "int", to: "long" },
      { column: "note", change: "added", to: "string" }
    ])
    // rename price -> amount: the field id stays
    const schema = await run(IcebergTable.renameColumn("shop.evolve", "price", "amount"), layer)
    expect(schema.fields.map((field) => [field.id, field.name, field.type])).toEqual([[1, "id", "long"], [2, "amount", "double"], [3, "note", "string"]])
    const rows = sortById(rowsOf(await run(IcebergTable.read("shop.evolve"), layer)))
    expect(rows).toEqual([
      { id: 1n, amount: 1.5, note: null },
      { id: 2n, amount: 2.5, note: null },
      { id: 3n, amount: 3.5, note: "new" }
    ])
    const independent = sortById(await icebirdRows(`${server.url}/shop/evolve`))
    expect(independent.map((row) => [Number(row["id"]), row["amount"], row["note"] ?? null])).toEqual([[1, 1.5, null], [2, 2.5, null], [3, 3.5, "new"]])
    // a write with the old name and the rename option
    await run(IcebergTable.append("shop.evolve", tableOf({ id: { type: "long", values: [4n], nullable: false }, cost: { type: "double", values: [4.5] } }), { renames: { amount: "cost" } }), layer)
    const { metadata } = await run(IcebergTable.load("shop.evolve"), layer)
    expect(TableMetadata.currentSchema(metadata).fields.map((field) => field.name)).toEqual(["id", "cost", "note"])
    expect(metadata.schemas.length).toBe(4)
  })

  it("refuses a breaking change with an error naming the column, and leaves the table as it was", async () => {
    const before = await run(IcebergTable.load("shop.evolve"), layer)
    const retyped = tableOf({ id: { type: "string", values: ["x"], nullable: false } })
    const exit = await runExit(IcebergTable.append("shop.evolve", retyped), layer)
    expect(Exit.isFailure(exit)).toBe(true)
    const error = Exit.isFailure(exit) ? (exit.cause as unknown as { reasons: Array<{ error: { reason: string; column: string; message: string } }> }).reasons[0]!.error : undefined
    expect(error).toMatchObject({ reason: "schema-incompatible", column: "id" })
    expect(error!.message).toMatch(/the table's column is long and the written column is string/)
    const missingRequired = await runExit(IcebergTable.append("shop.evolve", tableOf({ cost: { type: "double", values: [1] } })), layer)
    expect(String(Exit.isFailure(missingRequired) && missingRequired.cause)).toMatch(/column id.*lacks this required column/)
    const strict = await runExit(IcebergTable.append("shop.evolve", tableOf({ id: { type: "long", values: [9n], nullable: false }, extra: { type: "int", values: [1] } }), { schemaChanges: "error" }), layer)
    expect(String(Exit.isFailure(strict) && strict.cause)).toMatch(/column extra.*schema changes are off/)
    const after = await run(IcebergTable.load("shop.evolve"), layer)
    expect(after.metadataLocation).toBe(before.metadataLocation)
  })
})

describe("snapshot expiry and orphan files", () => {
  it("expires snapshots by a retention policy, deletes the files only they referenced, keeps the table readable", async () => {
    for (let i = 1; i <= 4; i++) {
      await run(IcebergTable.overwrite("shop.history", tableOf({ n: { type: "int", values: [i, i * 10] } })), layer)
    }
    await run(IcebergTable.append("shop.history", tableOf({ n: { type: "int", values: [5] } })), layer)
    const dataFolder = path.join(warehouse, "shop", "history", "data")
    expect(filesUnder(dataFolder).length).toBe(5)
    const before = await run(IcebergTable.load("shop.history"), layer)
    const oldest = before.metadata.snapshots[0]!["snapshot-id"]
    const result = await run(IcebergTable.expireSnapshots("shop.history", { maxSnapshotAgeMs: 0, minSnapshotsToKeep: 2 }), layer)
    expect(result.expiredSnapshotIds.length).toBe(3)
    // overwrites 1-3 are gone with their data files; overwrite 4 and the append stay
    expect(filesUnder(dataFolder).length).toBe(2)
    const after = await run(IcebergTable.load("shop.history"), layer)
    expect(after.metadata.snapshots.length).toBe(2)
    expect(after.metadata["snapshot-log"].length).toBe(2)
    expect(TableMetadata.validate(JSON.parse(JSON.stringify(after.metadata, (_k, v) => typeof v === "bigint" ? Number(v) : v))).problems).toEqual([])
    expect(rowsOf(await run(IcebergTable.read("shop.history"), layer)).map((row) => row["n"]).sort()).toEqual([4, 40, 5].sort())
    expect((await icebirdRows(`${server.url}/shop/history`)).map((row) => row["n"]).sort()).toEqual([4, 40, 5].sort())
    const gone = await runExit(IcebergTable.read("shop.history", { snapshotId: oldest }), layer)
    expect(String(Exit.isFailure(gone) && gone.cause)).toMatch(/does not exist \(expired\?\)/)
  })

  it("sweeps files that no snapshot references (a failed commit's), and nothing else", async () => {
    const table = path.join(warehouse, "shop", "history")
    const stray = [path.join(table, "data", "00000-failed.parquet"), path.join(table, "metadata", "dead-m0.avro"), path.join(table, "metadata", "v9.metadata.json.abc.tmp")]
    for (const file of stray) fs.writeFileSync(file, "x")
    const kept = filesUnder(table).filter((file) => !stray.includes(file)).sort()
    const fresh = await run(IcebergTable.removeOrphanFiles("shop.history"), layer)
    expect(fresh.removed).toEqual([]) // younger than a day: maybe a commit in flight
    const swept = await run(IcebergTable.removeOrphanFiles("shop.history", { olderThanMs: -1000 }), layer)
    expect(swept.removed.sort()).toEqual([...stray].sort())
    expect(filesUnder(table).sort()).toEqual(kept)
    expect(rowsOf(await run(IcebergTable.read("shop.history"), layer)).length).toBe(3)
  })
})

describe("bad input", () => {
  it("names the problem", async () => {
    const badName = await runExit(IcebergTable.read("nonamespace"), layer)
    expect(String(Exit.isFailure(badName) && badName.cause)).toMatch(/write it as namespace.table/)
    const escape = await runExit(IcebergTable.read({ namespace: [".."], name: "t" }), layer)
    expect(String(Exit.isFailure(escape) && escape.cause)).toMatch(/"\.\." is not a name/)
    const missing = await runExit(IcebergTable.read("shop.nothing"), layer)
    expect(String(Exit.isFailure(missing) && missing.cause)).toMatch(/not found \(table shop.nothing\)/)
    const column = await runExit(IcebergTable.read("shop.items", { columns: ["nope"] }), layer)
    expect(String(Exit.isFailure(column) && column.cause)).toMatch(/column nope.*the table has n/)
    const filter = await runExit(IcebergTable.read("shop.items", { filter: [{ column: "n", op: "=", value: "x" }] }), layer)
    expect(String(Exit.isFailure(filter) && filter.cause)).toMatch(/cannot compare a int column with x/)
    const partition = await runExit(IcebergTable.append("shop.p", tableOf({ n: { type: "int", values: [1] } }), { partitionBy: [{ column: "n", transform: "day" }] }), layer)
    expect(String(Exit.isFailure(partition) && partition.cause)).toMatch(/the day transform needs a date or timestamp column, not int/)
    void Effect
  })
})
