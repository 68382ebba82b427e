import { spawnSync } from "node:child_process"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { projectsOfThisFile } from "./helpers.ts"

const project = projectsOfThisFile()

describe("ProjectLoader.load({ fresh: true })", () => {
  it("reloads the config and the project files it imports, and lists them for watching", () => {
    const dir = project({
      "part.ts": `export const keyName = "first"\n`,
      "strata.config.ts": `import { Asset, FileSystemIO, Project, StrataConfig } from "@strata/core"
import { Effect } from "effect"
import { keyName } from "./part.ts"

const x = Asset.make(keyName, {}, () => Effect.succeed(1))
export default StrataConfig.define({ project: Project.make({ assets: [x] }), environments: { local: () => FileSystemIO.layer() } })
`
    })
    const result = spawnSync(
      process.execPath,
      ["--conditions=@strata/source", path.join(import.meta.dirname, "fixtures", "reload.ts"), dir],
      { encoding: "utf8" }
    )
    expect(result.status, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({
      first: ["first@strata.config.ts:5"],
      second: ["second@strata.config.ts:5"],
      files: ["part.ts", "strata.config.ts"]
    })
  })
})
