/**
 * The lakehouse pipeline: raw users (a CSV dropped by another system) ->
 * silver users (clean, typed, deduplicated) -> gold user metrics, read by a
 * growth dashboard outside Strata.
 */
import { Asset, Check, ExternalAsset, IOManager, Output, SourceAsset } from "@strata/core"
import { Effect } from "effect"
import type { User } from "./users.ts"
import { clean, metrics, nullRate, parseCsv } from "./users.ts"

/**
 * The I/O manager key of tables of users. Which implementation stores them is
 * the environment's choice (strata.config.ts): Parquet files locally
 * (`@strata/arrow`), a Postgres table in production (`@strata/postgres`).
 */
export class UsersIO extends IOManager.Tag<UsersIO, Array<User>>()("lakehouse/UsersIO") {}

/** Where the generator writes the raw file (`pnpm --filter lakehouse generate`). */
export const rawUsersFile = new URL("../data/raw_users.csv", import.meta.url)

export const rawUsers = SourceAsset.file("raw_users", rawUsersFile, {
  parse: parseCsv,
  group: "bronze",
  kinds: ["csv"],
  owners: ["team:data-platform"],
  description: "Users exported nightly by the product database, as CSV. Observed by the SHA-256 of the file."
})

export const silverUsers = Asset.make(
  "silver_users",
  {
    deps: { rawUsers },
    io: UsersIO,
    group: "silver",
    kinds: ["parquet"],
    owners: ["team:data-platform"],
    description: "Users with normalised emails, invalid rows dropped, one row per email (the earliest signup)."
  },
  ({ rawUsers }) =>
    Effect.gen(function*() {
      const { droppedDuplicates, droppedInvalid, users } = clean(rawUsers)
      yield* Effect.logInfo(`kept ${users.length} of ${rawUsers.length} rows (${droppedInvalid} invalid, ${droppedDuplicates} duplicates)`)
      return Output.make(users, {
        metadata: {
          row_count: users.length,
          dropped_invalid: droppedInvalid,
          dropped_duplicates: droppedDuplicates,
          null_rate_country: nullRate(users, "country")
        }
      })
    })
)

export const goldUserMetrics = Asset.make(
  "gold_user_metrics",
  {
    deps: { silverUsers },
    group: "gold",
    kinds: ["json"],
    owners: ["team:growth"],
    description: "Signups per day, the active ratio and users by country."
  },
  ({ silverUsers }) =>
    Effect.sync(() => {
      const result = metrics(silverUsers)
      return Output.make(result, {
        metadata: {
          row_count: silverUsers.length,
          days: result.signupsPerDay.length,
          countries: result.byCountry.length,
          active_ratio: result.activeRatio,
          null_rate_country: nullRate(silverUsers, "country")
        }
      })
    })
)

export const growthDashboard = ExternalAsset.make("dashboards/growth", {
  deps: [goldUserMetrics],
  group: "gold",
  kinds: ["dashboard"],
  owners: ["team:growth"],
  description: "The growth team's dashboard; reads gold_user_metrics."
})

export const assets = [rawUsers, silverUsers, goldUserMetrics, growthDashboard] as const

/**
 * The quality gates. silver's checks are blocking (`error`, the default): a
 * failure stops gold in that run, naming the check. gold's row count must not
 * drop by more than half from one materialization to the next.
 */
export const checks = [
  Check.unique(silverUsers, "email", { description: "One row per normalised email" }),
  Check.notNull(silverUsers, "email"),
  Check.rowCountNotDropping(silverUsers, { maxDropPercent: 50 }, { description: "A raw drop that loses half the users is corrupt" }),
  Check.rowCountNotDropping(goldUserMetrics, { maxDropPercent: 50 })
] as const
