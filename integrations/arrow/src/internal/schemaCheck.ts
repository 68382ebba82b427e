/**
 * The schema check before a table replaces a stored one: dropping or
 * retyping a column fails with `schema-changed`, other changes are logged.
 */
import type { Metadata } from "@strata/core"
import type { Schema, Table } from "apache-arrow"
import { DataType, util } from "apache-arrow"
import { Effect } from "effect"
import * as ArrowError from "../ArrowError.ts"
import * as Codec from "./codec.ts"
import type { Settings, Where } from "./layout.ts"
import { fileOf, otherFormat } from "./layout.ts"

/** See `compareSchemas` in `ArrowIO.ts` (its public name). */
export const compareSchemas = (
  before: Schema,
  after: Schema
): { readonly incompatible: ReadonlyArray<ArrowError.ColumnChange>; readonly compatible: ReadonlyArray<ArrowError.ColumnChange> } => {
  const incompatible: Array<ArrowError.ColumnChange> = []
  const compatible: Array<ArrowError.ColumnChange> = []
  const describe = (field: { readonly type: DataType; readonly nullable: boolean }) =>
    `${field.type}${field.nullable ? "" : " not null"}`
  const logical = (type: DataType): DataType => DataType.isDictionary(type) ? type.dictionary : type
  const next = new Map(after.fields.map((field) => [field.name, field]))
  for (const old of before.fields) {
    const field = next.get(old.name)
    if (field === undefined) {
      incompatible.push({ column: old.name, change: "removed", before: describe(old) })
      continue
    }
    next.delete(old.name)
    if (DataType.isNull(old.type) && !DataType.isNull(field.type)) {
      // a column that held only nulls got values: nothing that read it breaks
      compatible.push({ column: old.name, change: "type-changed", before: describe(old), after: describe(field) })
    } else if (!util.compareTypes(logical(old.type), logical(field.type))) {
      incompatible.push({ column: old.name, change: "type-changed", before: describe(old), after: describe(field) })
    } else if (old.nullable !== field.nullable) {
      compatible.push({
        column: old.name,
        change: field.nullable ? "became-nullable" : "became-required",
        before: describe(old),
        after: describe(field)
      })
    }
  }
  for (const field of next.values()) compatible.push({ column: field.name, change: "added", after: describe(field) })
  return { incompatible, compatible }
}

const formatChanges = (changes: ReadonlyArray<ArrowError.ColumnChange>): string =>
  changes.map((change) =>
    change.change === "removed"
      ? `${change.column} removed (was ${change.before})`
      : change.change === "added"
      ? `${change.column} added (${change.after})`
      : `${change.column} ${change.before} -> ${change.after}`
  ).join("; ")

/** An asset's own `{ schema_change }` static metadata, when it sets one. */
export const schemaChangeOf = (metadata: Metadata.Metadata): "error" | "allow" | undefined => {
  const value = metadata.schema_change
  return value === "allow" || value === "error" ? value : undefined
}

/** The stored schema (of either format), or undefined when nothing is stored or it cannot be read. */
const storedSchema = (settings: Settings, where: Where): Effect.Effect<Schema | undefined> =>
  Effect.tryPromise(async () =>
    await Codec.readFileSchema(where.file, settings.format) ??
      await Codec.readFileSchema(
        fileOf(settings, where.key, where.partition, otherFormat(settings.format)),
        otherFormat(settings.format)
      )
  ).pipe(
    Effect.catch((error) =>
      Effect.as(
        Effect.logWarning(
          `@strata/arrow: cannot read the schema of ${where.file} (${error.cause instanceof Error ? error.cause.message : String(error.cause)}); ` +
            "replacing it without a schema check"
        ),
        undefined
      )
    )
  )

export const checkSchema = Effect.fnUntraced(function*(settings: Settings, table: Table, where: Where) {
  const previous = yield* storedSchema(settings, where)
  if (previous === undefined) return
  const { compatible, incompatible } = compareSchemas(previous, table.schema)
  if (incompatible.length > 0) {
    return yield* ArrowError.make({
      reason: "schema-changed",
      ...where,
      changes: [...incompatible, ...compatible],
      detail: `the new table ${formatChanges(incompatible)} compared with the stored one, which was kept. ` +
        "If downstream assets are ready for it, allow it with ArrowIO.layer({ schemaChange: 'allow' }) or the asset's " +
        "metadata { schema_change: 'allow' }, or delete the file"
    })
  }
  if (compatible.length > 0) yield* Effect.logInfo(`@strata/arrow: schema of ${where.key} changed: ${formatChanges(compatible)}`)
})
