/**
 * Canceling a run from another process: a real `strata materialize` child on
 * a real SQLite file, canceled by `strata runs cancel` (another child) and by
 * the catalog of `strata dev` (a third), checked in the instance file itself.
 */
import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { DatabaseSync } from "node:sqlite"
import { afterAll, describe, expect, it } from "vitest"
import type { Result } from "./helpers.ts"
import { childrenOf, makeProject, removeProject, strata, until as poll } from "./helpers.ts"

/** Polls every 50 ms, for at most 20 s. */
const until = <A>(check: () => A | undefined | Promise<A | undefined>, what: string): Promise<A> => poll(check, what, 20_000, 50)

const dirs: Array<string> = []
const children: Array<ChildProcess> = []
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  dirs.forEach(removeProject)
})

/** `first` → `slow` (60 s, or a synchronous busy loop when `blocking`) → `after`. */
const slowConfig = (options?: { readonly blocking?: boolean }) =>
  `import * as fs from "node:fs"
import { Asset, FileSystemIO, Project, StrataConfig } from "@strata/core"
import { Effect } from "effect"

const first = Asset.make("first", {}, () => Effect.succeed(1))
const slow = Asset.make("slow", { deps: { first } }, () => ${
    options?.blocking
      // the sleep lets the step's start be written; then a marker file says the event loop is blocked, for 8 s
      ? `Effect.andThen(Effect.sleep("300 millis"), Effect.sync(() => {
          fs.writeFileSync("blocking.marker", "")
          const end = Date.now() + 8000
          while (Date.now() < end) {}
          return 2
        }))`
      : `Effect.as(Effect.sleep("60 seconds"), 2)`
  })
const after = Asset.make("after", { deps: { slow } }, ({ slow }) => Effect.as(Effect.sleep("${options?.blocking ? 3 : 0} seconds"), slow + 1))
export default StrataConfig.define({ project: Project.make({ assets: [first, slow, after] }), environments: { local: () => FileSystemIO.layer() } })
`

const project = (config: string) => {
  const dir = makeProject({ "strata.config.ts": config })
  dirs.push(dir)
  return dir
}

const spawnStrata = (args: ReadonlyArray<string>, dir: string) => {
  let child: ChildProcess | undefined
  let stdout = ""
  const done = strata(args, {
    cwd: dir,
    onSpawn: (spawned) => {
      child = spawned
      children.push(spawned)
      spawned.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    }
  })
  return { done, child: () => child!, stdout: () => stdout }
}

/** Reads the instance file directly (not through Strata). */
const readInstance = <A>(dir: string, read: (db: DatabaseSync) => A): A | undefined => {
  const file = path.join(dir, ".strata", "instance.db")
  if (!fs.existsSync(file)) return undefined
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    return read(db)
  } catch {
    return undefined // not created yet
  } finally {
    db.close()
  }
}

/** The id of the run whose `slow` step has started. */
const slowStarted = (dir: string) =>
  until(
    () =>
      readInstance(dir, (db) =>
        (db.prepare(
          `SELECT r.run_id AS runId FROM runs r JOIN events e ON e.run_seq = r.seq
           WHERE e.type = 'step-started' AND json_extract(e.body, '$.assetKey') = 'slow'`
        ).get() as { runId: string } | undefined)?.runId),
    "the slow step to start"
  )

interface Recorded {
  readonly status: string
  readonly reason: string | null
  readonly cancelRequestedAt: number | null
  readonly cancelReason: string | null
  readonly events: Array<{ type: string; assetKey?: string; kind?: string; error?: { tag: string } }>
}

const recorded = (dir: string, runId: string): Recorded =>
  readInstance(dir, (db) => {
    const run = db.prepare(
      "SELECT seq, status, reason, cancel_requested_at AS cancelRequestedAt, cancel_reason AS cancelReason FROM runs WHERE run_id = ?"
    ).get(runId) as { seq: number } & Omit<Recorded, "events">
    const events = (db.prepare("SELECT body FROM events WHERE run_seq = ? ORDER BY id").all(run.seq) as Array<{ body: string }>)
      .map((row) => JSON.parse(row.body) as Recorded["events"][number])
    return { status: run.status, reason: run.reason, cancelRequestedAt: run.cancelRequestedAt, cancelReason: run.cancelReason, events }
  })!

/** What a canceled run of `slowConfig` must look like in the instance. */
const expectCanceledMidway = (state: Recorded, reason: RegExp) => {
  expect(state.status).toBe("canceled")
  expect(state.reason).toMatch(reason)
  expect(state.cancelReason).toBe(state.reason)
  expect(state.cancelRequestedAt).toBeGreaterThan(0)
  const steps = state.events.filter((event) => event.type !== "log").map((event) =>
    [event.type, event.assetKey ?? "", event.kind ?? event.error?.tag ?? ""].join(" ").trim()
  )
  expect(steps).toEqual([
    "run-started",
    "step-started first",
    "asset-materialized first",
    "step-succeeded first",
    "step-started slow",
    "step-failed slow Interrupted",
    "step-skipped after canceled",
    "run-canceled"
  ])
}

const expectMaterializeCanceled = (result: Result, runId: string) => {
  expect(result.code).toBe(1)
  expect(result.stdout).toContain(`Run ${runId} canceled`)
  expect(result.stdout).toContain("skipped after: the run was canceled before this step started")
}

describe("strata runs cancel", () => {
  it("cancels a run that another `strata materialize` process executes, and waits until it is canceled", async () => {
    const dir = project(slowConfig())
    const materialize = spawnStrata(["materialize"], dir)
    const runId = await slowStarted(dir)
    const started = Date.now()
    // a unique prefix is enough, as for `runs show`
    const cancel = await strata(["runs", "cancel", runId.slice(0, 8), "--json"], { cwd: dir })
    expect(cancel.stderr).toBe("")
    expect(cancel.code).toBe(0)
    expect(Date.now() - started).toBeLessThan(15_000)
    const answer = JSON.parse(cancel.stdout) as { run: { runId: string; status: string; reason: string }; waited: boolean; timedOut: boolean }
    expect([answer.run.runId, answer.run.status, answer.waited, answer.timedOut]).toEqual([runId, "canceled", true, false])
    expect(answer.run.reason).toMatch(/^canceled from the CLI \(pid \d+ on .+\)$/)
    expectMaterializeCanceled(await materialize.done, runId)
    expectCanceledMidway(recorded(dir, runId), /^canceled from the CLI \(pid \d+ on /)
    // canceling it again is not an error; an unknown run is bad usage
    const again = await strata(["runs", "cancel", runId], { cwd: dir })
    expect([again.code, again.stdout]).toEqual([0, `Run ${runId} canceled (${answer.run.reason})\n`])
    const unknown = await strata(["runs", "cancel", "no-such-run"], { cwd: dir })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("run no-such-run does not exist")
  })

  it("--timeout: a process that does not poll (a step blocking its event loop) is reported, exit 1; the request stays and is acted on later", async () => {
    const dir = project(slowConfig({ blocking: true }))
    const materialize = spawnStrata(["materialize"], dir)
    const runId = await slowStarted(dir)
    // ask only once the process cannot poll any more: its event loop is blocked for the next 8 s, far
    // longer than the CLI's start and its 1 s wait, even on a loaded machine
    await until(() => fs.existsSync(path.join(dir, "blocking.marker")) || undefined, "the step to block its event loop")
    const cancel = await strata(["runs", "cancel", runId, "--timeout", "1"], { cwd: dir })
    expect(cancel.code).toBe(1)
    expect(cancel.stderr).toContain(`run ${runId} is still started 1 s after the cancel request`)
    expect(cancel.stderr).toContain(`(pid ${materialize.child().pid} on `)
    // once the step returns, the next poll sees the request: `after` is interrupted
    const result = await materialize.done
    expect(result.code).toBe(1)
    const state = recorded(dir, runId)
    expect(state.status).toBe("canceled")
    expect(state.events.filter((event) => event.type === "asset-materialized").map((event) => event.assetKey)).toEqual([
      "first",
      "slow"
    ])
    expect(state.events.find((event) => event.type === "step-failed")).toMatchObject({ assetKey: "after", error: { tag: "Interrupted" } })
    // a finished run cannot be canceled: bad usage, exit 2, nothing recorded
    const materializeAgain = await strata(["materialize", "--select", "first"], { cwd: dir })
    expect(materializeAgain.code).toBe(0)
    const succeeded = readInstance(dir, (db) =>
      (db.prepare("SELECT run_id AS runId FROM runs WHERE status = 'succeeded'").get() as { runId: string }).runId)!
    const refused = await strata(["runs", "cancel", succeeded, "--no-wait"], { cwd: dir })
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(`run ${succeeded} already succeeded; there is nothing to cancel`)
    expect(recorded(dir, succeeded).cancelRequestedAt).toBeNull()
  })

  it("--no-wait records the request and returns at once with the run still started", async () => {
    const dir = project(slowConfig())
    const materialize = spawnStrata(["materialize"], dir)
    const runId = await slowStarted(dir)
    const cancel = await strata(["runs", "cancel", runId, "--no-wait", "--json"], { cwd: dir })
    expect(cancel.code).toBe(0)
    const answer = JSON.parse(cancel.stdout) as { run: { status: string; cancelRequestedAt: number }; waited: boolean }
    expect([answer.run.status, answer.waited]).toEqual(["started", false])
    expect(answer.run.cancelRequestedAt).toBeGreaterThan(0)
    expectMaterializeCanceled(await materialize.done, runId)
    expect(recorded(dir, runId).status).toBe("canceled")
  })
})

describe("the catalog's cancel of a run executed by another process", () => {
  it("records the request (200, requested), and the `strata materialize` process cancels the run", async () => {
    const dir = project(slowConfig())
    const dev = spawnStrata(["dev", "--port", "0"], dir)
    const url = await until(() => /Strata catalog on (http:\/\/[\d.]+:\d+)/.exec(dev.stdout())?.[1], "strata dev to serve")
    try {
      const materialize = spawnStrata(["materialize"], dir)
      const runId = await slowStarted(dir)
      const listed = await (await fetch(`${url}/api/runs/${runId}`)).json() as { run: { cancelable: boolean; status: string } }
      expect([listed.run.status, listed.run.cancelable]).toEqual(["started", true])
      const response = await fetch(`${url}/api/runs/${runId}/cancel`, { method: "POST" })
      expect(response.status).toBe(200)
      const answer = await response.json() as { requested: boolean; status: string; run: { cancelReason: string } }
      expect([answer.requested, answer.status]).toEqual([true, "started"])
      // the pid of the process that serves the catalog: `strata dev`'s child (see @strata/catalog/process)
      const server = childrenOf(dev.child().pid!)
      expect(server).toHaveLength(1)
      expect(answer.run.cancelReason).toBe(`canceled from the catalog (pid ${server[0]} on ${os.hostname()})`)
      expectMaterializeCanceled(await materialize.done, runId)
      expectCanceledMidway(recorded(dir, runId), new RegExp(`^canceled from the catalog \\(pid ${server[0]} on `))
      const after = await (await fetch(`${url}/api/runs/${runId}`)).json() as { run: { status: string; cancelable: boolean } }
      expect([after.run.status, after.run.cancelable]).toEqual(["canceled", false])
      const again = await fetch(`${url}/api/runs/${runId}/cancel`, { method: "POST" })
      expect(again.status).toBe(409)
    } finally {
      dev.child().kill("SIGINT")
      expect((await dev.done).code).toBe(130)
    }
  })
})

