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

const Limit = Schema.optional(Schema.NumberFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 1000 })))
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
    HttpApiEndpoint.get("get", "/api/asset", {
      query: { key: Schema.String },
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
        before: Schema.optional(Schema.String)
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
      error: [BadSelection, RunConflict, StorageError]
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
 * The whole API.
 *
 * @since 0.1.0
 */
export class CatalogApi extends HttpApi.make("strata-catalog")
  .add(AssetsGroup)
  .add(RunsGroup)
  .add(ProjectGroup)
  .annotateMerge(OpenApi.annotations({ title: "Strata catalog API" }))
{}

/**
 * The URLs of the API, for clients that use `fetch` (the UI).
 *
 * @since 0.1.0
 */
export const paths = {
  assets: (selection?: string): string =>
    selection === undefined ? "/api/assets" : `/api/assets?selection=${encodeURIComponent(selection)}`,
  asset: (key: string): string => `/api/asset?key=${encodeURIComponent(key)}`,
  history: (key: string, limit?: number): string =>
    `/api/asset/history?key=${encodeURIComponent(key)}${limit === undefined ? "" : `&limit=${limit}`}`,
  selection: (selection: string): string => `/api/selection?selection=${encodeURIComponent(selection)}`,
  checks: (key: string): string => `/api/asset/checks?key=${encodeURIComponent(key)}`,
  runs: (options?: { readonly status?: string; readonly limit?: number; readonly before?: string }): string => {
    const query = new URLSearchParams()
    if (options?.status !== undefined) query.set("status", options.status)
    if (options?.limit !== undefined) query.set("limit", String(options.limit))
    if (options?.before !== undefined) query.set("before", options.before)
    const text = query.toString()
    return text === "" ? "/api/runs" : `/api/runs?${text}`
  },
  run: (runId: string): string => `/api/runs/${encodeURIComponent(runId)}`,
  launch: "/api/runs",
  cancel: (runId: string): string => `/api/runs/${encodeURIComponent(runId)}/cancel`,
  reexecute: (runId: string): string => `/api/runs/${encodeURIComponent(runId)}/reexecute`,
  runEvents: (runId: string, after?: number): string =>
    `/api/runs/${encodeURIComponent(runId)}/events${after === undefined ? "" : `?after=${after}`}`,
  project: "/api/project",
  reload: "/api/project/reload"
} as const
