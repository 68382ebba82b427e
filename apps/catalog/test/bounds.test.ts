/**
 * What one request may cost the catalog, over real HTTP on a random port:
 * pathological selections, oversized URLs and bodies, forged `Host` headers
 * (DNS rebinding) and defects each get a bounded, explained answer, and the
 * server keeps answering others.
 */
import { request } from "node:http"
import { fileURLToPath } from "node:url"
import { Errors } from "@strata/protocol"
import { Instance } from "@strata/core"
import { TestProcess } from "@strata/core/testing"
import { Effect, Layer, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import * as HostCheck from "../src/internal/hostCheck.ts"
import { fixtureOptions } from "./fixture.ts"

interface Answer {
  readonly status: number
  readonly type: string | undefined
  readonly body: string
}

/** One request on its own connection (so a refused one cannot poison the next), with any `Host` header. */
const send = (
  port: number,
  path: string,
  init: { readonly method?: string; readonly host?: string; readonly body?: string; readonly timeoutMs?: number } = {}
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const headers: Record<string, string> = {}
    if (init.host !== undefined) headers.host = init.host
    if (init.body !== undefined) headers["content-type"] = "application/json"
    const outgoing = request(
      { agent: false, host: "127.0.0.1", port, path, method: init.method ?? "GET", headers, timeout: init.timeoutMs ?? 20_000 },
      (response) => {
        let body = ""
        response.setEncoding("utf8")
        response.on("data", (chunk: string) => body += chunk)
        response.on("end", () => resolve({ status: response.statusCode!, type: response.headers["content-type"], body }))
      }
    )
    outgoing.on("timeout", () => outgoing.destroy(new Error(`${path}: no answer in ${init.timeoutMs ?? 20_000} ms`)))
    outgoing.on("error", reject)
    if (init.body !== undefined) outgoing.write(init.body)
    outgoing.end()
  })

const decodeBadSelection = Schema.decodeUnknownSync(Errors.BadSelection)
const decodeInvalidRequest = Schema.decodeUnknownSync(Errors.InvalidRequest)

describe("a pathological selection over 50,000 assets", () => {
  // The server runs in a child process: were its event loop blocked (as it was), this test's own timers still
  // fire, so it fails with "no answer" instead of hanging with the server.
  let server: TestProcess.Started
  let port: number
  beforeAll(async () => {
    server = await TestProcess.start(
      process.execPath,
      ["--conditions=@strata/source", fileURLToPath(new URL("serveBig.ts", import.meta.url)), "50000"],
      () => true
    )
    port = Number(new URL(server.readyLine).port)
  })
  afterAll(() => {
    TestProcess.kill(server.child)
  })

  it("is answered at once, and the server answers other requests meanwhile", async () => {
    // `key:************Z` was a RegExp `^.*.*…Z$`, which backtracks through every way of splitting a key among
    // 12 stars: about 0.3 s for one of these 19-character keys, so hours for 50,000, with the event loop blocked
    // (and SIGINT ignored). The 20 s per request below is then a bound the old code could never meet, and ample
    // for the linear matcher (a few ms) on a loaded machine.
    const pathological = send(port, `/api/selection?selection=${encodeURIComponent("key:************Z")}`)
    const health = send(port, "/api/project")
    const [selected, project] = await Promise.all([pathological, health])
    expect(project.status).toBe(200)
    expect(JSON.parse(project.body).assetCount).toBe(50_000)
    expect(selected.status).toBe(400)
    expect(decodeBadSelection(JSON.parse(selected.body)).problem).toBe("no asset key matches '************Z'")
    // a pattern that does match, over the same keys
    const matching = await send(port, `/api/selection?selection=${encodeURIComponent("key:layer19/*_4999*")}`)
    expect([...JSON.parse(matching.body).keys].sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `layer19/asset_4999${i}`)
    )
  })
})

describe("request bounds (fixture project)", () => {
  let catalog: RunningCatalog
  beforeAll(async () => {
    const broken = Layer.effect(
      Instance.Instance,
      Effect.map(Effect.service(Instance.Instance), (inner) => ({
        ...inner,
        listRuns: () => Effect.die(new Error("the run table is on fire")),
        listRunSummaries: () => Effect.die(new Error("the run table is on fire"))
      }))
    ).pipe(Layer.provide(Instance.layerMemory))
    catalog = await startCatalog({
      ...fixtureOptions({ failing: false, slowMs: 0, users: 0 }),
      instance: broken,
      allowedHosts: ["catalog.internal.example"]
    })
  })
  afterAll(() => catalog.close())

  it("answers 2,000 nested '(' or 'not' with a 400 pointing at the 101st level", async () => {
    for (const [open, close] of [["(", ")"], ["not ", ""]] as const) {
      const selection = open.repeat(2_000) + "raw_users" + close.repeat(2_000)
      const viaQuery = await send(catalog.port, `/api/selection?selection=${encodeURIComponent(selection)}`)
      const viaLaunch = await send(catalog.port, "/api/runs", { method: "POST", body: JSON.stringify({ selection }) })
      for (const answer of [viaQuery, viaLaunch]) {
        expect(answer.status).toBe(400)
        const error = decodeBadSelection(JSON.parse(answer.body))
        expect(error.position).toBe(open.length * 100)
        expect(error.problem).toContain("nests deeper than 100 levels")
        expect(answer.body.length).toBeLessThan(1_000)
      }
    }
  })

  it("refuses a 20 MB body with a 413 naming the limit, and echoes a window of a long selection", async () => {
    const huge = await send(catalog.port, "/api/runs", {
      method: "POST",
      body: JSON.stringify({ selection: "group:" + "x".repeat(20_000_000) })
    })
    expect(huge.status).toBe(413)
    expect(decodeInvalidRequest(JSON.parse(huge.body)).message).toContain("larger than 1048576 bytes")
    // within the body limit but over the selection's: a bounded 400
    const long = await send(catalog.port, "/api/runs", {
      method: "POST",
      body: JSON.stringify({ selection: "raw_users, ".repeat(50_000) })
    })
    expect(long.status).toBe(400)
    expect(decodeBadSelection(JSON.parse(long.body)).problem).toBe(
      "the selection is 550000 characters long; at most 100000 are accepted"
    )
    expect(long.body.length).toBeLessThan(1_000)
  })

  it("refuses a URL over 16 KB with a 431 that says so", async () => {
    const answer = await send(catalog.port, `/api/selection?selection=${"a".repeat(20_000)}`)
    expect(answer.status).toBe(431)
    expect(answer.body).toContain("limited to 16384 bytes")
  })

  it("refuses forged Host headers with a 421, for the API and the UI, and serves the names it is under", async () => {
    const port = catalog.port
    for (const host of [`evil.example:${port}`, "evil.example", `127.0.0.1.evil.example:${port}`, "localhost:1"]) {
      for (const path of ["/api/project", "/", "/api/runs"]) {
        const answer = await send(port, path, { host })
        expect(answer.status, `${host} ${path}`).toBe(421)
        expect(answer.body).toContain("DNS rebinding")
        expect(answer.body).toContain(`http://127.0.0.1:${port}/`)
      }
      // a launch under a forged name does not start a run
      const launch = await send(port, "/api/runs", { method: "POST", host, body: JSON.stringify({ selection: "*" }) })
      expect(launch.status).toBe(421)
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, "catalog.internal.example:443"]) {
      expect((await send(port, "/api/project", { host })).status, host).toBe(200)
    }
    expect((await send(port, "/", { host: `localhost:${port}` })).type).toContain("text/html")
  })

  it("answers a defect with a 500 and a JSON body instead of an empty one", async () => {
    const answer = await send(catalog.port, "/api/runs")
    expect(answer.status).toBe(500)
    expect(JSON.parse(answer.body)).toEqual({
      _tag: "@strata/catalog/InternalError",
      message: expect.stringContaining("internal error: the run table is on fire")
    })
  })
})

describe("HostCheck rules", () => {
  it("needs the port with the served names, accepts extra names on any port, and refuses a missing Host", () => {
    const rule = HostCheck.makeRule("127.0.0.1", 3000, ["Proxy.Example"])
    expect(HostCheck.allows(rule, "127.0.0.1:3000")).toBe(true)
    expect(HostCheck.allows(rule, "127.0.0.1")).toBe(false)
    expect(HostCheck.allows(rule, "proxy.example")).toBe(true)
    expect(HostCheck.allows(rule, undefined)).toBe(false)
    expect(HostCheck.allows(rule, "")).toBe(false)
    expect(HostCheck.allows(HostCheck.makeRule("127.0.0.1", 80), "localhost")).toBe(true)
  })

  it("serves the bound address, and this machine's addresses when bound to all interfaces", () => {
    expect(HostCheck.allows(HostCheck.makeRule("::1", 3000), "[::1]:3000")).toBe(true)
    expect(HostCheck.allows(HostCheck.makeRule("10.1.2.3", 3000), "10.1.2.3:3000")).toBe(true)
    expect(HostCheck.allows(HostCheck.makeRule("10.1.2.3", 3000), "10.9.9.9:3000")).toBe(false)
    const all = HostCheck.makeRule("0.0.0.0", 3000)
    expect(HostCheck.allows(all, "0.0.0.0:3000")).toBe(true)
    expect(HostCheck.allows(all, "127.0.0.1:3000")).toBe(true)
    expect(HostCheck.allows(all, "rebound.evil.example:3000")).toBe(false)
  })
})
