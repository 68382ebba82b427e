// A writer process killed with SIGKILL in the middle of a commit (after its
// data file, or its manifest list, is on disk, before the metadata link) leaves
// the table at its previous snapshot, readable and valid; the dead commit's
// files are orphans that the sweep removes; the next writer commits normally.
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { IcebergCatalog, IcebergTable, TableMetadata } from "../src/index.ts"
import * as Json from "../src/internal/json.ts"
import { run, tableOf, tempDir } from "./support.ts"

const writerScript = fileURLToPath(new URL("./fixtures/writer.ts", import.meta.url))
const ROWS = 200_000
const folders: Array<string> = []
afterAll(() => {
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true })
})

const snapshotCount = (warehouse: string): number => {
  const folder = path.join(warehouse, "db", "t", "metadata")
  const versions = fs.readdirSync(folder).filter((name) => /^v\d+\.metadata\.json$/.test(name)).map((name) => Number(name.slice(1, -14)))
  const latest = Math.max(...versions)
  return TableMetadata.decode(fs.readFileSync(path.join(folder, `v${latest}.metadata.json`), "utf8")).snapshots.length
}

/**
 * Starts a writer; when `isTrigger` finds a new file after its first commit,
 * freezes it (SIGSTOP), notes whether that commit had already landed, and
 * kills it (SIGKILL). Under load the freeze can come after the commit point;
 * `landed` says so, and the caller tries again.
 */
const killMidCommit = (warehouse: string, watch: string, isTrigger: (name: string) => boolean) =>
  new Promise<{ committed: number; killedOn: string | undefined; landed: boolean }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@strata/source", writerScript, "filesystem", warehouse, "db.t", "1", "50", String(ROWS), "durable"], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let committed = 0
    let seen = new Set<string>()
    let killedOn: string | undefined
    let landed = false
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on("data", (chunk: Buffer) => {
      committed += chunk.toString().split("\n").filter((line) => line.trim() !== "").length
      if (committed === 1) seen = new Set(fs.existsSync(watch) ? fs.readdirSync(watch) : [])
    })
    const poll = setInterval(() => {
      if (committed < 1 || killedOn !== undefined || !fs.existsSync(watch)) return
      const fresh = fs.readdirSync(watch).find((name) => !seen.has(name) && isTrigger(name))
      if (fresh !== undefined) {
        killedOn = fresh
        child.kill("SIGSTOP")
        landed = snapshotCount(warehouse) > committed
        child.kill("SIGKILL")
      }
    }, 1)
    child.on("exit", (code, signal) => {
      clearInterval(poll)
      if (signal === "SIGKILL") resolve({ committed, killedOn, landed })
      else reject(new Error(`the writer ended (${code}) before it could be killed: ${stderr}`))
    })
  })

describe("a writer killed with SIGKILL mid-commit", () => {
  for (const [phase, folder, isTrigger] of [
    ["after writing its data file", "data", (name: string) => name.endsWith(".parquet")],
    ["after writing its manifest list", "metadata", (name: string) => name.startsWith("snap-")]
  ] as const) {
    it(`${phase}: the table stays at its previous snapshot, readable; the sweep removes the dead commit's files`, async () => {
      let attempt: { warehouse: string; committed: number; killedOn: string | undefined; landed: boolean } | undefined
      for (let tries = 0; tries < 5 && (attempt === undefined || attempt.landed); tries++) {
        const warehouse = tempDir("crash")
        folders.push(warehouse)
        attempt = { warehouse, ...(await killMidCommit(warehouse, path.join(warehouse, "db", "t", folder), isTrigger)) }
      }
      const { warehouse, committed, killedOn, landed } = attempt!
      expect(landed, "the writer was frozen before its commit point in one of 5 tries").toBe(false)
      expect(killedOn).toBeDefined()
      const table = path.join(warehouse, "db", "t")
      const layer = IcebergCatalog.layerFileSystem({ warehouse })
      const { metadata } = await run(IcebergTable.load("db.t"), layer)
      // the kill landed before the commit point: exactly the reported commits are in the table
      expect(metadata.snapshots.length).toBe(committed)
      for (const name of fs.readdirSync(path.join(table, "metadata")).filter((file) => /^v\d+\.metadata\.json$/.test(file))) {
        expect(TableMetadata.validate(Json.parse(fs.readFileSync(path.join(table, "metadata", name), "utf8"))).problems).toEqual([])
      }
      const rows = await run(IcebergTable.read("db.t", { columns: ["commit"] }), layer)
      expect(rows.numRows).toBe(committed * ROWS)
      // the dead commit left files no snapshot references
      const swept = await run(IcebergTable.removeOrphanFiles("db.t", { olderThanMs: -60_000 }), layer)
      expect(swept.removed.map((file) => path.basename(file))).toContain(killedOn)
      expect((await run(IcebergTable.read("db.t", { columns: ["commit"] }), layer)).numRows).toBe(committed * ROWS)
      // the next writer commits on top
      const next = await run(IcebergTable.append("db.t", tableOf({ id: { type: "long", values: [1n], nullable: false }, writer: { type: "int", values: [9], nullable: false }, commit: { type: "int", values: [9], nullable: false } })), layer)
      expect(next.sequenceNumber).toBe(BigInt(committed + 1))
      expect(next.totalRecords).toBe(committed * ROWS + 1)
    })
  }
})
