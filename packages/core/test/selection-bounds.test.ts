/**
 * Selections come from outside (a URL's query, a `--select` flag): these
 * tests hold the bounds on the work and the output one selection can cause.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import * as Glob from "../src/internal/glob.ts"
import { Asset, Project, Selection } from "../src/index.ts"

/** mulberry32: a seeded generator, so a failure names a case that can be replayed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const word = (next: () => number, alphabet: string, maxLength: number): string => {
  let text = ""
  const length = Math.floor(next() * (maxLength + 1))
  for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)]
  return text
}

/** The reference: what selections did before, a RegExp per pattern (exact, but exponential on some patterns). */
const reference = (pattern: string, key: string): boolean =>
  new RegExp("^" + pattern.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$", "u")
    .test(key)

/** The error `run` throws, checked to be an instance of `type`. */
const thrown = <E>(type: abstract new(...args: Array<never>) => E, run: () => unknown): E => {
  try {
    run()
  } catch (error) {
    if (error instanceof type) return error
    throw new Error(`expected a ${type.name}, got ${String(error)}`)
  }
  throw new Error(`expected a ${type.name}, got none`)
}

const parseFailure = (text: string) => thrown(Selection.SelectionParseError, () => Selection.parseSync(text))

const one = () => Effect.succeed(1)
const projectOf = (keys: ReadonlyArray<string>) => Project.make({ assets: keys.map((key) => Asset.make(key, {}, one)) })

describe("wildcard matching", () => {
  it("agrees with the RegExp reference on 30,000 random patterns and keys", () => {
    const next = random(20261204)
    for (let round = 0; round < 30_000; round++) {
      // a small alphabet makes partial matches (the hard cases) frequent
      const pattern = word(next, "ab*_*.", 9)
      const key = word(next, "ab_.", 12)
      const expected = reference(pattern, key)
      if (Glob.matches(Glob.compile(pattern), key) !== expected) {
        expect.fail(`pattern ${JSON.stringify(pattern)} on key ${JSON.stringify(key)}: expected ${expected}`)
      }
    }
  })

  it("collapses runs of * and handles a pattern without one", () => {
    expect(Glob.compile("a***b**c").middle).toEqual(["b"])
    expect(Glob.matches(Glob.compile("a***b**c"), "a_b_c")).toBe(true)
    expect(Glob.matches(Glob.compile("ab"), "ab")).toBe(true)
    expect(Glob.matches(Glob.compile("ab"), "abc")).toBe(false)
    // the prefix and the suffix may not share characters
    expect(Glob.matches(Glob.compile("ab*ba"), "aba")).toBe(false)
    expect(Glob.matches(Glob.compile("ab*ba"), "abba")).toBe(true)
  })

  it("resolves key:************Z over 50,000 keys of 27 characters at once", () => {
    // The old RegExp (^.*.*…Z$) backtracks through every way of splitting a key among 12 stars before
    // giving up: measured here at 0.5 s for one 20-character key, 2.5 times more per 2 more characters,
    // so about 8 s per 27-character key and days for 50,000. The bound below is 2,000 times what the
    // linear matcher needs on an idle machine (about 10 ms): it cannot be met by backtracking, and load
    // on a shared machine cannot push the linear matcher past it.
    const keys = Array.from({ length: 50_000 }, (_, i) => `warehouse_table_${String(i).padStart(11, "0")}`)
    keys.push("warehouse_table_Z")
    const project = projectOf(keys)
    const started = performance.now()
    const selected = Selection.resolveSync(project, "key:************Z")
    const elapsed = performance.now() - started
    expect(selected).toEqual(["warehouse_table_Z"])
    expect(elapsed).toBeLessThan(20_000)
  })
})

describe("selection limits", () => {
  it.each([
    ["(", "a", ")"],
    ["not ", "a", ""],
    ["roots(", "a", ")"]
  ])("fails at the 101st level of %j with a parse error, and parses 100", (open, inner, close) => {
    const ok = open.repeat(Selection.limits.maxDepth) + inner + close.repeat(Selection.limits.maxDepth)
    expect(() => Selection.parseSync(ok)).not.toThrow()
    const deep = open.repeat(2_000) + inner + close.repeat(2_000)
    const error = parseFailure(deep)
    // the position is where the 101st level opens
    expect(error.position).toBe(open.length * Selection.limits.maxDepth)
    expect(error.problem).toContain("nests deeper than 100 levels")
    expect(error.message).toContain(`column ${open.length * 100 + 1}`)
  })

  it("fails with a parse error through the Effect API as well, not a defect", () => {
    const exit = Effect.runSyncExit(Selection.parse("(".repeat(2_000) + "a" + ")".repeat(2_000)))
    expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toBeInstanceOf(Selection.SelectionParseError)
  })

  it("rejects a 20 MB selection up front and echoes only a window of it", () => {
    const huge = "group:" + "x".repeat(20_000_000) + ";"
    const started = performance.now()
    const error = parseFailure(huge)
    expect(performance.now() - started).toBeLessThan(5_000)
    expect(error.position).toBe(Selection.limits.maxLength)
    expect(error.problem).toBe("the selection is 20000007 characters long; at most 100000 are accepted")
    expect(error.selection.length).toBeLessThanOrEqual(122)
    expect(JSON.stringify(error).length).toBeLessThan(1_000)
    expect(error.message.length).toBeLessThan(1_000)
  })

  it("puts the caret of a long selection's error under the problem in the window it shows", () => {
    const text = Array.from({ length: 3_000 }, (_, i) => `k${i}`).join(", ") + ", )"
    const error = parseFailure(text)
    expect(error.position).toBe(text.length - 1)
    expect(error.excerptStart).toBeGreaterThan(0)
    const [, shown, caret] = error.message.split("\n")
    expect(shown!.length).toBeLessThan(130)
    expect(shown![caret!.indexOf("^")]).toBe(")")
    // a short selection is echoed whole
    const short = parseFailure("a, (b")
    expect(short.selection).toBe("a, (b")
    expect(short.excerptStart).toBeUndefined()
  })

  it("cuts long words in problems", () => {
    const error = parseFailure("a " + "b".repeat(50_000))
    expect(error.problem.length).toBeLessThan(150)
  })

  it("accepts 1,000 operators and terms other than plain keys, not 1,001", () => {
    const project = projectOf(["a", "b"])
    expect(Selection.resolveSync(project, Array(1_000).fill("*").join(", "))).toEqual(["a", "b"])
    const text = Array(1_001).fill("*").join(", ")
    const error = parseFailure(text)
    expect(error.position).toBe(3_000)
    expect(error.problem).toContain("more than 1000 operators and terms other than plain keys")
    expect(parseFailure(Array(501).fill("+a").join(" and ")).problem).toContain("more than 1000")
  })

  it("resolves a union of 20,000 plain keys, and names an unknown one in a window of the selection", () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `asset_${i}`)
    const project = projectOf(keys)
    const half = keys.slice(0, 8_000).join(", ")
    expect(Selection.resolveSync(project, half)).toHaveLength(8_000)
    const withTypo = keys.slice(0, 4_000).join(", ") + ", asset_x, " + keys.slice(4_000, 8_000).join(", ")
    const resolveError = thrown(Selection.SelectionResolveError, () => Selection.resolveSync(project, withTypo))
    expect(resolveError.term).toBe("asset_x")
    expect(resolveError.selection).toContain("asset_x")
    expect(resolveError.selection.length).toBeLessThanOrEqual(122)
    expect(resolveError.message.length).toBeLessThan(400)
  })
})
