/**
 * An I/O manager keeping values in memory, for tests and for
 * `materializeInMemory`. Values are stored as they are (no copy); their data
 * version is a hash of their structured-clone serialisation when they have
 * one.
 *
 * @since 0.1.0
 */
import { serialize } from "node:v8"
import type { Context } from "effect"
import { Effect, Layer } from "effect"
import type { IOManager as IOManagerShape } from "./IOManager.ts"
import { DefaultIO, IOError } from "./IOManager.ts"
import * as PartitionedValues from "./partitions/partitionedValues.ts"
import * as Version from "./Version.ts"

const storageKey = (key: string, partition: string | undefined) =>
  partition === undefined ? key : `${key}\u0000${partition}`

/**
 * Values held by an in-memory I/O manager, readable by tests.
 *
 * @since 0.1.0
 */
export interface InMemoryIO<A = unknown> extends IOManagerShape<A> {
  /** The stored value of an asset (and partition), or `undefined`. */
  readonly get: (key: string, partition?: string) => A | undefined
  readonly keys: () => ReadonlyArray<string>
}

/**
 * Makes an in-memory I/O manager.
 *
 * @since 0.1.0
 */
export const make = <A = unknown>(): InMemoryIO<A> => {
  const values = new Map<string, A>()
  // one value per partition: a range is stored and loaded partition by partition
  return PartitionedValues.partitionAware<InMemoryIO<A>>({
    name: "memory",
    store(context, value) {
      return Effect.sync(() => {
        values.set(storageKey(context.key, context.partition), value)
        let dataVersion: string | undefined
        try {
          dataVersion = Version.hash(serialize(value))
        } catch {
          dataVersion = undefined
        }
        return { dataVersion }
      })
    },
    load(context) {
      return Effect.suspend(() => {
        const id = storageKey(context.key, context.partition)
        return values.has(id)
          ? Effect.succeed(values.get(id)!)
          : Effect.fail(
            new IOError({
              operation: "load",
              key: context.key,
              partition: context.partition,
              message: `asset ${context.key}${
                context.partition === undefined ? "" : ` (partition ${context.partition})`
              } has no value in memory; materialize it in the same run or use a persistent I/O manager`,
              isRetryable: false
            })
          )
      })
    },
    get: (key, partition) => values.get(storageKey(key, partition)),
    keys: () => [...values.keys()]
  })
}

/**
 * Backs {@link DefaultIO} with a fresh in-memory I/O manager.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<DefaultIO> = Layer.effect(DefaultIO, Effect.sync(() => make()))

/**
 * Backs any I/O manager key with a fresh in-memory I/O manager.
 *
 * @since 0.1.0
 */
export const layerFor = <Id, A>(key: Context.Key<Id, IOManagerShape<A>>): Layer.Layer<Id> =>
  Layer.effect(key, Effect.sync(() => make<A>()))
