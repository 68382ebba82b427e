import { SCHEMA_VERSION } from "../src/internal/schema.ts"
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import { hostname } from "node:os"
import * as path from "node:path"
import { DatabaseSync } from "node:sqlite"
import { describe, expect, it } from "@effect/vitest"
import { Instance } from "@strata/core"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import { afterAll } from "vitest"
import { SqliteInstance } from "../src/index.ts"
import { APPLICATION_ID, migrations } from "../src/internal/schema.ts"

const root = fs.mkdtempSync(path.join(os.tmpdir(), "strata-sqlite-open-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))
let n = 0
const folder = () => {
  const dir = path.join(root, `case-${++n}`)
  fs.mkdirSync(dir, { recursive: true })
  return dir
}

const digest = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex")

/** Opens and expects an InstanceError; returns it. */
const openFailure = (options: SqliteInstance.Options) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(Effect.scoped(SqliteInstance.make(options)))
    expect(Exit.isFailure(exit)).toBe(true)
    const error = Exit.isFailure(exit) ? exit.cause.reasons.find((reason) => reason._tag === "Fail") : undefined
    expect(error).toBeDefined()
    const failure = (error as unknown as { error: unknown }).error
    expect(failure).toBeInstanceOf(Instance.InstanceError)
    return failure as Instance.InstanceError
  })

const newRun = (runId: string): Instance.NewRun => ({
  runId,
  selection: "*",
  assetKeys: ["a"],
  staleOnly: false,
  tags: {},
  createdAt: Date.now()
})

describe("opening a database", () => {
  it.live("creates the folder and a WAL database marked as a Strata instance", () =>
    Effect.gen(function*() {
      const file = path.join(folder(), "deep", "er", "instance.db")
      yield* Effect.scoped(Effect.gen(function*() {
        const instance = yield* SqliteInstance.make({ path: file })
        expect(instance.describe).toBe(`sqlite ${file}`)
        expect(instance.capabilities).toEqual({ persistent: true, multiProcess: true })
        yield* instance.createRun(newRun("r1"))
      }))
      const db = new DatabaseSync(file, { readOnly: true })
      expect(db.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" })
      expect(db.prepare("PRAGMA application_id").get()).toEqual({ application_id: 0x53545241 })
      expect(db.prepare("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION })
      expect(db.prepare("SELECT run_id FROM runs").all()).toEqual([{ run_id: "r1" }])
      db.close()
    }))

  it.live("layerConfig reads the path from configuration", () =>
    Effect.gen(function*() {
      const file = path.join(folder(), "configured", "instance.db")
      const describe = yield* Effect.map(Effect.service(Instance.Instance), (instance) => instance.describe).pipe(
        Effect.provide(
          SqliteInstance.layerConfig().pipe(
            Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ STRATA_SQLITE_PATH: file })))
          )
        )
      )
      expect(describe).toBe(`sqlite ${file}`)
      expect(fs.existsSync(file)).toBe(true)
    }))

  it.live("an open instance keeps reaping: a run whose process dies later is failed within the interval", () =>
    Effect.gen(function*() {
      const file = path.join(folder(), "instance.db")
      const pid = spawnSync(process.execPath, ["-e", ""]).pid!
      yield* Effect.scoped(Effect.gen(function*() {
        const instance = yield* SqliteInstance.make({ path: file, reapOrphans: { intervalMs: 50 } })
        yield* instance.createRun({ ...newRun("late"), host: hostname(), pid })
        yield* instance.appendEvents([{ type: "run-started", runId: "late", timestamp: Date.now() }])
        const deadline = Date.now() + 10_000
        let status = (yield* instance.getRun("late"))!.status
        while (status === "started" && Date.now() < deadline) {
          yield* Effect.sleep(20)
          status = (yield* instance.getRun("late"))!.status
        }
        expect(status).toBe("failed")
        expect((yield* instance.getRun("late"))!.reason).toContain(`pid ${pid}`)
      }))
    }))

  it.live("an empty file becomes a new instance", () =>
    Effect.gen(function*() {
      const file = path.join(folder(), "instance.db")
      fs.writeFileSync(file, "")
      const runs = yield* Effect.scoped(Effect.flatMap(SqliteInstance.make({ path: file }), (i) => i.listRuns()))
      expect(runs).toEqual([])
      expect(fs.statSync(file).size).toBeGreaterThan(0)
    }))

  it.live("a text file is reported as corrupt, naming the path and what to do, and left byte for byte", () =>
    Effect.gen(function*() {
      const dir = folder()
      const file = path.join(dir, "instance.db")
      fs.writeFileSync(file, "these are my notes, not a database\n".repeat(100))
      const before = digest(file)
      const error = yield* openFailure({ path: file })
      expect(error.reason).toBe("corrupt")
      expect(error.path).toBe(file)
      expect(error.message).toContain(file)
      expect(error.message).toContain("not an SQLite database")
      expect(error.message).toContain("strata wipe")
      expect(error.isRetryable).toBe(false)
      expect(digest(file)).toBe(before)
      expect(fs.readdirSync(dir)).toEqual(["instance.db"])
    }))

  it.live("an SQLite database with unrelated tables is reported as corrupt (foreign) and left unchanged", () =>
    Effect.gen(function*() {
      const dir = folder()
      const file = path.join(dir, "instance.db")
      const foreign = new DatabaseSync(file)
      foreign.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada')")
      foreign.close()
      const before = digest(file)
      const error = yield* openFailure({ path: file })
      expect(error.reason).toBe("corrupt")
      expect(error.message).toContain("not a Strata instance")
      expect(error.message).toContain("users")
      expect(error.message).toContain("strata wipe")
      expect(digest(file)).toBe(before)
      expect(fs.readdirSync(dir)).toEqual(["instance.db"])
    }))

  it.live("a damaged database (valid header, garbage after it) is reported as corrupt", () =>
    Effect.gen(function*() {
      const file = path.join(folder(), "instance.db")
      const bytes = Buffer.alloc(8192, 0xab)
      bytes.write("SQLite format 3\u0000", 0, "latin1")
      fs.writeFileSync(file, bytes)
      const before = digest(file)
      const error = yield* openFailure({ path: file })
      expect(error.reason).toBe("corrupt")
      expect(error.message).toContain(file)
      expect(digest(file)).toBe(before)
    }))

  /** A real instance file (WAL mode, 200 runs with events), closed, as a process that exited leaves it. */
  const instanceFile = (dir: string) =>
    Effect.gen(function*() {
      const file = path.join(dir, "instance.db")
      yield* Effect.scoped(Effect.gen(function*() {
        const instance = yield* SqliteInstance.make({ path: file })
        for (let i = 0; i < 200; i++) {
          yield* instance.createRun(newRun(`r${i}`))
          yield* instance.appendEvents([
            { type: "run-started", runId: `r${i}`, timestamp: 1 },
            { type: "log", runId: `r${i}`, timestamp: 2, level: "info", message: "x".repeat(500) },
            { type: "run-succeeded", runId: `r${i}`, timestamp: 3 }
          ])
        }
      }))
      expect(fs.readdirSync(dir)).toEqual(["instance.db"])
      const header = fs.readFileSync(file).subarray(0, 20)
      expect([header[18], header[19]]).toEqual([2, 2]) // WAL mode, as every instance file is
      return file
    })

  /** Opens a file that must be refused: the error, with the file byte for byte as it was and nothing created beside it. */
  const refused = (file: string) =>
    Effect.gen(function*() {
      const before = digest(file)
      const error = yield* openFailure({ path: file })
      expect(digest(file)).toBe(before)
      expect(fs.readdirSync(path.dirname(file))).toEqual([path.basename(file)])
      return error
    })

  it.live("a damaged instance (its schema page overwritten) is corrupt; no -wal or -shm is created, the file is unchanged", () =>
    Effect.gen(function*() {
      const file = yield* instanceFile(folder())
      const bytes = fs.readFileSync(file)
      bytes.fill(0x5a, 100, 4096)
      fs.writeFileSync(file, bytes)
      const error = yield* refused(file)
      expect(error.reason).toBe("corrupt")
      expect(error.message).toContain(file)
      expect(error.message).toContain("malformed")
      expect(error.message).toContain("strata wipe")
    }))

  it.live("a truncated instance is corrupt, saying so; no -wal or -shm is created, the file is unchanged", () =>
    Effect.gen(function*() {
      const file = yield* instanceFile(folder())
      const bytes = fs.readFileSync(file)
      fs.writeFileSync(file, bytes.subarray(0, 4096 * 10 + 100))
      const error = yield* refused(file)
      expect(error.reason).toBe("corrupt")
      expect(error.message).toContain(`is truncated: its header records ${bytes.length} bytes, the file has ${4096 * 10 + 100}`)
      expect(error.message).toContain("strata wipe")
    }))

  it.live("an instance of a newer schema version is unsupported-version; no -wal or -shm is created, the file is unchanged", () =>
    Effect.gen(function*() {
      const file = yield* instanceFile(folder())
      const bytes = fs.readFileSync(file)
      bytes.writeUInt32BE(SCHEMA_VERSION + 1, 60) // PRAGMA user_version, as a newer @strata/sqlite would have set it
      fs.writeFileSync(file, bytes)
      const error = yield* refused(file)
      expect(error.reason).toBe("unsupported-version")
      expect(error.message).toContain(`schema version ${SCHEMA_VERSION + 1}`)
      expect(error.message).toContain("upgrade @strata/sqlite")
    }))

  it.live("a good instance closed by its last process opens and keeps its runs; one open by another connection too", () =>
    Effect.gen(function*() {
      const file = yield* instanceFile(folder())
      const runs = yield* Effect.scoped(Effect.flatMap(SqliteInstance.make({ path: file, reapOrphans: false }), (i) => i.listRuns({ limit: 1000 })))
      expect(runs).toHaveLength(200)
      // a writer that keeps the database open: its last commits are in the -wal file, which the check must read
      const other = new DatabaseSync(file)
      other.exec("PRAGMA journal_mode = WAL")
      other.exec(`UPDATE runs SET host = 'other-writer' WHERE run_id = 'r7'`)
      expect(fs.existsSync(`${file}-wal`)).toBe(true)
      const run = yield* Effect.scoped(Effect.flatMap(SqliteInstance.make({ path: file, reapOrphans: false }), (i) => i.getRun("r7")))
      other.close()
      expect(run?.host).toBe("other-writer")
    }))

  it.live("a folder where the file should be is reported as unavailable, not thrown", () =>
    Effect.gen(function*() {
      const dir = path.join(folder(), "instance.db")
      fs.mkdirSync(dir)
      const error = yield* openFailure({ path: dir })
      expect(error.reason).toBe("unavailable")
      expect(error.message).toContain(dir)
    }))

  it.live("a version 1 database (before cancel requests) is migrated in place and keeps its runs and events", () =>
    Effect.gen(function*() {
      const file = path.join(folder(), "instance.db")
      // the database as @strata/sqlite 0.1 (schema version 1) left it
      const old = new DatabaseSync(file)
      old.exec(migrations[0]!)
      old.exec(`PRAGMA application_id = ${APPLICATION_ID}`)
      old.exec("PRAGMA user_version = 1")
      old.prepare(
        `INSERT INTO runs (run_id, status, created_at, started_at, heartbeat_at, host, pid, selection, stale_only, asset_keys, tags)
         VALUES ('old-run', 'started', 1000, 1001, 1002, 'elsewhere', 1, '*', 0, '["a"]', '{"k":"v"}')`
      ).run()
      old.prepare(`INSERT INTO events (run_seq, type, body) VALUES (1, 'run-started', ?)`)
        .run(JSON.stringify({ type: "run-started", runId: "old-run", timestamp: 1001 }))
      old.close()
      yield* Effect.scoped(Effect.gen(function*() {
        const instance = yield* SqliteInstance.make({ path: file, reapOrphans: false })
        const run = (yield* instance.getRun("old-run"))!
        expect([run.status, run.createdAt, run.heartbeatAt, run.tags, run.cancelRequestedAt]).toEqual([
          "started",
          1000,
          1002,
          { k: "v" },
          undefined
        ])
        expect((yield* instance.runEvents("old-run")).map((event) => [event.id, event.type])).toEqual([[1, "run-started"]])
        const requested = yield* instance.requestCancel("old-run", { at: 2000, reason: "after the upgrade" })
        expect([requested.status, requested.cancelRequestedAt, requested.cancelReason]).toEqual(["started", 2000, "after the upgrade"])
      }))
      const db = new DatabaseSync(file, { readOnly: true })
      expect(db.prepare("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION })
      expect(db.prepare("SELECT cancel_requested_at, cancel_reason FROM runs").all()).toEqual([
        { cancel_requested_at: 2000, cancel_reason: "after the upgrade" }
      ])
      db.close()
    }))

  it.live("a schema version newer than this package is refused with unsupported-version, file unchanged", () =>
    Effect.gen(function*() {
      const file = path.join(folder(), "instance.db")
      yield* Effect.scoped(SqliteInstance.make({ path: file }))
      const db = new DatabaseSync(file)
      db.exec("PRAGMA user_version = 99")
      db.close()
      const before = digest(file)
      const error = yield* openFailure({ path: file })
      expect(error.reason).toBe("unsupported-version")
      expect(error.message).toContain("schema version 99")
      expect(error.message).toContain("upgrade @strata/sqlite")
      expect(digest(file)).toBe(before)
    }))

  it.live("a writer blocked by another process's write lock fails with reason locked (retryable); readers are not blocked", () =>
    Effect.gen(function*() {
      const file = path.join(folder(), "instance.db")
      yield* Effect.scoped(Effect.gen(function*() {
        const instance = yield* SqliteInstance.make({ path: file, busyTimeoutMs: 100 })
        yield* instance.createRun(newRun("r1"))
        yield* instance.appendEvents([{ type: "run-started", runId: "r1", timestamp: 1 }])
        const other = new DatabaseSync(file, { timeout: 0 })
        other.exec("BEGIN IMMEDIATE")
        other.exec("UPDATE runs SET host = 'other' WHERE run_id = 'r1'")
        const exit = yield* Effect.exit(instance.appendEvents([{ type: "run-succeeded", runId: "r1", timestamp: 2 }]))
        // reads go on while the other connection holds the write lock
        const run = yield* instance.getRun("r1")
        other.exec("ROLLBACK")
        other.close()
        expect(run!.status).toBe("started")
        expect(Exit.isFailure(exit)).toBe(true)
        const error = Exit.isFailure(exit)
          ? (exit.cause.reasons.find((reason) => reason._tag === "Fail") as unknown as { error: Instance.InstanceError }).error
          : undefined
        expect(error?.reason).toBe("locked")
        expect(error?.isRetryable).toBe(true)
        yield* instance.appendEvents([{ type: "run-succeeded", runId: "r1", timestamp: 2 }])
        expect((yield* instance.getRun("r1"))!.status).toBe("succeeded")
      }))
    }))
})

describe("reading rows", () => {
  it.live("a row changed outside Strata is reported as corrupt; an event type from a newer Strata as unsupported-version", () =>
    Effect.gen(function*() {
      const file = path.join(folder(), "instance.db")
      yield* Effect.scoped(Effect.gen(function*() {
        const instance = yield* SqliteInstance.make({ path: file })
        yield* instance.createRun(newRun("r1"))
        yield* instance.appendEvents([
          { type: "run-started", runId: "r1", timestamp: 1 },
          { type: "log", runId: "r1", timestamp: 2, level: "info", message: "hello" }
        ])
      }))
      const db = new DatabaseSync(file)
      db.exec(`UPDATE events SET body = '{"type":"log","runId":"r1","timestamp":"yesterday"}' WHERE type = 'log'`)
      db.close()
      yield* Effect.scoped(Effect.gen(function*() {
        const instance = yield* SqliteInstance.make({ path: file, reapOrphans: false })
        const exit = yield* Effect.exit(instance.runEvents("r1"))
        const error = Exit.isFailure(exit)
          ? (exit.cause.reasons.find((reason) => reason._tag === "Fail") as unknown as { error: Instance.InstanceError }).error
          : undefined
        expect(error?.reason).toBe("corrupt")
        expect(error?.message).toContain("event 2")
      }))
      const again = new DatabaseSync(file)
      again.exec(`UPDATE events SET body = '{"type":"sensor-ticked","runId":"r1","timestamp":2}' WHERE type = 'log'`)
      again.close()
      yield* Effect.scoped(Effect.gen(function*() {
        const instance = yield* SqliteInstance.make({ path: file, reapOrphans: false })
        const exit = yield* Effect.exit(instance.events())
        const error = Exit.isFailure(exit)
          ? (exit.cause.reasons.find((reason) => reason._tag === "Fail") as unknown as { error: Instance.InstanceError }).error
          : undefined
        expect(error?.reason).toBe("unsupported-version")
        expect(error?.message).toContain("sensor-ticked")
        // the rest of the instance still answers
        expect((yield* instance.getRun("r1"))!.status).toBe("started")
      }))
    }))

  it.live("the asset index: a bad metadata body or a pointer to an event of another type is reported as corrupt", () =>
    Effect.gen(function*() {
      const file = path.join(folder(), "instance.db")
      yield* Effect.scoped(Effect.gen(function*() {
        const instance = yield* SqliteInstance.make({ path: file })
        yield* instance.createRun(newRun("r1"))
        yield* instance.appendEvents([
          { type: "run-started", runId: "r1", timestamp: 1 },
          {
            type: "asset-materialized",
            runId: "r1",
            timestamp: 2,
            assetKey: "a",
            metadata: { rows: 3, nested: { list: [1, null, "x"] } },
            dataVersion: "d",
            codeVersion: "c",
            inputVersions: { b: "v" }
          },
          { type: "log", runId: "r1", timestamp: 3, level: "info", message: "hello" }
        ])
        const records = yield* instance.assets(["a"])
        expect(records.get("a")?.materialization?.metadata).toStrictEqual({ rows: 3, nested: { list: [1, null, "x"] } })
        expect(records.get("a")?.materialization?.inputVersions).toStrictEqual({ b: "v" })
      }))
      const readError = Effect.scoped(Effect.gen(function*() {
        const instance = yield* SqliteInstance.make({ path: file, reapOrphans: false })
        const exit = yield* Effect.exit(instance.assets(["a"]))
        return Exit.isFailure(exit)
          ? (exit.cause.reasons.find((reason) => reason._tag === "Fail") as unknown as { error: Instance.InstanceError }).error
          : undefined
      }))
      const db = new DatabaseSync(file)
      db.exec(`UPDATE events SET body = json_set(body, '$.metadata', json('[1,2]')) WHERE type = 'asset-materialized'`)
      const eventId = (db.prepare(`SELECT id FROM events WHERE type = 'asset-materialized'`).get() as { id: number }).id
      db.close()
      const badMetadata = yield* readError
      expect(badMetadata?.reason).toBe("corrupt")
      expect(badMetadata?.message).toContain(`event ${eventId}`)
      const again = new DatabaseSync(file)
      again.exec(`UPDATE assets SET materialization_id = (SELECT id FROM events WHERE type = 'log') WHERE asset_key = 'a'`)
      again.close()
      const wrongType = yield* readError
      expect(wrongType?.reason).toBe("corrupt")
      expect(wrongType?.message).toContain("a log event, where an asset-materialized event belongs")
    }))
})

describe("the asset index across connections", () => {
  const materialized = (runId: string, assetKey: string, dataVersion: string, timestamp: number) => ({
    type: "asset-materialized" as const,
    runId,
    timestamp,
    assetKey,
    metadata: { rows: timestamp },
    dataVersion,
    codeVersion: "c",
    inputVersions: {}
  })

  it.live("a reader sees at once what another connection wrote, changed and wiped after its first read", () =>
    Effect.gen(function*() {
      const file = path.join(folder(), "instance.db")
      const reader = yield* SqliteInstance.make({ path: file, reapOrphans: false })
      const writer = yield* SqliteInstance.make({ path: file, reapOrphans: false })
      yield* writer.createRun(newRun("r1"))
      yield* writer.appendEvents([
        { type: "run-started", runId: "r1", timestamp: 1 },
        materialized("r1", "a", "a1", 2),
        materialized("r1", "b", "b1", 3),
        { type: "asset-observed", runId: "r1", timestamp: 4, assetKey: "src", metadata: {}, dataVersion: "s1" }
      ])
      const first = yield* reader.assets()
      expect([...first.keys()].sort()).toEqual(["a", "b", "src"])
      expect(first.get("a")?.materialization?.dataVersion).toBe("a1")

      // another connection (another process, for all the reader knows) writes on
      yield* writer.createRun(newRun("r2"))
      yield* writer.appendEvents([
        { type: "run-started", runId: "r2", timestamp: 5 },
        materialized("r2", "a", "a2", 6),
        materialized("r2", "c", "c1", 7),
        { type: "asset-observed", runId: "r2", timestamp: 8, assetKey: "src", metadata: {}, dataVersion: "s2" }
      ])
      yield* writer.wipeAssets(["b"])
      const second = yield* reader.assets()
      expect([...second.keys()].sort()).toEqual(["a", "c", "src"])
      expect(second.get("a")?.materialization).toMatchObject({ dataVersion: "a2", runId: "r2", metadata: { rows: 6 } })
      expect(second.get("c")?.materialization?.dataVersion).toBe("c1")
      expect(second.get("src")?.observation?.dataVersion).toBe("s2")
      // a subset, and the full read again, agree with what a fresh connection decodes from scratch
      const fresh = yield* SqliteInstance.make({ path: file, reapOrphans: false })
      expect(yield* reader.assets(["a", "src"])).toStrictEqual(yield* fresh.assets(["a", "src"]))
      expect(yield* reader.assets()).toStrictEqual(yield* fresh.assets())
    }).pipe(Effect.scoped))

  it.live("a reader that decoded the index before reports an index entry pointing at a missing or wrong event as corrupt", () =>
    Effect.gen(function*() {
      const file = path.join(folder(), "instance.db")
      const reader = yield* SqliteInstance.make({ path: file, reapOrphans: false })
      yield* reader.createRun(newRun("r1"))
      yield* reader.appendEvents([
        { type: "run-started", runId: "r1", timestamp: 1 },
        materialized("r1", "a", "a1", 2),
        materialized("r1", "b", "b1", 3),
        { type: "log", runId: "r1", timestamp: 4, level: "info", message: "hello" }
      ])
      expect((yield* reader.assets()).size).toBe(2)
      const failure = Effect.gen(function*() {
        const exit = yield* Effect.exit(reader.assets())
        expect(Exit.isFailure(exit)).toBe(true)
        return Exit.isFailure(exit)
          ? (exit.cause.reasons.find((reason) => reason._tag === "Fail") as unknown as { error: Instance.InstanceError }).error
          : undefined
      })
      const db = new DatabaseSync(file)
      db.exec(`UPDATE assets SET materialization_id = 999999 WHERE asset_key = 'b'`)
      const missing = yield* failure
      expect(missing?.reason).toBe("corrupt")
      expect(missing?.message).toContain("event 999999, which does not exist")
      db.exec(`UPDATE assets SET materialization_id = (SELECT id FROM events WHERE type = 'log') WHERE asset_key = 'b'`)
      const wrongType = yield* failure
      expect(wrongType?.reason).toBe("corrupt")
      expect(wrongType?.message).toContain("a log event, where an asset-materialized event belongs")
      db.close()
    }).pipe(Effect.scoped))
})
