/**
 * Failures a command must report for what they are, in a real `strata`
 * process: a config that never finishes loading, a selection beyond the
 * parser's limits, and errors without a tag (internal errors, never passed
 * off as "instance error").
 */
import { describe, expect, it } from "vitest"
import type { RunOptions } from "./helpers.ts"
import { basicConfig, projectsOfThisFile, strata } from "./helpers.ts"

const project = projectsOfThisFile()

/** `strata` with a hard stop: a command that hangs is killed after `ms` and shows up as SIGKILL, not as a hung test. */
const strataWithin = (args: ReadonlyArray<string>, options: RunOptions, ms = 30_000) =>
  strata(args, {
    ...options,
    onSpawn: (child) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), ms)
      child.on("exit", () => clearTimeout(timer))
    }
  })

/** A config whose top-level code waits on something that never comes, with a timer keeping the process alive. */
const hangingConfig = basicConfig.replace(
  "export default",
  "await new Promise(() => { setInterval(() => {}, 1_000) })\nexport default"
)

/** A config whose environment provides an Instance whose `listRuns` and `listRunSummaries` fail as `how` says. */
const instanceConfig = (how: string) =>
  basicConfig
    .replace(
      `import { Effect } from "effect"`,
      `import { Effect, Layer } from "effect"\nimport { Instance } from "@strata/core"`
    )
    .replace(
      "export default",
      `const broken = Layer.effect(Instance.Instance, Effect.map(Effect.service(Instance.Instance), (inner) => ({
  ...inner,
  listRuns: () => ${how},
  listRunSummaries: () => ${how}
}))).pipe(Layer.provide(Instance.layerMemory))
export default`
    )
    .replace("local: () => FileSystemIO.layer()", "local: () => Layer.merge(FileSystemIO.layer(), broken)")

describe("loading a config that never finishes", () => {
  it("times out with the file, the time waited and how to wait longer", async () => {
    const dir = project({ "strata.config.ts": hangingConfig })
    const started = Date.now()
    const result = await strataWithin(["list"], { cwd: dir, env: { STRATA_LOAD_TIMEOUT: "1" } })
    expect(result.signal).toBeNull()
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("strata.config.ts did not finish loading in 1 s")
    expect(result.stderr).toContain("a top-level await that never settles")
    expect(result.stderr).toContain("STRATA_LOAD_TIMEOUT=<seconds>")
    expect(Date.now() - started).toBeLessThan(25_000)
    const materialize = await strataWithin(["materialize"], { cwd: dir, env: { STRATA_LOAD_TIMEOUT: "0.5" } })
    expect(materialize.code).toBe(2)
    expect(materialize.stderr).toContain("did not finish loading in 0.5 s")
  })

  it("rejects a STRATA_LOAD_TIMEOUT that is not a number of seconds", async () => {
    const dir = project({ "strata.config.ts": basicConfig })
    const result = await strataWithin(["list"], { cwd: dir, env: { STRATA_LOAD_TIMEOUT: "soon" } })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("STRATA_LOAD_TIMEOUT must be a number of seconds (0: no limit); got \"soon\"")
    // a config that loads is not affected by a limit
    expect((await strataWithin(["list"], { cwd: dir, env: { STRATA_LOAD_TIMEOUT: "20" } })).code).toBe(0)
  })
})

describe("error reporting", () => {
  it("reports 2,000 nested '(' as a bad selection at its column, not an instance error", async () => {
    const dir = project({ "strata.config.ts": basicConfig })
    for (const command of ["materialize", "status"]) {
      const result = await strataWithin([command, "--select", "(".repeat(2_000) + "a" + ")".repeat(2_000)], { cwd: dir })
      expect(result.code, result.stderr).toBe(2)
      expect(result.stderr).toContain("invalid --select: cannot parse selection at column 101")
      expect(result.stderr).toContain("nests deeper than 100 levels")
      expect(result.stderr).not.toContain("instance error")
      expect(result.stderr.length).toBeLessThan(1_000)
    }
  })

  it("reports an untagged failure as an internal error with a hint, and keeps typed errors' messages", async () => {
    const untagged = project({ "strata.config.ts": instanceConfig(`Effect.fail(new Error("disk on fire"))`) })
    const plain = await strataWithin(["runs"], { cwd: untagged })
    expect(plain.code).toBe(1)
    expect(plain.stderr).toContain("strata: internal error: Error: disk on fire")
    expect(plain.stderr).toContain("hint: this is a bug in Strata, or in a component of your project")
    expect(plain.stderr).not.toContain("instance error")

    const defect = project({ "strata.config.ts": instanceConfig(`Effect.die(new RangeError("index out of range"))`) })
    const died = await strataWithin(["runs"], { cwd: defect })
    expect(died.code).toBe(1)
    expect(died.stderr).toContain("strata: internal error: RangeError: index out of range")
    expect(died.stderr).toContain("hint:")

    const typed = project({
      "strata.config.ts": instanceConfig(
        `Effect.fail(new Instance.InstanceError({ operation: "listRuns", reason: "locked", message: "the instance is locked by pid 42" }))`
      )
    })
    const locked = await strataWithin(["runs"], { cwd: typed })
    expect(locked.code).toBe(1)
    expect(locked.stderr).toContain("strata: instance error: the instance is locked by pid 42")
    expect(locked.stderr).not.toContain("internal error")
  })
})
