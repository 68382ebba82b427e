/**
 * What the SQLite instance adds to a run: materializes N trivial assets (a
 * chain of layers, in-memory I/O) with the memory instance and with a file
 * SQLite instance, and prints the per-asset time of each. Prints JSON.
 *
 *   node --conditions=@strata/source bench/materialize.ts [assets=2000]
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Asset, InMemoryIO, Instance, IOManager, Materialize, Project } from "@strata/core"
import { Effect, Layer } from "effect"
import { SqliteInstance } from "../src/index.ts"

const N = Number(process.argv[2] ?? 2000)
const WIDTH = 50
const assets: Array<Asset.Any> = []
for (let i = 0; i < N; i++) {
  const upstream = i >= WIDTH ? assets[i - WIDTH]! : undefined
  assets.push(
    upstream === undefined
      ? Asset.make(`a${i}`, {}, () => Effect.succeed(i))
      : Asset.make(`a${i}`, { deps: { upstream } }, ({ upstream }) => Effect.succeed((upstream as number) + 1))
  )
}
const project = Project.make({ assets })
const io = Layer.succeed(IOManager.DefaultIO, InMemoryIO.make())

const time = async (instance: Layer.Layer<Instance.Instance, unknown>) => {
  const samples: Array<number> = []
  for (let round = 0; round < 5; round++) {
    const start = performance.now()
    const result = await Effect.runPromise(
      // the assets are built in a loop, so their requirements are not inferred: only DefaultIO is used
      Materialize.materialize(project, { concurrency: 8 }).pipe(Effect.provide(Layer.mergeAll(io, instance))) as Effect.Effect<
        Materialize.RunResult,
        unknown
      >
    )
    if (result.status !== "succeeded") throw new Error(`run ${result.status}`)
    samples.push(performance.now() - start)
  }
  const median = samples.sort((a, b) => a - b)[2]!
  return { runMs: Number(median.toFixed(1)), usPerAsset: Number((median * 1000 / N).toFixed(1)) }
}

const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-sqlite-materialize-"))
const memory = await time(Instance.layerMemory)
// one database across rounds, like a project's .strata/instance.db
const sqlite = await time(SqliteInstance.layer({ path: path.join(folder, "instance.db") }))
fs.rmSync(folder, { recursive: true, force: true })
process.stdout.write(JSON.stringify({ node: process.version, assets: N, loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))), memory, sqlite }, null, 2) + "\n")
