import { Asset, Automation, AutomationCondition, InMemoryIO, Instance, Project } from "@strata/core"
import { Models } from "@strata/protocol"
import { Effect, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import { call } from "./helpers.ts"

const a = Asset.make("a", {}, () => Effect.succeed(1))
const b = Asset.make("b", { deps: { a } }, ({ a }) => Effect.succeed(a + 1))
const project = Project.make({
  assets: [a, b],
  automation: {
    conditions: { b: AutomationCondition.eager() },
    schedules: [Automation.schedule({ name: "hourly", cron: "0 * * * *", selection: "a" })],
    sensors: [Automation.sensor({ name: "raw_folder", minimumIntervalMs: 5_000, evaluate: () => Effect.succeed({}) })]
  }
})

describe("catalog automation API (real server, in-memory instance)", () => {
  let catalog: RunningCatalog
  beforeAll(async () => {
    catalog = await startCatalog({ load: () => Promise.resolve({ project, layer: InMemoryIO.layer }), instance: Instance.layerMemory })
  })
  afterAll(() => catalog.close())

  it("lists targets with the schedules' next ticks; toggles persist; unknown targets and assets are refused", async () => {
    const overview = Schema.decodeUnknownSync(Models.AutomationOverview)((await call(catalog.url, "/api/automation")).body)
    expect(overview.targets).toEqual([
      { target: "conditions", enabled: true },
      { target: "asset/b", enabled: true },
      { target: "schedule/hourly", enabled: true },
      { target: "sensor/raw_folder", enabled: true }
    ])
    expect(overview.sensors).toEqual([{ name: "raw_folder", kind: "sensor", minimumIntervalMs: 5_000 }])
    expect(overview.conditions).toEqual([{ key: "b", label: "eager" }])
    expect(overview.schedules[0]!.nextTicks).toHaveLength(5)
    expect(overview.schedules[0]!.nextTicks.every((tick) => tick % 3_600_000 === 0)).toBe(true)
    expect(overview.daemon).toBeUndefined()
    const toggled = await call(catalog.url, "/api/automation/toggle", { method: "POST", body: { target: "asset/b", enabled: false } })
    expect(toggled.status).toBe(200)
    expect(toggled.body.targets).toContainEqual({ target: "asset/b", enabled: false })
    const why = Schema.decodeUnknownSync(Models.AssetAutomation)((await call(catalog.url, "/api/automation/asset?key=b")).body)
    expect(why).toEqual({ key: "b", hasCondition: true, enabled: false, evaluations: [] })
    const unknown = await call(catalog.url, "/api/automation/toggle", { method: "POST", body: { target: "schedule/nope", enabled: false } })
    expect(unknown.status).toBe(400)
    expect(unknown.body.message).toContain("unknown automation target schedule/nope")
    expect((await call(catalog.url, "/api/automation/asset?key=zz")).status).toBe(404)
    expect(Schema.decodeUnknownSync(Models.AutomationTicks)((await call(catalog.url, "/api/automation/ticks?origin=schedule")).body)).toEqual({ ticks: [] })
  })
})
