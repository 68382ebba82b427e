#!/usr/bin/env node
// The `strata` executable. It runs the built CLI (dist/bin.js). Inside the
// Strata repository before `pnpm build`, it runs the TypeScript sources instead,
// with the workspace's `@strata/source` export condition, in a child process
// (the condition must be set when Node starts).
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import * as nodeModule from "node:module"
import { fileURLToPath } from "node:url"

// V8's compile cache (Node >= 22.1): every command is a fresh process, and compiling Strata, Effect and the
// project's modules is much of a short command's start-up. The cache lives in the OS temp folder, is keyed by
// file content, and is skipped when NODE_DISABLE_COMPILE_CACHE is set.
nodeModule.enableCompileCache?.()

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
