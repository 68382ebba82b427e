import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { parquetMetadata, parquetReadObjects, parquetSchema } from "hyparquet"
import { compressors } from "hyparquet-compressors"
import { ArrowIO } from "../src/index.ts"
import { bigTable, tempFolder } from "./fixtures.ts"

// hyparquet (pure JS, no code shared with parquet-rs) reads what Strata wrote.
describe("Parquet files read by hyparquet", () => {
  for (const compression of ["zstd", "snappy", "none"] as const) {
    it.effect(`${compression}: every value and the Parquet schema`, () =>
      Effect.gen(function*() {
        const n = 100_000
        const table = bigTable(n, 3)
        const io = ArrowIO.make({ base: tempFolder(), compression, rowGroupRows: 30_000 })
        yield* io.write("events", table)
        const bytes = fs.readFileSync(io.path("events"))
        const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)

        const metadata = parquetMetadata(file)
        expect(Number(metadata.num_rows)).toBe(n)
        expect(metadata.row_groups.length).toBe(4)
        const codec = { zstd: "ZSTD", snappy: "SNAPPY", none: "UNCOMPRESSED" }[compression]
        for (const group of metadata.row_groups) {
          for (const column of group.columns) expect(column.meta_data?.codec).toBe(codec)
        }
        const schema = parquetSchema(metadata).children.map(({ element }) => ({
          name: element.name,
          type: element.type,
          repetition: element.repetition_type,
          logical: element.logical_type?.type
        }))
        expect(schema).toEqual([
          { name: "id", type: "INT64", repetition: "REQUIRED", logical: undefined },
          { name: "score", type: "DOUBLE", repetition: "OPTIONAL", logical: undefined },
          { name: "name", type: "BYTE_ARRAY", repetition: "OPTIONAL", logical: "STRING" },
          { name: "active", type: "BOOLEAN", repetition: "OPTIONAL", logical: undefined },
          { name: "at", type: "INT64", repetition: "OPTIONAL", logical: "TIMESTAMP" },
          { name: "big", type: "INT64", repetition: "OPTIONAL", logical: undefined }
        ])

        const rows = yield* Effect.promise(() => parquetReadObjects({ file, compressors }))
        expect(rows.length).toBe(n)
        const columns = Object.fromEntries(table.schema.fields.map((field) => [field.name, [...table.getChild(field.name)!]]))
        const raw = table.getChild("at")!.data[0]!.values as BigInt64Array
        for (let i = 0; i < n; i++) {
          const row = rows[i]!
          const expected = {
            id: columns.id![i],
            score: columns.score![i],
            name: columns.name![i],
            active: columns.active![i],
            big: columns.big![i]
          }
          const actual = { id: row.id, score: row.score, name: row.name, active: row.active, big: row.big }
          if (!sameRow(actual, expected)) expect.fail(`row ${i}: ${show(actual)} !== ${show(expected)}`)
          const at = row.at as Date | null | undefined
          if (columns.at![i] === null) {
            if (at !== null && at !== undefined) expect.fail(`row ${i}: at should be null`)
          } else if (at?.getTime() !== Number(raw[i]! / 1000n)) {
            expect.fail(`row ${i}: at ${at?.toISOString()} !== ${raw[i]} µs`)
          }
        }
      }), 120_000)
  }
})

const sameRow = (a: Record<string, unknown>, b: Record<string, unknown>): boolean =>
  Object.keys(b).every((key) => Object.is(a[key] ?? null, b[key] ?? null))

const show = (row: Record<string, unknown>): string =>
  JSON.stringify(row, (_, value) => typeof value === "bigint" ? `${value}n` : value)
