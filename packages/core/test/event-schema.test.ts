import { describe, expect, it } from "@effect/vitest"
import { Exit, Schema } from "effect"
import { Event } from "../src/index.ts"

const decodeStrict = Schema.decodeUnknownExit(Event.StoredEventSchema)
const decodeParsed = Schema.decodeUnknownExit(Event.StoredEventFromParsedJsonSchema)

const materialized = {
  type: "asset-materialized",
  runId: "r1",
  timestamp: 1,
  assetKey: "a",
  partition: "2024-01-01",
  metadata: { rows: 3, nested: { list: [1, "x", null, true] }, uri: "file:///a" },
  dataVersion: "d",
  codeVersion: "c",
  inputVersions: { b: "v1", c: "v2" },
  id: 7
}

const events: ReadonlyArray<Record<string, unknown>> = [
  materialized,
  { type: "asset-observed", runId: "r1", timestamp: 2, assetKey: "a", metadata: {}, dataVersion: "d", id: 8 },
  {
    type: "step-failed",
    runId: "r1",
    timestamp: 3,
    assetKey: "a",
    attempt: 1,
    durationMs: 4,
    error: { tag: "E", message: "m" },
    willRetry: false,
    id: 9
  },
  { type: "log", runId: "r1", timestamp: 4, level: "info", message: "hi", id: 10 },
  { type: "run-failed", runId: "r1", timestamp: 5, reason: "x", id: 11 }
]

const parse = (value: unknown): unknown => JSON.parse(JSON.stringify(value))

describe("StoredEventFromParsedJsonSchema", () => {
  it("decodes JSON.parse output to the same value as StoredEventSchema", () => {
    for (const event of events) {
      const strict = decodeStrict(parse(event))
      const parsed = decodeParsed(parse(event))
      expect(Exit.isSuccess(strict)).toBe(true)
      expect(parsed).toStrictEqual(strict)
    }
  })

  it("rejects metadata that is not an object and input versions that are not strings", () => {
    const bad: ReadonlyArray<Record<string, unknown>> = [
      { ...materialized, metadata: [1, 2] },
      { ...materialized, metadata: "text" },
      { ...materialized, metadata: null },
      { ...materialized, inputVersions: { b: 1 } },
      { ...materialized, inputVersions: ["v1"] },
      { ...materialized, dataVersion: 3 },
      { ...materialized, type: "asset-exploded" },
      { ...materialized, id: "7" }
    ]
    for (const event of bad) {
      expect(Exit.isFailure(decodeParsed(parse(event)))).toBe(true)
      expect(Exit.isFailure(decodeStrict(parse(event)))).toBe(true)
    }
  })
})
