import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import * as Resolution from "../src/Resolution.ts"

// The rules that decide when a registry release fails the install check, on real folders laid out as npm
// lays out node_modules: an upstream patch inside our ranges is reported, never failed on by itself; a range
// of ours that the tree does not meet fails, naming the package, the field and the range.
describe("what npm resolved, against what our packages declare", () => {
  const folders: Array<string> = []
  afterEach(() => {
    for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true })
  })

  const tree = (packages: Record<string, string>): string => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "strata-resolution-"))
    folders.push(root)
    for (const [location, version] of Object.entries(packages)) {
      const folder = path.join(root, location)
      fs.mkdirSync(folder, { recursive: true })
      const name = location.split("node_modules/").at(-1)!
      fs.writeFileSync(path.join(folder, "package.json"), JSON.stringify({ name, version }))
    }
    return root
  }

  const core: Resolution.Manifest = {
    name: "@strata/core",
    version: "0.1.0",
    peerDependencies: { effect: "^4.1.5", vitest: "^5.1.1" },
    peerDependenciesMeta: { vitest: { optional: true } }
  }
  const cli: Resolution.Manifest = {
    name: "@strata/cli",
    version: "0.1.0",
    dependencies: { "@strata/core": "^0.1.0", "@effect/platform-node": "^4.1.5" },
    peerDependencies: { effect: "^4.1.5" }
  }
  const ours = new Set(["@strata/core", "@strata/cli"])

  it("lists the ranges our packages declare for third-party packages, and the consumer's range as their intersection", () => {
    const declared = Resolution.declaredRanges([core, cli, { name: "@strata/old", version: "0.0.1", peerDependencies: { effect: "^4.1.0" } }], new Set([...ours, "@strata/old"]))
    expect(declared.map((entry) => `${entry.by} ${entry.field}.${entry.name} ${entry.range}${entry.optional ? " optional" : ""}`)).toEqual([
      "@strata/core peerDependencies.effect ^4.1.5",
      "@strata/core peerDependencies.vitest ^5.1.1 optional",
      "@strata/cli dependencies.@effect/platform-node ^4.1.5",
      "@strata/cli peerDependencies.effect ^4.1.5",
      "@strata/old peerDependencies.effect ^4.1.0"
    ])
    expect(Resolution.consumerRange(declared, "effect")).toBe("^4.1.5 ^4.1.0")
    expect(Resolution.consumerRange(declared, "pg")).toBeUndefined()
  })

  it("an upstream patch inside our ranges meets them and is reported as drift, with the range that let it in", () => {
    const root = tree({
      "node_modules/@strata/core": "0.1.0",
      "node_modules/@strata/cli": "0.1.0",
      "node_modules/effect": "4.1.9",
      "node_modules/@effect/platform-node": "4.1.9"
    })
    const declared = Resolution.declaredRanges([core, cli], ours)
    const at = (name: string) => path.join(root, "node_modules", name)
    expect(Resolution.unmetRanges(declared, at)).toEqual([])
    const report = Resolution.describeDrift([
      { name: "effect", installed: "4.1.9", workspace: "4.1.5", declared: declared.filter((d) => d.name === "effect") },
      { name: "@effect/platform-node", installed: "4.1.5", workspace: "4.1.5", declared: [] }
    ])
    expect(report).toContain(`effect@4.1.9: the workspace tests 4.1.5; let in by "^4.1.5" (@strata/core peerDependencies)`)
    expect(report).not.toContain("platform-node")
    expect(Resolution.describeDrift([{ name: "effect", installed: "4.1.5", workspace: "4.1.5", declared: [] }])).toBe("")
  })

  it("a range the tree does not meet fails with the package, the field, the range and the installed version", () => {
    // a nested copy under @strata/cli is what Node resolves from it, not the top-level one
    const root = tree({
      "node_modules/@strata/core": "0.1.0",
      "node_modules/@strata/cli": "0.1.0",
      "node_modules/effect": "4.1.5",
      "node_modules/@strata/cli/node_modules/effect": "4.1.0"
    })
    const at = (name: string) => path.join(root, "node_modules", name)
    expect(Resolution.unmetRanges(Resolution.declaredRanges([core, cli], ours), at)).toEqual([
      `@strata/cli declares dependencies.@effect/platform-node "^4.1.5", and npm installed no @effect/platform-node`,
      `@strata/cli declares peerDependencies.effect "^4.1.5", and effect@4.1.0 is installed`
    ])
  })

  it("counts npm ls problems only when they name one of ours or a package we declare", () => {
    const names = new Set(["@strata/core", "effect", "@effect/platform-node"])
    const problems = [
      "invalid: effect@4.1.0 /tmp/p/node_modules/effect",
      "missing: @effect/platform-node@^4.1.5, required by @strata/cli@0.1.0",
      "invalid: rolldown@1.3.4 /tmp/p/node_modules/rolldown",
      "missing: left-pad@^1.0.0, required by @strata/core@0.1.0"
    ]
    expect(Resolution.problemsOfOurs(problems, names)).toEqual([problems[0], problems[1], problems[3]])
  })
})
