/**
 * Dynamic partitions on SQLite (table `dynamic_partitions`): one row per key
 * and ordinal; a removed key keeps its row with `removed = 1` (its ordinal
 * stays a hole). Adds and removes run in one immediate transaction, after
 * core's shared validation (`DynamicPartitionStore.validate`).
 */
import type { DynamicPartitionStore as Store } from "@strata/core"
import { DynamicPartitionStore } from "@strata/core"
import { Effect } from "effect"
import type { Connection } from "../connection.ts"

interface Row {
  name: string
  ordinal: number
  key: string
  removed: number
}

export class SqliteDynamicPartitions {
  private readonly c: Connection

  constructor(connection: Connection) {
    this.c = connection
  }

  private rows(name: string): Array<Row> {
    return this.c.sql("SELECT name, ordinal, key, removed FROM dynamic_partitions WHERE name = ? ORDER BY ordinal")
      .all(name) as unknown as Array<Row>
  }

  private static list(rows: ReadonlyArray<Row>): Array<string | null> {
    const list: Array<string | null> = []
    for (const row of rows) list[Number(row.ordinal)] = Number(row.removed) === 1 ? null : row.key
    return Array.from(list, (key) => key ?? null)
  }

  private add(name: string, keys: ReadonlyArray<string>): Store.AddResult {
    return this.c.transaction(() => {
      const rows = this.rows(name)
      const present = new Set(rows.filter((row) => Number(row.removed) === 0).map((row) => row.key))
      const { added, existing } = DynamicPartitionStore.planAdd(present, keys)
      const insert = this.c.sql("INSERT INTO dynamic_partitions (name, ordinal, key, removed) VALUES (?, ?, ?, 0)")
      added.forEach((key, i) => insert.run(name, rows.length + i, key))
      return { name, added, existing }
    })
  }

  private remove(name: string, keys: ReadonlyArray<string>): Store.RemoveResult {
    return this.c.transaction(() => {
      const mark = this.c.sql("UPDATE dynamic_partitions SET removed = 1 WHERE name = ? AND key = ? AND removed = 0")
      const removed: Array<string> = []
      const unknown: Array<string> = []
      for (const key of new Set(keys)) {
        if (Number(mark.run(name, key).changes) > 0) removed.push(key)
        else unknown.push(key)
      }
      return { name, removed, unknown }
    })
  }

  domain(): Store.DynamicPartitionStore {
    const c = this.c
    return {
      add: (name, keys) => {
        const error = DynamicPartitionStore.validate(name, keys)
        return error !== undefined ? Effect.fail(error) : c.attempt("dynamicPartitions.add", () => this.add(name, keys))
      },
      remove: (name, keys) => {
        const error = DynamicPartitionStore.validate(name, keys)
        return error !== undefined ? Effect.fail(error) : c.attempt("dynamicPartitions.remove", () => this.remove(name, keys))
      },
      keys: (name) => c.attempt("dynamicPartitions.keys", () => SqliteDynamicPartitions.list(this.rows(name))),
      all: () =>
        c.attempt("dynamicPartitions.all", () => {
          const rows = c.sql("SELECT name, ordinal, key, removed FROM dynamic_partitions ORDER BY name, ordinal").all() as unknown as Array<Row>
          const byName = new Map<string, Array<Row>>()
          for (const row of rows) {
            let list = byName.get(row.name)
            if (list === undefined) byName.set(row.name, list = [])
            list.push(row)
          }
          return Object.fromEntries([...byName].map(([name, list]) => [name, SqliteDynamicPartitions.list(list)]))
        })
    }
  }
}
