/**
 * `stale:N`: materialize everything, compute every asset's staleness (all
 * fresh), re-materialize the root `a_0_0` alone with the same value (still
 * all fresh: same data version), then with a new value (exactly its
 * downstream cone is stale). The cone is derived from the workload's index
 * arithmetic, not from Strata's graph, and asserted key by key.
 *
 * `node stale.ts <N> [files|memory]`: storage defaults to files + SQLite.
 *
 * @since 0.1.0
 */
import type { Staleness as StalenessTypes } from "@strata/core"
import { Instance, Materialize, Project, Staleness } from "@strata/core"
import { Effect } from "effect"
import * as Runtime from "../runtime.ts"
import { argumentN, CheckFailed, expectEqual, main, peakRssMb, since } from "../script.ts"
import * as Workload from "../workload.ts"

const staleKeys = (statuses: ReadonlyArray<StalenessTypes.AssetStatus>): Array<string> => {
  const keys: Array<string> = []
  for (const status of statuses) {
    if (status.status === "missing") throw new CheckFailed(`${status.key} is missing after a full materialization`)
    if (status.status === "stale") keys.push(status.key)
  }
  return keys
}

main(async () => {
  const n = argumentN()
  const storage = (process.argv[3] ?? "files") as Runtime.Storage
  if (storage !== "files" && storage !== "memory") throw new RangeError(`storage must be files or memory, got ${storage}`)
  let rootValue = 1
  const project = Project.make({ assets: Workload.make(n, { rootValue: () => rootValue }) })
  const root = Workload.keyOf(0, 0)
  const cone = Workload.downstreamCone(n, 0)
  const bench = await Runtime.make(storage)
  const run = <A, E>(effect: Effect.Effect<A, E, Instance.Instance>) => bench.runtime.runPromise(effect)
  try {
    let start = performance.now()
    const full = await bench.runtime.runPromise(Materialize.materialize(project))
    const materialize_all_s = since(start)
    expectEqual("full run status", full.status, "succeeded")
    expectEqual("materialized assets", full.materialized.length, n)

    start = performance.now()
    const afterFull = staleKeys(await run(Staleness.status(project)))
    const stale_after_full_s = since(start)
    expectEqual("stale assets after a full materialization", afterFull.length, 0)

    const same = await bench.runtime.runPromise(Materialize.materialize(project, { selection: root }))
    expectEqual("same-value root run", same.materialized.join(), root)
    const afterSame = staleKeys(await run(Staleness.status(project)))
    expectEqual("stale assets after re-materializing the root with the same value", afterSame.length, 0)

    rootValue = 2
    start = performance.now()
    const changed = await bench.runtime.runPromise(Materialize.materialize(project, { selection: root }))
    const rematerialize_root_s = since(start)
    expectEqual("root run", changed.materialized.join(), root)

    start = performance.now()
    const afterRoot = staleKeys(await run(Staleness.status(project)))
    const stale_after_root_s = since(start)
    expectEqual("stale assets after re-materializing the root with new data", afterRoot.length, cone.size)
    for (const key of afterRoot) if (!cone.has(key)) throw new CheckFailed(`${key} is stale but not downstream of ${root}`)

    // the pure graph pass, without reading the asset index
    const records = await run(Effect.gen(function*() {
      const instance = yield* Instance.Instance
      return yield* instance.assets()
    }))
    start = performance.now()
    const computed = Staleness.compute(project, records)
    const stale_compute_s = since(start)
    expectEqual("stale assets computed from the index", staleKeys(computed).length, cone.size)

    return {
      n,
      materialize_all_s,
      stale_after_full_s,
      stale_after_full_count: afterFull.length,
      rematerialize_root_s,
      stale_after_root_s,
      stale_after_root_count: afterRoot.length,
      expected_cone: cone.size,
      stale_compute_s,
      peak_rss_mb: peakRssMb()
    }
  } finally {
    await bench.close()
  }
})
