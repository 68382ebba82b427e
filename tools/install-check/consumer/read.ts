// Reads the Parquet file `strata materialize` wrote back through @strata/arrow's public API and prints
// what it holds as one line of JSON.
import * as path from "node:path"
import { ArrowIO, Tables } from "@strata/arrow"
import { Effect } from "effect"
import { ordersTable } from "./strata.config.ts"

const layer = ArrowIO.layer({ base: path.join(import.meta.dirname, ".strata", "tables") })
const table = await Effect.runPromise(ArrowIO.read(ordersTable).pipe(Effect.provide(layer)))
console.log(JSON.stringify({
  columns: table.schema.fields.map((field) => field.name),
  rows: Tables.toRows(table)
}))
