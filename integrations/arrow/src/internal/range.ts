/**
 * Range loads and stores: one step over several partitions (a single-run
 * backfill) stores one table per partition and loads them as one table.
 */
import type { IOManager } from "@strata/core"
import { Version } from "@strata/core"
import type { Table } from "apache-arrow"
import * as Arrow from "apache-arrow"
import { Effect } from "effect"
import * as ArrowError from "../ArrowError.ts"
import type { ArrowIOShape } from "../ArrowIO.ts"
import { schemaChangeOf } from "./schemaCheck.ts"

/**
 * A step over several partitions (a single-run backfill) stores one table per
 * partition: its value is an object with exactly one table per partition key,
 * each written to its partition's file. The data version covers them all;
 * each partition's own is reported too (`partitionVersions`).
 */
export const rangeWriter = (write: ArrowIOShape["write"]) =>
(
  context: IOManager.OutputContext,
  keys: ReadonlyArray<string>,
  value: unknown
): Effect.Effect<IOManager.StoreResult, IOManager.IOError> => {
  const byKey = value as Record<string, unknown>
  const valid = typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype &&
    Object.keys(byKey).length === keys.length && keys.every((key) => byKey[key] instanceof Arrow.Table)
  if (!valid) {
    return Effect.fail(ArrowError.toIOError("store", context.key, context.partition)(ArrowError.make({
      reason: "invalid-value",
      key: context.key,
      partition: context.partition,
      detail: `asset ${context.key} was computed for ${keys.length} partitions (${context.partition}) and ArrowIO stores one ` +
        `table per partition: return an object with exactly one table per partition key ` +
        `(${keys.slice(0, 3).join(", ")}${keys.length > 3 ? ", …" : ""}), or run one partition per step`
    })))
  }
  return Effect.map(
    Effect.forEach(keys, (partition) =>
      write(context.key, byKey[partition] as Table, { partition, schemaChange: schemaChangeOf(context.definitionMetadata) }).pipe(
        Effect.mapError(ArrowError.toIOError("store", context.key, partition))
      )),
    (results): IOManager.StoreResult => ({
      dataVersion: Version.hash(results.map((result, i) => `${keys[i]}=${result.dataVersion ?? ""}`).join("\n")),
      // each partition's own version, recorded per partition (a rebuild of one day alone compares with it)
      partitionVersions: results.every((result) => result.dataVersion !== undefined)
        ? results.map((result) => result.dataVersion!)
        : undefined,
      // the first partition's metadata, with the totals of the range
      metadata: {
        ...(results[0]?.metadata ?? {}),
        partitions: results.length,
        row_count: results.reduce((sum, result) => sum + Number(result.metadata?.row_count ?? 0), 0),
        bytes: results.reduce((sum, result) => sum + Number(result.metadata?.bytes ?? 0), 0)
      }
    })
  )
}

/**
 * A range of partitions as one table: each partition's file read (in
 * partition order), their record batches concatenated. A missing partition
 * fails naming it. The tables must have the same columns.
 */
export const rangeLoader = (read: ArrowIOShape["read"]) => (key: string, partitions: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const tables: Array<Table> = []
    for (const partition of partitions) {
      tables.push(yield* read(key, { partition }).pipe(Effect.mapError(ArrowError.toIOError("load", key, partition))))
    }
    const first = tables[0]!
    const shape = first.schema.fields.map((field) => `${field.name}: ${field.type}`).join(", ")
    for (const [index, table] of tables.entries()) {
      const other = table.schema.fields.map((field) => `${field.name}: ${field.type}`).join(", ")
      if (other !== shape) {
        return yield* Effect.fail(ArrowError.toIOError("load", key, partitions[index])(ArrowError.make({
          reason: "schema-changed",
          key,
          partition: partitions[index],
          detail: `partition ${partitions[index]} has columns (${other}) but ${partitions[0]} has (${shape}): ` +
            "a range loads as one table, so every partition must have the same columns (re-materialize the older ones)"
        })))
      }
    }
    return first.concat(...tables.slice(1))
  })
