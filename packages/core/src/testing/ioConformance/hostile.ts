/**
 * The I/O manager conformance suite: hostile asset keys and partition keys.
 * Each one is stored with its own value: a valid key must be stored, an
 * invalid one may be refused with an `IOError`. Afterwards every stored key
 * loads its own value (nothing collided), a sentinel stored first is intact,
 * and no file exists in the sandbox outside the storage folder (nothing
 * escaped).
 */
import * as path from "node:path"
import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import * as AssetKey from "../../AssetKey.ts"
import type { IOManager } from "../../IOManager.ts"
import * as PartitionKey from "../../PartitionKey.ts"
import * as StoragePath from "../../StoragePath.ts"
import type { Harness, IOTest } from "./shared.ts"
import { describe as describeOutcome, filesUnder, load, store, storeOk, where } from "./shared.ts"

/** Asset keys an attacker or a careless generator could produce. */
export const hostileKeys: ReadonlyArray<string> = [
  "../escape",
  "a/../../escape",
  "/absolute",
  "a//b",
  ".",
  "..",
  "a\\..\\..\\b",
  "a\u0000b",
  "'; drop table users; --",
  "\"quoted\"",
  "Users",
  "users",
  "v1.2",
  "v1_2",
  "x",
  "x.json",
  "x/y",
  "con",
  "e\u0301",
  "\u00e9",
  "日本/データ",
  "k".repeat(60),
  "long_" + "k".repeat(507),
  "s/".repeat(200) + "end",
  "\uD800"
]

/** Partition keys an attacker or a careless generator could produce. */
export const hostilePartitions: ReadonlyArray<string> = [
  ".",
  "..",
  "../..",
  "/",
  "a/../../b",
  "\\",
  "a\u0000b",
  "\n",
  "",
  " padded ",
  "CON",
  "%2E%2E",
  "@x",
  "~",
  "b",
  "x.json",
  "'; drop table users; --",
  "\"quoted\"",
  "Users",
  "users",
  "\u00e9",
  "e\u0301",
  "\uD800",
  "😀",
  "2024-06-01",
  "p".repeat(128),
  "日".repeat(128),
  "p".repeat(600)
]

const byteLength = (text: string) => Buffer.byteLength(text)

const mustStore = (valid: boolean, text: string, longNames: boolean) => valid && (longNames || byteLength(text) <= 60)

interface Target {
  readonly key: string
  readonly partition: string | undefined
  readonly required: boolean
}

const storeAll = <A>(harness: Harness<A>, targets: ReadonlyArray<Target>, offset: number) =>
  Effect.gen(function*() {
    const { io, sample, same } = harness
    const problems: Array<string> = []
    const stored: Array<[Target, A]> = []
    for (const [index, target] of targets.entries()) {
      const value = sample(offset + index, "small")
      const result = yield* store(io, target.key, target.partition, value)
      if (result._tag === "ok") stored.push([target, value])
      else if (target.required) problems.push(`${where(target.key, target.partition)} is valid but was not stored: ${describeOutcome(result)}`)
      else if (result._tag === "other") problems.push(`${where(target.key, target.partition)} was refused ${result.description}; refuse with an IOError`)
    }
    for (const [target, value] of stored) {
      const result = yield* load(io, target.key, target.partition)
      if (result._tag !== "ok") problems.push(`${where(target.key, target.partition)} was stored but cannot be loaded: ${describeOutcome(result)}`)
      else if (!same(result.value, value)) {
        problems.push(`${where(target.key, target.partition)} loads another key's value: two keys collide`)
      }
    }
    return problems
  })

const checkSentinel = <A>(io: IOManager<A>, harness: Harness<A>, key: string, value: A, problems: Array<string>) =>
  Effect.map(load(io, key, undefined), (result) => {
    if (result._tag !== "ok") {
      problems.push(`the sentinel ${key}, stored first, was removed by a hostile key (${describeOutcome(result)})`)
    } else if (!harness.same(result.value, value)) {
      problems.push(`the sentinel ${key}, stored first, was overwritten by a hostile key (it loads another value)`)
    }
  })

const checkEscapes = (harness: Harness<unknown>, problems: Array<string>) => {
  for (const file of filesUnder(harness.sandbox)) {
    if (!StoragePath.isInside(harness.storage.base, file)) {
      problems.push(`a file was written outside the storage folder: ${path.relative(harness.sandbox, file)} (a key or partition escaped)`)
    }
  }
}

/** Registers the "hostile keys" tests. */
export const hostileConformance = <A>(test: IOTest<A>, partitions: boolean): void => {
  describe("hostile keys", () => {
    test("asset keys with '..', '/', quotes, NUL, case and Unicode variants, 512 characters: never escape or collide", (harness) =>
      Effect.gen(function*() {
        const { io, sample } = harness
        const sentinel = sample(-1, "small")
        yield* storeOk(io, "sentinel", undefined, sentinel)
        const targets = hostileKeys.map((key) => ({
          key,
          partition: undefined,
          required: mustStore(AssetKey.isValid(key), key, harness.capabilities.longNames)
        }))
        const problems = yield* storeAll(harness, targets, 1000)
        yield* checkSentinel(io, harness, "sentinel", sentinel, problems)
        checkEscapes(harness as Harness<unknown>, problems)
        expect(problems, `${io.name}:\n  ${problems.join("\n  ")}`).toEqual([])
      }))

    if (!partitions) return
    test("partition keys with '.', '..', '/', NUL, quotes, Unicode variants, 128+ characters: never escape or collide", (harness) =>
      Effect.gen(function*() {
        const { io, sample } = harness
        const sentinel = sample(-2, "small")
        yield* storeOk(io, "parted/b", undefined, sentinel)
        const targets = hostilePartitions.map((partition) => ({
          key: "parted",
          partition,
          required: mustStore(PartitionKey.isValid(partition), partition, harness.capabilities.longNames)
        }))
        const problems = yield* storeAll(harness, targets, 2000)
        yield* checkSentinel(io, harness, "parted/b", sentinel, problems)
        checkEscapes(harness as Harness<unknown>, problems)
        expect(problems, `${io.name}:\n  ${problems.join("\n  ")}`).toEqual([])
      }))
  })
}
