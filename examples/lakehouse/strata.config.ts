/**
 * The lakehouse example's project config: the same assets in every
 * environment, only the Layer differs.
 *
 * - local (default): silver_users as a Parquet file under .strata/tables
 *   (@strata/arrow), gold_user_metrics as JSON under .strata/storage; no
 *   Instance is provided, so the CLI uses the SQLite instance .strata/instance.db.
 * - prod (`STRATA_ENV=prod`): silver_users and gold_user_metrics as tables of
 *   the `lakehouse` schema in Postgres (@strata/postgres), and the instance in
 *   the `strata` schema of the same database. Connection from DATABASE_URL or
 *   the PG* variables.
 */
import * as path from "node:path"
import { ArrowIO, TypeHandler } from "@strata/arrow"
import { FileSystemIO, Project, StrataConfig } from "@strata/core"
import { PgClient, PostgresInstance, PostgresIOManager } from "@strata/postgres"
import { DateDay, Field, Int32, Schema, Utf8 } from "apache-arrow"
import { Layer } from "effect"
import { assets, checks, UsersIO } from "./src/assets.ts"
import type { User } from "./src/users.ts"

/** The Arrow schema of silver_users: how a User is stored as a table row. */
const usersTable = TypeHandler.rows<User>({
  schema: new Schema([
    new Field("id", new Int32(), false),
    new Field("email", new Utf8(), false),
    new Field("country", new Utf8(), true),
    new Field("signupDate", new DateDay(), false),
    new Field("lastActiveDate", new DateDay(), false),
    new Field("status", new Utf8(), false)
  ])
})

export default StrataConfig.define({
  project: Project.make({ assets, checks }),
  environments: {
    local: ({ root }) =>
      Layer.mergeAll(
        FileSystemIO.layer({ base: path.join(root, ".strata", "storage") }),
        ArrowIO.layerFor(UsersIO, usersTable, { base: path.join(root, ".strata", "tables") })
      ),
    prod: () =>
      Layer.mergeAll(
        PostgresIOManager.layerDefault({ schema: "lakehouse" }),
        PostgresIOManager.layerFor(UsersIO, { schema: "lakehouse", handler: usersTable }),
        PostgresInstance.layer()
      ).pipe(Layer.provideMerge(PgClient.layerConfig))
  },
  defaultEnvironment: "local"
})
