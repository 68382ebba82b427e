import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { AssetKey } from "@strata/core"
import { StoragePath } from "@strata/core/spi"
import { tableFromArrays } from "apache-arrow"
import { Effect } from "effect"
import { ArrowIO } from "../src/index.ts"
import { tempFolder } from "./fixtures.ts"

const hostile = [
  ".", "..", "../..", "/", "a/../../b", "..\\..\\x", "a\u0000b", "CON", "%2E%2E", "@x", "x.parquet",
  "'; drop table x; --", "Users", "users", "\u00e9", "e\u0301", "\uD800", "😀", "a".repeat(300), "é".repeat(128)
]

describe("ArrowIO: partitions never escape the base or collide (real files)", () => {
  it.effect("stores every hostile partition in its own file under the base, apart from the unpartitioned table", () =>
    Effect.gen(function*() {
      const root = tempFolder()
      const base = path.join(root, ".strata", "tables")
      const io = ArrowIO.make({ base, format: "ipc" })
      const table = (n: number) => tableFromArrays({ n: Int32Array.of(n) })
      const context = (partition: string | undefined) => ({ key: AssetKey.make("daily"), partition, runId: "r", definitionMetadata: {} })
      yield* io.store(context(undefined), table(-1))
      for (const [index, partition] of hostile.entries()) yield* io.store(context(partition), table(index))
      expect((yield* io.load({ ...context(undefined), downstream: undefined })).getChild("n")!.get(0)).toBe(-1)
      for (const [index, partition] of hostile.entries()) {
        const loaded = yield* io.load({ ...context(partition), downstream: undefined })
        expect(loaded.getChild("n")!.get(0), `partition ${JSON.stringify(partition)}`).toBe(index)
        expect(StoragePath.isInside(base, io.path("daily", partition))).toBe(true)
      }
      const files = (fs.readdirSync(root, { recursive: true }) as Array<string>)
        .filter((name) => fs.statSync(path.join(root, name)).isFile())
      expect(files.length).toBe(hostile.length + 1)
      for (const file of files) expect(StoragePath.isInside(base, path.join(root, file))).toBe(true)
      expect(fs.existsSync(path.join(root, ".strata", "tables.arrow"))).toBe(false)
    }))
})
