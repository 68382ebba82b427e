/**
 * The built-in checks pushed down as SQL (the Postgres I/O manager's
 * `measure` capability) give the same verdicts, messages and figures as the
 * same checks computed in memory over the same table read from a Parquet
 * file: nulls, NaN, -0, infinities, duplicates of every type, collation
 * order of examples, accepted values of the wrong type, a missing column.
 * Nothing is loaded into Node for them; the two checks SQL cannot compare
 * like JavaScript (a date column) load the table, once for both.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, layer } from "@effect/vitest"
import { ArrowIO } from "@strata/arrow"
import { Asset, AssetKey, Check, Instance, IOManager, Materialize, Partitions, Project } from "@strata/core"
import * as Arrow from "apache-arrow"
import { Effect, Layer } from "effect"
import { afterAll } from "vitest"
import { PgClient, PostgresIOManager } from "../src/index.ts"
import { clientLayer } from "./support.ts"

class TableIO extends IOManager.Tag<TableIO, Arrow.Table>()("pushdown/TableIO") {}

const day = (iso: string) => new Date(`${iso}T00:00:00Z`)
const table = () =>
  new Arrow.Table({
    id: Arrow.vectorFromArray([1n, 2n, 3n, 3n, null, 7n, 1n], new Arrow.Int64()),
    small: Arrow.vectorFromArray([1, 2, -4, null, 2, 9, 1], new Arrow.Int32()),
    score: Arrow.vectorFromArray([0, -0, Number.NaN, null, 9.5, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], new Arrow.Float64()),
    email: Arrow.vectorFromArray(["a@x", "B@x", "a@x", null, "B@x", "é@x", ""], new Arrow.Utf8()),
    active: Arrow.vectorFromArray([true, false, null, true, true, false, true], new Arrow.Bool()),
    signup: Arrow.vectorFromArray([day("2024-01-01"), day("2024-01-01"), null, day("2024-02-01"), day("2024-03-01"), day("2024-03-02"), day("2023-12-31")], new Arrow.DateDay())
  })
const users = Asset.make("pushdown/users", { io: TableIO }, () => Effect.sync(table))
const empty = Asset.make("pushdown/empty", { io: TableIO }, () =>
  Effect.sync(() => new Arrow.Table({ email: Arrow.vectorFromArray([] as Array<string>, new Arrow.Utf8()) })))

const warn = { severity: "warn" } as const
const checks = [
  ...["id", "small", "score", "email", "active", "nope"].flatMap((column) => [Check.notNull(users, column, warn), Check.unique(users, column, warn)]),
  Check.acceptedValues(users, "email", ["a@x", "B@x", 1], warn),
  Check.acceptedValues(users, "id", [1, 2, 2.5, "3"], warn),
  Check.acceptedValues(users, "small", [1, 2, 9, -4], warn),
  Check.acceptedValues(users, "score", [0, 9.5], warn),
  Check.acceptedValues(users, "active", [true], warn),
  Check.acceptedValues(users, "email", [], { ...warn, name: "email_none_accepted" }),
  Check.columnRange(users, "score", { min: 0, max: 10 }, warn),
  Check.columnRange(users, "id", { min: 1.5, max: 3 }, warn),
  Check.columnRange(users, "small", { min: 0 }, warn),
  Check.columnRange(users, "email", { min: "B", max: "a@x" }, warn),
  Check.columnRange(users, "small", { min: 5, max: 1 }, { ...warn, name: "small_empty_range" }),
  Check.rowCount(users, { min: 3, max: 5 }, warn),
  Check.rowCount(users, { min: 7, max: 7 }, { ...warn, name: "seven_rows" }),
  // SQL does not compare a date column like the loaded cells: these load the table (once for both)
  Check.unique(users, "signup", warn),
  Check.columnRange(users, "signup", { min: day("2024-01-01") }, warn),
  Check.notNull(users, "signup", warn), // counting nulls is pushed down on any column
  Check.notNull(empty, "email", warn),
  Check.unique(empty, "email", warn),
  Check.rowCount(empty, { min: 1 }, warn)
]
const project = Project.make({ assets: [users, empty], checks })

/** A manager with its loads counted (its `measure` capability kept). */
const counted = (manager: IOManager.IOManager<Arrow.Table>, loads: Array<string>): IOManager.IOManager<Arrow.Table> => ({
  ...manager,
  load: (context) => Effect.suspend(() => {
    loads.push(context.key)
    return manager.load(context)
  })
})

const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-pushdown-"))
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }))
const onFiles = Layer.mergeAll(Layer.succeed(TableIO, ArrowIO.make({ base: folder })), Instance.layerMemory)
const postgresLoads: Array<string> = []
const onPostgres = Layer.mergeAll(
  Layer.effect(TableIO, Effect.map(PgClient, (client) => counted(PostgresIOManager.make(client, { schema: "pushdown" }).tables, postgresLoads))),
  Instance.layerMemory
).pipe(Layer.provideMerge(clientLayer))

/** Every check's verdict, message and figures, by name, and where it was computed. */
const results = Effect.gen(function*() {
  const run = yield* Materialize.materialize(project)
  expect(run.status).toBe("succeeded")
  const latest = yield* (yield* Instance.Instance).latestChecks()
  const rows = [...latest.values()].flat().map((r) => {
    const { pushed_down_to, ...metadata } = r.metadata as Record<string, unknown>
    return { where: pushed_down_to, verdict: { check: `${r.assetKey}:${r.check}`, passed: r.passed, message: r.message, metadata } }
  })
  return rows.sort((a, b) => a.verdict.check < b.verdict.check ? -1 : 1)
})

describe("built-in checks pushed down to Postgres", () => {
  layer(onPostgres, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("give the verdicts computed in memory on the same data, without loading the table", () =>
      Effect.gen(function*() {
        const inMemory = yield* results.pipe(Effect.provide(onFiles))
        postgresLoads.length = 0
        const pushed = yield* results
        expect(pushed.map((r) => r.verdict)).toEqual(inMemory.map((r) => r.verdict))
        expect(inMemory.every((r) => r.where === undefined)).toBe(true)
        const local = pushed.filter((r) => r.where === undefined).map((r) => r.verdict.check)
        expect(local).toEqual(["pushdown/users:signup_in_range", "pushdown/users:signup_unique"])
        expect(pushed.filter((r) => r.where === "postgres")).toHaveLength(checks.length - 2)
        // the two date checks shared one load; nothing else was loaded
        expect(postgresLoads).toEqual(["pushdown/users"])

        // what the user reads: spot checks of the figures both sides agree on
        const verdict = (name: string) => pushed.find((r) => r.verdict.check === `pushdown/users:${name}`)!.verdict
        expect(verdict("score_not_null")).toMatchObject({ passed: false, message: "2 of 7 rows have no score" })
        expect(verdict("score_unique")).toMatchObject({ passed: false, message: "1 duplicate score value: 0" })
        expect(verdict("email_unique")).toMatchObject({ passed: false, message: "2 duplicate email values: \"B@x\", \"a@x\"" })
        expect(verdict("id_unique").message).toBe("2 duplicate id values: 1, 3")
        expect(verdict("active_unique").metadata).toEqual({ duplicate_count: 4, distinct_count: 2, row_count: 7 })
        expect(verdict("id_accepted_values").message).toBe("3 id values outside [1,2,2.5,\"3\"]: 3, 7")
        expect(verdict("email_accepted_values").message).toBe("2 email values outside [\"a@x\",\"B@x\",1]: \"\", \"é@x\"")
        expect(verdict("score_in_range").metadata).toEqual({ below_count: 1, above_count: 1, row_count: 7 })
        expect(verdict("email_in_range").metadata).toEqual({ below_count: 1, above_count: 1, row_count: 7 })
        expect(verdict("nope_not_null").message).toBe("the table has no column nope")
      }))

    it.effect("a partition's checks measure that partition's rows only", () =>
      Effect.gen(function*() {
        const regional = Asset.make("pushdown/regional", { io: TableIO, partitions: Partitions.staticKeys(["eu", "us"]) }, (_, context) =>
          Effect.sync(() => {
            const emails = context.partitions.keys[0] === "eu" ? ["a@x", "a@x", "b@x"] : ["c@x", "d@x"]
            return new Arrow.Table({ email: Arrow.vectorFromArray(emails, new Arrow.Utf8()) })
          }))
        const partitioned = Project.make({ assets: [regional], checks: [Check.unique(regional, "email", warn), Check.rowCount(regional, { min: 3 }, warn)] })
        postgresLoads.length = 0
        for (const partition of ["eu", "us"]) yield* Materialize.materialize(partitioned, { partition })
        const latest = (yield* (yield* Instance.Instance).latestChecks(["pushdown/regional"])).get("pushdown/regional")!
        expect(latest.map((r) => [r.check, r.partition, r.passed, r.message, r.metadata["pushed_down_to"]])).toEqual([
          ["email_unique", "eu", false, "1 duplicate email value: \"a@x\"", "postgres"],
          ["email_unique", "us", true, undefined, "postgres"],
          ["row_count_in_range", "eu", true, undefined, "postgres"],
          ["row_count_in_range", "us", false, "2 rows, expected [3, inf]", "postgres"]
        ])
        expect(postgresLoads).toEqual([])
      }))

    it.effect("every store records the same table profile as ArrowIO's (null counts and rates, min/max per column)", () =>
      Effect.gen(function*() {
        const manager = PostgresIOManager.make(yield* PgClient, { schema: "pushdown" }).tables
        const output = { key: AssetKey.make("pushdown/profiled"), partition: undefined, runId: "r1", definitionMetadata: {} }
        const stored = yield* manager.store(output, table())
        const onFile = yield* ArrowIO.make({ base: folder }).store(output, table())
        const columns = stored.metadata?.["columns"] as Record<string, Record<string, unknown>>
        expect(columns).toEqual(onFile.metadata?.["columns"])
        expect(stored.metadata).toMatchObject({ row_count: 7, column_count: 6, null_count: 6 })
        expect(columns["small"]).toMatchObject({ null_count: 1, min: -4, max: 9 })
        expect(columns["email"]).toMatchObject({ null_count: 1, null_rate: 1 / 7 })
        expect(columns["signup"]!["min"]).toBeDefined()
      }))

    it.effect("a table never stored is an IOError naming the asset, from the measure as from a load", () =>
      Effect.gen(function*() {
        const manager = PostgresIOManager.make(yield* PgClient, { schema: "pushdown" }).tables
        const context = { key: AssetKey.make("pushdown/never"), partition: undefined, downstream: undefined, definitionMetadata: {} }
        const error = yield* Effect.flip(manager.measure!(context, [{ type: "row-count" }]))
        expect(error.key).toBe("pushdown/never")
        expect(error.message).toContain("has no table")
      }))
  })
})
