/**
 * Schemas for the graph page's big answers (`GET /api/graph`, `GET /api/statuses`
 * and the status stream's full snapshot): the protocol's types, with each long
 * array checked by one loop over its elements instead of a schema parse per
 * element. At 50,000 assets the per-element parse took ~100–150 ms of the
 * main thread for the two answers; these take a few. What they accept and
 * reject is the protocol's (test/bigAnswers.test.ts).
 */
import { Models } from "@strata/protocol"
import { Schema } from "effect"

/** An array whose every element passes `is`, checked in one loop. */
const listOf = <A>(title: string, is: (value: unknown) => value is A) =>
  Schema.declare((input: unknown): input is ReadonlyArray<A> => {
    if (!Array.isArray(input)) return false
    for (let i = 0; i < input.length; i++) if (!is(input[i])) return false
    return true
  }, { title })

const isString = (value: unknown): value is string => typeof value === "string"
const isNumber = (value: unknown): value is number => typeof value === "number"
const isTime = (value: unknown): value is number | null => value === null || typeof value === "number"
const oneOf = <const L extends ReadonlyArray<string>>(literals: L) => {
  const names = new Set<unknown>(literals)
  return (value: unknown): value is L[number] => names.has(value)
}

const strings = listOf("strings", isString)
const numbers = listOf("numbers", isNumber)
const statuses = listOf("asset statuses", oneOf(Models.AssetStatus.literals))
const times = listOf("times or nulls", isTime)

/** `Models.GraphStructure`. */
export const GraphStructure = Schema.Struct({
  generation: Schema.Number,
  keys: strings,
  kind: listOf("asset kinds", oneOf(Models.AssetKind.literals)),
  group: strings,
  kindLists: Schema.Array(Schema.Array(Schema.String)),
  kinds: numbers,
  upstreamStarts: numbers,
  upstream: numbers
})

/** `Models.StatusSnapshot`. */
export const StatusSnapshot = Schema.Struct({ generation: Schema.Number, status: statuses, lastMaterializedAt: times })

/** `Models.StatusDelta`. */
export const StatusDelta = Schema.Struct({
  generation: Schema.Number,
  full: Schema.Boolean,
  index: numbers,
  status: statuses,
  lastMaterializedAt: times
})

// the same types as the protocol's, both ways
type Same<A, B> = [A] extends [B] ? [B] extends [A] ? true : false : false
export const sameTypes: [
  Same<typeof GraphStructure.Type, Models.GraphStructure>,
  Same<typeof StatusSnapshot.Type, Models.StatusSnapshot>,
  Same<typeof StatusDelta.Type, Models.StatusDelta>
] = [true, true, true]
