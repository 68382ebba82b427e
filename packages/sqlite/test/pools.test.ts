import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { SqliteInstance } from "../src/index.ts"

const here = path.dirname(fileURLToPath(import.meta.url))

const child = (folder: string, name: string, env: Record<string, string>) => {
  const proc: ChildProcess = spawn(
    process.execPath,
    ["--conditions=@strata/source", path.join(here, "fixtures", "poolChild.ts"), folder, name],
    { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] }
  )
  let stderr = ""
  proc.stderr!.on("data", (chunk) => stderr += String(chunk))
  const exited = once(proc, "exit").then(([code, signal]) => ({ code: code as number | null, signal: signal as string | null, stderr }))
  return { proc, exited }
}

/** The [start, end] intervals a child's steps recorded. */
const intervals = (folder: string, name: string): Array<[number, number]> => {
  const lines = fs.readFileSync(path.join(folder, `${name}.times`), "utf8").trim().split("\n")
  const out: Array<[number, number]> = []
  for (let i = 0; i < lines.length; i += 2) {
    out.push([Number(lines[i]!.split(" ")[1]), Number(lines[i + 1]?.split(" ")[1] ?? Number.NaN)])
  }
  return out
}

const tempFolder = () =>
  Effect.acquireRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "strata-pools-"))),
    (folder) => Effect.sync(() => fs.rmSync(folder, { recursive: true, force: true }))
  )

describe("concurrency pools (SQLite, real processes)", () => {
  it.live("two processes whose steps share a pool of limit 1 never run those steps at the same time", () =>
    Effect.gen(function*() {
      const folder = yield* tempFolder()
      const a = child(folder, "a", { STRATA_POOL_RUNS: "4" })
      const b = child(folder, "b", { STRATA_POOL_RUNS: "4" })
      const [ea, eb] = yield* Effect.promise(() => Promise.all([a.exited, b.exited]))
      expect(ea, ea.stderr).toMatchObject({ code: 0 })
      expect(eb, eb.stderr).toMatchObject({ code: 0 })
      const all = [...intervals(folder, "a"), ...intervals(folder, "b")].sort((x, y) => x[0] - y[0])
      expect(all).toHaveLength(8)
      for (let i = 1; i < all.length; i++) {
        // each step starts after the previous one (of either process) ended
        expect(all[i]![0], `step ${i} started at ${all[i]![0]}, while step ${i - 1} ran until ${all[i - 1]![1]}`)
          .toBeGreaterThanOrEqual(all[i - 1]![1])
      }
      // a step that had to wait said so, naming the pool and how full it was
      const instance = yield* SqliteInstance.make({ path: path.join(folder, ".strata", "instance.db"), reapOrphans: false })
      const runs = yield* instance.listRuns({})
      const logs = (yield* Effect.forEach(runs, (run) => instance.runEvents(run.runId)))
        .flat()
        .filter((e) => e.type === "log" && e.message.startsWith("waiting for pool"))
      expect(logs.length).toBeGreaterThan(0)
      expect(logs[0]).toMatchObject({ message: "waiting for pool warehouse (1/1 held)", level: "info" })
    }).pipe(Effect.scoped), 60_000)

  it.live("a process SIGKILLed while holding the slot: another run gets it once the lease expires", () =>
    Effect.gen(function*() {
      const folder = yield* tempFolder()
      const holder = child(folder, "holder", { STRATA_POOL_BLOCK: "1" })
      const holding = path.join(folder, "holder.holding")
      for (let i = 0; !fs.existsSync(holding); i++) {
        if (holder.proc.exitCode !== null || i > 600) throw new Error(`the holder never took the slot: ${(yield* Effect.promise(() => holder.exited)).stderr}`)
        yield* Effect.sleep(50)
      }
      holder.proc.kill("SIGKILL")
      const killed = yield* Effect.promise(() => holder.exited)
      expect(killed.signal).toBe("SIGKILL")
      const killedAt = Date.now()
      const instance = yield* SqliteInstance.make({ path: path.join(folder, ".strata", "instance.db"), reapOrphans: false })
      const lease = (yield* instance.automation.lease("pool/warehouse/0"))!
      expect(lease.holder).toContain("holder-0")

      const next = child(folder, "next", {})
      const ended = yield* Effect.promise(() => next.exited)
      expect(ended, ended.stderr).toMatchObject({ code: 0 })
      const [[started]] = intervals(folder, "next") as [[number, number]]
      // it could not start before the dead holder's lease expired, and did start after it
      expect(started).toBeGreaterThanOrEqual(lease.expiresAt)
      expect(started).toBeGreaterThan(killedAt)
      // the slot is free again
      const after = yield* instance.automation.lease("pool/warehouse/0")
      expect(after).toBeUndefined()
    }).pipe(Effect.scoped), 60_000)

  it.live("a holder paused past the TTL whose slot was taken meanwhile stops its step: a failed step naming the lost slot", () =>
    Effect.gen(function*() {
      const folder = yield* tempFolder()
      const waitFor = (file: string, proc: ChildProcess) =>
        Effect.gen(function*() {
          for (let i = 0; !fs.existsSync(path.join(folder, file)); i++) {
            if (proc.exitCode !== null || i > 1200) throw new Error(`${file} never appeared`)
            yield* Effect.sleep(50)
          }
        })
      const holder = child(folder, "holder", { STRATA_POOL_BLOCK: "1" })
      yield* waitFor("holder.holding", holder.proc)
      // the holder is paused (SIGSTOP): it cannot renew, its lease lapses, and another step takes the slot
      holder.proc.kill("SIGSTOP")
      const other = child(folder, "other", { STRATA_POOL_BLOCK: "1" })
      yield* Effect.addFinalizer(() => Effect.sync(() => other.proc.kill("SIGKILL")))
      yield* waitFor("other.holding", other.proc)
      // resumed, the holder's next renewal is refused: its step stops and fails, its run fails
      holder.proc.kill("SIGCONT")
      const ended = yield* Effect.promise(() => holder.exited)
      expect(ended.code, ended.stderr).toBe(1)
      expect(ended.stderr).toContain("run holder-0 failed")
      const instance = yield* SqliteInstance.make({ path: path.join(folder, ".strata", "instance.db"), reapOrphans: false })
      expect((yield* instance.getRun("holder-0"))?.status).toBe("failed")
      const events = yield* instance.runEvents("holder-0")
      const failed = events.find((e) => e.type === "step-failed")
      expect(failed).toMatchObject({ assetKey: "load_holder", error: { tag: "@strata/core/PoolSlotLost" } })
      expect(failed?.type === "step-failed" ? failed.error.message : "").toMatch(
        /^lost slot 0 of pool warehouse: its lease lapsed and other-0\/load_other\/ holds it now; the step was stopped/
      )
      expect(events.some((e) => e.type === "log" && e.level === "warn" && e.message.startsWith("lost slot 0 of pool warehouse"))).toBe(true)
      // the stopped step never finished, and the slot stays with the step that holds it now
      expect(fs.readFileSync(path.join(folder, "holder.times"), "utf8")).not.toContain("end")
      expect((yield* instance.automation.lease("pool/warehouse/0"))?.holder).toBe("other-0/load_other/")
    }).pipe(Effect.scoped), 60_000)
})
