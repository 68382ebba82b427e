/**
 * The typed client derived from the protocol's `CatalogApi` (what the CLI
 * uses) against a real server: requests encode, responses and typed errors
 * decode, the SSE endpoint streams decoded events.
 */
import { renameSync, writeFileSync } from "node:fs"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { InMemoryIO } from "@strata/core"
import { CatalogApi } from "@strata/protocol"
import { Effect, Stream } from "effect"
import { FetchHttpClient } from "effect/http"
import { HttpApiClient } from "effect/http-api"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningCatalog } from "../src/index.ts"
import { startCatalog } from "../src/index.ts"
import { fixtureOptions, makeFixture } from "./fixture.ts"
import { until } from "./helpers.ts"

describe("typed client and file watching", () => {
  let catalog: RunningCatalog
  let dir: string
  let config: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "strata-catalog-"))
    config = join(dir, "strata.config.ts")
    await writeFile(config, "export default {}\n")
    const control = { failing: false, slowMs: 0, users: 0 }
    // `load` may be an Effect as well as a Promise
    catalog = await startCatalog({
      ...fixtureOptions(control),
      load: () => Effect.succeed({ project: makeFixture(control), layer: InMemoryIO.layer }),
      watch: [config]
    })
  })
  afterAll(async () => {
    await catalog.close()
    await rm(dir, { recursive: true, force: true })
  })

  const withClient = <A, E>(use: (client: HttpApiClient.ForApi<typeof CatalogApi>) => Effect.Effect<A, E>) =>
    Effect.runPromise(
      HttpApiClient.make(CatalogApi, { baseUrl: catalog.url }).pipe(
        Effect.flatMap(use),
        Effect.provide(FetchHttpClient.layer)
      )
    )

  it("launches a run and follows its events through the typed client", async () => {
    const types = await withClient((client) =>
      Effect.gen(function*() {
        const launched = yield* client.runs.launch({ payload: { selection: "+silver/users" } })
        expect(launched.assetKeys).toEqual(["raw_users", "silver/users"])
        const events = yield* client.runs.events({ params: { runId: launched.runId }, query: {} })
        return yield* Stream.runCollect(Stream.map(events, (event) => event.type))
      })
    )
    expect(types[0]).toBe("run-started")
    expect(types.at(-1)).toBe("run-succeeded")
    expect(types.filter((type) => type === "asset-materialized")).toHaveLength(2)
  })

  it("fails with the protocol's typed errors", async () => {
    const error = await withClient((client) =>
      client.assets.get({ query: { key: "silver/user" } }).pipe(Effect.flip)
    )
    expect(error._tag).toBe("@strata/protocol/AssetNotFound")
    expect(error._tag === "@strata/protocol/AssetNotFound" && error.suggestions).toEqual(["silver/users"])
    const bad = await withClient((client) => client.runs.launch({ payload: { selection: "+" } }).pipe(Effect.flip))
    expect(bad._tag).toBe("@strata/protocol/BadSelection")
  })

  it("reloads the project when a watched file changes", async () => {
    const before = await withClient((client) => client.project.info())
    writeFileSync(config, "export default { changed: true }\n")
    const after = await until(async () => {
      const info = await withClient((client) => client.project.info())
      return info.generation > before.generation ? info : undefined
    }, "the watched file to trigger a reload")
    expect(after.generation).toBe(before.generation + 1)
    // saved the way many editors do, twice: a new file renamed over the old one (a watch on the
    // replaced file itself would see the first such save and miss the second)
    let generation = after.generation
    for (const version of [2, 3]) {
      writeFileSync(`${config}.tmp`, `export default { changed: ${version} }\n`)
      renameSync(`${config}.tmp`, config)
      const again = await until(async () => {
        const info = await withClient((client) => client.project.info())
        return info.generation > generation ? info : undefined
      }, `atomic save ${version} to trigger a reload`)
      generation = again.generation
    }
  })
})
