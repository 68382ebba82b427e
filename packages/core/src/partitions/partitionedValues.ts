/**
 * How the local I/O managers (`InMemoryIO`, `FileSystemIO`) store and load
 * partitions: one stored value per partition. A step over several partitions
 * (a single-run backfill) returns an object keyed by partition key, one entry
 * per partition; an input over several partitions (a weekly asset reading
 * its days) loads as one value: the partitions' arrays concatenated in
 * partition order when every one is an array (rows), else an object keyed by
 * partition key.
 */
import { Effect } from "effect"
import type { InputContext, IOManager, OutputContext, StoreResult } from "../IOManager.ts"
import { IOError } from "../IOManager.ts"
import * as Version from "../Version.ts"

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u) && Object.getPrototypeOf(u) === Object.prototype

/** The (partition, value) pairs to store, or an error naming the asset and what was expected. */
export const valuesToStore = (
  context: OutputContext,
  value: unknown
): Array<readonly [string | undefined, unknown]> | IOError => {
  const partitions = context.partitions
  if (partitions === undefined || partitions.count === 1) return [[context.partition, value]]
  const keys = partitions.keys
  if (!isRecord(value) || keys.some((key) => !(key in value)) || Object.keys(value).length !== keys.length) {
    return new IOError({
      operation: "store",
      key: context.key,
      partition: context.partition,
      message: `asset ${context.key} was computed for ${keys.length} partitions (${context.partition}) and stores one ` +
        `value per partition: return an object with exactly one entry per partition key ` +
        `(${keys.slice(0, 3).join(", ")}${keys.length > 3 ? ", …" : ""}), or run one partition per step`,
      isRetryable: false
    })
  }
  return keys.map((key) => [key, value[key]] as const)
}

/** The partitions to load for an input: one (or none), or several to combine with {@link combine}. */
export const partitionsToLoad = (context: InputContext): ReadonlyArray<string> | undefined =>
  context.partitions === undefined || context.partitions.count === 1 ? undefined : context.partitions.keys

/** One value of several partitions' values (in partition order). */
export const combine = (keys: ReadonlyArray<string>, values: ReadonlyArray<unknown>): unknown => {
  if (values.every(Array.isArray)) return (values as ReadonlyArray<ReadonlyArray<unknown>>).flat()
  const out: Record<string, unknown> = {}
  keys.forEach((key, i) => {
    out[key] = values[i]
  })
  return out
}

/** Each store's data version, when every one reported one. */
export const eachVersion = (results: ReadonlyArray<StoreResult>): Array<string> | undefined => {
  const out: Array<string> = []
  for (const result of results) {
    if (result.dataVersion === undefined) return undefined
    out.push(result.dataVersion)
  }
  return out
}

/**
 * An I/O manager that stores and loads one partition at a time, made
 * partition-aware: a step over several partitions stores each entry of its
 * object under its own partition (the data version covers them all, and each
 * partition's own is reported in `partitionVersions`), and an
 * input over several partitions loads each and {@link combine}s them.
 */
export const partitionAware = <M extends IOManager<any>>(manager: M): M => ({
  ...manager,
  store: (context: OutputContext, value: unknown) => {
    if (context.partitions === undefined || context.partitions.count === 1) return manager.store(context, value)
    const entries = valuesToStore(context, value)
    if (entries instanceof IOError) return Effect.fail(entries)
    return Effect.map(
      Effect.forEach(entries, ([partition, entry]) => manager.store({ ...context, partition, partitions: undefined }, entry)),
      (results): StoreResult => ({
        dataVersion: Version.hash(results.map((r, i) => `${entries[i]![0]}=${r.dataVersion ?? ""}`).join("\n")),
        metadata: { partitions: results.length, ...(results[0]?.metadata ?? {}) },
        partitionVersions: eachVersion(results)
      })
    )
  },
  load: (context: InputContext) => {
    const several = partitionsToLoad(context)
    if (several === undefined) return manager.load(context)
    return Effect.map(
      Effect.forEach(several, (partition) => manager.load({ ...context, partition, partitions: undefined })),
      (values) => combine(several, values)
    )
  }
})
