/**
 * vitest global setup: builds the UI with Vite into `.ui-test/` when it is
 * missing or older than a UI or protocol source file, so the browser tests
 * always see current code. A folder of its own, so that a `build` running
 * at the same time (turbo runs a package's build and test in parallel)
 * never hands the tests a half-written `ui-dist/`.
 */
import { existsSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "vite"
import { testUiDir } from "./paths.ts"

const here = fileURLToPath(new URL("..", import.meta.url))

const newest = (dir: string): number => {
  let time = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    time = Math.max(time, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }
  return time
}

export default async function setup() {
  const index = join(testUiDir, "index.html")
  const sources = Math.max(newest(join(here, "ui")), newest(join(here, "..", "..", "packages", "protocol", "src")))
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return
  // vitest sets NODE_ENV=test, which would make Vite bundle React's development build
  const nodeEnv = process.env.NODE_ENV
  process.env.NODE_ENV = "production"
  try {
    await build({
      configFile: join(here, "ui", "vite.config.ts"),
      mode: "production",
      logLevel: "warn",
      build: { outDir: testUiDir }
    })
  } finally {
    process.env.NODE_ENV = nodeEnv
  }
}
