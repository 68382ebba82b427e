/**
 * The I/O manager conformance suite: values. Round trips of the declared
 * value kinds, the typed error for a missing value, the metadata shape, the
 * data version, and reopening the storage.
 */
import { describe, expect } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { IOError } from "../../IOManager.ts"
import { MetadataSchema } from "../../Metadata.ts"
import type { IOTest, ValueKind } from "./shared.ts"
import { load, loadOk, storeOk } from "./shared.ts"

/** Values JSON represents exactly, chosen to break naive serialisers. */
export const jsonSamples: ReadonlyArray<unknown> = [
  { id: 1, name: "one", tags: ["a", "b"], nested: { deep: { deeper: [[], {}] } } },
  "plain text",
  "quotes \" and ' and backslash \\ and newline \n and tab \t and NUL \u0000",
  "unicode: é e\u0301 日本 😀",
  "",
  0,
  -1.5,
  1e300,
  Number.MAX_SAFE_INTEGER,
  true,
  false,
  null,
  [],
  {},
  [1, "two", null, { three: 3 }],
  { "key with spaces": 1, "ключ": 2, "": 3 }
]

/** Values structured clone keeps and JSON does not. */
export const structuredSamples: ReadonlyArray<unknown> = [
  new Date(1_700_000_000_000),
  new Map<unknown, unknown>([["a", 1], [2, { b: new Date(0) }]]),
  new Set([1, "two", 3n]),
  2n ** 70n,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  undefined,
  new Uint8Array([0, 1, 2, 255]),
  { when: new Date(0), amount: 12n, missing: undefined },
  [1, undefined, 3]
]

const samplesOf: Record<ValueKind, ReadonlyArray<unknown>> = { json: jsonSamples, structured: structuredSamples }

/** Registers the "values" tests. */
export const valuesConformance = <A>(test: IOTest<A>, kinds: ReadonlyArray<ValueKind>): void => {
  describe("values", () => {
    roundTripCases(test, kinds)
    missingCases(test)
    storeCases(test)
  })
}

/** Round trips: the declared value kinds, the manager's own samples, an overwrite. */
const roundTripCases = <A>(test: IOTest<A>, kinds: ReadonlyArray<ValueKind>): void => {
  for (const kind of kinds) {
    test(`round-trips ${kind} values (declared)`, ({ io, same }) =>
      Effect.gen(function*() {
        for (const [index, value] of samplesOf[kind].entries()) {
          const key = `roundtrip_${kind}_${index}`
          yield* storeOk(io, key, undefined, value as A)
          const loaded = yield* loadOk(io, key, undefined)
          expect(
            same(loaded, value as A),
            `${io.name}: ${kind} sample ${index} came back different: stored ${show(value)}, loaded ${show(loaded)}`
          ).toBe(true)
        }
      }))
  }

  test("round-trips its sample values, small and large, and an overwrite replaces the value", ({ io, sample, same }) =>
    Effect.gen(function*() {
      for (const size of ["small", "large"] as const) {
        const key = `sample_${size}`
        yield* storeOk(io, key, undefined, sample(1, size))
        expect(same(yield* loadOk(io, key, undefined), sample(1, size)), `${io.name}: the ${size} sample 1 came back different`).toBe(true)
        yield* storeOk(io, key, undefined, sample(2, size))
        expect(same(yield* loadOk(io, key, undefined), sample(2, size)), `${io.name}: after an overwrite, ${key} is not the new value`)
          .toBe(true)
      }
      expect(same(sample(1, "small"), sample(2, "small")), "the sample values 1 and 2 must differ").toBe(false)
    }))
}

/** A value never stored: a typed error. */
const missingCases = <A>(test: IOTest<A>): void => {
  test("a value never stored fails to load with an IOError naming the asset", ({ io }) =>
    Effect.gen(function*() {
      const result = yield* load(io, "never/stored", undefined)
      if (result._tag !== "io-error") {
        expect.fail(`${io.name}: loading an asset never stored must fail with an IOError (operation "load", the key); ${
          result._tag === "ok" ? `it returned ${show(result.value)}` : `it failed ${result.description}`
        }`)
        return
      }
      expect(result.error).toBeInstanceOf(IOError)
      expect(result.error.operation).toBe("load")
      expect(result.error.key).toBe("never/stored")
      expect(result.error.message, "the message names the asset").toContain("never/stored")
      expect(result.error.isRetryable, "a missing value is not retryable").toBe(false)
    }))
}

/** What a store returns (metadata, data version), and what a reopened storage holds. */
const storeCases = <A>(test: IOTest<A>): void => {
  test("store results: metadata is JSON with the documented shape; the data version is declared", ({ capabilities, io, sample }) =>
    Effect.gen(function*() {
      const first = yield* storeOk(io, "versioned", undefined, sample(1, "small"))
      if (first.metadata !== undefined) {
        const decoded = Schema.decodeUnknownExit(MetadataSchema)(first.metadata)
        expect(decoded._tag, `${io.name}: store metadata must be a record of JSON values: ${show(first.metadata)}`).toBe("Success")
        expect(JSON.parse(JSON.stringify(first.metadata)), "metadata survives JSON").toEqual(first.metadata)
        for (const field of ["uri", "path", "format"] as const) {
          if (field in first.metadata) expect(typeof first.metadata[field], `metadata.${field} is a string`).toBe("string")
        }
      }
      if (capabilities.dataVersion === "none") {
        expect(first.dataVersion, `${io.name} declares dataVersion "none" but returned one`).toBeUndefined()
        return
      }
      expect(typeof first.dataVersion, `${io.name} declares dataVersion "${capabilities.dataVersion}" but returned none`).toBe("string")
      expect(first.dataVersion!.length).toBeGreaterThan(0)
      const again = yield* storeOk(io, "versioned", undefined, sample(1, "small"))
      const other = yield* storeOk(io, "versioned", undefined, sample(2, "small"))
      expect(other.dataVersion, `${io.name}: a different value must get a different data version`).not.toBe(first.dataVersion)
      if (capabilities.dataVersion === "content") {
        expect(again.dataVersion, `${io.name}: the same value stored again must get the same data version (declared "content")`)
          .toBe(first.dataVersion)
      } else if (capabilities.dataVersion === "per-store") {
        expect(again.dataVersion, `${io.name}: every store must get a new data version (declared "per-store")`).not.toBe(first.dataVersion)
      }
    }))

  test("opening the same storage again: the value is there when persistent, missing (typed) when not", ({ capabilities, io, reopen, sample, same }) =>
    Effect.gen(function*() {
      yield* storeOk(io, "kept", undefined, sample(3, "small"))
      const again = yield* reopen
      const result = yield* load(again, "kept", undefined)
      if (capabilities.persistent) {
        expect(result._tag, `${io.name} declares persistent storage but a reopened manager cannot load: ${show(result)}`).toBe("ok")
        if (result._tag === "ok") expect(same(result.value, sample(3, "small"))).toBe(true)
      } else {
        expect(result._tag, `${io.name} declares non-persistent storage: a reopened manager must not find the value`).toBe("io-error")
      }
    }))
}

export const show = (value: unknown): string => {
  let text: string
  try {
    text = JSON.stringify(value, (_, v) => typeof v === "bigint" ? `${v}n` : v) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > 200 ? `${text.slice(0, 200)}...` : text
}
