/**
 * The protocol mirrors some of core's types (events, stale reasons, run
 * statuses) without importing core, so that the UI bundle stays free of it.
 * These assertions fail `pnpm --filter @strata/catalog typecheck` when the two drift.
 */
import type { AssetState, Event, Instance, Staleness } from "@strata/core"
import type { Models } from "@strata/protocol"

type Assert<T extends true> = T
type Extends<A, B> = [A] extends [B] ? true : false

export type EventsFit = Assert<Extends<Event.StoredEvent, Models.Event>>
export type EventTypesMatch = Assert<Extends<Models.Event["type"], Event.EventType>>
export type ReasonsFit = Assert<Extends<Staleness.StaleReason["type"], Models.StaleReason["type"]>>
export type RunStatusesMatch = Assert<Extends<Instance.RunStatus, Models.RunStatus>>
export type RunStatusesMatchBack = Assert<Extends<Models.RunStatus, Instance.RunStatus>>
export type StatusesFit = Assert<Extends<Staleness.Status, Models.AssetStatus>>
export type StatesFit = Assert<Extends<AssetState.State, Models.AssetStatus>>
