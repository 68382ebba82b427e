/**
 * vitest global setup: builds the UI with Vite when `ui-dist` is missing or
 * older than a UI source file, so the browser tests always see current code.
 */
import { existsSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "vite"

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
  const index = join(here, "ui-dist", "index.html")
  const sources = Math.max(newest(join(here, "ui")), newest(join(here, "..", "..", "packages", "protocol", "src")))
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return
  await build({ configFile: join(here, "ui", "vite.config.ts"), logLevel: "warn" })
}
