// Steps on worker processes, as a user sets it up after `npm install @strata/graphile-worker @strata/postgres`:
// the `distributed` environment keeps the instance in Postgres (DATABASE_URL) and runs steps on `strata worker`
// processes through graphile-worker. The schemas are named after STRATA_SCHEMA_PREFIX, so the check can drop them.
import * as path from "node:path"
import { Asset, FileSystemIO, Project, StrataConfig } from "@strata/core"
import { QueueExecutor } from "@strata/graphile-worker"
import { PgClient, PostgresInstance } from "@strata/postgres"
import { Effect, Layer } from "effect"

const prefix = process.env["STRATA_SCHEMA_PREFIX"] ?? "strata_install_check"

export const numbers = Asset.make("numbers", {}, () => Effect.succeed([1, 2, 3]))
export const total = Asset.make("total", { deps: { numbers } }, ({ numbers }) => Effect.succeed(numbers.reduce((a, b) => a + b, 0)))

export default StrataConfig.define({
  project: Project.make({ assets: [numbers, total] }),
  environments: {
    distributed: ({ root }) =>
      Layer.mergeAll(
        FileSystemIO.layer({ base: path.join(root, ".strata", "distributed") }),
        QueueExecutor.layer({ graphileSchema: `${prefix}_queue`, schema: `${prefix}_workers`, instanceSchema: `${prefix}_instance` }).pipe(
          Layer.provideMerge(PostgresInstance.layer({ schema: `${prefix}_instance` }))
        )
      ).pipe(Layer.provideMerge(PgClient.layerConfig))
  },
  defaultEnvironment: "distributed"
})
