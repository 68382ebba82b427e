/**
 * A small lakehouse-shaped project for the catalog's tests: bronze -> silver
 * -> gold with row counts and null rates, a step that fails on demand, a step
 * that waits on demand (to cancel it), and an external dashboard.
 */
import { Asset, ExternalAsset, InMemoryIO, Instance, Output, Project } from "@strata/core"
import { Effect } from "effect"
import type { LoadedProject, Options } from "../src/index.ts"
import { testUiDir } from "./paths.ts"

export interface Control {
  /** `flaky_scores` fails while this is true. */
  failing: boolean
  /** `slow_export` sleeps this long. */
  slowMs: number
  /** Grows at each materialization of `raw_users`, so metadata changes over time. */
  users: number
}

export const makeFixture = (control: Control) => {
  const rawUsers = Asset.make("raw_users", {
    group: "bronze",
    kinds: ["parquet"],
    owners: ["team:data"],
    tags: { tier: "bronze" },
    description: "Users as exported by the application database."
  }, () =>
    Effect.sync(() => {
      control.users += 25
      const rows = Array.from({ length: control.users }, (_, id) => ({ id, email: id % 10 === 0 ? null : `u${id}@x.io` }))
      return Output.make(rows, { metadata: { row_count: rows.length, null_rate: 0.1, uri: "memory://raw_users" } })
    }))
  const rawOrders = Asset.make("raw_orders", { group: "bronze", kinds: ["parquet"], owners: ["team:data"] }, () =>
    Effect.succeed(Output.make([{ user: 1, amount: 10 }, { user: 2, amount: 5 }], { metadata: { row_count: 2 } })))
  const silverUsers = Asset.make("silver/users", {
    deps: { rawUsers },
    group: "silver",
    kinds: ["parquet"],
    description: "Deduplicated users with valid e-mails."
  }, ({ rawUsers }) =>
    Effect.gen(function*() {
      yield* Effect.logInfo(`cleaning ${rawUsers.length} users`)
      const clean = rawUsers.filter((user) => user.email !== null)
      return Output.make(clean, { metadata: { row_count: clean.length, null_rate: 0 } })
    }))
  const silverOrders = Asset.make("silver/orders", { deps: { rawOrders }, group: "silver", kinds: ["parquet"] }, ({ rawOrders }) =>
    Effect.succeed(Output.make(rawOrders, { metadata: { row_count: rawOrders.length } })))
  const goldUserMetrics = Asset.make("gold_user_metrics", {
    deps: { silverUsers, silverOrders },
    group: "gold",
    kinds: ["postgres"],
    owners: ["ana@example.com"],
    tags: { tier: "gold" },
    description: "Per-user revenue and activity, read by the growth dashboard."
  }, ({ silverUsers, silverOrders }) =>
    Effect.succeed(Output.make(
      { users: silverUsers.length, revenue: silverOrders.reduce((sum, order) => sum + order.amount, 0) },
      { metadata: { row_count: silverUsers.length, revenue: 15 } }
    )))
  const flakyScores = Asset.make("flaky_scores", { deps: { silverUsers }, group: "gold" }, ({ silverUsers }) =>
    control.failing
      ? Effect.fail(new Error(`scoring service unavailable for ${silverUsers.length} users`))
      : Effect.succeed(Output.make(silverUsers.length, { metadata: { row_count: silverUsers.length } })))
  const slowExport = Asset.make("slow_export", { deps: { goldUserMetrics }, group: "gold" }, ({ goldUserMetrics }) =>
    Effect.sleep(control.slowMs).pipe(Effect.as(goldUserMetrics)))
  const dashboard = ExternalAsset.make("dashboards/growth", { deps: [goldUserMetrics], kinds: ["dashboard"], group: "gold" })
  return Project.make({
    assets: [rawUsers, rawOrders, silverUsers, silverOrders, goldUserMetrics, flakyScores, slowExport, dashboard]
  })
}

/** Options for `serveCatalog` over the fixture, with an in-memory instance that survives reloads. */
export const fixtureOptions = (control: Control): Options => ({
  load: (): Promise<LoadedProject> => Promise.resolve({ project: makeFixture(control), layer: InMemoryIO.layer }),
  instance: Instance.layerMemory,
  uiDir: testUiDir,
  port: 0
})
