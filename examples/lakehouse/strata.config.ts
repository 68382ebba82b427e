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
 * - snowflake (`STRATA_ENV=snowflake`): the same two assets as tables of the
 *   `LAKEHOUSE` schema in Snowflake (@strata/snowflake), loaded as staged
 *   Parquet; the connection from the SNOWFLAKE_* variables a Snowflake user
 *   sets (account, user, password or key pair, database...). No Instance is
 *   provided: runs are recorded locally, as in `local`.
 * - iceberg (`STRATA_ENV=iceberg`): the same two assets as Iceberg tables of
 *   the `lakehouse` namespace in a local warehouse folder, .strata/warehouse
 *   (@strata/iceberg, filesystem catalog), readable by other engines.
 * - distributed (`STRATA_ENV=distributed`): prod's tables and instance, and
 *   the steps run by `strata worker` processes (@strata/graphile-worker), on
 *   this machine or any other pointed at the same database.
 *
 * Automation (src/automation.ts): silver and gold eager, the dashboard's feed
 * on a morning cron, a sensor on the raw folder; `strata dev` and
 * `strata daemon` run it.
 */
import * as path from "node:path"
import { ArrowIO, TypeHandler } from "@strata/arrow"
import { FileSystemIO, Project, StrataConfig } from "@strata/core"
import { QueueExecutor } from "@strata/graphile-worker"
import { PgClient, PostgresInstance, PostgresIOManager } from "@strata/postgres"
import { IcebergCatalog, IcebergIO } from "@strata/iceberg"
import { SnowflakeClient, SnowflakeIOManager } from "@strata/snowflake"
import { DateDay, Field, Int32, Schema, Utf8 } from "apache-arrow"
import { Layer } from "effect"
import { assets, checks, UsersIO } from "./src/assets.ts"
import { automation } from "./src/automation.ts"
import type { User } from "./src/users.ts"

/** Tables and instance in Postgres (the `prod` and `distributed` environments). */
const postgres = () =>
  Layer.mergeAll(
    PostgresIOManager.layerDefault({ schema: "lakehouse" }),
    PostgresIOManager.layerFor(UsersIO, { schema: "lakehouse", handler: usersTable }),
    PostgresInstance.layer()
  )

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
  project: Project.make({ assets, checks, automation }),
  environments: {
    local: ({ root }) =>
      Layer.mergeAll(
        FileSystemIO.layer({ base: path.join(root, ".strata", "storage") }),
        ArrowIO.layerFor(UsersIO, usersTable, { base: path.join(root, ".strata", "tables") })
      ),
    prod: () => postgres().pipe(Layer.provideMerge(PgClient.layerConfig)),
    snowflake: () =>
      Layer.mergeAll(
        SnowflakeIOManager.layerDefault({ schema: "LAKEHOUSE", method: "stage" }),
        SnowflakeIOManager.layerFor(UsersIO, { schema: "LAKEHOUSE", method: "stage", handler: usersTable })
      ).pipe(Layer.provide(SnowflakeClient.layerConfig)),
    iceberg: ({ root }) =>
      Layer.mergeAll(
        IcebergIO.layerDefault({ namespace: "lakehouse" }),
        IcebergIO.layerFor(UsersIO, { namespace: "lakehouse", handler: usersTable })
      ).pipe(Layer.provide(IcebergCatalog.layerFileSystem({ warehouse: path.join(root, ".strata", "warehouse") }))),
    // the coordinator enqueues each step; `strata worker` processes run them (QueueExecutor needs the instance)
    distributed: () =>
      QueueExecutor.layer().pipe(Layer.provideMerge(postgres()), Layer.provideMerge(PgClient.layerConfig))
  },
  defaultEnvironment: "local"
})
