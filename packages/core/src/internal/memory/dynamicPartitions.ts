/** The dynamic partitions domain in memory: keys by ordinal per name, `null` once removed. */
import { Effect } from "effect"
import type { DynamicPartitionStore } from "../../DynamicPartitionStore.ts"
import { planAdd, validate } from "../../DynamicPartitionStore.ts"

export class MemoryDynamicPartitions {
  readonly lists = new Map<string, Array<string | null>>()

  private list(name: string): Array<string | null> {
    let list = this.lists.get(name)
    if (list === undefined) this.lists.set(name, list = [])
    return list
  }

  domain(): DynamicPartitionStore {
    return {
      add: (name, keys) =>
        Effect.suspend(() => {
          const error = validate(name, keys)
          if (error !== undefined) return Effect.fail(error)
          const list = this.list(name)
          const { added, existing } = planAdd(new Set(list.filter((key) => key !== null)), keys)
          list.push(...added)
          return Effect.succeed({ name, added, existing })
        }),
      remove: (name, keys) =>
        Effect.suspend(() => {
          const error = validate(name, keys)
          if (error !== undefined) return Effect.fail(error)
          const list = this.list(name)
          const removed: Array<string> = []
          const unknown: Array<string> = []
          for (const key of new Set(keys)) {
            const i = list.indexOf(key)
            if (i < 0) unknown.push(key)
            else {
              list[i] = null
              removed.push(key)
            }
          }
          return Effect.succeed({ name, removed, unknown })
        }),
      keys: (name) => Effect.sync(() => [...(this.lists.get(name) ?? [])]),
      all: () => Effect.sync(() => Object.fromEntries([...this.lists].map(([name, list]) => [name, [...list]])))
    }
  }
}
