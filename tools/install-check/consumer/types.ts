// Compiled by tsc (strict, module/moduleResolution NodeNext) against the installed .d.ts files, never
// run. Each `@ts-expect-error` is a canary: if a package's types resolved to `any` (missing or broken
// declarations), the expected error would not happen and tsc would fail with "Unused '@ts-expect-error'".
import { ArrowIO, Tables } from "@strata/arrow"
import { defaultUiDir, startCatalog } from "@strata/catalog"
import { ProjectLoader } from "@strata/cli"
import { Asset, Instance, Project } from "@strata/core"
import { exactJson } from "@strata/core/spi"
import { PgClient, PostgresIOManager } from "@strata/postgres"
import { CatalogApi, Models } from "@strata/protocol"
import { SqliteInstance } from "@strata/sqlite"
import type { Table } from "apache-arrow"
import { Effect, Layer } from "effect"
import config, { ordersTable, revenue } from "./strata.config.ts"

const table: Table = Tables.fromRows([{ id: 1 }])
// @ts-expect-error an ArrowIO asset computes a Table, not a number
Asset.make("bad_arrow", { io: ArrowIO }, () => Effect.succeed(42))

const instance: Layer.Layer<Instance.Instance, Instance.InstanceError> = SqliteInstance.layer({ path: "x.db" })
// @ts-expect-error the path is a string
SqliteInstance.layer({ path: 42 })

const uiDir: string = defaultUiDir
type Running = Awaited<ReturnType<typeof startCatalog>>
const port: Running["port"] = 0
// @ts-expect-error the catalog's port is a number
const badPort: Running["port"] = "3000"

const loaded: Effect.Effect<ProjectLoader.LoadedConfig, unknown> = ProjectLoader.load({ file: "strata.config.ts" })

const pg: Layer.Layer<PostgresIOManager | PgClient, unknown> = PostgresIOManager.layer().pipe(Layer.provideMerge(PgClient.layerConfig))
// @ts-expect-error PostgresIOManager.layer needs a PgClient
const notProvided: Layer.Layer<PostgresIOManager> = PostgresIOManager.layer()

const api: typeof CatalogApi = CatalogApi
const status: Models.AssetStatus = "fresh"
// @ts-expect-error not an asset status
const badStatus: Models.AssetStatus = "unknown"
const json: string | undefined = exactJson(1)
const project = Project.make({ assets: [ordersTable, revenue] })

export const uses = [table, instance, uiDir, port, badPort, loaded, pg, notProvided, api, status, badStatus, json, project, config] as const
