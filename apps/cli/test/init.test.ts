import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { toolRanges } from "../src/init/Versions.ts"
import { strata } from "./helpers.ts"

// `strata init` from the sources, in folders under the temp directory. Installing what it creates is
// tools/install-check's test/init.test.ts (npm, the registry): here, what is written and what is refused.
const repositoryRoot = path.resolve(import.meta.dirname, "..", "..", "..")
const folders: Array<string> = []
afterAll(() => folders.forEach((folder) => fs.rmSync(folder, { recursive: true, force: true })))
const tempFolder = () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-cli-init-"))
  folders.push(folder)
  return folder
}

/** Every file under `folder`, relative, sorted. */
const listFiles = (folder: string): Array<string> =>
  (fs.readdirSync(folder, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)))
    .sort()

/** A range from pnpm-workspace.yaml: `catalog` (the workspace's versions) or `peer` (what packages declare). */
const catalogRange = (catalog: "catalog" | "peer", name: string): string => {
  const yaml = fs.readFileSync(path.join(repositoryRoot, "pnpm-workspace.yaml"), "utf8")
  const block = catalog === "catalog" ? /^catalog:\n((?:[ \t]+.*\n?)+)/m.exec(yaml)?.[1] : /^\s+peer:\n((?:[ \t]{4,}.*\n?)+)/m.exec(yaml)?.[1]
  const line = (block ?? "").split("\n").find((text) => text.trim().replace(/^"|"(?=:)/g, "").startsWith(`${name}:`))
  if (line === undefined) throw new Error(`pnpm-workspace.yaml: no ${catalog} entry for ${name}`)
  return line.split(":").slice(1).join(":").trim()
}

const appFiles = ["package.json", "tsconfig.json", "strata.config.ts", "src/shop.ts", "src/assets.ts", "test/assets.test.ts", "README.md", ".gitignore"]

describe("strata init", () => {
  it("creates a project whose package.json depends on registry versions", async () => {
    const parent = tempFolder()
    const result = await strata(["init", "my-shop"], { cwd: parent })
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    const project = path.join(parent, "my-shop")
    expect(listFiles(project)).toEqual([...appFiles].sort())
    expect(result.stdout).toContain(`Created a Strata project in ${project}`)
    expect(result.stdout).toContain("cd my-shop\n")
    const manifest = JSON.parse(fs.readFileSync(path.join(project, "package.json"), "utf8")) as Record<string, Record<string, string>>
    const cli = JSON.parse(fs.readFileSync(path.join(repositoryRoot, "apps", "cli", "package.json"), "utf8")) as { version: string }
    expect(manifest["name"]).toBe("my-shop")
    expect(manifest["dependencies"]).toEqual({
      "@strata/cli": `^${cli.version}`,
      "@strata/core": `^${cli.version}`,
      // the CLI runs from sources here (`catalog:peer`): ^ + the installed version, which the peer catalog names
      effect: catalogRange("peer", "effect")
    })
    expect(manifest["devDependencies"]?.["vitest"]).toBe(catalogRange("peer", "vitest"))
    expect(manifest["overrides"]).toBeUndefined()
    const tsconfig = JSON.parse(fs.readFileSync(path.join(project, "tsconfig.json"), "utf8")) as { compilerOptions: Record<string, unknown> }
    expect(tsconfig.compilerOptions).toMatchObject({ module: "NodeNext", moduleResolution: "NodeNext", strict: true, erasableSyntaxOnly: true })
    expect(fs.readFileSync(path.join(project, "strata.config.ts"), "utf8")).toContain("ShopLocal")
  })

  it("refuses a folder that is not empty, naming what is there, and writes nothing", async () => {
    const project = tempFolder()
    fs.writeFileSync(path.join(project, "notes.txt"), "mine")
    const result = await strata(["init", "."], { cwd: project })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`${project} is not empty (notes.txt)`)
    expect(result.stderr).toContain("--force")
    expect(listFiles(project)).toEqual(["notes.txt"])
  })

  it("counts a folder holding only .git as empty", async () => {
    const project = tempFolder()
    fs.mkdirSync(path.join(project, ".git"))
    fs.writeFileSync(path.join(project, ".git", "HEAD"), "ref: refs/heads/main\n")
    const result = await strata(["init"], { cwd: project })
    expect(result.code).toBe(0)
    expect(listFiles(project)).toEqual([".git/HEAD", ...appFiles].sort())
  })

  it("with --force adds the missing files and never overwrites one, saying which it skipped", async () => {
    const project = tempFolder()
    fs.writeFileSync(path.join(project, "README.md"), "my readme")
    fs.writeFileSync(path.join(project, "package.json"), "{\"name\":\"mine\"}")
    const result = await strata(["init", project, "--force"], { cwd: os.tmpdir() })
    expect(result.code).toBe(0)
    expect(fs.readFileSync(path.join(project, "README.md"), "utf8")).toBe("my readme")
    expect(fs.readFileSync(path.join(project, "package.json"), "utf8")).toBe("{\"name\":\"mine\"}")
    expect(result.stdout).toMatch(/skipped {2}README\.md \(it exists: left as it was\)/)
    expect(result.stdout).toMatch(/skipped {2}package\.json/)
    expect(result.stdout).toContain("package.json was there already")
    expect(result.stdout).toMatch(/created {2}strata\.config\.ts/)
    expect(listFiles(project)).toEqual([...appFiles].sort())

    // a second run finds every file there: all skipped, none changed
    const config = fs.readFileSync(path.join(project, "strata.config.ts"), "utf8")
    fs.writeFileSync(path.join(project, "strata.config.ts"), `${config}// edited\n`)
    const again = await strata(["init", project, "--force", "--json"], { cwd: os.tmpdir() })
    expect(again.code).toBe(0)
    const json = JSON.parse(again.stdout) as { created: Array<string>; skipped: Array<string> }
    expect(json.created).toEqual([])
    expect([...json.skipped].sort()).toEqual([...appFiles].sort())
    expect(fs.readFileSync(path.join(project, "strata.config.ts"), "utf8")).toBe(`${config}// edited\n`)
  })

  it("refuses a target that is a file", async () => {
    const parent = tempFolder()
    fs.writeFileSync(path.join(parent, "taken"), "")
    const result = await strata(["init", "taken"], { cwd: parent })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`${path.join(parent, "taken")} exists and is not a folder`)
  })

  it("prints its help with examples", async () => {
    const help = await strata(["init", "--help"], { cwd: tempFolder() })
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("EXAMPLES")
    expect(help.stdout).toContain("--from-checkout")
  })

  it("refuses --from-checkout when the CLI does not run from a checkout", async () => {
    // a copy of the CLI's sources outside the repository, as an installed CLI would be
    const copy = tempFolder()
    const cliRoot = path.join(repositoryRoot, "apps", "cli")
    fs.cpSync(path.join(cliRoot, "src"), path.join(copy, "cli", "src"), { recursive: true })
    fs.copyFileSync(path.join(cliRoot, "package.json"), path.join(copy, "cli", "package.json"))
    fs.symlinkSync(path.join(cliRoot, "node_modules"), path.join(copy, "cli", "node_modules"), "dir")
    const result = await strata(["init", "p", "--from-checkout"], { cwd: copy, bin: path.join(copy, "cli", "src", "bin.ts") })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--from-checkout packs the packages of the Strata checkout this CLI runs from")
    expect(result.stderr).toContain("leave out --from-checkout to use the registry")
    expect(fs.existsSync(path.join(copy, "p")), "the folder is not created").toBe(false)
  })

  it("prints only JSON on stdout with --json", async () => {
    const parent = tempFolder()
    const result = await strata(["init", "p", "--json"], { cwd: parent })
    expect(result.code).toBe(0)
    const json = JSON.parse(result.stdout) as Record<string, unknown>
    expect(json).toMatchObject({ kind: "project", name: "p", directory: path.join(parent, "p"), skipped: [], vendored: {} })
    expect(json["next"]).toEqual(["cd p", "npm install", "npx strata materialize", "npx vitest run"])
  })
})

describe("strata init --integration", () => {
  it("creates the package strata-<name> with peers on effect and @strata/core", async () => {
    const parent = tempFolder()
    const result = await strata(["init", "--integration", "my-store"], { cwd: parent })
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    const project = path.join(parent, "strata-my-store")
    expect(listFiles(project)).toEqual([
      ".changeset/config.json",
      ".changeset/initial-release.md",
      ".gitignore",
      "README.md",
      "package.json",
      "src/MyStoreClient.ts",
      "src/MyStoreError.ts",
      "src/assets.ts",
      "src/index.ts",
      "test/MyStoreClient.test.ts",
      "tsconfig.json",
      "tsup.config.ts"
    ])
    const manifest = JSON.parse(fs.readFileSync(path.join(project, "package.json"), "utf8")) as Record<string, Record<string, string>>
    expect(manifest["name"]).toBe("strata-my-store")
    expect(Object.keys(manifest["peerDependencies"] ?? {}).sort()).toEqual(["@strata/core", "effect"])
    expect(manifest["devDependencies"]).toMatchObject({ tsup: toolRanges.tsup, vitest: catalogRange("peer", "vitest") })
    const client = fs.readFileSync(path.join(project, "src", "MyStoreClient.ts"), "utf8")
    expect(client).toContain("export class MyStoreClient extends Context.Service<MyStoreClient, MyStoreClientShape>()(\"strata-my-store/MyStoreClient\")")
    expect(client).toContain("static readonly layerConfig")
    expect(client).toContain("Config.String(\"MY_STORE_URL\")")
    expect(fs.readFileSync(path.join(project, "src", "MyStoreError.ts"), "utf8")).toContain("get isRetryable(): boolean")
    expect(fs.readFileSync(path.join(project, ".changeset", "initial-release.md"), "utf8")).toContain("\"strata-my-store\": minor")
    expect(fs.readFileSync(path.join(project, "README.md"), "utf8")).toContain("ioManagerConformance")
  })

  it("refuses a name that cannot make a package name, creating nothing", async () => {
    const parent = tempFolder()
    for (const name of ["Acme", "my_store", "-acme", "a--b", "x".repeat(41)]) {
      const result = await strata(["init", `--integration=${name}`], { cwd: parent })
      expect(result.code, name).toBe(2)
      expect(result.stderr, name).toContain("the name must be lowercase words separated by single dashes")
    }
    expect(fs.readdirSync(parent)).toEqual([])
  })
})

describe("the tool versions a generated project gets", () => {
  it("are the versions the repository develops with", () => {
    const root = JSON.parse(fs.readFileSync(path.join(repositoryRoot, "package.json"), "utf8")) as { devDependencies: Record<string, string> }
    expect(toolRanges.typescript).toBe(catalogRange("catalog", "typescript"))
    expect(toolRanges.tsup).toBe(`^${catalogRange("catalog", "tsup")}`)
    expect(toolRanges["@types/node"]).toBe(root.devDependencies["@types/node"])
    expect(toolRanges["@changesets/cli"]).toBe(`^${root.devDependencies["@changesets/cli"]}`)
  })
})
