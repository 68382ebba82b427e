/**
 * The built-in checks give the same verdicts on the same data whether the
 * values live in Parquet files (ArrowIO) or in the real Postgres server
 * (PostgresIOManager), on row arrays and on Arrow tables; and the check
 * results land in the Postgres instance's check store.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, layer } from "@effect/vitest"
import { ArrowIO, Tables, TypeHandler } from "@strata/arrow"
import { Asset, Check, Instance, IOManager, Materialize, Project } from "@strata/core"
import type * as Arrow from "apache-arrow"
import { Effect, Layer } from "effect"
import { afterAll } from "vitest"
import { PostgresInstance, PostgresIOManager } from "../src/index.ts"
import { clientLayer } from "./support.ts"

class TableIO extends IOManager.Tag<TableIO, Arrow.Table>()("checks/TableIO") {}
type User = { readonly id: bigint; readonly email: string; readonly score: number | null; readonly active: boolean }
class UsersIO extends IOManager.Tag<UsersIO, Array<User>>()("checks/UsersIO") {}

const someUsers: Array<User> = [
  { id: 1n, email: "ada@example.com", score: 9.5, active: true },
  { id: 2n, email: "grace@example.com", score: null, active: false },
  { id: 3n, email: "ada@example.com", score: -1.25, active: true }
]
const users = Asset.make("checked/users", { io: UsersIO }, () => Effect.succeed(someUsers))
const active = Asset.make("checked/active", { io: TableIO, deps: { users } }, ({ users }) =>
  Effect.succeed(Tables.fromRows(users.filter((user) => user.active).map((user) => ({ ...user })))))
const checks = [
  Check.notNull(users, "score", { severity: "warn" }),
  Check.unique(users, "email", { severity: "warn" }),
  Check.unique(users, "id", { severity: "warn" }),
  Check.columnRange(users, "score", { min: 0, max: 10 }, { severity: "warn" }),
  Check.notNull(active, "email", { severity: "warn" }),
  Check.unique(active, "email", { severity: "warn" }),
  Check.acceptedValues(active, "email", ["ada@example.com"], { severity: "warn" }),
  Check.rowCount(active, { min: 3 }, { severity: "warn" })
]
const project = Project.make({ assets: [users, active], checks })

const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-postgres-checks-"))
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }))
const files = ArrowIO.make({ base: folder })
const usersHandler = TypeHandler.rows<User>()
const local = Layer.mergeAll(
  Layer.succeed(TableIO, files),
  Layer.succeed(UsersIO, {
    name: "parquet (rows)",
    store: (context, value) => Effect.flatMap(Effect.sync(() => usersHandler.toTable(value)), (table) => files.store(context, table)),
    load: (context) => Effect.map(files.load(context), usersHandler.fromTable)
  }),
  Instance.layerMemory
)
const production = Layer.mergeAll(
  PostgresIOManager.layerFor(TableIO, { schema: "checked" }),
  PostgresIOManager.layerFor(UsersIO, { schema: "checked", handler: usersHandler }),
  PostgresInstance.layer({ schema: "checks_instance" })
).pipe(Layer.provideMerge(clientLayer))

const verdicts = Effect.gen(function*() {
  const result = yield* Materialize.materialize(project)
  expect(result.status).toBe("succeeded")
  return result.checks.map((c) => `${c.key}:${c.check}:${c.passed}:${c.message ?? ""}`).sort()
})

describe("built-in checks on Parquet and on Postgres", () => {
  layer(production, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("give the same verdicts on the same data, and the results are in the Postgres check store", () =>
      Effect.gen(function*() {
        const onPostgres = yield* verdicts
        const onFiles = yield* verdicts.pipe(Effect.provide(local))
        expect(onPostgres).toEqual(onFiles)
        expect(onPostgres).toEqual([
          "checked/active:email_accepted_values:true:",
          "checked/active:email_not_null:true:",
          "checked/active:email_unique:false:1 duplicate email value: \"ada@example.com\"",
          "checked/active:row_count_in_range:false:2 rows, expected [3, inf]",
          "checked/users:email_unique:false:1 duplicate email value: \"ada@example.com\"",
          "checked/users:id_unique:true:",
          "checked/users:score_in_range:false:1 score values outside [0, 10]",
          "checked/users:score_not_null:false:1 of 3 rows have no score"
        ])
        const instance = yield* Instance.Instance
        const latest = yield* instance.latestChecks()
        expect(latest.get("checked/users")!.map((r) => r.check)).toEqual(["email_unique", "id_unique", "score_in_range", "score_not_null"])
      }))
  })
})
