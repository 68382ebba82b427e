/**
 * The lakehouse's partitioned chain (src/events.ts) as its own project:
 * `raw_events` → `daily_active_users`, and `weekly_retention` reading 7 days.
 * Kept apart from strata.config.ts while `strata materialize` without
 * `--partition` refuses a plan holding partitioned assets, so the demo's
 * `strata materialize` stays as it is. Same folder, same SQLite instance.
 *
 *   strata backfill -f events.config.ts --select '+daily_active_users' --partitions 2024-01-01...2024-01-07
 *   strata backfill -f events.config.ts --select weekly_retention --partitions 2024-01-01...2024-01-14 --policy single-run
 *   strata backfills -f events.config.ts
 */
import * as path from "node:path"
import { FileSystemIO, Project, StrataConfig } from "@strata/core"
import { eventAssets } from "./src/events.ts"

export default StrataConfig.define({
  project: Project.make({ assets: eventAssets }),
  environments: {
    local: ({ root }) => FileSystemIO.layer({ base: path.join(root, ".strata", "storage") })
  },
  defaultEnvironment: "local"
})
