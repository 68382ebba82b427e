// The REST catalog server of @strata/iceberg/testing, spoken to by iceberg-js
// (an independent client) directly, and the REST catalog layer (iceberg-js
// underneath) running table operations through it.
import * as fs from "node:fs"
import { IcebergError as ClientError, IcebergRestCatalog } from "iceberg-js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { IcebergCatalog, IcebergTable, TableMetadata } from "../src/index.ts"
import { RestCatalogServer } from "../src/testing.ts"
import { rowsOf, run, runExit, tableOf, tempDir } from "./support.ts"
import { Exit } from "effect"

let warehouse: string
let server: RestCatalogServer.Server
let client: IcebergRestCatalog

beforeAll(async () => {
  warehouse = tempDir("rest")
  server = await RestCatalogServer.start({ warehouse })
  client = new IcebergRestCatalog({ baseUrl: server.url })
})
afterAll(async () => {
  await server.close()
  fs.rmSync(warehouse, { recursive: true, force: true })
})

const failure = async (promise: Promise<unknown>) => {
  try {
    await promise
  } catch (error) {
    return error as ClientError
  }
  throw new Error("expected a failure")
}

describe("the REST catalog server, through iceberg-js", () => {
  it("serves config, namespaces and tables", async () => {
    expect(await client.loadConfig()).toEqual({ defaults: {}, overrides: {} })
    await client.createNamespace({ namespace: ["sales"] })
    expect((await failure(client.createNamespace({ namespace: ["sales"] }))).icebergType).toBe("AlreadyExistsException")
    expect((await client.listNamespaces()).namespaces).toEqual([{ namespace: ["sales"] }])
    expect(await client.namespaceExists({ namespace: ["nope"] })).toBe(false)
    const created = await client.createTable({ namespace: ["sales"] }, {
      name: "orders",
      schema: { type: "struct", fields: [{ id: 1, name: "id", type: "long", required: true }, { id: 2, name: "day", type: "date", required: false }] },
      "partition-spec": { fields: [{ "source-id": 2, name: "day", transform: "identity" }] }
    })
    expect(created["format-version"]).toBe(2)
    expect(created["partition-specs"]).toEqual([{ "spec-id": 0, fields: [{ "source-id": 2, "field-id": 1000, name: "day", transform: "identity" }] }])
    expect((await client.listTables({ namespace: ["sales"] })).identifiers).toEqual([{ namespace: ["sales"], name: "orders" }])
    expect((await failure(client.createTable({ namespace: ["sales"] }, { name: "x", schema: { type: "struct", fields: [] }, location: "/etc" }))).status).toBe(400)
    expect((await failure(client.loadTable({ namespace: ["sales"], name: "missing" }))).status).toBe(404)
  })

  it("checks commit requirements: a stale base is a 409 CommitFailedException", async () => {
    const id = { namespace: ["sales"], name: "orders" }
    const loaded = await client.loadTable(id)
    const committed = await client.commitTable(id, {
      requirements: [{ type: "assert-table-uuid", uuid: loaded["table-uuid"] }, { type: "assert-current-schema-id", "current-schema-id": 0 }],
      updates: [{ action: "set-properties", updates: { owner: "sales" } }]
    })
    expect(committed.metadata.properties["owner"]).toBe("sales")
    expect(committed["metadata-location"]).toMatch(/v2\.metadata\.json$/)
    const stale = await failure(client.commitTable(id, {
      requirements: [{ type: "assert-current-schema-id", "current-schema-id": 5 }],
      updates: [{ action: "set-properties", updates: { owner: "x" } }]
    }))
    expect(stale.status).toBe(409)
    expect(stale.icebergType).toBe("CommitFailedException")
    expect(stale.message).toMatch(/current schema is 0, not 5/)
    const ref = await failure(client.commitTable(id, {
      requirements: [{ type: "assert-ref-snapshot-id", ref: "main", "snapshot-id": 42 }],
      updates: []
    }))
    expect(ref.message).toMatch(/branch main is at snapshot none, the commit was based on 42/)
    const bad = await failure(client.commitTable(id, { requirements: [], updates: [{ action: "set-current-schema", "schema-id": 9 }] }))
    expect(bad.status).toBe(400)
    const moved = await failure(client.commitTable(id, { requirements: [], updates: [{ action: "set-location", location: "/etc" }] }))
    expect(moved.message).toMatch(/set-location is refused/)
    expect((await failure(client.createTable({ namespace: ["sales"] }, { name: "orders", schema: { type: "struct", fields: [] } }))).icebergType).toBe("AlreadyExistsException")
  })
})

describe("table operations through the REST catalog layer", () => {
  it("write, read, time travel; 64-bit snapshot ids stay exact through iceberg-js", async () => {
    const layer = IcebergCatalog.layerRest({ uri: server.url })
    const first = await run(IcebergTable.append("web.visits", tableOf({ page: { type: "string", values: ["/", "/a"] } })), layer)
    const second = await run(IcebergTable.overwrite("web.visits", tableOf({ page: { type: "string", values: ["/b"] } })), layer)
    expect(second).toMatchObject({ operation: "overwrite", removedFiles: 1, totalRecords: 1 })
    expect(rowsOf(await run(IcebergTable.read("web.visits"), layer))).toEqual([{ page: "/b" }])
    expect(rowsOf(await run(IcebergTable.read("web.visits", { snapshotId: first.snapshotId }), layer))).toEqual([{ page: "/" }, { page: "/a" }])
    // a tag on a snapshot id beyond 2^53, as Java engines draw them: committed and read back exactly
    const loaded = await run(IcebergTable.load("web.visits"), layer)
    const big = 9_007_199_254_740_993n
    const snapshot = { ...TableMetadata.currentSnapshot(loaded.metadata)!, "snapshot-id": big, "parent-snapshot-id": second.snapshotId, "sequence-number": 3n }
    const catalog = IcebergCatalog.makeRest({ uri: server.url })
    const committed = await run(catalog.commitTable({ namespace: ["web"], name: "visits" }, {
      requirements: [{ type: "assert-ref-snapshot-id", ref: "main", "snapshot-id": second.snapshotId }],
      updates: [{ action: "add-snapshot", snapshot }, { action: "set-snapshot-ref", "ref-name": "big", type: "tag", "snapshot-id": big }]
    }), layer)
    expect(committed.metadata.refs["big"]!["snapshot-id"]).toBe(big)
    const reloaded = await run(IcebergTable.load("web.visits"), layer)
    expect(reloaded.metadata.snapshots.map((s) => s["snapshot-id"])).toContain(big)
    expect(fs.readFileSync(committed.metadataLocation.replace("file://", ""), "utf8")).toContain("9007199254740993")
    const stale = await runExit(IcebergTable.load("web.nothing"), layer)
    expect(String(Exit.isFailure(stale) && stale.cause)).toMatch(/not found \(table web.nothing/)
  })
})
