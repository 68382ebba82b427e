import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as fc from "fast-check"
import type { AssetKey } from "../src/AssetKey.ts"
import { Asset, ExecutionPlan, FileSystemIO, PartitionKey, Project, StepRequest } from "../src/index.ts"
import { StoragePath } from "../src/spi.ts"

const sandbox = () => fs.mkdtempSync(path.join(os.tmpdir(), "strata-storage-path-"))

/** Every file under `root`, relative to it. */
const filesUnder = (root: string): Array<string> =>
  fs.readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))

const hostile = [
  ".",
  "..",
  "../..",
  "/",
  "a/../../b",
  "..\\..\\x",
  "\u0000",
  "a\u0000b",
  "CON",
  "con",
  "nul",
  "%2E%2E",
  "@x",
  "~",
  "x.json",
  "x.v8",
  "'; drop table x; --",
  "\"quoted\"",
  "Users",
  "users",
  "\u00e9", // é precomposed
  "e\u0301", // é decomposed
  "\uD800",
  "\uDC00x",
  "😀",
  "\n",
  "a".repeat(300),
  "é".repeat(200),
  "😀".repeat(200)
]

const store = (io: ReturnType<typeof FileSystemIO.make>, key: string, partition: string | undefined, value: unknown) =>
  Effect.runSync(io.store({ key: key as AssetKey, partition, runId: "r", definitionMetadata: {} }, value))

const load = (io: ReturnType<typeof FileSystemIO.make>, key: string, partition: string | undefined) =>
  Effect.runSync(io.load({ key: key as AssetKey, partition, downstream: undefined, definitionMetadata: {} }))

describe("StoragePath", () => {
  it("keeps plain snake_case keys and dates readable, escapes the rest", () => {
    expect(StoragePath.stem("/b", "bronze/raw_users", undefined)).toBe(path.join("/b", "bronze", "raw_users"))
    expect(StoragePath.stem("/b", "sales/daily", "2024-06-01")).toBe(path.join("/b", "sales", "daily", "@2024-06-01"))
    expect(StoragePath.encodeName("..")).toBe("%2E%2E")
    expect(StoragePath.encodeName("Users")).toBe("%55sers")
    expect(StoragePath.encodeName("con")).toBe("%63on")
    expect(StoragePath.encodeName("é")).toBe("%C3%A9")
    expect(StoragePath.isInside("/b", "/b/..%2Fx.json")).toBe(true)
    expect(StoragePath.isInside("/b", "/b/../x.json")).toBe(false)
    expect(StoragePath.isInside("/b", "/bx/y")).toBe(false)
  })

  it("escapes injectively, and decodes what it escaped", () => {
    const names = new Map<string, string>()
    for (const name of [...hostile, "", "a", "A", "a%", "%41"]) {
      const encoded = StoragePath.encodeName(name)
      expect(names.get(encoded.toLowerCase()), `${JSON.stringify(name)} and another name share ${encoded}`).toBeUndefined()
      names.set(encoded.toLowerCase(), name)
      expect(encoded.length).toBeLessThanOrEqual(StoragePath.MAX_COMPONENT)
      expect(encoded).toMatch(/^[a-zA-Z0-9_%~-]+$/)
      if (!encoded.includes("~") && !name.includes("\uD800") && !name.includes("\uDC00")) {
        expect(StoragePath.decodeName(encoded)).toBe(name)
      }
    }
  })

  it("property: any two different names escape to names that differ even ignoring case", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), fc.string({ unit: "binary", maxLength: 200 }), (a, b) => {
        fc.pre(a !== b)
        const x = StoragePath.encodeName(a)
        const y = StoragePath.encodeName(b)
        expect(x.toLowerCase()).not.toBe(y.toLowerCase())
        expect(x).not.toMatch(/^\.{1,2}$|[/\\\u0000]/)
      }),
      { numRuns: 1000 }
    )
  })
})

describe("FileSystemIO: keys and partitions never escape the base or collide (real files)", () => {
  it("partition '..' stays inside the base, and '.' does not overwrite the unpartitioned value", () => {
    const root = sandbox()
    const base = path.join(root, ".strata", "storage")
    const io = FileSystemIO.make({ base })
    store(io, "daily", undefined, "whole")
    store(io, "daily", "..", "dot-dot")
    store(io, "daily", ".", "dot")
    expect(load(io, "daily", undefined)).toBe("whole")
    expect(load(io, "daily", "..")).toBe("dot-dot")
    expect(load(io, "daily", ".")).toBe("dot")
    for (const file of filesUnder(root)) expect(file.startsWith(path.join(".strata", "storage") + path.sep)).toBe(true)
    expect(fs.existsSync(path.join(root, ".strata", "storage.json"))).toBe(false)
  })

  it("a partition of asset a and the asset a/b, a file and a folder of the same name, keys differing in case: all apart", () => {
    const base = path.join(sandbox(), "storage")
    const io = FileSystemIO.make({ base })
    const cases: Array<[string, string | undefined]> = [
      ["a", "b"],
      ["a/b", undefined],
      ["a", undefined],
      ["a.json/b", undefined],
      ["Users", undefined],
      ["users", undefined],
      ["x", "b.json"],
      ["x/b.json", undefined]
    ]
    cases.forEach(([key, partition], index) => store(io, key, partition, index))
    cases.forEach(([key, partition], index) => expect(load(io, key, partition)).toBe(index))
  })

  it("a 512-character key and a 128-character non-ASCII partition are stored (no ENAMETOOLONG)", () => {
    const base = path.join(sandbox(), "storage")
    const io = FileSystemIO.make({ base })
    const key = "k".repeat(512)
    const partition = "日".repeat(128)
    expect(PartitionKey.isValid(partition)).toBe(true)
    store(io, key, partition, 1)
    store(io, key, undefined, 2)
    store(io, `${"é".repeat(200)}/${"😀".repeat(150)}`, undefined, 3)
    expect(load(io, key, partition)).toBe(1)
    expect(load(io, key, undefined)).toBe(2)
    expect(load(io, `${"é".repeat(200)}/${"😀".repeat(150)}`, undefined)).toBe(3)
    for (const file of filesUnder(base)) {
      for (const component of file.split(path.sep)) expect(Buffer.byteLength(component)).toBeLessThan(200)
    }
  })

  it("property: hostile keys and partitions round-trip on disk, each to its own file, all under the base", () => {
    const name = fc.oneof(
      fc.constantFrom(...hostile),
      fc.string({ unit: "binary", minLength: 1, maxLength: 40 }),
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 300 })
    )
    const target = fc.tuple(
      fc.array(name, { minLength: 1, maxLength: 3 }).map((segments) => segments.join("/")),
      fc.option(name, { nil: undefined })
    )
    fc.assert(
      fc.property(fc.uniqueArray(target, { minLength: 1, maxLength: 8, selector: ([k, p]) => JSON.stringify([k, p ?? null]) }), (targets) => {
        const root = sandbox()
        const base = path.join(root, "in", "storage")
        try {
          const io = FileSystemIO.make({ base })
          targets.forEach(([key, partition], index) => store(io, key, partition, { index }))
          targets.forEach(([key, partition], index) => expect(load(io, key, partition)).toEqual({ index }))
          const files = filesUnder(root)
          expect(files.length).toBe(targets.length)
          for (const file of files) expect(StoragePath.isInside(base, path.join(root, file))).toBe(true)
        } finally {
          fs.rmSync(root, { recursive: true, force: true })
        }
      }),
      { numRuns: 150 }
    )
  })
})

describe("PartitionKey: validated where a run's partition enters", () => {
  it("says what is wrong and what is allowed", () => {
    expect(PartitionKey.problem("2024-06-01")).toBeUndefined()
    expect(PartitionKey.problem("eu/west 'quoted'")).toBeUndefined()
    expect(PartitionKey.problem("..")).toBe("a partition key cannot be \"..\"")
    expect(PartitionKey.problem("")).toBe("a partition key cannot be empty")
    expect(PartitionKey.problem("a\u0000b")).toBe("it contains the control character U+0000")
    expect(PartitionKey.problem("\uD800")).toContain("unpaired")
    expect(PartitionKey.problem(" x")).toContain("white space")
    expect(PartitionKey.problem("x".repeat(129))).toContain("at most 128 characters")
    expect(PartitionKey.problem("x".repeat(1_000_000))).toContain("(this one has 512+)")
    expect(PartitionKey.problem("😀".repeat(128))).toBeUndefined()
  })

  it("ExecutionPlan.make refuses an invalid partition with a typed error naming the asset and key", () => {
    const daily = Asset.make("daily_sales", {}, () => Effect.succeed(1))
    const project = Project.make({ assets: [daily] })
    const exit = Effect.runSyncExit(ExecutionPlan.make(project, { selection: "*", partition: ".." }))
    expect(Exit.isFailure(exit)).toBe(true)
    const error = Exit.isFailure(exit) ? exit.cause.reasons.find((reason) => reason._tag === "Fail") : undefined
    const failure = (error as { error: PartitionKey.InvalidPartitionKey }).error
    expect(failure).toBeInstanceOf(PartitionKey.InvalidPartitionKey)
    expect(failure.assetKey).toBe("daily_sales")
    expect(failure.partition).toBe("..")
    expect(failure.message).toBe(
      `invalid partition key ".." of asset daily_sales: a partition key cannot be ".."; a partition key is ${PartitionKey.ALLOWED}`
    )
    expect(Exit.isSuccess(Effect.runSyncExit(ExecutionPlan.make(project, { partition: "2024-06-01" })))).toBe(true)
  })

  it("a step request from another process with an invalid partition is refused when decoded", () => {
    const request = { runId: "r", assetKey: "daily", stepKind: "materialize", partitions: [".."], attempt: 1, inputVersions: {} }
    expect(() => StepRequest.fromJson(JSON.stringify(request))).toThrow(/partition key cannot be/)
    const fine = StepRequest.fromJson(JSON.stringify({ ...request, partitions: ["2024-06-01"] }))
    expect(fine.partitions).toEqual(["2024-06-01"])
  })
})
