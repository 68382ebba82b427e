import * as os from "node:os"
import * as path from "node:path"
import { defineConfig } from "vitest/config"

export default defineConfig({
  resolve: { conditions: ["@strata/source"] },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files run side by side, at least two even on a 2-core machine (vitest's default there is one): the tests
    // mostly wait on the processes they start. Each file has its own temporary folders, and servers take port 0.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    env: {
      // Every test runs `strata` in fresh Node processes from the TypeScript sources (~200 of them), and compiling
      // Strata, Effect and the project is most of each one's start-up. V8's compile cache, which `bin/strata.js`
      // enables for users, makes that start-up a third shorter; the same folder Node's default would use.
      NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? path.join(os.tmpdir(), "node-compile-cache")
    }
  }
})
