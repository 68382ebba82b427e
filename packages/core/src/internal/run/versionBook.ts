/**
 * What a run knows of data versions: the current version of each upstream it
 * reads (from the asset index at the start, then from its own steps' events),
 * and, for `staleOnly` runs, the previous records of the assets it plans.
 */
import type { StrataEvent } from "../../Event.ts"
import type { AssetRecord, InstanceError, InstanceShape } from "../../Instance.ts"
import type { ExecutionPlan } from "../../ExecutionPlan.ts"
import type { Project } from "../../Project.ts"
import * as Staleness from "../../Staleness.ts"
import { Effect } from "effect"

const isCheck = (step: ExecutionPlan["steps"][number]): boolean => step.stepKind === "check"

export class VersionBook {
  private readonly versions = new Map<string, string>()
  readonly records: ReadonlyMap<string, AssetRecord>

  constructor(records: ReadonlyMap<string, AssetRecord>) {
    this.records = records
    for (const [key, record] of records) {
      const version = Staleness.currentVersion(record)
      if (version !== undefined) this.versions.set(key, version)
    }
  }

  /**
   * Reads what the run needs from the asset index: the current versions of the
   * upstreams it does not rebuild itself. A planned upstream's version is set
   * by this run before any downstream reads it (a downstream runs only after
   * its upstreams succeeded), so only `staleOnly` runs, which compare planned
   * assets with their previous materializations, read the planned ones too.
   * Reading all of them made re-running a 10k-asset project decode 10k records.
   */
  static read = (
    instance: InstanceShape,
    project: Project<unknown>,
    plan: ExecutionPlan
  ): Effect.Effect<VersionBook, InstanceError> => {
    const graph = project.graph
    const steps = plan.steps
    // every node planned (one step per node, none a check's): no upstream outside the plan, nothing to read
    // unless the plan is stale-only (and no pass over the steps, which V8 compiles on the stack in a large plan)
    if (!plan.staleOnly && steps.length === graph.nodes.length && !steps.some(isCheck)) return Effect.succeed(new VersionBook(new Map()))
    const planned = new Uint8Array(graph.nodes.length)
    // each step's node, looked up once
    const nodeOf = new Int32Array(steps.length)
    for (let p = 0; p < steps.length; p++) planned[nodeOf[p] = graph.index.get(steps[p]!.key)!] = 1
    const wanted = new Set<string>()
    for (let p = 0; p < steps.length; p++) {
      if (plan.staleOnly) wanted.add(steps[p]!.key)
      const upstream = graph.upstream[nodeOf[p]!]!
      for (let k = 0; k < upstream.length; k++) {
        if (plan.staleOnly || planned[upstream[k]!] === 0) wanted.add(graph.nodes[upstream[k]!]!.key)
      }
    }
    if (wanted.size === 0) return Effect.succeed(new VersionBook(new Map()))
    return Effect.map(instance.assets([...wanted]), (records) => new VersionBook(records))
  }

  get(key: string): string | undefined {
    return this.versions.get(key)
  }

  /** Learns the versions the run's own steps record. */
  record(event: StrataEvent): void {
    if (event.type === "asset-materialized" || event.type === "asset-observed") this.versions.set(event.assetKey, event.dataVersion)
  }

  /** The known versions of these upstreams (a missing one is absent: the step fails on it). */
  inputsOf(upstreamKeys: ReadonlyArray<string>): Record<string, string> {
    // a dictionary-mode object: keyed by asset keys, a plain literal would make V8 build a hidden class
    // per distinct key set (thousands in a large graph), which cost more than the step's bookkeeping
    const inputs: Record<string, string> = Object.create(null)
    // indexed loops on the per-step path: `for...of` allocates an iterator result per element until V8 optimizes it
    for (let i = 0; i < upstreamKeys.length; i++) {
      const version = this.versions.get(upstreamKeys[i]!)
      if (version !== undefined) inputs[upstreamKeys[i]!] = version
    }
    return inputs
  }
}
