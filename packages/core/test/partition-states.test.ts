import { describe, expect, it } from "@effect/vitest"
import { PartitionStates, Partitions } from "../src/index.ts"
import type { Instance } from "../src/index.ts"

const space = Partitions.resolve(Partitions.staticKeys(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]), { now: 0 })
const status = (fields: Partial<Omit<Instance.PartitionStatus, "fingerprint">>, fingerprint = Partitions.fingerprint(space.definition)): Instance.PartitionStatus =>
  ({ fingerprint, materialized: [], failed: [], inProgress: [], ...fields }) as unknown as Instance.PartitionStatus

describe("PartitionStates", () => {
  it("splits an asset's partitions into disjoint states: in progress over failed over materialized", () => {
    // materialized 0–6, failed 5–8 (5–6 failed after materializing), 6 running again
    const states = PartitionStates.statesOf(space, status({ materialized: [[0, 7]], failed: [[5, 9]], inProgress: [[6, 7]] }))
    expect(states).toEqual({ materialized: [[0, 5]], stale: [], failed: [[5, 6], [7, 9]], inProgress: [[6, 7]], missing: [[9, 10]] })
    expect(PartitionStates.counts(states)).toEqual({ total: 10, materialized: 5, stale: 0, failed: 3, inProgress: 1, missing: 1 })
  })

  it("counts a status recorded under another partitions definition as missing", () => {
    const states = PartitionStates.statesOf(space, status({ materialized: [[0, 10]] }, "an older definition"))
    expect(PartitionStates.counts(states)).toMatchObject({ materialized: 0, missing: 10 })
  })

  it("moves stale partitions out of the materialized ones, never out of failed or missing ones", () => {
    const states = PartitionStates.withStale(PartitionStates.statesOf(space, status({ materialized: [[0, 6]], failed: [[6, 8]] })), [[4, 9]])
    expect(states).toMatchObject({ materialized: [[0, 4]], stale: [[4, 6]], failed: [[6, 8]], missing: [[8, 10]] })
  })

  it("combines assets: materialized only where all are, stale where any is, failed and in progress where any is", () => {
    const a = PartitionStates.withStale(PartitionStates.statesOf(space, status({ materialized: [[0, 8]] })), [[1, 2]])
    const b = PartitionStates.statesOf(space, status({ materialized: [[0, 6]], inProgress: [[6, 7]] }))
    const combined = PartitionStates.combine([a, b], space.all)
    expect(combined).toEqual({ materialized: [[0, 1], [2, 6]], stale: [[1, 2]], failed: [], inProgress: [[6, 7]], missing: [[7, 10]] })
  })

  it("counts a rebuild: what its runs wrote is materialized, the rest of the materialized is still to rebuild", () => {
    const states = PartitionStates.statesOf(space, status({ materialized: [[0, 10]] }))
    expect(PartitionStates.counts(PartitionStates.rebuilding(states, [[0, 3]]))).toMatchObject({ materialized: 3, stale: 7, missing: 0 })
    // a rebuilt partition that is stale now stays stale
    const staleNow = PartitionStates.withStale(states, [[1, 2]])
    expect(PartitionStates.rebuilding(staleNow, [[0, 3]])).toMatchObject({ materialized: [[0, 1], [2, 3]], stale: [[1, 2], [3, 10]] })
  })
})
