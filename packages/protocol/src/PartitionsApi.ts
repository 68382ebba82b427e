/**
 * The partitions and backfills endpoints of the catalog's API (a group of
 * `CatalogApi`), and their URLs for `fetch` clients.
 *
 * @since 0.2.0
 */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { AssetNotFound, BackfillConflict, BackfillNotFound, BadSelection, InvalidRequest, StorageError } from "./Errors.ts"
import * as PartitionModels from "./PartitionModels.ts"

const Int = (minimum: number, maximum: number) =>
  Schema.optional(Schema.NumberFromString.check(Schema.isInt(), Schema.isBetween({ minimum, maximum })))

/**
 * An asset's partitions (counts, bar, ranges by state) and backfills (list,
 * one with its status per range, launch, cancel, resume).
 *
 * @since 0.2.0
 */
export class PartitionsGroup extends HttpApiGroup.make("partitions")
  .add(
    HttpApiEndpoint.get("asset", "/api/asset/partitions", {
      query: { key: Schema.String, buckets: Int(1, 4000) },
      success: PartitionModels.AssetPartitions,
      error: [AssetNotFound, InvalidRequest, StorageError]
    }),
    HttpApiEndpoint.get("ranges", "/api/asset/partitions/ranges", {
      query: { key: Schema.String, state: PartitionModels.PartitionState, offset: Int(0, Number.MAX_SAFE_INTEGER), limit: Int(1, 1000) },
      success: PartitionModels.PartitionRanges,
      error: [AssetNotFound, InvalidRequest, StorageError]
    }),
    HttpApiEndpoint.get("backfills", "/api/backfills", {
      query: { limit: Int(1, 1000) },
      success: PartitionModels.BackfillList,
      error: StorageError
    }),
    HttpApiEndpoint.get("backfill", "/api/backfills/:backfillId", {
      params: { backfillId: Schema.String },
      query: { offset: Int(0, Number.MAX_SAFE_INTEGER), limit: Int(1, 1000) },
      success: PartitionModels.BackfillDetail,
      error: [BackfillNotFound, StorageError]
    }),
    HttpApiEndpoint.post("launchBackfill", "/api/backfills", {
      payload: PartitionModels.LaunchBackfill,
      success: PartitionModels.Backfill,
      error: [BadSelection, InvalidRequest, StorageError]
    }),
    HttpApiEndpoint.post("cancelBackfill", "/api/backfills/:backfillId/cancel", {
      params: { backfillId: Schema.String },
      success: PartitionModels.Backfill,
      error: [BackfillNotFound, BackfillConflict, StorageError]
    }),
    HttpApiEndpoint.post("resumeBackfill", "/api/backfills/:backfillId/resume", {
      params: { backfillId: Schema.String },
      success: PartitionModels.Backfill,
      error: [BackfillNotFound, BackfillConflict, InvalidRequest, StorageError]
    })
  )
{}

export { partitionPaths } from "./Paths.ts"
