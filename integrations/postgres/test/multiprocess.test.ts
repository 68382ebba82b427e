import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Instance } from "@strata/core"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { PostgresInstance, SCHEMA_VERSION } from "../src/index.ts"
import type { TestDatabase } from "./support.ts"
import { createTestDatabase, sql } from "./support.ts"

let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(() => database.drop())

const child = fileURLToPath(new URL("./fixtures/materialize-child.ts", import.meta.url))

const runChild = (index: number, runs: number, schema: string) =>
  new Promise<Array<{ runId: string; status: string; types: Array<string> }>>((resolve, reject) => {
    const process_ = spawn(
      process.execPath,
      ["--conditions=@strata/source", child, JSON.stringify({ ...database.config, schema }), String(index), String(runs)],
      { stdio: ["ignore", "pipe", "pipe"] }
    )
    let stdout = ""
    let stderr = ""
    process_.stdout.on("data", (chunk) => (stdout += chunk))
    process_.stderr.on("data", (chunk) => (stderr += chunk))
    process_.on("error", reject)
    process_.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`child ${index} exited with ${code}: ${stderr}`))
      const lines = stdout.trim().split("\n")
      resolve(JSON.parse(lines[lines.length - 1]!))
    })
  })

describe("several Strata processes on one Postgres instance", () => {
  it("4 processes materializing at once lose no run and no event", async () => {
    const schema = "shared"
    const processes = 4
    const runsEach = 6
    const reports = await Promise.all(Array.from({ length: processes }, (_, index) => runChild(index, runsEach, schema)))

    // every process migrated the same schema once
    // each migration applied once, though 4 processes opened the schema at once
    const versions = await sql(database, `select version from "${schema}".schema_migrations order by version`)
    expect(versions).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => ({ version: i + 1 })))

    const expected = reports.flat()
    expect(expected).toHaveLength(processes * runsEach)
    for (const run of expected) expect(run.status).toBe("succeeded")

    const stored = await Effect.runPromise(
      Effect.gen(function*() {
        const instance = yield* Instance.Instance
        const runs = yield* instance.listRuns({ limit: 1000 })
        const events = yield* instance.events()
        const perRun = new Map<string, ReadonlyArray<string>>()
        for (const run of expected) perRun.set(run.runId, (yield* instance.runEvents(run.runId)).map((event) => event.type))
        const history = yield* instance.history("gold/total", { limit: 1000 })
        const assets = yield* instance.assets()
        const newest = new Map<string, number>()
        for (const key of assets.keys()) newest.set(key, (yield* instance.history(key, { limit: 1 }))[0]!.eventId)
        return { runs, events, perRun, history, assets, newest }
      }).pipe(Effect.provide(PostgresInstance.layerClient(database.config, { schema })))
    )

    // no run lost, all succeeded
    expect(stored.runs.map((run) => run.runId).sort()).toEqual(expected.map((run) => run.runId).sort())
    for (const run of stored.runs) expect(run.status).toBe("succeeded")
    // each run's events, in the order its process emitted them
    for (const run of expected) expect(stored.perRun.get(run.runId)).toEqual(run.types)
    // no event lost or duplicated; ids strictly increasing in the global log
    const total = expected.reduce((sum, run) => sum + run.types.length, 0)
    expect(stored.events).toHaveLength(total)
    for (let i = 1; i < stored.events.length; i++) expect(stored.events[i]!.id).toBeGreaterThan(stored.events[i - 1]!.id)
    // the processes really wrote at the same time: runs of different processes overlap in the log
    const span = new Map<string, { first: number; last: number }>()
    for (const event of stored.events) {
      const known = span.get(event.runId)
      span.set(event.runId, { first: known?.first ?? event.id, last: event.id })
    }
    const processOf = (runId: string) => runId.split("-")[1]
    let overlaps = 0
    for (const [a, spanA] of span) {
      for (const [b, spanB] of span) {
        if (processOf(a) !== processOf(b) && spanA.first < spanB.first && spanB.first < spanA.last) overlaps++
      }
    }
    expect(overlaps).toBeGreaterThan(0)
    // one materialization of each asset per run, and an index entry per asset
    expect(stored.history).toHaveLength(processes * runsEach)
    expect([...stored.assets.keys()].sort()).toEqual(["bronze/raw", "gold/count", "gold/total", "silver/clean"])
    // the index kept up with every writer: each asset's latest is its newest materialization in the log
    for (const [key, record] of stored.assets) expect(record.materialization!.eventId, key).toBe(stored.newest.get(key))
  }, 300_000) // 24 runs in 4 processes share 2 cores with the rest of CI: 9 s idle, up to 105 s at load 30
})
