import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { DatabaseSync } from "node:sqlite"
import { afterAll, describe, expect, it } from "vitest"
import { projectsOfThisFile, strata, until } from "./helpers.ts"

const project = projectsOfThisFile()
const children: Array<ChildProcess> = []
afterAll(() => children.forEach((child) => child.exitCode === null && child.kill("SIGKILL")))

// `events` logs every partition it computes (computed.log); computing the day named in block.txt waits until
// release.txt exists, after writing blocked.txt: the test knows where the backfill is without timing it
const config = `import * as fs from "node:fs"
import { Asset, FileSystemIO, Partitions, Project, StrataConfig } from "@strata/core"
import { Effect } from "effect"

const days = Partitions.daily({ start: "2024-01-01" })
const wait = (day: string) => Effect.promise(async () => {
  const block = fs.existsSync("block.txt") ? fs.readFileSync("block.txt", "utf8").trim() : ""
  if (block !== day) return
  fs.writeFileSync("blocked.txt", day)
  while (!fs.existsSync("release.txt")) await new Promise((resolve) => setTimeout(resolve, 50))
})
const events = Asset.make("events", { partitions: days }, (_, context) =>
  Effect.gen(function*() {
    for (const day of context.partitions.keys) {
      fs.appendFileSync("computed.log", "events " + day + "\\n")
      yield* wait(day)
    }
    return context.partitions.count === 1
      ? [{ day: context.partitions.first }]
      : Object.fromEntries(context.partitions.keys.map((day) => [day, [{ day }]]))
  }))
// a range of days: one entry per day (what a step over several partitions returns)
const users = Asset.make("users", { deps: { events }, partitions: days }, ({ events }, context) => {
  const seen = (day: string) => events.filter((row: { day: string }) => row.day === day).length
  return Effect.succeed(context.partitions.count === 1
    ? [seen(context.partitions.first)]
    : Object.fromEntries(context.partitions.keys.map((day) => [day, [seen(day)]])))
})

export default StrataConfig.define({
  project: Project.make({ assets: [events, users] }),
  environments: { local: () => FileSystemIO.layer() }
})
`

/** The backfill rows, read from the SQLite file directly (not through Strata). */
const backfillRows = (dir: string) => {
  const db = new DatabaseSync(path.join(dir, ".strata", "instance.db"), { readOnly: true })
  try {
    return db.prepare("SELECT backfill_id, status, run_ids FROM backfills ORDER BY seq").all() as Array<{ backfill_id: string; status: string; run_ids: string }>
  } finally {
    db.close()
  }
}

const computed = (dir: string) =>
  fs.readFileSync(path.join(dir, "computed.log"), "utf8").trim().split("\n").filter((line) => line !== "")

const days = (n: number) => Array.from({ length: n }, (_, i) => `2024-01-${String(i + 1).padStart(2, "0")}`)

/** Starts `strata backfill` in the background; its stderr is readable while it runs. */
const spawnBackfill = (args: ReadonlyArray<string>, dir: string) => {
  let stderr = ""
  let child: ChildProcess | undefined
  const done = strata(["backfill", ...args], {
    cwd: dir,
    onSpawn: (spawned) => {
      child = spawned
      children.push(spawned)
      spawned.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    }
  })
  return { done, child: () => child!, stderr: () => stderr }
}

describe("strata backfill", () => {
  it("single-run hands the range to one step; running the same command again launches nothing; usage errors", async () => {
    const dir = project({ "strata.config.ts": config })
    const first = await strata(["backfill", "--select", "+users", "--partitions", "2024-01-01...2024-01-05", "--policy", "single-run", "--json"], { cwd: dir })
    expect(first.code, first.stderr).toBe(0)
    const summary = JSON.parse(first.stdout)
    expect(summary.backfill.status).toBe("completed")
    expect(summary.progress).toEqual({ total: 5, materialized: 5, stale: 0, failed: 0, inProgress: 0, missing: 0 })
    expect(summary.runs).toHaveLength(1)
    expect(summary.runs[0].selection).toBe("2024-01-01...2024-01-05")
    expect(first.stderr).toContain("1 run(s) for 5 missing partition(s) of 5")
    expect(computed(dir)).toEqual(days(5).map((day) => `events ${day}`))

    // the same command, a wider range: only the 2 missing days run, two per run
    const again = await strata(["backfill", "--select", "+users", "--partitions", "2024-01-01...2024-01-07", "--policy", "max-per-run=2", "--json"], { cwd: dir })
    expect(again.code, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout).runs.map((run: { selection: string }) => run.selection)).toEqual(["2024-01-06...2024-01-07"])
    expect(computed(dir)).toHaveLength(7)

    const list = await strata(["backfills", "--json"], { cwd: dir })
    expect(list.code, list.stderr).toBe(0)
    const listed = JSON.parse(list.stdout) as Array<{ backfillId: string; status: string; progress: unknown; runIds: Array<string> }>
    expect(listed.map((b) => [b.status, b.progress, b.runIds.length])).toEqual([
      ["completed", { total: 7, materialized: 7, stale: 0, failed: 0, inProgress: 0, missing: 0 }, 1],
      ["completed", { total: 5, materialized: 5, stale: 0, failed: 0, inProgress: 0, missing: 0 }, 1]
    ])
    const text = await strata(["backfills"], { cwd: dir })
    expect(text.stdout).toContain("7/7 materialized")

    const bad = await strata(["backfill", "--select", "+users", "--partitions", "2024-01-01", "--policy", "max-per-run=0"], { cwd: dir })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("unknown policy")
    const missing = await strata(["backfill", "--select", "+users"], { cwd: dir })
    expect(missing.code).toBe(2)
    const unknown = await strata(["backfill", "--resume", "bf-nope"], { cwd: dir })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("bf-nope does not exist")
  }, 300_000)

  it("a backfill SIGKILLed mid-way resumes with --resume: every partition materialized, at most the interrupted one twice", async () => {
    const dir = project({ "strata.config.ts": config, "block.txt": "2024-01-04" })
    const killed = spawnBackfill(["--select", "+users", "--partitions", "2024-01-01...2024-01-08", "--policy", "per-partition"], dir)
    await until(() => fs.existsSync(path.join(dir, "blocked.txt")) ? true : undefined, "the backfill to reach 2024-01-04")
    killed.child().kill("SIGKILL")
    const end = await killed.done
    expect(end.signal).toBe("SIGKILL")
    const [row] = backfillRows(dir)
    expect(row!.status).toBe("running")
    expect(JSON.parse(row!.run_ids)).toHaveLength(4)
    // recorded running, but its process is gone: it lists as interrupted at once (its lease's holder is a dead pid of this host)
    const listed = JSON.parse((await strata(["backfills", "--json"], { cwd: dir })).stdout) as Array<{ backfillId: string; status: string }>
    expect(listed[0]).toMatchObject({ backfillId: row!.backfill_id, status: "interrupted" })
    expect((await strata(["backfills"], { cwd: dir })).stdout).toContain("interrupted")
    fs.writeFileSync(path.join(dir, "release.txt"), "")
    // its process is gone (the run it left is reaped when the instance opens): canceling it takes effect at once
    const cancel = await strata(["backfills", "cancel", row!.backfill_id], { cwd: dir })
    expect(cancel.code, cancel.stderr).toBe(0)
    expect(cancel.stdout).toContain("canceled while no process was running it")
    expect(backfillRows(dir)[0]!.status).toBe("canceled")

    const resumed = await strata(["backfill", "--resume", row!.backfill_id, "--json"], { cwd: dir })
    expect(resumed.code, resumed.stderr).toBe(0)
    const summary = JSON.parse(resumed.stdout)
    expect(summary.backfill.status).toBe("completed")
    expect(summary.runs.map((run: { selection: string }) => run.selection)).toEqual(days(8).slice(3))
    expect(summary.backfill.runIds).toHaveLength(9)
    // no partition lost; the interrupted one computed once more
    const lines = computed(dir)
    for (const day of days(8)) expect(lines.filter((line) => line === `events ${day}`).length, day).toBeGreaterThanOrEqual(1)
    expect(lines.length).toBeLessThanOrEqual(9)
    expect(lines.filter((line) => line === "events 2024-01-04")).toHaveLength(2)
    const status = JSON.parse((await strata(["status", "--json"], { cwd: dir })).stdout).partitions as Array<{ key: string; materialized: number }>
    expect(status.find((s) => s.key === "users")!.materialized).toBe(8)
  }, 300_000)

  it("strata backfills cancel stops the running backfill after its current run; a resume finishes it", async () => {
    const dir = project({ "strata.config.ts": config, "block.txt": "2024-01-02" })
    const running = spawnBackfill(["--select", "+users", "--partitions", "2024-01-01...2024-01-05"], dir)
    await until(() => fs.existsSync(path.join(dir, "blocked.txt")) ? true : undefined, "the backfill to reach 2024-01-02")
    const id = backfillRows(dir)[0]!.backfill_id
    const cancel = await strata(["backfills", "cancel", id], { cwd: dir })
    expect(cancel.code, cancel.stderr).toBe(0)
    expect(cancel.stdout).toContain("stops after its current run")
    fs.writeFileSync(path.join(dir, "release.txt"), "")
    const end = await running.done
    expect(end.code).toBe(1)
    expect(end.stderr).toContain(`Backfill ${id} canceled`)
    expect(end.stderr).toContain(`strata backfill --resume ${id}`)
    expect(computed(dir)).toEqual(days(2).map((day) => `events ${day}`))
    const listed = JSON.parse((await strata(["backfills", "--json"], { cwd: dir })).stdout)
    expect(listed[0]).toMatchObject({ backfillId: id, status: "canceled", progress: { total: 5, materialized: 2, missing: 3 } })

    const resumed = await strata(["backfill", "--resume", id], { cwd: dir })
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(computed(dir)).toEqual(days(5).map((day) => `events ${day}`))
    expect(backfillRows(dir)[0]!.status).toBe("completed")
    const again = await strata(["backfills", "cancel", id], { cwd: dir })
    expect(again.stdout).toContain("already completed")
  }, 300_000)
})
