/**
 * The lakehouse example's project config: the same assets in every
 * environment, only the Layer differs.
 *
 * - local (default): values as files under .strata/storage; no Instance is
 *   provided, so the CLI uses the SQLite instance at .strata/instance.db.
 * - prod: placeholder until @strata/postgres is wired; fails with a clear message.
 */
import * as path from "node:path"
import { FileSystemIO, IOManager, Project, StrataConfig } from "@strata/core"
import { Effect, Layer, Schema } from "effect"
import { assets } from "./src/assets.ts"

class EnvironmentNotReady extends Schema.TaggedError<EnvironmentNotReady>()("lakehouse/EnvironmentNotReady", {
  environment: Schema.String,
  message: Schema.String
}) {}

export default StrataConfig.define({
  project: Project.make({ assets }),
  environments: {
    local: ({ root }) => FileSystemIO.layer({ base: path.join(root, ".strata", "storage") }),
    prod: () =>
      Layer.effect(
        IOManager.DefaultIO,
        Effect.fail(
          new EnvironmentNotReady({
            environment: "prod",
            message: "the prod environment needs @strata/postgres, which is not wired in yet; " +
              "run with STRATA_ENV=local (the default) for now"
          })
        )
      )
  },
  defaultEnvironment: "local"
})
