import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { AssetKey } from "@strata/core"
import * as Arrow from "apache-arrow"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { PgClient, PostgresIOManager } from "../src/index.ts"
import type { TestDatabase } from "./support.ts"
import { createTestDatabase, sql } from "./support.ts"

let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(() => database.drop())

const child = fileURLToPath(new URL("./fixtures/slow-store.ts", import.meta.url))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const store = (table: Arrow.Table) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const io = yield* PostgresIOManager
      return yield* io.store({ key: AssetKey.make("silver/victim"), partition: undefined, runId: "ok", definitionMetadata: {} }, table)
    }).pipe(Effect.provide(PostgresIOManager.layer().pipe(Layer.provide(PgClient.layer(database.config)))))
  )

describe("a loading process killed mid-COPY", () => {
  it("leaves the previous table intact and no staging table behind", async () => {
    const previous = Arrow.tableFromArrays({ id: Int32Array.from({ length: 1000 }, (_, i) => i), payload: Float64Array.from({ length: 1000 }, (_, i) => i) })
    await store(previous)

    const loader = spawn(process.execPath, ["--conditions=@strata/source", child, JSON.stringify(database.config), "6000000"], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    loader.stdout.on("data", (chunk) => (stdout += chunk))
    const exited = new Promise<NodeJS.Signals | null>((resolve) => loader.on("exit", (_code, signal) => resolve(signal)))

    // wait until the server reports the loader's COPY under way with rows already received
    let copied = 0
    const deadline = Date.now() + 60_000
    while (copied === 0 && Date.now() < deadline) {
      const rows = await sql<{ tuples: string }>(
        database,
        `select p.tuples_processed::text as tuples from pg_stat_progress_copy p
         join pg_stat_activity a on a.pid = p.pid where a.application_name = 'strata-kill-test'`
      )
      copied = rows.length > 0 ? Number(rows[0]!.tuples) : 0
      if (copied === 0) await sleep(10)
    }
    expect(copied).toBeGreaterThan(0)
    expect(copied).toBeLessThan(6_000_000)
    loader.kill("SIGKILL")
    expect(await exited).toBe("SIGKILL")
    expect(stdout).not.toContain("stored")

    // the server notices the dropped connection and rolls the transaction back
    for (let attempt = 0; attempt < 500; attempt++) {
      const rows = await sql(database, `select 1 from pg_stat_activity where application_name = 'strata-kill-test'`)
      if (rows.length === 0) break
      await sleep(20)
    }
    const [summary] = await sql<{ n: number; ids: string; payloads: number }>(
      database,
      `select count(*)::int as n, sum(id)::text as ids, sum(payload) as payloads from silver.victim`
    )
    expect(summary).toEqual({ n: 1000, ids: String((999 * 1000) / 2), payloads: (999 * 1000) / 2 })
    const staging = await sql(database, `select relname from pg_class where relname like '\\_strata\\_stage\\_%'`)
    expect(staging).toEqual([])

    // and the asset can be stored again
    const next = await store(Arrow.tableFromArrays({ id: Int32Array.from([1, 2]), payload: Float64Array.from([1, 2]) }))
    expect(next.metadata?.row_count).toBe(2)
  }, 120_000)
})
