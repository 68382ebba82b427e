/**
 * The services a materializing case runs with: an I/O manager and an
 * instance, built once before the clock starts (opening a database is not
 * per-run orchestration cost), released after.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Instance, IOManager } from "@strata/core"
import { FileSystemIO, InMemoryIO, Instance as InstanceModule } from "@strata/core"
import { SqliteInstance } from "@strata/sqlite"
import { Effect, Layer, ManagedRuntime } from "effect"

/**
 * `files`: the file-system I/O manager and the SQLite instance in a fresh
 * temp folder (what a local user runs). `memory`: both in memory.
 *
 * @since 0.1.0
 */
export type Storage = "files" | "memory"

/**
 * A runtime providing the default I/O manager and an instance.
 *
 * @since 0.1.0
 */
export interface BenchRuntime {
  readonly runtime: ManagedRuntime.ManagedRuntime<Instance.Instance | IOManager.DefaultIO, unknown>
  /** The temp folder (files storage only). */
  readonly folder: string | undefined
  readonly setup_s: number
  readonly close: () => Promise<void>
}

/**
 * Builds the runtime for `storage` and waits for its layers to be ready.
 *
 * @since 0.1.0
 */
export const make = async (storage: Storage): Promise<BenchRuntime> => {
  const start = performance.now()
  let folder: string | undefined
  let layer: Layer.Layer<Instance.Instance | IOManager.DefaultIO, unknown>
  if (storage === "files") {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-bench-"))
    layer = Layer.mergeAll(
      FileSystemIO.layer({ base: path.join(folder, "storage") }),
      SqliteInstance.layer({ path: path.join(folder, "strata.db") })
    )
  } else {
    layer = Layer.mergeAll(InMemoryIO.layer, InstanceModule.layerMemory)
  }
  const runtime = ManagedRuntime.make(layer)
  await runtime.runPromise(Effect.void)
  const setup_s = (performance.now() - start) / 1000
  return {
    runtime,
    folder,
    setup_s,
    close: async () => {
      await runtime.dispose()
      if (folder !== undefined) fs.rmSync(folder, { recursive: true, force: true })
    }
  }
}
