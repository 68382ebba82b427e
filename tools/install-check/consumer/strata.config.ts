// The consumer project's config, as a user writes it after `npm install @strata/cli @strata/core
// @strata/arrow effect apache-arrow`: one asset stored as Parquet by @strata/arrow (its encoding worker,
// dist/worker.js, is loaded by URL from the installed package) and two JSON files by core's FileSystemIO.
// No Instance is provided: the CLI opens @strata/sqlite's .strata/instance.db.
import * as path from "node:path"
import { ArrowIO, Tables } from "@strata/arrow"
import { Asset, FileSystemIO, Output, Project, StrataConfig } from "@strata/core"
import { Effect, Layer } from "effect"

/** Raw orders, stored as JSON under .strata/storage. */
export const orders = Asset.make("orders", { group: "bronze" }, () =>
  Effect.succeed([
    { id: 1, customer: "ada", amount: 30 },
    { id: 2, customer: "bob", amount: 12.5 },
    { id: 3, customer: "ada", amount: 7 }
  ]))

/** The same orders as an Arrow table, stored as .strata/tables/silver/orders.parquet. */
export const ordersTable = Asset.make("silver/orders", { io: ArrowIO, deps: { orders } }, ({ orders }) =>
  Effect.succeed(Tables.fromRows(orders)))

/** Total revenue, a JSON number, with metadata of its own. */
export const revenue = Asset.make("gold/revenue", { deps: { orders } }, ({ orders }) =>
  Effect.succeed(Output.make(orders.reduce((sum, order) => sum + order.amount, 0), { metadata: { row_count: orders.length } })))

export default StrataConfig.define({
  project: Project.make({ assets: [orders, ordersTable, revenue] }),
  environments: {
    local: ({ root }) =>
      Layer.mergeAll(
        FileSystemIO.layer({ base: path.join(root, ".strata", "storage") }),
        ArrowIO.layer({ base: path.join(root, ".strata", "tables") })
      )
  }
})
