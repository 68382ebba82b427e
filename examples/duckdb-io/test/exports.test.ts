/**
 * The plugin depends on Strata only through its packages' public entry
 * points (their `exports`): every `@strata/*` import in src/ and test/ names
 * an entry its package exports. (Node enforces `exports` at run time too; this
 * test also catches a path that happens to be exported for another reason.)
 */
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))
const require = createRequire(import.meta.url)

const sources = (folder: string): Array<string> =>
  (fs.readdirSync(path.join(root, folder), { recursive: true }) as Array<string>)
    .filter((name) => name.endsWith(".ts"))
    .map((name) => path.join(root, folder, name))

describe("public API only", () => {
  it("imports @strata/* only through exported entry points", () => {
    const imports = new Set<string>()
    for (const file of [...sources("src"), ...sources("test")]) {
      for (const match of fs.readFileSync(file, "utf8").matchAll(/from\s+"(@strata\/[^"]+)"/g)) imports.add(match[1]!)
    }
    expect(imports.size).toBeGreaterThan(0)
    for (const specifier of imports) {
      const [scope, name, ...rest] = specifier.split("/")
      const manifest = JSON.parse(fs.readFileSync(require.resolve(`${scope}/${name}/package.json`), "utf8")) as {
        exports: Record<string, unknown>
      }
      const entry = rest.length === 0 ? "." : `./${rest.join("/")}`
      expect(Object.keys(manifest.exports), `${specifier} is not an exported entry point of ${scope}/${name}`).toContain(entry)
    }
  })
})
