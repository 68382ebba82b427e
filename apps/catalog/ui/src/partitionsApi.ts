/**
 * The UI's client for partitions, backfills and automation: `fetch` on the
 * protocol's paths, bodies decoded with its Schemas (see `api.ts`).
 */
import { Models, PartitionModels, partitionPaths } from "@strata/protocol"
import { request } from "./api.ts"

export const partitionsApi = {
  asset: (key: string, buckets?: number) => request(PartitionModels.AssetPartitions, partitionPaths.asset(key, buckets)),
  ranges: (key: string, state: PartitionModels.PartitionState, offset: number, limit: number) =>
    request(PartitionModels.PartitionRanges, partitionPaths.ranges(key, state, offset, limit)),
  backfills: () => request(PartitionModels.BackfillList, partitionPaths.backfills(100)),
  backfill: (id: string, offset = 0) => request(PartitionModels.BackfillDetail, partitionPaths.backfill(id, offset, 200)),
  launch: (selection: string, partitions: string, policy: string, rebuild = false, stale = false) =>
    request(PartitionModels.Backfill, partitionPaths.launchBackfill, { method: "POST", body: { selection, partitions, policy, rebuild, stale } }),
  cancel: (id: string) => request(PartitionModels.Backfill, partitionPaths.cancelBackfill(id), { method: "POST" }),
  resume: (id: string) => request(PartitionModels.Backfill, partitionPaths.resumeBackfill(id), { method: "POST" })
}

const query = (fields: Record<string, string | number | undefined>) => {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) search.set(name, String(value))
  return search.toString()
}

export const automationApi = {
  overview: () => request(Models.AutomationOverview, "/api/automation"),
  ticks: (origin?: "conditions" | "schedule" | "sensor", name?: string, limit = 20) =>
    request(Models.AutomationTicks, `/api/automation/ticks?${query({ origin, name, limit })}`),
  asset: (key: string) => request(Models.AssetAutomation, `/api/automation/asset?${query({ key, limit: 20 })}`),
  toggle: (target: string, enabled: boolean) =>
    request(Models.AutomationOverview, "/api/automation/toggle", { method: "POST", body: { target, enabled } })
}

export const backfillPath = (id: string): string => `/backfills/${encodeURIComponent(id)}`

export type { PartitionModels }
