#!/usr/bin/env node
// The `strata` executable. It runs the built CLI (dist/bin.js). Inside the
// Strata repository before `pnpm build`, it runs the TypeScript sources instead,
// with the workspace's `@strata/source` export condition, in a child process
// (the condition must be set when Node starts).
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

const dist = new URL("../dist/bin.js", import.meta.url)
if (existsSync(fileURLToPath(dist))) {
  await import(dist.href)
} else {
  const source = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
  const result = spawnSync(process.execPath, ["--conditions=@strata/source", source, ...process.argv.slice(2)], {
    stdio: "inherit"
  })
  process.exit(result.status ?? (result.signal === "SIGINT" ? 130 : 1))
}
