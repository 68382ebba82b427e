import { join } from "node:path"
import { tmpdir } from "node:os"
import { InMemoryIO, Instance, IOManager, Materialize } from "@strata/core"
import { Models } from "@strata/protocol"
import { Effect, Fiber, Layer, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { startCatalog } from "../src/index.ts"
import { makeFixture } from "./fixture.ts"
import { call, until } from "./helpers.ts"

describe("catalog lifecycle", () => {
  it("cancels the runs still going when the server stops, and records it", async () => {
    const instance = Instance.makeMemory()
    const control = { failing: false, slowMs: 60_000, users: 0 }
    const catalog = await startCatalog({
      load: () => Promise.resolve({ project: makeFixture(control), layer: InMemoryIO.layer }),
      instance: Layer.succeed(Instance.Instance, instance),
      port: 0
    })
    const launched = await call(catalog.url, "/api/runs", { method: "POST", body: { selection: "*slow_export" } })
    const runId: string = launched.body.runId
    await until(async () => {
      const events = await Effect.runPromise(instance.runEvents(runId))
      return events.some((event) => event.type === "step-started" && event.assetKey === "slow_export") || undefined
    }, "slow_export to start")
    const started = Date.now()
    await catalog.close()
    expect(Date.now() - started).toBeLessThan(5_000)
    const run = await Effect.runPromise(instance.getRun(runId))
    expect(run!.status).toBe("canceled")
    await expect(fetch(`${catalog.url}/api/project`)).rejects.toThrow()
  })

  it("shows the assets of a run executed by another process as running, and cancels it through the instance", async () => {
    const instance = Instance.makeMemory()
    const control = { failing: false, slowMs: 0, users: 0 }
    const project = makeFixture(control)
    const catalog = await startCatalog({
      load: () => Promise.resolve({ project, layer: InMemoryIO.layer }),
      instance: Layer.succeed(Instance.Instance, instance),
      port: 0
    })
    try {
      // the "other process": the same project materialized outside the server, on the same instance
      const io = InMemoryIO.make()
      const first = await Effect.runPromise(
        Materialize.materialize(project, { selection: "*gold_user_metrics" }).pipe(
          Effect.provideService(IOManager.DefaultIO, io),
          Effect.provideService(Instance.Instance, instance)
        )
      )
      expect(first.status).toBe("succeeded")
      control.slowMs = 60_000
      const fiber = Effect.runFork(
        Materialize.materialize(project, { selection: "slow_export", runId: "other-process-run" }).pipe(
          Effect.provideService(IOManager.DefaultIO, io),
          Effect.provideService(Instance.Instance, instance)
        )
      )
      const running = await until(async () => {
        const assets = (await call(catalog.url, "/api/assets")).body.assets as Array<{ key: string; status: string }>
        return assets.find((asset) => asset.key === "slow_export" && asset.status === "running")
      }, "slow_export to show as running")
      expect(running.status).toBe("running")
      const run = await call(catalog.url, "/api/runs/other-process-run")
      expect(run.body.run.cancelable).toBe(true)
      const cancel = await call(catalog.url, "/api/runs/other-process-run/cancel", { method: "POST" })
      expect(cancel.status).toBe(200)
      const answer = Schema.decodeUnknownSync(Models.Canceled)(cancel.body)
      expect([answer.requested, answer.status]).toEqual([true, "started"])
      expect(answer.run.cancelReason).toMatch(new RegExp(`^canceled from the catalog \\(pid ${process.pid} on `))
      // the executing "process" sees the request and ends the run itself
      const result = await Effect.runPromise(Fiber.join(fiber))
      expect(result.status).toBe("canceled")
      const after = Schema.decodeUnknownSync(Models.RunDetail)((await call(catalog.url, "/api/runs/other-process-run")).body)
      expect([after.run.status, after.run.reason, after.run.cancelable]).toEqual(["canceled", answer.run.cancelReason, false])
      const assets = (await call(catalog.url, "/api/assets")).body.assets as Array<{ key: string; status: string }>
      expect(assets.find((asset) => asset.key === "slow_export")!.status).not.toBe("running")
      const again = await call(catalog.url, "/api/runs/other-process-run/cancel", { method: "POST" })
      expect(again.status).toBe(409)
      expect(again.body.message).toContain("already canceled")
      const unknown = await call(catalog.url, "/api/runs/no-such-run/cancel", { method: "POST" })
      expect(unknown.status).toBe(404)
    } finally {
      await catalog.close()
    }
  })

  it("answers 503 with instructions when the UI is not built, and still serves the API", async () => {
    const catalog = await startCatalog({
      load: () => Promise.resolve({ project: makeFixture({ failing: false, slowMs: 0, users: 0 }), layer: InMemoryIO.layer }),
      instance: Instance.layerMemory,
      uiDir: join(tmpdir(), "strata-no-such-ui"),
      port: 0
    })
    try {
      const page = await fetch(`${catalog.url}/`)
      expect(page.status).toBe(503)
      expect(await page.text()).toContain("build:ui")
      expect((await call(catalog.url, "/api/project")).status).toBe(200)
    } finally {
      await catalog.close()
    }
  })

  it("fails to start on a taken port, naming it", async () => {
    const first = await startCatalog({
      load: () => Promise.resolve({ project: makeFixture({ failing: false, slowMs: 0, users: 0 }), layer: InMemoryIO.layer }),
      instance: Instance.layerMemory,
      port: 0
    })
    try {
      await expect(startCatalog({
        load: () => Promise.resolve({ project: makeFixture({ failing: false, slowMs: 0, users: 0 }), layer: InMemoryIO.layer }),
        instance: Instance.layerMemory,
        port: first.port
      })).rejects.toThrow(`cannot listen on 127.0.0.1:${first.port}: port ${first.port} is already in use`)
    } finally {
      await first.close()
    }
  })
})
