/**
 * `autopart:N`: per-partition automation cost. N/2 pairs `events_i -> users_i`
 * (`users_i` eager), daily partitions since 1926 (about 36,900 each), each
 * asset with 1,000 materialized stretches of 30 days (its partition versions,
 * built as the instance returns them); one stretch of `events_0` got new data
 * after the daemon started watching. Measures, from data already read:
 * - `staleness_ms`: `Staleness.computePartitions` over all assets (what
 *   `AutomationEvaluation.read` computes each tick a partitioned asset is a
 *   candidate), median of 11;
 * - `eval_ms` / `eval_cpu_ms`: `AutomationEvaluation.evaluate` of every
 *   condition per partition, with its explanations, median of 11;
 * - `tick_staleness_ms` / `tick_eval_ms` / `tick_cpu_ms`: the daemon's tick
 *   after that change: the candidate `users_0` only (its ancestors' staleness,
 *   `AutomationEvaluation.ancestors`), median of 11;
 * - `steady_eval_ms` / `steady_eval_cpu_ms`: evaluating every condition again
 *   with the previous outcomes (what a tick explains: only requested or changed
 *   outcomes), median of 11;
 * and checks that exactly `users_0` is requested, for exactly that stretch.
 *
 * @since 0.1.0
 */
import type { Instance } from "@strata/core"
import { Asset, AutomationCondition, AutomationEvaluation, Partitions, Project, Staleness, Version } from "@strata/core"
import { Effect } from "effect"
import { argumentN, expectEqual, main, peakRssMb, round } from "../script.ts"

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

main(async () => {
  const pairs = Math.max(1, Math.floor(argumentN() / 2))
  const daily = Partitions.daily({ start: "1926-01-01" })
  const now = Date.parse("2026-12-01T12:00:00Z")
  const assets = []
  const conditions: Record<string, AutomationCondition.Condition> = {}
  for (let i = 0; i < pairs; i++) {
    const events = Asset.make(`events_${i}`, { partitions: daily }, () => Effect.succeed(1))
    const users = Asset.make(`users_${i}`, { deps: { events }, partitions: daily }, ({ events }) => Effect.succeed(events))
    assets.push(events, users)
    conditions[`users_${i}`] = AutomationCondition.eager()
  }
  const project = Project.make({ assets, automation: { conditions } })
  const fingerprint = Partitions.fingerprint(daily)
  const versions = new Map<string, Instance.PartitionVersions>()
  for (const node of project.graph.nodes) {
    const code = Version.ofAsset(node as Parameters<typeof Version.ofAsset>[0])
    const upstream = node.key.startsWith("events_")
    const segments = Array.from({ length: 1_000 }, (_, j): Instance.PartitionVersion => ({
      start: j * 36,
      end: j * 36 + 30,
      eventId: upstream ? j + 1 : 5_000 + j,
      // one stretch of events_0 changed data after the daemon's first evaluation (event 9,000)
      changedAt: upstream ? (node.key === "events_0" && j === 500 ? 10_000 : j + 1) : 5_000 + j,
      runId: "r",
      codeVersion: code,
      dataVersion: "d",
      inputVersions: {}
    }))
    versions.set(node.key, { assetKey: node.key, fingerprint, segments })
  }
  const resolution = { now }
  const states = new Map(Object.keys(conditions).map((key) => [key, { partitionsSince: 9_000 }] as const))
  const stalenessTimes: Array<number> = []
  const evalTimes: Array<number> = []
  const evalCpu: Array<number> = []
  let output: AutomationEvaluation.Output | undefined
  const base = {
    project,
    now,
    previousCursor: 9_000,
    cursor: 10_000,
    records: new Map(),
    statuses: new Map(),
    states,
    inProgress: new Set<string>(),
    runId: "bench"
  }
  for (let round = 0; round < 11; round++) {
    let start = performance.now()
    const staleness = Staleness.computePartitions(project, { versions, records: new Map(), assetStatus: () => undefined, resolution })
    stalenessTimes.push(performance.now() - start)
    const cpu = process.cpuUsage()
    start = performance.now()
    output = AutomationEvaluation.evaluate({
      ...base,
      partitions: { resolution, versions, staleness, runs: new Map() }
    })
    evalTimes.push(performance.now() - start)
    const used = process.cpuUsage(cpu)
    evalCpu.push((used.user + used.system) / 1000)
  }
  // the daemon's tick after the change: candidate users_0, its ancestors read
  const only = AutomationEvaluation.ancestors(project, ["users_0"])
  const onlyVersions = new Map(only.map((i) => project.graph.nodes[i]!.key).map((key) => [key, versions.get(key)] as const))
  const tickStaleness: Array<number> = []
  const tickEval: Array<number> = []
  const tickCpu: Array<number> = []
  let tick: AutomationEvaluation.Output | undefined
  for (let round = 0; round < 11; round++) {
    const cpu = process.cpuUsage()
    let start = performance.now()
    const staleness = Staleness.computePartitions(project, { versions: onlyVersions, records: new Map(), assetStatus: () => undefined, resolution, only })
    tickStaleness.push(performance.now() - start)
    start = performance.now()
    tick = AutomationEvaluation.evaluate({
      ...base,
      candidates: ["users_0"],
      partitions: { resolution, versions: onlyVersions, staleness, runs: new Map() }
    })
    tickEval.push(performance.now() - start)
    const used = process.cpuUsage(cpu)
    tickCpu.push((used.user + used.system) / 1000)
  }
  // every condition again, with the previous outcomes: only requested or changed outcomes are explained
  const staleness = Staleness.computePartitions(project, { versions, records: new Map(), assetStatus: () => undefined, resolution })
  const steadyTimes: Array<number> = []
  const steadyCpu: Array<number> = []
  let steady: AutomationEvaluation.Output | undefined
  for (let round = 0; round < 11; round++) {
    const cpu = process.cpuUsage()
    const start = performance.now()
    steady = AutomationEvaluation.evaluate({
      ...base,
      previous: output!.outcomes,
      partitions: { resolution, versions, staleness, runs: new Map() }
    })
    steadyTimes.push(performance.now() - start)
    const used = process.cpuUsage(cpu)
    steadyCpu.push((used.user + used.system) / 1000)
  }
  for (const [name, out] of [["full", output!], ["tick", tick!], ["steady", steady!]] as const) {
    expectEqual(`${name} requested`, out.requested.join(","), "users_0")
    expectEqual(`${name} partitions`, out.partitions.get("users_0")?.selection, "1975-04-14...1975-05-13")
  }
  expectEqual("tick explained", tick!.evaluations.map((e) => e.assetKey).join(","), "users_0")
  expectEqual("steady explained", steady!.evaluations.map((e) => e.assetKey).join(","), "users_0")
  expectEqual(
    "explanations",
    JSON.stringify(steady!.evaluations),
    JSON.stringify(output!.evaluations.filter((e) => e.assetKey === "users_0"))
  )
  expectEqual("requested", output!.requested.join(","), "users_0")
  expectEqual("partitions", output!.partitions.get("users_0")?.selection, "1975-04-14...1975-05-13")
  return {
    n: pairs * 2,
    partitions_per_asset: Partitions.Ranges.count(Partitions.resolve(daily, resolution).all),
    segments_per_asset: 1_000,
    staleness_ms: round(median(stalenessTimes), 3),
    eval_ms: round(median(evalTimes), 3),
    eval_cpu_ms: round(median(evalCpu), 3),
    tick_staleness_ms: round(median(tickStaleness), 3),
    tick_eval_ms: round(median(tickEval), 3),
    tick_cpu_ms: round(median(tickCpu), 3),
    steady_eval_ms: round(median(steadyTimes), 3),
    steady_eval_cpu_ms: round(median(steadyCpu), 3),
    peak_rss_mb: peakRssMb()
  }
})
