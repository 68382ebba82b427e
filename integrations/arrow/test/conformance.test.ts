import { ioManagerConformance } from "@strata/core/testing"
import type { Table } from "apache-arrow"
import { tableFromArrays } from "apache-arrow"
import { Effect } from "effect"
import { ArrowIO, Tables } from "../src/index.ts"

// typed tables: an Int32 column, a Float64 column and a string column; `large` is about 1 MB
const sample = (n: number, size: "small" | "large"): Table => {
  const rows = size === "small" ? 4 : 30_000
  return tableFromArrays({
    n: Int32Array.from({ length: rows }, () => n),
    i: Float64Array.from({ length: rows }, (_, i) => i / 2),
    text: Array.from({ length: rows }, (_, i) => `value ${n} row ${i}`)
  })
}

const same = (loaded: Table, stored: Table): boolean =>
  loaded.numRows === stored.numRows &&
  loaded.schema.fields.map(String).join() === stored.schema.fields.map(String).join() &&
  JSON.stringify(Tables.toRows(loaded)) === JSON.stringify(Tables.toRows(stored))

for (const format of ["parquet", "ipc"] as const) {
  ioManagerConformance(`ArrowIO (${format})`, {
    make: ({ base }) => Effect.sync(() => ArrowIO.make({ base, format })),
    sample,
    same,
    concat: (tables) => tables[0]!.concat(...tables.slice(1)),
    capabilities: {
      values: [],
      partitions: true,
      // a range of partitions loads as one table: each partition's file, in partition order
      partitionRanges: true,
      concurrentReaders: true,
      persistent: true,
      // Parquet is encoded deterministically. Arrow IPC files carry the dictionary ids apache-arrow
      // hands out from a global counter (tableFromArrays makes string columns dictionaries), so two equal
      // tables built apart give different bytes, hence different versions: IPC versions change with the
      // value, and may change without it
      dataVersion: format === "parquet" ? "content" : "changes",
      longNames: true
    }
  })
}
