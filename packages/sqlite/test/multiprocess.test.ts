import { spawn } from "node:child_process"
import { once } from "node:events"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import type { Event } from "@strata/core"
import { Effect } from "effect"
import { SqliteInstance } from "../src/index.ts"

const here = path.dirname(fileURLToPath(import.meta.url))

describe("several processes", () => {
  it.live("write one database at once: every batch lands whole, ids stay unique and ordered, the index is the newest", () =>
    Effect.gen(function*() {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-sqlite-multi-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(folder, { recursive: true, force: true })))
      const file = path.join(folder, "instance.db")
      yield* Effect.scoped(SqliteInstance.make({ path: file }))
      const writers = ["w1", "w2", "w3"]
      const batches = 100
      const exits = yield* Effect.promise(() =>
        Promise.all(writers.map(async (runId) => {
          const child = spawn(
            process.execPath,
            ["--conditions=@strata/source", path.join(here, "fixtures", "writer.ts"), file, runId, String(batches)],
            { stdio: ["ignore", "ignore", "pipe"] }
          )
          let stderr = ""
          child.stderr.on("data", (chunk) => stderr += String(chunk))
          const [code] = await once(child, "exit")
          return { code, stderr }
        }))
      )
      expect(exits).toEqual(writers.map(() => ({ code: 0, stderr: "" })))

      yield* Effect.scoped(Effect.gen(function*() {
        const instance = yield* SqliteInstance.make({ path: file })
        const all = yield* instance.events()
        expect(all.length).toBe(writers.length * batches * 100)
        for (let i = 1; i < all.length; i++) expect(all[i]!.id).toBeGreaterThan(all[i - 1]!.id)
        // batches are atomic: each run's 100 events of a batch are contiguous in the global log
        for (let i = 0; i < all.length; i += 100) {
          const batch = all.slice(i, i + 100)
          expect(new Set(batch.map((event) => event.runId)).size).toBe(1)
        }
        // and the writers really did interleave
        let switches = 0
        for (let i = 100; i < all.length; i += 100) if (all[i]!.runId !== all[i - 100]!.runId) switches++
        expect(switches).toBeGreaterThan(writers.length)
        for (const runId of writers) {
          const mine = yield* instance.runEvents(runId)
          expect(mine.map((event) => event.timestamp)).toEqual(Array.from({ length: batches * 100 }, (_, n) => n))
        }
        const materializations = all.filter((event): event is Event.StoredEvent & Event.AssetMaterialized =>
          event.type === "asset-materialized"
        )
        for (let key = 0; key < 10; key++) {
          const assetKey = `shared_${key}`
          const partitions = yield* instance.partitions(assetKey)
          for (const [partition, record] of partitions) {
            const newest = materializations.filter((event) => event.assetKey === assetKey && event.partition === partition)
              .at(-1)!
            expect(record.eventId).toBe(newest.id)
          }
        }
      }))
    }), 120_000)
})
