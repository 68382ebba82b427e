/**
 * `watchSources`: the catalog observes a file source by itself when its file
 * changes (real files, a real server, no API call to trigger it).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { mkdir, readFile, rename, rm, utimes, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Asset, InMemoryIO, Instance, Output, Partitions, Project, SourceAsset, Staleness } from "@strata/core"
import { Effect, Layer } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import { call, until } from "./helpers.ts"

interface AssetRow {
  readonly key: string
  readonly status: string
  readonly reasons: ReadonlyArray<{ readonly type: string; readonly text: string }>
}
interface RunRow {
  readonly runId: string
  readonly status: string
  readonly tags: Record<string, string>
}

const projectReading = (file: string) => {
  const raw = SourceAsset.file("raw_orders", file, { parse: (text) => text.trim().split("\n") })
  const orders = Asset.make("orders", { deps: { raw } }, ({ raw }) =>
    Effect.succeed(Output.make(raw.length, { metadata: { row_count: raw.length } })))
  return Project.make({ assets: [raw, orders] })
}

const assets = async (catalog: RunningCatalog): Promise<Map<string, AssetRow>> => {
  const list = (await call(catalog.url, "/api/assets")).body.assets as Array<AssetRow>
  return new Map(list.map((asset) => [asset.key, asset]))
}

const observeRuns = async (catalog: RunningCatalog): Promise<Array<RunRow>> =>
  ((await call(catalog.url, "/api/runs?limit=200")).body.runs as Array<RunRow>)
    .filter((run) => run.tags["strata/kind"] === "observe")

const materialize = async (catalog: RunningCatalog, selection: string) => {
  const launched = await call(catalog.url, "/api/runs", { method: "POST", body: { selection } })
  expect(launched.status).toBe(200)
  const runId: string = launched.body.runId
  return until(async () => {
    const run = (await call(catalog.url, `/api/runs/${runId}`)).body.run as RunRow
    return run.status === "succeeded" || run.status === "failed" ? run : undefined
  }, `run ${runId} to end`)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Long enough for the 250 ms debounce and an observation, had the watcher reacted. */
const quietMs = 1_500

describe("catalog: watching source files", () => {
  let dir: string
  let catalog: RunningCatalog | undefined
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "strata-watch-"))
  })
  afterEach(async () => {
    await catalog?.close()
    catalog = undefined
    rmSync(dir, { recursive: true, force: true })
  })

  const start = (load: () => Project.Project<unknown>, watchSources: boolean | undefined) =>
    startCatalog({
      load: () => Promise.resolve({ project: load(), layer: InMemoryIO.layer }),
      instance: Layer.succeed(Instance.Instance, Instance.makeMemory()),
      port: 0,
      ...(watchSources === undefined ? {} : { watchSources })
    })

  it("observes a changed file by itself: downstream turns stale; the same bytes record nothing; a deleted file fails the source, a restored one clears it", async () => {
    const file = join(dir, "orders.csv")
    await writeFile(file, "1\n2\n")
    catalog = await start(() => projectReading(file), true)
    expect((await materialize(catalog, "+orders")).status).toBe("succeeded")
    expect((await assets(catalog)).get("orders")!.status).toBe("fresh")
    expect(await observeRuns(catalog)).toEqual([])

    await writeFile(file, "1\n2\n3\n")
    const started = Date.now()
    const stale = await until(async () => {
      const orders = (await assets(catalog!)).get("orders")!
      return orders.status === "stale" ? orders : undefined
    }, "orders to turn stale by itself", 5_000)
    const reactedMs = Date.now() - started
    expect(stale.reasons.map((r) => r.text).join("; ")).toMatch(/upstream raw_orders has new data/)
    const observed = await observeRuns(catalog)
    expect(observed.map((run) => run.status)).toEqual(["succeeded"])
    const detail = (await call(catalog.url, `/api/runs/${observed[0]!.runId}`)).body
    expect(detail.run.assetKeys).toEqual(["raw_orders"])
    expect(detail.events.some((event: { type: string }) => event.type === "asset-observed")).toBe(true)
    console.log(`watch: orders stale ${reactedMs} ms after the write`)

    // the same bytes, and a touch: a new mtime but no new data version
    await writeFile(file, "1\n2\n3\n")
    await utimes(file, new Date(), new Date(Date.now() + 5_000))
    await sleep(quietMs)
    expect(await observeRuns(catalog)).toHaveLength(1)

    // a writer that replaces the file by renaming a new one over it
    await writeFile(join(dir, "orders.csv.tmp"), "1\n2\n3\n4\n")
    await rename(join(dir, "orders.csv.tmp"), file)
    await until(async () => (await observeRuns(catalog!)).length === 2 || undefined, "the renamed file to be observed", 5_000)

    // deleted: the source fails as when its Observe button is clicked, with the file named
    await rm(file)
    const failed = await until(async () => {
      const raw = (await assets(catalog!)).get("raw_orders")!
      return raw.status === "failed" ? raw : undefined
    }, "raw_orders to fail once its file is deleted", 5_000)
    expect(failed.key).toBe("raw_orders")
    const why = (await call(catalog.url, "/api/asset?key=raw_orders")).body
    expect(why.failure.error.message).toContain(`file ${file} does not exist`)

    // restored with the same content as its last observation: no longer failed
    await writeFile(file, "1\n2\n3\n4\n")
    // "running" while the watcher's observation is in flight is neither failed nor recovered: wait for it to end
    const settled = (status: string) => status !== "failed" && status !== "running"
    await until(async () => settled((await assets(catalog!)).get("raw_orders")!.status) || undefined, "raw_orders to recover", 5_000)
    expect((await call(catalog.url, "/api/asset?key=raw_orders")).body.failure).toBeUndefined()
  })

  it("a reload watches the new generation's files, including one that does not exist yet", async () => {
    const first = join(dir, "a", "orders.csv")
    const second = join(dir, "b", "orders.csv")
    await mkdir(join(dir, "a"))
    await mkdir(join(dir, "b"))
    await writeFile(first, "1\n")
    let path = first
    catalog = await start(() => projectReading(path), true)
    expect((await materialize(catalog, "+orders")).status).toBe("succeeded")

    path = second
    await catalog.reload()
    // the old generation's file is no longer watched
    await writeFile(first, "1\n2\n")
    await sleep(quietMs)
    expect(await observeRuns(catalog)).toEqual([])
    // the new one is, though it did not exist when the project was loaded: creating it is a change
    await writeFile(second, "7\n8\n9\n")
    const stale = await until(async () => {
      const orders = (await assets(catalog!)).get("orders")!
      return orders.status === "stale" ? orders : undefined
    }, "orders to turn stale after the new file appears", 5_000)
    expect(stale.reasons.map((r) => r.text).join("; ")).toMatch(/upstream raw_orders has new data/)
    expect(await observeRuns(catalog)).toHaveLength(1)
  })

  it("with watchSources off (the default of serveCatalog), a changed file records nothing", async () => {
    const file = join(dir, "orders.csv")
    await writeFile(file, "1\n")
    catalog = await start(() => projectReading(file), undefined)
    expect((await materialize(catalog, "+orders")).status).toBe("succeeded")
    await writeFile(file, "1\n2\n")
    await sleep(quietMs)
    expect(await observeRuns(catalog)).toEqual([])
    expect((await assets(catalog)).get("orders")!.status).toBe("fresh")
  })
})

describe("catalog: watching a partitioned source's folder", () => {
  it("a drop written in the folder is observed by itself: exactly the partition reading it turns stale", async () => {
    const dir = mkdtempSync(join(tmpdir(), "strata-watch-drops-"))
    const folder = join(dir, "drops")
    await mkdir(folder)
    const days = Partitions.daily({ start: "2024-01-01", end: "2024-01-04" })
    const keys = ["2024-01-01", "2024-01-02", "2024-01-03"]
    const drops = SourceAsset.make("drops", {
      partitions: days,
      files: [join(folder, "*")],
      observe: Effect.promise(async () => {
        const versions: Record<string, string> = {}
        for (const day of keys) versions[day] = await readFile(join(folder, `${day}.json`), "utf8").catch(() => "none")
        return SourceAsset.partitionObservation(versions)
      })
    })
    const ingested = Asset.make("ingested", { after: [drops], partitions: days }, (_, context) =>
      Effect.succeed(context.partitions.keys.length === 1 ? 1 : Object.fromEntries(context.partitions.keys.map((key) => [key, 1])) as unknown as number))
    const project = Project.make({ assets: [drops, ingested] })
    const instance = Instance.makeMemory()
    const staleOf = async () => {
      const list = await Effect.runPromise(Staleness.partitions(project).pipe(Effect.provideService(Instance.Instance, instance)))
      return list.find((block) => block.key === "ingested")!
    }
    const catalog = await startCatalog({
      load: () => Promise.resolve({ project, layer: InMemoryIO.layer }),
      instance: Layer.succeed(Instance.Instance, instance),
      port: 0,
      watchSources: true
    })
    try {
      const launched = await call(catalog.url, "/api/backfills", {
        method: "POST",
        body: { selection: "ingested", partitions: "2024-01-01...2024-01-03", policy: "single-run" }
      })
      expect(launched.status).toBe(200)
      const partitions = async () => (await call(catalog.url, "/api/asset/partitions?key=ingested")).body
      await until(async () => ((await partitions()).counts?.materialized === 3 || undefined), "the backfill to end", 20_000)
      expect((await staleOf()).stale).toBe(0)
      await writeFile(join(folder, "2024-01-02.json"), "new drop")
      const stale = await until(async () => {
        const block = await staleOf()
        return block.stale > 0 ? block : undefined
      }, "2024-01-02 of ingested to turn stale by itself", 10_000)
      expect(stale.staleText).toBe("2024-01-02")
      expect(stale.reasons.map((r) => r.description)).toEqual(["upstream drops has new data"])
    } finally {
      await catalog.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
