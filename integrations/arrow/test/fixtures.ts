import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Table } from "apache-arrow"
import { DataType, DateUnit, Int64, makeVector, type Vector } from "apache-arrow"
import { Effect } from "effect"
import { xxhash64 } from "hash-wasm"
import { expect } from "vitest"

export { bigTable } from "./tables.ts"

/**
 * The data version ArrowIO should report for a file: its xxHash64 in hex,
 * computed by another implementation (hash-wasm) than the one ArrowIO uses.
 */
export const fileVersion = (file: string): Effect.Effect<string> => Effect.promise(() => xxhash64(fs.readFileSync(file)))

/** A fresh folder under the OS temp folder. */
export const tempFolder = (prefix = "strata-arrow-"): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix))

/** Schemas equal in names, types, nullability and field and schema metadata. */
export const expectSameSchema = (actual: Table, expected: Table): void => {
  const describe = (table: Table) => ({
    fields: table.schema.fields.map((field) => ({
      name: field.name,
      type: String(field.type),
      nullable: field.nullable,
      metadata: Object.fromEntries(field.metadata)
    })),
    metadata: Object.fromEntries(table.schema.metadata)
  })
  expect(describe(actual)).toEqual(describe(expected))
}

// Timestamps and dates are compared as their raw integers: apache-arrow's
// getters turn microseconds into (rounded) milliseconds.
const exactValues = (vector: Vector): Array<unknown> => {
  const type = vector.type
  if (DataType.isTimestamp(type) || (DataType.isDate(type) && type.unit === DateUnit.MILLISECOND)) {
    return [...makeVector(vector.data.map((chunk) => chunk.clone(new Int64())))]
  }
  return [...vector]
}

// A comparable text for nested values (decimals, binaries, lists, structs).
const canonical = (value: unknown): string => {
  if (value === null || value === undefined) return "null"
  if (typeof value === "bigint") return `${value}n`
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value)
  if (typeof value !== "object") return JSON.stringify(value)
  if (value instanceof Date) return value.toISOString()
  if (ArrayBuffer.isView(value)) return `<${Array.from(value as unknown as ArrayLike<unknown>, canonical).join(",")}>`
  if (Symbol.iterator in value && typeof (value as { toArray?: unknown }).toArray === "function") {
    return `[${[...(value as Iterable<unknown>)].map(canonical).join(",")}]`
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`
  const plain = typeof (value as { toJSON?: unknown }).toJSON === "function" ? (value as { toJSON(): unknown }).toJSON() : value
  return `{${Object.entries(plain as object).map(([key, inner]) => `${key}:${canonical(inner)}`).join(",")}}`
}

/** Every value of every column equal (nulls included), row by row. */
export const expectSameValues = (actual: Table, expected: Table): void => {
  expect(actual.numRows).toBe(expected.numRows)
  for (const field of expected.schema.fields) {
    const a = actual.getChild(field.name)!
    const e = expected.getChild(field.name)!
    expect(a, `column ${field.name}`).toBeDefined()
    expect(a.nullCount, `null count of ${field.name}`).toBe(e.nullCount)
    const left = exactValues(a)
    const right = exactValues(e)
    expect(left.length).toBe(right.length)
    for (let i = 0; i < right.length; i++) {
      if (!Object.is(left[i], right[i]) && canonical(left[i]) !== canonical(right[i])) {
        expect.fail(`column ${field.name}, row ${i}: ${canonical(left[i])} !== ${canonical(right[i])}`)
      }
    }
  }
}
