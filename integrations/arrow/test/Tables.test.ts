import { describe, expect, it } from "@effect/vitest"
import { Binary, Bool, Dictionary, Field, Float64, Int32, Int64, Null, Schema, Struct, tableFromArrays, TimestampMillisecond, Utf8 } from "apache-arrow"
import { ArrowError, Tables, TypeHandler } from "../src/index.ts"

const typesOf = (table: ReturnType<typeof Tables.fromRows>) =>
  table.schema.fields.map((field) => [field.name, String(field.type), field.nullable])

const thrown = (f: () => unknown): ArrowError.ArrowError => {
  try {
    f()
  } catch (error) {
    expect(error).toBeInstanceOf(ArrowError.ArrowError)
    return error as ArrowError.ArrowError
  }
  return expect.fail("expected an ArrowError")
}

describe("Tables", () => {
  it("infers Utf8 (not Dictionary), Float64, Int64, Bool, timestamps, binary and Null, all nullable", () => {
    const table = Tables.fromRows([
      { s: "a", n: 1.5, b: 2n, t: true, d: new Date(0), bin: new Uint8Array([1]), nothing: null },
      { s: null, n: undefined, b: null, t: false, d: null, bin: null }
    ])
    expect(typesOf(table)).toEqual([
      ["s", "Utf8", true],
      ["n", "Float64", true],
      ["b", "Int64", true],
      ["t", "Bool", true],
      ["d", "Timestamp<MILLISECOND, UTC>", true],
      ["bin", "Binary", true],
      ["nothing", "Null", true]
    ])
    expect(table.schema.fields[0]!.type).toBeInstanceOf(Utf8)
    // apache-arrow's own constructor makes a dictionary of the same strings
    expect(tableFromArrays({ s: ["a", "b"] }).schema.fields[0]!.type).toBeInstanceOf(Dictionary)
  })

  it("uses typed arrays without copying, as non-nullable columns", () => {
    const values = new Float64Array([1, 2, 3])
    const table = Tables.fromColumns({ x: values, y: ["a", "b", "c"] })
    expect(typesOf(table)).toEqual([["x", "Float64", false], ["y", "Utf8", true]])
    expect(table.getChild("x")!.data[0]!.values.buffer).toBe(values.buffer)
  })

  it("takes types for some columns and a whole schema", () => {
    const typed = Tables.fromRows([{ id: 1, name: "a" }, { id: 2, name: "b" }], { types: { id: new Int32() } })
    expect(typesOf(typed)).toEqual([["id", "Int32", true], ["name", "Utf8", true]])
    expect([...typed.getChild("id")!]).toEqual([1, 2])

    const schema = new Schema([new Field("name", new Utf8(), false, new Map([["pii", "yes"]])), new Field("id", new Int64(), true)])
    const table = Tables.fromRows([{ id: 1n, name: "a", extra: "ignored" }], { schema })
    expect(typesOf(table)).toEqual([["name", "Utf8", false], ["id", "Int64", true]])
    expect(table.schema.fields[0]!.metadata.get("pii")).toBe("yes")

    const nested = Tables.fromRows([{ point: { x: 1 } }], {
      types: { point: new Struct([new Field("x", new Float64(), true)]) }
    })
    expect(Tables.toRows(nested)).toEqual([{ point: { x: 1 } }])
  })

  it("rejects mixed, unsupported and misshapen input with the column and row", () => {
    const mixed = thrown(() => Tables.fromRows([{ a: 1 }, { a: 2 }, { a: "3" }]))
    expect(mixed.reason).toBe("invalid-value")
    expect(mixed.column).toBe("a")
    expect(mixed.message).toContain("row 0 holds number but row 2 holds string")

    const object = thrown(() => Tables.fromRows([{ a: { nested: true } }]))
    expect(object.message).toContain("column a")
    expect(object.message).toContain("give the column a type")

    const lengths = thrown(() => Tables.fromColumns({ a: [1, 2], b: [1] }))
    expect(lengths.column).toBe("b")
    expect(lengths.message).toContain("1 values but column a has 2")

    const schema = new Schema([new Field("id", new Int64(), false)])
    expect(thrown(() => Tables.fromRows([{ id: null }], { schema })).message).toContain("not nullable")
    expect(thrown(() => Tables.fromColumns({}, { schema })).message).toContain("missing")
    expect(thrown(() => Tables.fromRows([1 as unknown as Record<string, unknown>])).message).toContain("row 0 is number")
  })

  it("toRows gives plain values: bigints, Dates, nulls", () => {
    const table = Tables.fromRows([
      { id: 1n, at: new Date(Date.UTC(2024, 1, 2)), ok: true, s: "x" },
      { id: null, at: null, ok: null, s: null }
    ])
    expect(Tables.toRows(table)).toEqual([
      { id: 1n, at: new Date(Date.UTC(2024, 1, 2)), ok: true, s: "x" },
      { id: null, at: null, ok: null, s: null }
    ])
  })

  it("utf8 builds a plain string vector", () => {
    const vector = Tables.utf8(["a", null, "c"])
    expect(vector.type).toBeInstanceOf(Utf8)
    expect([...vector]).toEqual(["a", null, "c"])
  })
})

describe("TypeHandler", () => {
  it("table: identity, and refuses what is not a Table", () => {
    const table = Tables.fromColumns({ a: new Int32Array([1]) })
    expect(TypeHandler.table.toTable(table)).toBe(table)
    expect(TypeHandler.table.fromTable(table)).toBe(table)
    const error = thrown(() => TypeHandler.table.toTable({ rows: [] } as never))
    expect(error.reason).toBe("invalid-value")
    expect(error.message).toContain("expected an apache-arrow Table, got an object (Object)")
    const lookalike = thrown(() => TypeHandler.table.toTable({ schema: {}, batches: [] } as never))
    expect(lookalike.message).toContain("another copy of apache-arrow")
  })

  it("rows: round trips plain objects, with an inferred or a given schema", () => {
    const rows = [{ id: 1, name: "ada", active: true }, { id: 2, name: null, active: false }]
    const inferred = TypeHandler.rows()
    const table = inferred.toTable(rows)
    expect(typesOf(table)).toEqual([["id", "Float64", true], ["name", "Utf8", true], ["active", "Bool", true]])
    expect(inferred.fromTable(table)).toEqual(rows)

    const typed = TypeHandler.rows<{ id: number; name: string | null }>({
      schema: new Schema([new Field("id", new Int32(), false), new Field("name", new Utf8(), true)])
    })
    const typedTable = typed.toTable([{ id: 1, name: "ada" }])
    expect(typesOf(typedTable)).toEqual([["id", "Int32", false], ["name", "Utf8", true]])
    expect(typed.fromTable(typedTable)).toEqual([{ id: 1, name: "ada" }])
    expect(thrown(() => typed.toTable("nope" as never)).message).toContain("expected an array of row objects, got string")
  })

  it("types are those a warehouse expects", () => {
    const table = TypeHandler.rows().toTable([{ b: true, bin: new Uint8Array([1, 2]) }])
    expect(table.schema.fields[0]!.type).toBeInstanceOf(Bool)
    expect(table.schema.fields[1]!.type).toBeInstanceOf(Binary)
    expect(Tables.fromRows([{ d: new Date(0) }]).schema.fields[0]!.type).toBeInstanceOf(TimestampMillisecond)
    expect(Tables.fromRows([{ x: null }]).schema.fields[0]!.type).toBeInstanceOf(Null)
  })
})
