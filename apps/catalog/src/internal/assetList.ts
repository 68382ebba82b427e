/**
 * `GET /api/assets`: every asset (or a selection's) with its status. At
 * 50,000 assets the answer is 13 MB of JSON; written out a slice of assets
 * at a time, each slice's nodes built and Schema-encoded on their own, so the
 * server never holds every node, an encoded copy of them, the whole JSON
 * string and its bytes at once (that was about 95 MB more at its peak).
 */
import { Models } from "@strata/protocol"
import { Effect, Schema, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import type { Engine } from "./engine.ts"

/** Assets per written slice. */
export const sliceSize = 1000

const encodeInfo = Schema.encodeSync(Models.ProjectInfo)
const encodeNodes = Schema.encodeSync(Schema.Array(Models.AssetNode))

/** The list as a streamed JSON response, the same document `Models.AssetList` encodes to. */
export const answer = (engine: Engine, selection: string | undefined) =>
  Effect.map(engine.listAssets(selection), (list) => {
    const encoder = new TextEncoder()
    const slices = Math.ceil(list.size / sliceSize)
    const body = Stream.fromIterable(Array.from({ length: slices + 2 }, (_, i) => i)).pipe(
      Stream.map((i) => {
        if (i === 0) return encoder.encode(`{"project":${JSON.stringify(encodeInfo(list.project))},"assets":[`)
        if (i === slices + 1) return encoder.encode("]}")
        const json = JSON.stringify(encodeNodes(list.slice((i - 1) * sliceSize, i * sliceSize)))
        // the slice's array without its brackets, after a comma from the second slice on
        return encoder.encode(`${i > 1 ? "," : ""}${json.slice(1, -1)}`)
      })
    )
    return HttpServerResponse.stream(body, { contentType: "application/json" })
  })
