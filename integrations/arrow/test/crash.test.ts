import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Version } from "@strata/core"
import { Effect } from "effect"
import { ArrowIO } from "../src/index.ts"
import { bigTable, expectSameValues, tempFolder } from "./fixtures.ts"

const writer = path.join(import.meta.dirname, "crash-writer.ts")

/**
 * Starts a writer process storing a big table over `victim`, waits until its
 * temporary file appears (the bytes are being written), and SIGKILLs it.
 * Resolves with the temporary files left behind.
 */
const killMidWrite = (base: string, format: string, rows: number): Promise<Array<string>> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@strata/source", writer, base, format, String(rows)], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    child.stderr.on("data", (chunk) => stderr += chunk)
    const watcher = fs.watch(base, (_, name) => {
      if (name?.endsWith(".tmp") && child.exitCode === null && !child.killed) child.kill("SIGKILL")
    })
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
    child.on("exit", (code, signal) => {
      watcher.close()
      clearTimeout(timer)
      if (signal !== "SIGKILL") return reject(new Error(`writer exited with ${code}: ${stderr}`))
      resolve(fs.readdirSync(base).filter((name) => name.endsWith(".tmp")))
    })
  })

describe("a writer killed mid-write", () => {
  for (const format of ["parquet", "ipc"] as const) {
    it.effect(`leaves the previous ${format} file intact and loadable`, () =>
      Effect.gen(function*() {
        const base = tempFolder()
        const io = ArrowIO.make({ base, format })
        const previous = bigTable(10_000, 0)
        yield* io.write("victim", previous)
        const file = io.path("victim")
        const before = Version.hash(fs.readFileSync(file))

        const temps = yield* Effect.promise(() => killMidWrite(base, format, 2_000_000))
        // the process died between creating its temporary file and renaming it
        expect(temps.length).toBe(1)
        const extension = format === "parquet" ? "parquet" : "arrow"
        expect(temps[0]).toMatch(new RegExp(`^victim\\.${extension}\\.${os.hostname().replaceAll(".", "\\.")}\\.\\d+\\.\\d+\\.tmp$`))

        expect(Version.hash(fs.readFileSync(file))).toBe(before)
        expectSameValues(yield* io.read("victim"), previous)

        // the next writer replaces the file as usual, and removes the dead writer's temporary file
        const next = bigTable(500, 9)
        const writer = ArrowIO.make({ base, format })
        yield* writer.write("victim", next)
        expectSameValues(yield* io.read("victim"), next)
        expect(fs.readdirSync(base)).toEqual([`victim.${extension}`])
      }), 120_000)
  }
})
