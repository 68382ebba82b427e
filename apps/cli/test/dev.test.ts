import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { basicConfig, projectsOfThisFile, strata } from "./helpers.ts"

const project = projectsOfThisFile()

const poll = async <A>(get: () => Promise<A>, done: (a: A) => boolean, what: string): Promise<A> => {
  const deadline = Date.now() + 15_000
  for (;;) {
    const value = await get()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

describe("strata dev", () => {
  it("serves the catalog API, reloads when the config changes, keeps the last good project on an error, stops on SIGINT", async () => {
    const dir = project({ "strata.config.ts": basicConfig })
    let url: string | undefined
    const steps: Array<string> = []
    const result = await strata(["dev", "--port", "0"], {
      cwd: dir,
      onSpawn: (child) => {
        let stdout = ""
        child.stdout!.on("data", async (chunk: Buffer) => {
          stdout += chunk.toString()
          const match = /Strata catalog on (http:\/\/[\d.]+:\d+)/.exec(stdout)
          if (match === null || url !== undefined) return
          url = match[1]!
          try {
            // STRATA_ENV is unset: the banner names the environment the config falls back to
            expect(stdout).toContain("· environment local")
            const project = () => fetch(`${url}/api/project`).then((r) => r.json()) as Promise<Record<string, unknown>>
            const first = await project()
            expect(first).toMatchObject({ generation: 1, assetCount: 3 })
            expect(String(first.instance)).toContain(path.join(dir, ".strata", "instance.db"))
            steps.push("served")

            fs.writeFileSync(
              path.join(dir, "strata.config.ts"),
              basicConfig
                .replace("export default", `const d = Asset.make("d", { deps: { c } }, ({ c }) => Effect.succeed(c + 1))\nexport default`)
                .replace("assets: [a, b, c]", "assets: [a, b, c, d]")
            )
            await poll(project, (p) => p.assetCount === 4, "the reload with asset d")
            steps.push("reloaded")

            fs.writeFileSync(path.join(dir, "strata.config.ts"), basicConfig.replace("assets: [a, b, c]", "assets: [a, b, c,,, oops"))
            const broken = await poll(project, (p) => typeof p.loadError === "string", "the load error")
            expect(broken.loadError).toContain("syntax error")
            expect(broken.assetCount).toBe(4)
            steps.push("kept")
          } finally {
            child.kill("SIGINT")
          }
        })
      }
    })
    expect(steps).toEqual(["served", "reloaded", "kept"])
    expect(result.code).toBe(130)
  })

  it("exits 2 on a broken project before serving", async () => {
    const dir = project({ "strata.config.ts": "export const nothing = 1\n" })
    const result = await strata(["dev", "--port", "0"], { cwd: dir })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("does not export a config")
  })
})
