/**
 * Answers of `GET /api/assets/page`, kept as JSON bytes per statuses version:
 * the same page asked again while no event was appended (the table's first
 * screen, a typeahead prefix typed again, every open tab polling) is written
 * out from memory, with no search, no Schema encoding and no JSON of the
 * rows. A new event, run or reload is a new version and empties the cache.
 */
import { Models } from "@strata/protocol"
import { Effect, Schema } from "effect"
import { HttpServerResponse } from "effect/http"
import type { Engine } from "./engine.ts"

/** Distinct queries kept per version; past it the oldest goes (typeahead makes many one-off queries). */
export const maxEntries = 512

const encode = Schema.encodeSync(Models.AssetPage)

export interface PageCache {
  version: string
  readonly entries: Map<string, Uint8Array>
}

export const make = (): PageCache => ({ version: "", entries: new Map() })

/** The page for `query` as a response, from the cache when the statuses version is the one it was made for. */
export const answer = (
  cache: PageCache,
  engine: Engine,
  query: Parameters<Engine["assetPage"]>[0]
) =>
  Effect.gen(function*() {
    const version = yield* engine.statusVersion
    if (version !== cache.version) {
      cache.version = version
      cache.entries.clear()
    }
    const key = JSON.stringify(query)
    let body = cache.entries.get(key)
    if (body === undefined) {
      const page = yield* engine.assetPage(query)
      body = new TextEncoder().encode(JSON.stringify(encode(page)))
      // computed under the version read above: keep it only if no newer answer replaced the cache meanwhile
      if (cache.version === version) {
        if (cache.entries.size >= maxEntries) cache.entries.delete(cache.entries.keys().next().value!)
        cache.entries.set(key, body)
      }
    }
    return HttpServerResponse.uint8Array(body, { contentType: "application/json" })
  })
