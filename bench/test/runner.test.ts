import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { CaseFailed, defaultCases, median, parseCases, runScript, summarize, UsageError } from "../src/runner.ts"

describe("parseCases", () => {
  it("reads kind:N lists and expands a bare kind to its default Ns", () => {
    expect(parseCases("mat:1000, stale:10000").map((c) => c.name)).toEqual(["mat:1000", "stale:10000"])
    expect(parseCases("defs").map((c) => c.n)).toEqual([100, 1000, 10000, 100000])
    expect(parseCases("pgcopy:5000")[0]!.kind.script).toBe("integrations/postgres/bench/copy.bench.ts")
    expect(parseCases("iceberg:1000")[0]!.kind.script).toBe("integrations/iceberg/bench/iceberg.bench.ts")
  })

  it("rejects unknown kinds, bad N and external kinds without N", () => {
    expect(() => parseCases("nope:10")).toThrow(UsageError)
    expect(() => parseCases("mat:ten")).toThrow(/positive integer/)
    expect(() => parseCases("mat:0")).toThrow(/positive integer/)
    expect(() => parseCases("arrow")).toThrow(/no default N/)
    expect(() => parseCases(",")).toThrow(/empty/)
  })

  it("has the documented default set, without external cases", () => {
    expect(defaultCases().map((c) => c.name)).toEqual([
      "defs:100", "defs:1000", "defs:10000", "defs:100000",
      "mat:100", "mat:1000", "mat:10000",
      "mem:100", "mem:1000", "mem:10000",
      "stale:1000", "stale:10000"
    ])
  })
})

describe("median and summarize", () => {
  it("takes the middle value, or the mean of the middle two", () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(() => median([])).toThrow(RangeError)
  })

  it("summarises numeric figures present in every run, leaving n out", () => {
    const summary = summarize("mem:100", 100, [
      { n: 100, materialize_s: 0.3, note: "x" },
      { n: 100, materialize_s: 0.1, note: "y" },
      { n: 100, materialize_s: 0.2, note: "z" }
    ])
    expect(summary).toMatchObject({ case: "mem:100", n: 100, median: { materialize_s: 0.2 } })
    expect(Object.keys(summary.median)).toEqual(["materialize_s"])
    expect(summary.runs).toHaveLength(3)
  })
})

describe("runScript (real node processes)", () => {
  const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), "strata-bench-test-"))

  it("returns the last JSON line plus process_wall_s", async () => {
    const figures = await runScript("bench/src/cases/defs.ts", 100, { source: true, timeoutMs: 30_000 })
    expect(figures.n).toBe(100)
    expect(figures.build_total_s).toBeTypeOf("number")
    expect(figures.import_s).toBeTypeOf("number")
    expect(figures.process_wall_s as number).toBeGreaterThan(figures.total_s as number)
    expect(figures.load_avg_1m).toBeTypeOf("number")
  })

  it("fails on a non-zero exit, with the script's stderr", async () => {
    const folder = scratch()
    const script = path.join(folder, "fails.mjs")
    fs.writeFileSync(script, "console.log('{}'); console.error('count is wrong'); process.exit(3)\n")
    await expect(runScript(script, 10, { source: false, timeoutMs: 10_000 })).rejects.toThrow(/code 3:\ncount is wrong/)
    fs.rmSync(folder, { recursive: true })
  })

  it("fails when the last line is not a JSON object", async () => {
    const folder = scratch()
    const script = path.join(folder, "text.mjs")
    fs.writeFileSync(script, "console.log(JSON.stringify({ a: 1 })); console.log('done')\n")
    await expect(runScript(script, 10, { source: false, timeoutMs: 10_000 })).rejects.toThrow(CaseFailed)
    fs.writeFileSync(script, "console.log('[1, 2]')\n")
    await expect(runScript(script, 10, { source: false, timeoutMs: 10_000 })).rejects.toThrow(/not a JSON object/)
    fs.rmSync(folder, { recursive: true })
  })

  it("kills a script that outlives its timeout", async () => {
    const folder = scratch()
    const script = path.join(folder, "hangs.mjs")
    fs.writeFileSync(script, "setInterval(() => {}, 1000)\n")
    await expect(runScript(script, 10, { source: false, timeoutMs: 500 })).rejects.toThrow(/was killed/)
    fs.rmSync(folder, { recursive: true })
  })
})
