/**
 * The URLs of the catalog's API as plain functions and strings, in a module
 * of their own: a client that only calls `fetch` (the UI) imports these
 * without the `HttpApi` definitions of `CatalogApi`, which a bundler then
 * leaves out.
 *
 * @since 0.3.0
 */
import type * as Models from "./Models.ts"
import type * as PartitionModels from "./PartitionModels.ts"

/**
 * The query of `GET /api/assets/page`, for {@link paths}.assetPage.
 *
 * @since 0.2.0
 */
export interface AssetPageQuery {
  readonly q?: string | undefined
  readonly status?: string | undefined
  readonly group?: string | undefined
  readonly kind?: string | undefined
  readonly owner?: string | undefined
  readonly tag?: string | undefined
  readonly sort?: Models.AssetSort | undefined
  readonly order?: "asc" | "desc" | undefined
  readonly offset?: number | undefined
  readonly limit?: number | undefined
}

/**
 * The URLs of the API, for clients that use `fetch` (the UI).
 *
 * @since 0.1.0
 */
export const paths = {
  assets: (selection?: string): string =>
    selection === undefined ? "/api/assets" : `/api/assets?selection=${encodeURIComponent(selection)}`,
  assetPage: (query: AssetPageQuery): string => {
    const search = new URLSearchParams()
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== "") search.set(name, String(value))
    }
    const text = search.toString()
    return text === "" ? "/api/assets/page" : `/api/assets/page?${text}`
  },
  /**
   * The graph's shape (`Models.GraphStructure`), served with an `ETag` per
   * project generation (`304` when unchanged). Outside `CatalogApi`: its body
   * is serialized once per generation.
   */
  graph: "/api/graph",
  /**
   * The graph summed up by group (`Models.GraphOverview`): what a big graph's
   * first screen draws, a few KB where the shape and statuses are megabytes.
   */
  graphOverview: "/api/graph/overview",
  statuses: "/api/statuses",
  statusStream: "/api/statuses/stream",
  asset: (key: string, refs?: number): string =>
    `/api/asset?key=${encodeURIComponent(key)}${refs === undefined ? "" : `&refs=${refs}`}`,
  history: (key: string, limit?: number): string =>
    `/api/asset/history?key=${encodeURIComponent(key)}${limit === undefined ? "" : `&limit=${limit}`}`,
  selection: (selection: string): string => `/api/selection?selection=${encodeURIComponent(selection)}`,
  checks: (key: string): string => `/api/asset/checks?key=${encodeURIComponent(key)}`,
  checkSummary: "/api/checks/summary",
  runs: (options?: {
    readonly status?: string
    readonly limit?: number
    readonly before?: string
    readonly asset?: string
    readonly tag?: string
    readonly from?: number
    readonly to?: number
  }): string => {
    const query = new URLSearchParams()
    if (options?.status !== undefined) query.set("status", options.status)
    if (options?.asset !== undefined) query.set("asset", options.asset)
    if (options?.tag !== undefined) query.set("tag", options.tag)
    if (options?.from !== undefined) query.set("from", String(options.from))
    if (options?.to !== undefined) query.set("to", String(options.to))
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

const query = (fields: Record<string, string | number | undefined>): string => {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) search.set(name, String(value))
  const text = search.toString()
  return text === "" ? "" : `?${text}`
}

/**
 * The URLs of `PartitionsGroup`, for clients that use `fetch` (the UI).
 *
 * @since 0.2.0
 */
export const partitionPaths = {
  asset: (key: string, buckets?: number): string => `/api/asset/partitions${query({ key, buckets })}`,
  ranges: (key: string, state: PartitionModels.PartitionState, offset?: number, limit?: number): string =>
    `/api/asset/partitions/ranges${query({ key, state, offset, limit })}`,
  backfills: (limit?: number): string => `/api/backfills${query({ limit })}`,
  backfill: (backfillId: string, offset?: number, limit?: number): string =>
    `/api/backfills/${encodeURIComponent(backfillId)}${query({ offset, limit })}`,
  launchBackfill: "/api/backfills",
  cancelBackfill: (backfillId: string): string => `/api/backfills/${encodeURIComponent(backfillId)}/cancel`,
  resumeBackfill: (backfillId: string): string => `/api/backfills/${encodeURIComponent(backfillId)}/resume`
} as const
