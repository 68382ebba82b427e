/**
 * Dynamic partitions in Postgres (table `dynamic_partitions`): one row per
 * key and ordinal; a removed key keeps its row (`removed`), so ordinals never
 * move. Adds and removes take a transaction-scoped advisory lock per name
 * (two processes adding keys take turns and never reuse an ordinal), after
 * core's shared validation (`DynamicPartitionStore.validate`).
 */
import type { Instance } from "@strata/core"
import { DynamicPartitionStore } from "@strata/core"
import { Effect } from "effect"
import type { PgConnection } from "../../PgClient.ts"
import type { PgError } from "../../PgError.ts"
import type { PgInstanceContext } from "./context.ts"

type Row = { name: string; ordinal: string; key: string; removed: boolean }

const listOf = (rows: ReadonlyArray<Row>): Array<string | null> => {
  const list: Array<string | null> = []
  for (const row of rows) list[Number(row.ordinal)] = row.removed ? null : row.key
  return Array.from(list, (key) => key ?? null)
}

export class PgDynamicPartitions {
  private readonly x: PgInstanceContext

  constructor(context: PgInstanceContext) {
    this.x = context
  }

  private locked<A>(name: string, body: (connection: PgConnection) => Effect.Effect<A, PgError>) {
    const s = this.x.s
    return this.x.client.transaction((connection: PgConnection) =>
      Effect.andThen(
        connection.query(`select pg_advisory_xact_lock(hashtext($1))`, [`${s}.dynamic_partitions/${name}`]),
        body(connection)
      ))
  }

  private add(name: string, keys: ReadonlyArray<string>) {
    const s = this.x.s
    return this.locked(name, (connection) =>
      Effect.gen(function*() {
        const rows = yield* connection.query<Row>(`select key, removed, ordinal from ${s}.dynamic_partitions where name = $1`, [name])
        const present = new Set(rows.filter((row) => !row.removed).map((row) => row.key))
        const { added, existing } = DynamicPartitionStore.planAdd(present, keys)
        if (added.length > 0) {
          yield* connection.query(
            `insert into ${s}.dynamic_partitions (name, ordinal, key, removed)
             select $1, $2::bigint + ordinality - 1, key, false from unnest($3::text[]) with ordinality as t(key, ordinality)`,
            [name, rows.length, added]
          )
        }
        return { name, added, existing }
      }))
  }

  private remove(name: string, keys: ReadonlyArray<string>) {
    const s = this.x.s
    return this.locked(name, (connection) =>
      Effect.gen(function*() {
        const unique = [...new Set(keys)]
        const rows = yield* connection.query<{ key: string }>(
          `update ${s}.dynamic_partitions set removed = true where name = $1 and key = any($2::text[]) and not removed returning key`,
          [name, unique]
        )
        const done = new Set(rows.map((row) => row.key))
        return { name, removed: unique.filter((key) => done.has(key)), unknown: unique.filter((key) => !done.has(key)) }
      }))
  }

  domain(): DynamicPartitionStore.DynamicPartitionStore {
    const x = this.x
    const wrap = <A>(operation: string, effect: Effect.Effect<A, PgError>): Effect.Effect<A, Instance.InstanceError> =>
      x.wrap(operation)(effect)
    return {
      add: (name, keys) => {
        const error = DynamicPartitionStore.validate(name, keys)
        return error !== undefined ? Effect.fail(error) : wrap("addDynamicPartitions", this.add(name, keys))
      },
      remove: (name, keys) => {
        const error = DynamicPartitionStore.validate(name, keys)
        return error !== undefined ? Effect.fail(error) : wrap("removeDynamicPartitions", this.remove(name, keys))
      },
      keys: (name) =>
        wrap(
          "dynamicPartitions",
          Effect.map(
            x.client.query<Row>(`select name, ordinal, key, removed from ${x.s}.dynamic_partitions where name = $1 order by ordinal`, [name]),
            listOf
          )
        ),
      all: () =>
        wrap(
          "dynamicPartitions",
          Effect.map(x.client.query<Row>(`select name, ordinal, key, removed from ${x.s}.dynamic_partitions order by name, ordinal`), (rows) => {
            const byName = new Map<string, Array<Row>>()
            for (const row of rows) {
              let list = byName.get(row.name)
              if (list === undefined) byName.set(row.name, list = [])
              list.push(row)
            }
            return Object.fromEntries([...byName].map(([name, list]) => [name, listOf(list)]))
          })
        )
    }
  }
}
