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
  for (let round = 0; round < 11; round++) {
    let start = performance.now()
    const staleness = Staleness.computePartitions(project, { versions, records: new Map(), assetStatus: () => undefined, resolution })
    stalenessTimes.push(performance.now() - start)
    const cpu = process.cpuUsage()
    start = performance.now()
    output = AutomationEvaluation.evaluate({
      project,
      now,
      previousCursor: 9_000,
      cursor: 10_000,
      records: new Map(),
      statuses: new Map(),
      states,
      inProgress: new Set(),
      runId: "bench",
      partitions: { resolution, versions, staleness, runs: new Map() }
    })
    evalTimes.push(performance.now() - start)
    const used = process.cpuUsage(cpu)
    evalCpu.push((used.user + used.system) / 1000)
  }
  expectEqual("requested", output!.requested.join(","), "users_0")
  expectEqual("partitions", output!.partitions.get("users_0")?.selection, "1975-04-14...1975-05-13")
  return {
    n: pairs * 2,
    partitions_per_asset: Partitions.Ranges.count(Partitions.resolve(daily, resolution).all),
    segments_per_asset: 1_000,
    staleness_ms: round(median(stalenessTimes), 3),
    eval_ms: round(median(evalTimes), 3),
    eval_cpu_ms: round(median(evalCpu), 3),
    peak_rss_mb: peakRssMb()
  }
})
