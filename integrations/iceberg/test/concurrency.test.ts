// Several real processes commit to one table at once, through the filesystem
// catalog and through the REST catalog server: every commit is present, none is
// lost, and a reader polling meanwhile only ever sees whole snapshots.
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Exit, Layer } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { IcebergCatalog, IcebergTable, TableMetadata } from "../src/index.ts"
import { RestCatalogServer } from "../src/testing.ts"
import { rowsOf, run, runExit, tableOf, tempDir } from "./support.ts"

const writerScript = fileURLToPath(new URL("./fixtures/writer.ts", import.meta.url))
const WRITERS = 3
const COMMITS = 5
const ROWS = 500
const folders: Array<string> = []
afterAll(() => {
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true })
})

type Report = { writer: number; commit: number; snapshotId: string; attempts: number }

const spawnWriter = (kind: string, target: string, table: string, writer: number, startFile: string) =>
  new Promise<Array<Report>>((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@strata/source", writerScript, kind, target, table, String(writer), String(COMMITS), String(ROWS)], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, STRATA_WRITER_START: startFile }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("exit", (code) =>
      code === 0 ? resolve(stdout.trim().split("\n").map((line) => JSON.parse(line))) : reject(new Error(`writer ${writer} exited ${code}: ${stderr}`))
    )
  })

/**
 * Starts the writers together: each one loads, says it is ready, and waits for the start file, so that their
 * commits overlap even when a loaded machine would otherwise run the processes one after the other.
 */
const spawnWriters = async (kind: string, target: string, table: string, folder: string): Promise<Array<Report>> => {
  const startFile = path.join(folder, `start-${Date.now()}`)
  const writers = Promise.all(Array.from({ length: WRITERS }, (_, writer) => spawnWriter(kind, target, table, writer, startFile)))
  const ready = () => Array.from({ length: WRITERS }, (_, writer) => fs.existsSync(`${startFile}.${writer}.ready`)).every(Boolean)
  let settled = false
  writers.then(() => (settled = true), () => (settled = true))
  const waiting = (async () => {
    while (!ready() && !settled) await new Promise((resolve) => setTimeout(resolve, 10))
    fs.writeFileSync(startFile, "")
  })()
  const [reports] = await Promise.all([writers, Promise.race([waiting, writers])])
  return reports.flat()
}

/** Reads the table over and over until `done`; every read must hold whole commits only. */
const pollWholeSnapshots = async (layer: ReturnType<typeof IcebergCatalog.layerFileSystem>, table: string, done: () => boolean) => {
  let reads = 0
  let largest = 0
  while (!done()) {
    const exit = await Effect.runPromiseExit(IcebergTable.read(table).pipe(Effect.provide(layer)))
    if (Exit.isSuccess(exit)) {
      const groups = new Map<string, number>()
      for (const row of rowsOf(exit.value)) {
        const key = `${row["writer"]}/${row["commit"]}`
        groups.set(key, (groups.get(key) ?? 0) + 1)
      }
      for (const [key, count] of groups) expect(count, `commit ${key} seen with ${count} of ${ROWS} rows`).toBe(ROWS)
      reads += 1
      largest = Math.max(largest, groups.size)
    } else {
      // the table may not exist yet
      expect(String(exit.cause)).toMatch(/does not exist/)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return { reads, largest }
}

const checkHistory = async (layer: ReturnType<typeof IcebergCatalog.layerFileSystem>, table: string, reports: ReadonlyArray<{ snapshotId: string }>) => {
  const { metadata } = await run(IcebergTable.load(table), layer)
  const chain = TableMetadata.ancestors(metadata, TableMetadata.currentSnapshot(metadata)!["snapshot-id"])
  expect(chain.length).toBe(WRITERS * COMMITS)
  expect(chain.map((snapshot) => snapshot["sequence-number"]).reverse()).toEqual(Array.from({ length: WRITERS * COMMITS }, (_, i) => BigInt(i + 1)))
  // every commit a writer reported is in the table's history
  expect(new Set(chain.map((snapshot) => String(snapshot["snapshot-id"])))).toEqual(new Set(reports.map((report) => report.snapshotId)))
  const rows = rowsOf(await run(IcebergTable.read(table), layer))
  expect(rows.length).toBe(WRITERS * COMMITS * ROWS)
  expect(new Set(rows.map((row) => row["id"])).size).toBe(rows.length)
}

describe("concurrent writers in separate processes", () => {
  it("through the filesystem catalog: no commit lost, readers see only whole snapshots", async () => {
    // every round must keep every commit; rounds repeat (at most 3) until the writers did collide at least once,
    // so that the retry path is what was tested
    let collided = false
    for (let round = 0; round < 3 && !collided; round++) {
      const warehouse = tempDir("concurrent-fs")
      folders.push(warehouse)
      const layer = IcebergCatalog.layerFileSystem({ warehouse })
      let finished = false
      const writers = spawnWriters("filesystem", warehouse, "db.log", warehouse)
      const poll = pollWholeSnapshots(layer, "db.log", () => finished)
      const reports = await writers.finally(() => (finished = true))
      const { reads } = await poll
      expect(reads).toBeGreaterThan(0)
      expect(reports.length).toBe(WRITERS * COMMITS)
      await checkHistory(layer, "db.log", reports)
      collided = reports.some((report) => report.attempts > 1)
    }
    expect(collided, "the writers never collided in 3 rounds").toBe(true)
  }, 240_000)

  it("through the REST catalog server: no commit lost", async () => {
    const warehouse = tempDir("concurrent-rest")
    folders.push(warehouse)
    const server = await RestCatalogServer.start({ warehouse })
    try {
      const reports = await spawnWriters("rest", server.url, "db.log", warehouse)
      expect(reports.length).toBe(WRITERS * COMMITS)
      await checkHistory(IcebergCatalog.layerFileSystem({ warehouse }), "db.log", reports)
    } finally {
      await server.close()
    }
  })

  it("an overwrite that loses the race to an append fails with commit-conflict and leaves no file behind", async () => {
    const warehouse = tempDir("conflict")
    folders.push(warehouse)
    const plain = IcebergCatalog.makeFileSystem({ warehouse })
    await run(IcebergTable.append("db.t", tableOf({ n: { type: "int", values: [1] } })), IcebergCatalog.layerFileSystem({ warehouse }))
    // a catalog that lets another writer append just before each commit lands
    const racing = IcebergCatalog.IcebergCatalog.of({
      ...plain,
      commitTable: (id, commit) =>
        IcebergTable.append("db.t", tableOf({ n: { type: "int", values: [2] } })).pipe(
          Effect.provide(IcebergCatalog.layerFileSystem({ warehouse })),
          Effect.andThen(plain.commitTable(id, commit))
        )
    })
    const layer = IcebergCatalog.layerFileSystem({ warehouse })
    const filesBefore = fs.readdirSync(path.join(warehouse, "db", "t", "data")).length
    const exit = await runExit(IcebergTable.overwrite("db.t", tableOf({ n: { type: "int", values: [9, 9] } })), Layer.succeed(IcebergCatalog.IcebergCatalog, racing))
    expect(String(Exit.isFailure(exit) && exit.cause)).toMatch(/commit conflict \(table db.t\): snapshot \d+ \(append\) added data after this overwrite started/)
    // the racing append landed; the overwrite's data file was removed
    const rows = rowsOf(await run(IcebergTable.read("db.t"), layer)).map((row) => row["n"])
    expect(rows.sort()).toEqual([1, 2])
    expect(fs.readdirSync(path.join(warehouse, "db", "t", "data")).length).toBe(filesBefore + 1)
  })
})
