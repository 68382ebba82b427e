import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, layer } from "@effect/vitest"
import { ArrowIO, Tables, TypeHandler } from "@strata/arrow"
import { Asset, AssetKey, Instance, IOManager, Materialize, Project } from "@strata/core"
import type * as Arrow from "apache-arrow"
import { Effect, Layer } from "effect"
import { afterAll } from "vitest"
import { PostgresInstance, PostgresIOManager } from "../src/index.ts"
import { clientLayer } from "./support.ts"

// One project, two environments: Parquet files locally, Postgres in production.
class TableIO extends IOManager.Tag<TableIO, Arrow.Table>()("interop/TableIO") {}
type User = {
  readonly id: bigint
  readonly email: string
  readonly score: number | null
  readonly active: boolean
  readonly seen: Date | null
}
class UsersIO extends IOManager.Tag<UsersIO, Array<User>>()("interop/UsersIO") {}

const someUsers: Array<User> = [
  { id: 1n, email: "ada@example.com", score: 9.5, active: true, seen: new Date("2024-03-01T10:00:00.123Z") },
  { id: 2n, email: "grace@example.com", score: null, active: false, seen: null },
  { id: 3n, email: "linus@example.com", score: -1.25, active: true, seen: new Date(0) }
]
const users = Asset.make("bronze/users", { io: UsersIO }, () => Effect.succeed(someUsers))
const active = Asset.make("silver/active_users", { io: TableIO, deps: { users } }, ({ users }) =>
  Effect.succeed(Tables.fromRows(users.filter((user) => user.active).map((user) => ({ ...user })))))
const project = Project.make({ assets: [users, active] })

const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-postgres-interop-"))
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }))

// locally: Parquet files through ArrowIO, the rows converted by the same TypeHandler
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
  PostgresIOManager.layerFor(TableIO),
  PostgresIOManager.layerFor(UsersIO, { handler: usersHandler }),
  PostgresInstance.layer()
).pipe(Layer.provideMerge(clientLayer))

const outputs = Effect.gen(function*() {
  const result = yield* Materialize.materialize(project)
  expect(result.status).toBe("succeeded")
  const tables = yield* TableIO
  const rows = yield* UsersIO
  const input = (key: string) => ({ key: AssetKey.make(key), partition: undefined, downstream: undefined, definitionMetadata: {} })
  return { table: yield* tables.load(input("silver/active_users")), rows: yield* rows.load(input("bronze/users")) }
})

describe("@strata/arrow interop: the same project on Parquet and on Postgres", () => {
  layer(production, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("gives the same values in both environments", () =>
      Effect.gen(function*() {
        const onPostgres = yield* outputs
        const onFiles = yield* outputs.pipe(Effect.provide(local))
        expect(onPostgres.rows).toEqual(someUsers)
        expect(onFiles.rows).toEqual(someUsers)
        const a = onPostgres.table
        const b = onFiles.table
        expect(a.numRows).toBe(2)
        expect(a.schema.fields.map((f) => f.name)).toEqual(b.schema.fields.map((f) => f.name))
        expect(Tables.toRows(a)).toEqual(Tables.toRows(b))
        expect(Tables.toRows(a).map((row) => row.email)).toEqual(["ada@example.com", "linus@example.com"])
      }))
  })
})
