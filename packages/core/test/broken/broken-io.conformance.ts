/**
 * Two deliberately broken I/O managers, run through the conformance suite by
 * `io-conformance-broken.test.ts` in a child vitest (their failures are the
 * point, so they are not in the package's test run).
 *
 * - `in-place`: writes the file where readers read it (no temporary file and
 *   rename), so a reader can see half of it.
 * - `raw-paths`: builds paths by joining the key and the partition as they
 *   are, so `..` walks out of the base and `a` partition `b` is asset `a/b`.
 * - `range-as-key`: declares `partitionRanges` but loads a range as one
 *   partition named by the range's text (`first...last`).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import type { IOManager } from "../../src/IOManager.ts"
import { IOError } from "../../src/IOManager.ts"
import { ioManagerConformance } from "../../src/testing.ts"

const capabilities = {
  values: ["json"],
  partitions: true,
  concurrentReaders: true,
  persistent: true,
  dataVersion: "none",
  longNames: true
} as const

const jsonFiles = (name: string, file: (key: string, partition: string | undefined) => string): IOManager<unknown> => ({
  name,
  store: (context, value) =>
    Effect.tryPromise({
      try: async () => {
        const target = file(context.key, context.partition)
        await fs.promises.mkdir(path.dirname(target), { recursive: true })
        await fs.promises.writeFile(target, JSON.stringify(value))
        return {}
      },
      catch: (cause) => new IOError({ operation: "store", key: context.key, message: `cannot store ${context.key}: ${cause}`, isRetryable: false })
    }),
  load: (context) =>
    Effect.try({
      try: () => JSON.parse(fs.readFileSync(file(context.key, context.partition), "utf8")) as unknown,
      catch: (cause) =>
        new IOError({
          operation: "load",
          key: context.key,
          partition: context.partition,
          message: `cannot load ${context.key}: ${cause}`,
          isRetryable: false
        })
    })
})

ioManagerConformance("in-place", {
  make: ({ base }) =>
    Effect.sync(() => jsonFiles("in-place", (key, partition) => path.join(base, `${encodeURIComponent(key)}@${encodeURIComponent(partition ?? "")}.json`))),
  capabilities
})

ioManagerConformance("raw-paths", {
  make: ({ base }) =>
    Effect.sync(() => {
      const io = jsonFiles("raw-paths", (key, partition) => path.join(base, key, partition ?? "") + ".json")
      // atomic writes, so that only the paths are wrong
      return {
        ...io,
        store: (context, value) =>
          Effect.try({
            try: () => {
              const target = path.join(base, context.key, context.partition ?? "") + ".json"
              fs.mkdirSync(path.dirname(target), { recursive: true })
              fs.writeFileSync(`${target}.tmp`, JSON.stringify(value))
              fs.renameSync(`${target}.tmp`, target)
              return {}
            },
            catch: (cause) => new IOError({ operation: "store", key: context.key, message: `cannot store ${context.key}: ${cause}`, isRetryable: false })
          })
      }
    }),
  capabilities
})

ioManagerConformance("range-as-key", {
  make: ({ base }) =>
    Effect.sync(() => jsonFiles("range-as-key", (key, partition) => path.join(base, `${encodeURIComponent(key)}@${encodeURIComponent(partition ?? "")}.json`))),
  capabilities: { ...capabilities, concurrentReaders: false, partitionRanges: true }
})
