import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { allBlocks, type Block, type Diagnostics, extractBlocks, isFragment, packageDir, readmes, typeCheck } from "../src/Readme.ts"

const blocks = allBlocks()
const checked = blocks.filter((block) => !isFragment(block))

// a block that must not compile: proves that the check reports errors at all
const canary: Block = {
  file: "canary/README.md",
  line: 1,
  flags: [],
  heading: "canary",
  code: `import { Asset } from "@strata/core"\nimport { Effect } from "effect"\nexport const a = Asset.make("a", {}, () => Effect.succeed(1))\nexport const b = Asset.make("b", { deps: { a } }, ({ a }) => Effect.succeed(a.toUpperCase()))`
}

describe("README ```ts blocks", () => {
  let dir = ""
  let result: Diagnostics = { byBlock: new Map(), global: [] }

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(packageDir, ".readme-blocks-"))
    result = typeCheck(dir, [...checked, canary])
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it("are found in the READMEs, and the compiler ran without errors outside them", () => {
    expect(readmes()).toEqual(expect.arrayContaining(["README.md", "packages/core/README.md", "integrations/arrow/README.md"]))
    expect(checked.length).toBeGreaterThanOrEqual(10)
    expect(result.global).toEqual([])
  })

  it("report a type error in a block, located in its README", () => {
    expect(result.byBlock.get(canary)).toEqual([
      expect.stringMatching(/^canary\/README\.md:4:\d+ TS2339: Property 'toUpperCase' does not exist on type 'number'/)
    ])
  })

  it("under an Example heading are checked, never marked fragment", () => {
    const examples = blocks.filter((block) => /^Example\b/i.test(block.heading))
    expect(examples.map((block) => block.file)).toEqual(expect.arrayContaining(["packages/core/README.md", "apps/cli/README.md"]))
    expect(examples.filter(isFragment).map((block) => `${block.file}:${block.line}`)).toEqual([])
  })

  it.each(checked.map((block) => [`${block.file}:${block.line}`, block] as const))("%s compiles", (_, block) => {
    expect(result.byBlock.get(block)).toEqual([])
  })
})

describe("extractBlocks", () => {
  it("keeps ts and typescript blocks with their first line and flags, and skips other languages", () => {
    const markdown = ["# A", "```sh", "pnpm i", "```", "## Example", "```ts", "const a = 1", "```", "", "```typescript fragment", "x", "```"].join("\n")
    expect(extractBlocks("x/README.md", markdown)).toEqual([
      { file: "x/README.md", line: 7, flags: [], heading: "Example", code: "const a = 1" },
      { file: "x/README.md", line: 11, flags: ["fragment"], heading: "Example", code: "x" }
    ])
  })
})
