/**
 * The catalog's HTTP API, defined once with `effect/http-api`: the server
 * implements it, `HttpApiClient.make(CatalogApi)` derives a typed client, and
 * the web UI calls the same paths (see {@link paths}) and decodes with the
 * Schemas of `Models`.
 *
 * Asset keys contain `/`, so they travel in the query string (`?key=silver/users`),
 * never in the path.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { AssetNotFound, BadSelection, InvalidRequest, ProjectLoadError, RunConflict, RunNotFound, StorageError } from "./Errors.ts"
import * as CheckModels from "./CheckModels.ts"
import * as Models from "./Models.ts"
import { PartitionsGroup } from "./PartitionsApi.ts"

const Limit = Schema.optional(Schema.NumberFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 1000 })))
/** How many assets an asset's answer lists in each of its lists: one page shows 100, "show all" asks for the count. */
const Refs = Schema.optional(Schema.NumberFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 10_000_000 })))
const Cursor = Schema.optional(Schema.NumberFromString.check(Schema.isInt()))

/**
 * Assets: the graph with statuses, one asset's page, its history, selections.
 *
 * @since 0.1.0
 */
export class AssetsGroup extends HttpApiGroup.make("assets")
  .add(
    HttpApiEndpoint.get("list", "/api/assets", {
      query: { selection: Schema.optional(Schema.String) },
      success: Models.AssetList,
      error: [BadSelection, StorageError]
    }),
    HttpApiEndpoint.get("page", "/api/assets/page", {
      query: {
        /** Words that must all appear in the key, description, group, owners or tags (case-insensitive). */
        q: Schema.optional(Schema.String),
        /** Statuses separated by commas: `stale,missing`. */
        status: Schema.optional(Schema.String),
        group: Schema.optional(Schema.String),
        /** A kind the asset has (`parquet`). */
        kind: Schema.optional(Schema.String),
        owner: Schema.optional(Schema.String),
        /** `name` or `name=value`. */
        tag: Schema.optional(Schema.String),
        sort: Schema.optional(Models.AssetSort),
        order: Schema.optional(Schema.Literals(["asc", "desc"])),
        offset: Schema.optional(Schema.NumberFromString.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))),
        limit: Limit
      },
      success: Models.AssetPage,
      error: [InvalidRequest, StorageError]
    }),
    HttpApiEndpoint.get("overview", "/api/graph/overview", {
      success: Models.GraphOverview,
      error: StorageError
    }),
    HttpApiEndpoint.get("statuses", "/api/statuses", {
      success: Models.StatusSnapshot,
      error: StorageError
    }),
    HttpApiEndpoint.get("statusStream", "/api/statuses/stream", {
      success: HttpApiSchema.StreamSse({ data: Models.StatusDelta, error: StorageError }),
      error: StorageError
    }),
    HttpApiEndpoint.get("get", "/api/asset", {
      /** `refs`: at most this many assets in each of the upstream, downstream and affected lists (default 100). */
      query: { key: Schema.String, refs: Refs },
      success: Models.AssetDetail,
      error: [AssetNotFound, StorageError]
    }),
    HttpApiEndpoint.get("history", "/api/asset/history", {
      query: { key: Schema.String, limit: Limit, before: Cursor },
      success: Models.AssetHistory,
      error: [AssetNotFound, StorageError]
    }),
    HttpApiEndpoint.get("checks", "/api/asset/checks", {
      query: { key: Schema.String, limit: Limit },
      success: CheckModels.AssetChecks,
      error: [AssetNotFound, StorageError]
    }),
    HttpApiEndpoint.get("checkSummary", "/api/checks/summary", {
      success: CheckModels.CheckSummary,
      error: StorageError
    }),
    HttpApiEndpoint.get("select", "/api/selection", {
      query: { selection: Schema.String },
      success: Models.SelectionResult,
      error: BadSelection
    })
  )
{}

/**
 * Runs: list, inspect, launch, cancel, re-execute, follow live.
 *
 * @since 0.1.0
 */
export class RunsGroup extends HttpApiGroup.make("runs")
  .add(
    HttpApiEndpoint.get("list", "/api/runs", {
      query: {
        /** One status or several separated by commas: `started,queued`. */
        status: Schema.optional(Schema.String),
        limit: Limit,
        /** The `next` of the previous page. */
        before: Schema.optional(Schema.String),
        /** Only runs whose plan has this asset. */
        asset: Schema.optional(Schema.String),
        /** Only runs with this tag: `name` or `name=value`. */
        tag: Schema.optional(Schema.String),
        /** Only runs created at or after this time (milliseconds since the epoch). */
        from: Cursor,
        /** Only runs created before this time (milliseconds since the epoch). */
        to: Cursor
      },
      success: Models.RunList,
      error: [InvalidRequest, StorageError]
    }),
    HttpApiEndpoint.get("get", "/api/runs/:runId", {
      params: { runId: Schema.String },
      success: Models.RunDetail,
      error: [RunNotFound, StorageError]
    }),
    HttpApiEndpoint.post("launch", "/api/runs", {
      payload: Models.LaunchRequest,
      success: Models.Launched,
      error: [BadSelection, InvalidRequest, RunConflict, StorageError]
    }),
    HttpApiEndpoint.post("cancel", "/api/runs/:runId/cancel", {
      params: { runId: Schema.String },
      success: Models.Canceled,
      error: [RunNotFound, RunConflict, StorageError]
    }),
    HttpApiEndpoint.post("reexecute", "/api/runs/:runId/reexecute", {
      params: { runId: Schema.String },
      payload: Models.ReexecuteRequest,
      success: Models.Launched,
      error: [RunNotFound, RunConflict, BadSelection, StorageError]
    }),
    HttpApiEndpoint.get("events", "/api/runs/:runId/events", {
      params: { runId: Schema.String },
      query: { after: Cursor },
      success: HttpApiSchema.StreamSse({ data: Models.Event, error: StorageError }),
      error: [RunNotFound, StorageError]
    })
  )
{}

/**
 * The project: what is loaded, and reloading it.
 *
 * @since 0.1.0
 */
export class ProjectGroup extends HttpApiGroup.make("project")
  .add(
    HttpApiEndpoint.get("info", "/api/project", { success: Models.ProjectInfo }),
    HttpApiEndpoint.post("reload", "/api/project/reload", {
      success: Models.ProjectInfo,
      error: ProjectLoadError
    })
  )
{}

/**
 * Automation: the daemon's ticks, an asset's evaluations (why it was or was
 * not requested), what is on or off.
 *
 * @since 0.1.0
 */
export class AutomationGroup extends HttpApiGroup.make("automation")
  .add(
    HttpApiEndpoint.get("overview", "/api/automation", { success: Models.AutomationOverview, error: StorageError }),
    HttpApiEndpoint.get("ticks", "/api/automation/ticks", {
      query: { origin: Schema.optional(Schema.Literals(["conditions", "schedule", "sensor"])), name: Schema.optional(Schema.String), limit: Limit },
      success: Models.AutomationTicks,
      error: StorageError
    }),
    HttpApiEndpoint.get("asset", "/api/automation/asset", {
      query: { key: Schema.String, limit: Limit },
      success: Models.AssetAutomation,
      error: [AssetNotFound, StorageError]
    }),
    HttpApiEndpoint.post("toggle", "/api/automation/toggle", {
      payload: Schema.Struct({ target: Schema.String, enabled: Schema.Boolean }),
      success: Models.AutomationOverview,
      error: [InvalidRequest, StorageError]
    })
  )
{}

/**
 * The whole API.
 *
 * @since 0.1.0
 */
export class CatalogApi extends HttpApi.make("strata-catalog")
  .add(AssetsGroup)
  .add(RunsGroup)
  .add(ProjectGroup)
  .add(AutomationGroup)
  .add(PartitionsGroup)
  .annotateMerge(OpenApi.annotations({ title: "Strata catalog API" }))
{}

export { paths } from "./Paths.ts"
export type { AssetPageQuery } from "./Paths.ts"
