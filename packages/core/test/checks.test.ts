import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Asset, Check, ExecutionPlan, FileSystemIO, InMemoryIO, Instance, Materialize, Output, Partitions, Project, StepRequest } from "../src/index.ts"

/** A memory instance and the file I/O manager over a fresh temporary folder (values really written and read back). */
const env = () =>
  Layer.mergeAll(Instance.layerMemory, FileSystemIO.layer({ base: fs.mkdtempSync(path.join(os.tmpdir(), "strata-checks-")) }))

interface User {
  readonly id: number
  readonly email: string | null
  readonly status: string
}

/** raw -> users -> report, and an independent branch: other -> other_report. `state` decides what users holds. */
const pipeline = (state: { rows: ReadonlyArray<User>; dedupe?: boolean }, severity: Check.Severity) => {
  const raw = Asset.make("raw", {}, () => Effect.sync(() => [...state.rows]))
  const users = Asset.make("users", { deps: { raw }, codeVersion: "1" }, ({ raw }) =>
    Effect.sync(() => {
      const kept = state.dedupe === true ? raw.filter((row, i) => raw.findIndex((other) => other.email === row.email) === i) : raw
      return Output.make(kept, { metadata: { row_count: kept.length } })
    }))
  const report = Asset.make("report", { deps: { users } }, ({ users }) => Effect.succeed(users.length))
  const other = Asset.make("other", {}, () => Effect.succeed(1))
  const otherReport = Asset.make("other_report", { deps: { other } }, ({ other }) => Effect.succeed(other + 1))
  const emailsUnique = Check.unique(users, "email", { severity })
  const statusKnown = Check.acceptedValues(users, "status", ["active", "churned"], { severity: "warn" })
  const project = Project.make({ assets: [raw, users, report, other, otherReport], checks: [emailsUnique, statusKnown] })
  return { project, users, report }
}

const good: ReadonlyArray<User> = [
  { id: 1, email: "a@x.org", status: "active" },
  { id: 2, email: "b@x.org", status: "churned" }
]
const duplicated: ReadonlyArray<User> = [...good, { id: 3, email: "a@x.org", status: "active" }]

describe("asset checks", () => {
  it.effect("a failing blocking check skips exactly its asset's downstream, naming the check; the run fails", () =>
    Effect.gen(function*() {
      const { project } = pipeline({ rows: duplicated }, "error")
      const result = yield* Materialize.materialize(project)
      expect(result.status).toBe("failed")
      expect(result.reason).toBe("1 blocking check failed: users:email_unique")
      expect([...result.materialized].sort()).toEqual(["other", "other_report", "raw", "users"])
      expect(result.skipped).toEqual([
        { key: "report", kind: "upstream-failed", reason: "blocking check email_unique of users failed" }
      ])
      expect(result.failed).toEqual([])
      const unique = result.checks.find((check) => check.check === "email_unique")!
      expect(unique).toEqual({
        key: "users",
        check: "email_unique",
        passed: false,
        severity: "error",
        message: "1 duplicate email value: \"a@x.org\""
      })
      expect(result.checks.find((check) => check.check === "status_accepted_values")!.passed).toBe(true)
      const instance = yield* Instance.Instance
      const latest = (yield* instance.latestChecks(["users"])).get("users")!
      expect(latest.map((record) => [record.check, record.passed])).toEqual([["email_unique", false], ["status_accepted_values", true]])
      expect(latest[0]!.metadata).toEqual({ duplicate_count: 1, distinct_count: 2, row_count: 3 })
      const materialization = (yield* instance.assets(["users"])).get("users")!.materialization!
      expect(latest[0]!.dataVersion).toBe(materialization.dataVersion)
      // the asset itself materialized: no failure recorded on it
      expect((yield* instance.assets(["users"])).get("users")!.failure).toBeUndefined()
    }).pipe(Effect.provide(env())))

  it.effect("a failing warn check is recorded and blocks nothing", () =>
    Effect.gen(function*() {
      const { project } = pipeline({ rows: duplicated }, "warn")
      const result = yield* Materialize.materialize(project)
      expect(result.status).toBe("succeeded")
      expect(result.skipped).toEqual([])
      expect([...result.materialized].sort()).toEqual(["other", "other_report", "raw", "report", "users"])
      expect(result.checks.find((check) => check.check === "email_unique")).toMatchObject({ passed: false, severity: "warn" })
    }).pipe(Effect.provide(env())))

  it.effect("checks run after their asset, and alone (checks: only) against the stored value; history keeps both", () =>
    Effect.gen(function*() {
      const state = { rows: good }
      const { project } = pipeline(state, "error")
      const first = yield* Materialize.materialize(project)
      expect(first.status).toBe("succeeded")
      expect(first.checks.map((check) => check.passed)).toEqual([true, true])
      const plan = yield* ExecutionPlan.make(project, { selection: "users", checks: "only" })
      expect(plan.steps.map((step) => [step.key, step.stepKind, step.check])).toEqual([
        ["users", "check", "email_unique"],
        ["users", "check", "status_accepted_values"]
      ])
      const alone = yield* Materialize.materialize(project, { selection: "users", checks: "only" })
      expect(alone.materialized).toEqual([])
      expect(alone.checks.length).toBe(2)
      const instance = yield* Instance.Instance
      const history = yield* instance.checkHistory("users", { check: "email_unique" })
      expect(history.map((record) => record.runId)).toEqual([alone.runId, first.runId])
      expect((yield* instance.getRun(alone.runId))!.assetKeys).toEqual(["users"])
    }).pipe(Effect.provide(env())))

  it.effect("re-execution from failure re-runs an asset whose blocking check failed, and its downstream", () =>
    Effect.gen(function*() {
      const state = { rows: duplicated, dedupe: false }
      const { project } = pipeline(state, "error")
      const failed = yield* Materialize.materialize(project)
      state.dedupe = true
      const again = yield* Materialize.materialize(project, { reexecute: { runId: failed.runId } })
      expect(again.status).toBe("succeeded")
      expect([...again.materialized].sort()).toEqual(["report", "users"])
    }).pipe(Effect.provide(env())))

  it.effect("a staleOnly run does not check assets it skipped as up to date", () =>
    Effect.gen(function*() {
      const { project } = pipeline({ rows: good }, "error")
      yield* Materialize.materialize(project)
      const second = yield* Materialize.materialize(project, { staleOnly: true })
      expect(second.materialized).toEqual([])
      expect(second.checks).toEqual([])
    }).pipe(Effect.provide(env())))

  it.effect("a check that raises is recorded failed with its error, and blocks like a failing one", () =>
    Effect.gen(function*() {
      const a = Asset.make("a", {}, () => Effect.succeed([1]))
      const b = Asset.make("b", { deps: { a } }, ({ a }) => Effect.succeed(a.length))
      const broken = Check.make(a, "broken", {}, () => Effect.fail(new Error("the warehouse is down")))
      const result = yield* Materialize.materialize(Project.make({ assets: [a, b], checks: [broken] }))
      expect(result.checks).toEqual([{
        key: "a",
        check: "broken",
        passed: false,
        severity: "error",
        message: "the check could not be evaluated: the warehouse is down"
      }])
      expect(result.skipped.map((skip) => skip.key)).toEqual(["b"])
      const latest = (yield* (yield* Instance.Instance).latestChecks()).get("a")!
      expect(latest[0]!.error).toMatchObject({ tag: "Error", message: "the warehouse is down" })
    }).pipe(Effect.provide(env())))

  it("a check step request survives JSON", () => {
    const request: StepRequest.StepRequest = {
      runId: "r",
      assetKey: "users",
      stepKind: "check",
      check: "email_unique",
      partitions: [],
      attempt: 1,
      inputVersions: { users: "v1" }
    }
    expect(StepRequest.fromJson(StepRequest.toJson(request))).toEqual(request)
  })

  it("Project.make refuses a check of an unknown asset and duplicate check names", () => {
    const a = Asset.make("a", {}, () => Effect.succeed([1]))
    const b = Asset.make("b", {}, () => Effect.succeed([1]))
    expect(() => Project.make({ assets: [a], checks: [Check.notNull(b, "x")] })).toThrow(
      "check x_not_null of asset b: the project has no asset b"
    )
    expect(() => Project.make({ assets: [a], checks: [Check.notNull(a, "x"), Check.notNull(a, "x")] })).toThrow(
      "the asset has two checks named x_not_null"
    )
    expect(() => Check.make(a, "bad name", {}, () => Effect.succeed(true))).toThrow("is not valid")
  })
})

describe("built-in checks", () => {
  const verdict = (check: Check.Any, value: unknown, context?: Partial<Check.CheckContext>) =>
    Effect.runSync(
      Effect.map(
        check.evaluate(value, {
          assetKey: check.spec.assetKey,
          check: check.spec.name,
          partition: undefined,
          runId: "r",
          materialization: undefined,
          previous: undefined,
          ...context
        }) as Effect.Effect<Check.CheckResult | boolean>,
        Check.normalize
      )
    )
  const t = Asset.make("t", {}, () => Effect.succeed([] as Array<Record<string, unknown>>))
  const rows = [
    { id: 1, email: "a@x.org", n: 5, day: new Date("2024-01-01") },
    { id: 2, email: null, n: 12, day: new Date("2024-03-01") },
    { id: 3, email: "a@x.org", n: Number.NaN, day: new Date("2024-02-01") }
  ]
  // a columnar table shaped like Apache Arrow's (numRows, getChild(name).get(i))
  const columnar = {
    numRows: rows.length,
    getChild: (name: string) =>
      name in rows[0]! ? { get: (i: number) => (rows[i] as Record<string, unknown>)[name] } : null
  }

  it("not null, unique, accepted values, range and row count give the same verdicts on rows and on a columnar table", () => {
    for (const value of [rows, columnar]) {
      expect(verdict(Check.notNull(t, "email"), value)).toMatchObject({ passed: false, message: "1 of 3 rows have no email" })
      expect(verdict(Check.notNull(t, "n"), value)).toMatchObject({ passed: false, metadata: { null_count: 1 } })
      expect(verdict(Check.notNull(t, "id"), value).passed).toBe(true)
      expect(verdict(Check.unique(t, "email"), value)).toMatchObject({ passed: false, metadata: { duplicate_count: 1 } })
      expect(verdict(Check.unique(t, "id"), value).passed).toBe(true)
      expect(verdict(Check.acceptedValues(t, "id", [1, 2]), value)).toMatchObject({ passed: false, metadata: { unexpected_count: 1 } })
      expect(verdict(Check.columnRange(t, "n", { min: 0, max: 10 }), value)).toMatchObject({ passed: false, metadata: { above_count: 1 } })
      expect(verdict(Check.columnRange(t, "day", { min: new Date("2024-01-01"), max: new Date("2024-03-01") }), value).passed).toBe(true)
      expect(verdict(Check.rowCount(t, { min: 1, max: 3 }), value).passed).toBe(true)
      expect(verdict(Check.rowCount(t, { min: 4 }), value)).toMatchObject({ passed: false, message: "3 rows, expected [4, inf]" })
      expect(verdict(Check.notNull(t, "missing"), value)).toMatchObject({ passed: false, message: "the table has no column missing" })
    }
    expect(verdict(Check.notNull(t, "id"), 42)).toMatchObject({ passed: false })
  })

  it("row count not dropping and schema unchanged read the materializations' metadata", () => {
    const record = (metadata: Record<string, unknown>) =>
      ({ eventId: 1, runId: "r", assetKey: "t", timestamp: 0, metadata, dataVersion: "v", codeVersion: "c", inputVersions: {} }) as never
    const drop = Check.rowCountNotDropping(t, { maxDropPercent: 50 })
    expect(drop.load).toBe(false)
    expect(verdict(drop, undefined, { materialization: record({ row_count: 60 }), previous: record({ row_count: 100 }) }).passed).toBe(true)
    expect(verdict(drop, undefined, { materialization: record({ row_count: 40 }), previous: record({ row_count: 100 }) })).toMatchObject({
      passed: false,
      message: "row count dropped 60% (100 -> 40), more than 50%"
    })
    expect(verdict(drop, undefined, { materialization: record({ row_count: 40 }) }).passed).toBe(true)
    const schema = Check.schemaUnchanged(t)
    const a = [{ name: "id", type: "Int32" }]
    const b = [{ name: "id", type: "Utf8" }]
    expect(verdict(schema, undefined, { materialization: record({ schema: a }), previous: record({ schema: a }) }).passed).toBe(true)
    expect(verdict(schema, undefined, { materialization: record({ schema: b }), previous: record({ schema: a }) }).passed).toBe(false)
  })
})

describe("checks of a partitioned asset", () => {
  it.effect("a check step carries its asset's partitions and records its result under the partition", () =>
    Effect.gen(function*() {
      const daily = Partitions.daily({ start: "2024-01-01" })
      const events = Asset.make("events", { partitions: daily }, (_, context) =>
        Effect.succeed(context.partitions.keys.map((day) => ({ day }))))
      const hasRows = Check.make(events, "has_rows", { severity: "error" }, (rows) => Effect.succeed(rows.length > 0))
      const project = Project.make({ assets: [events], checks: [hasRows] })
      const now = Date.parse("2024-02-01T12:00:00Z")
      const plan = ExecutionPlan.makeSync(project, { partition: "2024-01-03", now })
      expect(plan.steps.map((step) => [step.stepKind, step.check, step.partitions])).toEqual([
        ["materialize", undefined, [[2, 3]]],
        ["check", "has_rows", [[2, 3]]]
      ])
      expect(() => ExecutionPlan.makeSync(project, { now })).toThrow(/no partition was chosen/)
      const run = yield* Materialize.materialize(project, { partition: "2024-01-03", now }).pipe(
        Effect.provide(Layer.mergeAll(InMemoryIO.layer, Instance.layerMemory))
      )
      expect(run.checks.map((check) => [check.check, check.passed])).toEqual([["has_rows", true]])
    }))
})
