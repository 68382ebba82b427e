/**
 * The UI's schemas for the graph page's big answers (ui/src/bigAnswers.ts)
 * accept and reject what the protocol's do: a bad element anywhere in a long
 * array, a missing field, a wrong type.
 */
import { Models } from "@strata/protocol"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import * as BigAnswers from "../ui/src/bigAnswers.ts"

const accepts = (schema: Schema.Top, value: unknown) =>
  Schema.decodeUnknownExit(schema as Schema.Decoder<unknown>)(value)._tag === "Success"

const size = 20_000
const keys = Array.from({ length: size }, (_, i) => `layer/asset_${i}`)
const shape = {
  generation: 3,
  keys,
  kind: keys.map((_, i) => (i % 7 === 0 ? "source" : "asset")),
  group: keys.map((_, i) => `group_${i % 5}`),
  kindLists: [["parquet"], []],
  kinds: keys.map((_, i) => i % 2),
  upstreamStarts: [...keys.map((_, i) => Math.max(0, i - 1)), size - 1],
  upstream: keys.slice(1).map((_, i) => i)
}
const statuses = {
  generation: 3,
  status: keys.map((_, i) => (i % 3 === 0 ? "fresh" : "missing")),
  lastMaterializedAt: keys.map((_, i) => (i % 3 === 0 ? 1_764_900_000_000 + i : null))
}
const delta = { ...statuses, full: true, index: keys.map((_, i) => i) }

/** `value` with `field`'s element `at` replaced by `element`. */
const spoiled = (value: Record<string, unknown>, field: string, at: number, element: unknown) => {
  const list = [...(value[field] as Array<unknown>)]
  list[at] = element
  return { ...value, [field]: list }
}

describe("the graph page's schemas for its big answers", () => {
  const cases = [
    ["GraphStructure", BigAnswers.GraphStructure, Models.GraphStructure, shape],
    ["StatusSnapshot", BigAnswers.StatusSnapshot, Models.StatusSnapshot, statuses],
    ["StatusDelta", BigAnswers.StatusDelta, Models.StatusDelta, delta]
  ] as const
  it.each(cases)("%s: accepts and rejects what the protocol's schema does", (_, fast, protocol, value) => {
    const variants: Array<unknown> = [value, { ...value, generation: "3" }, null, []]
    for (const [field, list] of Object.entries(value)) {
      if (!Array.isArray(list)) continue
      variants.push({ ...value, [field]: undefined }, { ...value, [field]: "x" })
      for (const element of [undefined, null, "bogus", 7, [1], { a: 1 }]) variants.push(spoiled(value, field, size - 2, element))
    }
    const verdicts = variants.map((variant) => [accepts(fast, variant), accepts(protocol, variant)])
    expect(verdicts.every(([a, b]) => a === b)).toBe(true)
    // both ways: some accepted, most rejected
    expect(verdicts.filter(([a]) => a).length).toBeGreaterThan(1)
    expect(verdicts.filter(([a]) => !a).length).toBeGreaterThan(10)
    expect(Schema.decodeUnknownSync(fast as Schema.Decoder<unknown>)(value)).toEqual(value)
  })
})
