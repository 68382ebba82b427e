/**
 * Per-partition staleness on the lakehouse's partitioned chain
 * (events.config.ts), with the real CLI and scripts in a temporary copy: a
 * rewritten past day's drop is found by observing the partitioned source
 * `event_drops` (`strata status` observes it) and makes exactly that day of
 * raw_events and daily_active_users and the week of weekly_retention holding
 * it stale, with the reason; `materialize --stale-only` rebuilds exactly those.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { eventsOf } from "../src/events.ts"
import { cliSource, example, runNode } from "./support.ts"

interface PartitionBlock {
  readonly key: string
  readonly materialized: number
  readonly stale: number
  readonly staleText: string
  readonly staleReasons: ReadonlyArray<{ reason: unknown; partitions: string; count: number; description: string }>
}

describe("the lakehouse's partitioned chain after a past day's drop is rewritten", () => {
  let dir: string
  const strata = (...args: Array<string>) => runNode([cliSource, ...args, "-f", "events.config.ts"], dir)
  const changeDay = (...args: Array<string>) => runNode(["scripts/change-day.ts", ...args], dir)
  const status = async (): Promise<Map<string, PartitionBlock>> => {
    const ran = await strata("status", "--json")
    expect(ran.code, ran.stderr).toBe(0)
    return new Map((JSON.parse(ran.stdout).partitions as Array<PartitionBlock>).map((block) => [block.key, block]))
  }
  const ingest = async (day: string) => {
    const ran = await strata("materialize", "--select", "raw_events", "--partition", day)
    expect(ran.code, ran.stderr).toBe(0)
  }
  const storage = (asset: string, key: string) =>
    JSON.parse(fs.readFileSync(path.join(dir, ".strata", "storage", asset, `@${key}.json`), "utf8"))

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-change-day-"))
    for (const entry of ["events.config.ts", "package.json", "src", "scripts"]) {
      fs.cpSync(path.join(example, entry), path.join(dir, entry), { recursive: true })
    }
    fs.symlinkSync(path.join(example, "node_modules"), path.join(dir, "node_modules"), "dir")
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it("status observes the drops and names exactly the stale partitions and why; --stale-only rebuilds exactly those", async () => {
    // a single-run build of the fortnight: each day is still recorded with its own data version
    const first = await strata("backfill", "--select", "*", "--partitions", "2024-01-01...2024-01-14", "--policy", "single-run")
    expect(first.code, first.stderr).toBe(0)
    for (const block of (await status()).values()) expect([block.key, block.stale]).toEqual([block.key, 0])

    // a drop rewritten with the same events (seed 1): the observation finds the same version, nothing becomes stale
    expect((await changeDay("--rewrite", "2024-01-05", "--seed", "1")).code).toBe(0)
    for (const block of (await status()).values()) expect([block.key, block.stale]).toEqual([block.key, 0])
    // re-ingesting that one day of the single-run build alone gives its bytes again: still nothing stale
    await ingest("2024-01-05")
    for (const block of (await status()).values()) expect([block.key, block.stale]).toEqual([block.key, 0])

    // 2024-01-03's drop rewritten with other events: `strata status` observes event_drops and finds it, nothing ingested
    const rewrite = await changeDay("--rewrite", "2024-01-03")
    expect(rewrite.code, rewrite.stderr).toBe(0)
    expect(rewrite.stdout).toContain("rewrote data/events/2024-01-03.json: 2000 events of 2024-01-03 (seed 2)")
    expect(JSON.parse(fs.readFileSync(path.join(dir, "data", "events", "2024-01-03.json"), "utf8"))).toEqual(eventsOf("2024-01-03", 2))

    const after = await status()
    expect(after.get("raw_events")).toMatchObject({ materialized: 14, stale: 1, staleText: "2024-01-03" })
    expect(after.get("raw_events")!.staleReasons).toEqual([
      expect.objectContaining({ reason: { type: "upstream-updated", upstream: "event_drops" }, partitions: "2024-01-03", count: 1 })
    ])
    expect(after.get("daily_active_users")).toMatchObject({ materialized: 14, stale: 1, staleText: "2024-01-03" })
    expect(after.get("daily_active_users")!.staleReasons).toEqual([
      expect.objectContaining({ reason: { type: "upstream-stale", upstream: "raw_events" }, partitions: "2024-01-03", count: 1 })
    ])
    expect(after.get("weekly_retention")).toMatchObject({ materialized: 2, stale: 1, staleText: "2024-01-01" })
    const text = await strata("status")
    expect(text.stdout).toContain("stale: 2024-01-03 (upstream event_drops has new data)")

    // --stale-only over the two weeks: exactly the day and the week are rebuilt
    const rebuild = await strata("materialize", "--select", "*", "--stale-only", "--partitions", "2024-01-01...2024-01-14", "--json")
    expect(rebuild.code, rebuild.stderr).toBe(0)
    const summary = JSON.parse(rebuild.stdout)
    expect(summary.materialized).toEqual(["raw_events", "daily_active_users", "weekly_retention"])
    const shown = await strata("runs", "show", summary.runId, "--json")
    expect(shown.code, shown.stderr).toBe(0)
    const built = (JSON.parse(shown.stdout).events as Array<{ type: string; assetKey: string; partition: string }>)
      .filter((event) => event.type === "asset-materialized")
      .map((event) => [event.assetKey, event.partition])
    expect(built).toEqual([["raw_events", "2024-01-03"], ["daily_active_users", "2024-01-03"], ["weekly_retention", "2024-01-01"]])
    const users = new Set(eventsOf("2024-01-03", 2).map((event) => event.userId)).size
    expect(storage("daily_active_users", "2024-01-03")).toEqual([{ day: "2024-01-03", activeUsers: users }])
    expect(users).not.toBe(new Set(eventsOf("2024-01-03").map((event) => event.userId)).size)
    for (const block of (await status()).values()) expect([block.key, block.stale]).toEqual([block.key, 0])

    // a new day's drop lands after the latest day Strata holds
    const add = await changeDay("--add")
    expect(add.code, add.stderr).toBe(0)
    expect(add.stdout).toContain("added data/events/2024-01-15.json: 2000 events of 2024-01-15 (seed 1)")
    const bad = await changeDay("--rewrite", "2024-02-30")
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(`--rewrite: "2024-02-30" is not a day of raw_events`)
  }, 300_000) // ten CLI processes
})
