/**
 * The lakehouse's automation: silver_users and gold_user_metrics rebuild
 * eagerly when their upstream changes (one run for the chain), the dashboard's
 * feed (gold_user_metrics) is refreshed every morning at 06:00 Berlin time
 * once its upstreams have new data, and a sensor watches the raw folder for
 * a new drop when no `strata dev` watches the file (under `strata daemon`).
 */
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"
import { type Automation as AutomationModule, Automation, AutomationCondition } from "@strata/core"
import { Effect } from "effect"
import { rawUsersFile } from "./assets.ts"

/** The morning refresh of the dashboard's feed, in the team's time zone (DST-correct). */
export const dashboardCron = { expression: "0 6 * * *", timezone: "Europe/Berlin" } as const

/**
 * A new raw drop (the file's size and modification time changed) asks for an
 * observation of raw_users; the eager conditions take it from there.
 */
export const rawFolderSensor = Automation.sensor({
  name: "raw_folder",
  minimumIntervalMs: 30_000,
  evaluate: ({ cursor }) =>
    Effect.sync(() => {
      const file = fileURLToPath(rawUsersFile)
      if (!fs.existsSync(file)) return { skipReason: `${file} does not exist yet (pnpm generate)` }
      const stat = fs.statSync(file)
      const seen = `${stat.size}:${stat.mtimeMs}`
      if (seen === cursor) return { skipReason: "no new drop", cursor }
      return { requests: [{ selection: "raw_users", runKey: `raw_users:${seen}` }], cursor: seen }
    })
})

export const automation: AutomationModule.Config = {
  conditions: {
    silver_users: AutomationCondition.eager(),
    gold_user_metrics: AutomationCondition.or(
      AutomationCondition.eager(),
      AutomationCondition.onCron(dashboardCron.expression, { timezone: dashboardCron.timezone })
    )
  },
  sensors: [rawFolderSensor]
}
